"""``kg view``: write the interactive network views of the store as a static, offline directory."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.common import handle_errors, make_config, quiet_option, store_option
from kg.views import DEFAULT_MAX_NODES, DEFAULT_TOP_DIRECTIVES


@click.command()
@store_option
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the pages into (new, empty, or written by an earlier `kg view`).",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=50),
    default=DEFAULT_MAX_NODES,
    show_default=True,
    help="Split a view into per-province (or per-community) pages above this many nodes.",
)
@click.option(
    "--top-directives",
    type=click.IntRange(min=0),
    default=DEFAULT_TOP_DIRECTIVES,
    show_default=True,
    help="Write a diffusion page for this many of the most-cited directives.",
)
@quiet_option
@handle_errors
def view(store: Path, out_dir: Path, max_nodes: int, top_directives: int, quiet: bool) -> None:
    """Write interactive network views: citations, co-citation communities, platform adoption, and the
    diffusion of the most-cited directives, plus GEXF/GraphML exports for Gephi.

    Every page works offline (open OUT/index.html in a browser). Prints each page written, one per line:
    view, path, nodes, edges.

    \b
    Example:
      kg view --store out/store -o out/views
      kg view --store out/store -o out/views --max-nodes 800 --top-directives 20
    """
    from kg.store import open_store
    from kg.views import write_views

    config = make_config()
    summary = write_views(
        open_store(store, read_only=True), out_dir, config, max_nodes=max_nodes, top_directives=top_directives
    )
    click.echo(f"index\t{summary.index}\t\t")
    for page in summary.pages:
        click.echo(f"{page.view}\t{out_dir / page.slug}\t{page.nodes}\t{page.edges}")
    for path in summary.exports:
        click.echo(f"export\t{path}\t\t")
    if not quiet:
        views = sorted({p.view for p in summary.pages})
        click.echo(
            f"wrote {len(summary.pages)} pages ({', '.join(views) or 'none'}) and {len(summary.exports)} exports; "
            f"open {summary.index}",
            err=True,
        )


COMMANDS = [view]
