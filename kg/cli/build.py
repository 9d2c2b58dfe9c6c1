"""Commands that build and read the graph: ingest, validate, query, export, explain."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from kg.cli.common import base_option, handle_errors, make_config, quiet_option, store_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@store_option
@base_option
@quiet_option
@click.option("--max-file-mb", type=click.IntRange(min=1), default=20, show_default=True, help="Refuse larger files.")
@click.option("--no-validate", is_flag=True, help="Skip the checks at ingest (run `kg validate` later).")
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: the number of cores)."
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Identify sources by their path under this directory (default: their absolute path).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="At most this many sources per bulk load (fewer: less memory, more loads).",
)
@handle_errors
def ingest(
    paths: tuple[Path, ...],
    store: Path,
    base_iri: str | None,
    quiet: bool,
    max_file_mb: int,
    no_validate: bool,
    jobs: int | None,
    root: Path | None,
    batch_size: int,
) -> None:
    """Read reports (.txt, .html, .jsonl; directories recursively) into the store.

    A source is its file (its absolute path, or its path under --root); a JSONL record is its URL. Ingesting a
    source again replaces its graph; an unchanged one is skipped. Copies of one report (the same region, body and
    year, e.g. scraped from mirror sites) are one report. Files that cannot be read are listed with the reason and
    skipped; when nothing could be read, the exit status is 2.

    \b
    Example:
      kg ingest examples/reports --store out/store
      kg ingest corpus/ --store out/store --jobs 4 --root corpus/
    """
    from tqdm import tqdm

    from kg.errors import InputError
    from kg.pipeline import default_jobs
    from kg.pipeline import ingest as run_ingest

    config = make_config(base_iri).with_(
        max_file_bytes=max_file_mb * 1024 * 1024, source_root=root, batch_reports=batch_size
    )
    show = not quiet and sys.stderr.isatty()
    bar = tqdm(desc="reports", unit=" report", disable=not show, file=sys.stderr)
    summary = run_ingest(
        list(paths),
        store,
        config,
        progress=lambda _: bar.update(1),
        validate=not no_validate,
        jobs=jobs or default_jobs(),
    )
    bar.close()
    nothing = summary.sources == 0 and summary.unchanged == 0
    if not quiet:
        for line in summary_lines(summary, store):
            click.echo(line, err=True)
    if nothing:
        raise InputError(
            ", ".join(str(p) for p in paths),
            "no readable report found" + (f" ({len(summary.skipped)} files skipped)" if summary.skipped else ""),
            hint="give .txt, .html/.htm or .jsonl reports, or a directory holding them",
        )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path), help="Shards directory.")
@base_option
@quiet_option
@click.option("--max-file-mb", type=click.IntRange(min=1), default=20, show_default=True, help="Refuse larger files.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: the cores).")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Identify sources by their path under this directory (default: their absolute path).")  # fmt: skip
@click.option("--shard-size", type=click.IntRange(min=1), default=2000, show_default=True, help="Sources per shard.")
@handle_errors
def extract(
    paths: tuple[Path, ...], output: Path, base_iri: str | None, quiet: bool, max_file_mb: int, jobs: int | None,
    root: Path | None, shard_size: int,
) -> None:  # fmt: skip
    """Build reports into N-Quads shards (OUTPUT/part-00000.nq …) for `kg load`, without a store.

    The same as the first half of `kg ingest`; on a cluster, map kg.shards.extract_shard over partitions of the
    files instead (see the README). Files that cannot be read are listed with the reason and skipped.

    \b
    Example:
      kg extract examples/reports -o out/shards
      kg load out/shards --store out/store
    """
    from tqdm import tqdm

    from kg.pipeline import default_jobs
    from kg.pipeline import extract as run_extract

    config = make_config(base_iri).with_(max_file_bytes=max_file_mb * 1024 * 1024, source_root=root)
    bar = tqdm(desc="reports", unit=" report", disable=quiet or not sys.stderr.isatty(), file=sys.stderr)
    summary = run_extract(
        list(paths), output, config, progress=lambda _: bar.update(1), jobs=jobs or default_jobs(), shard_sources=shard_size
    )
    bar.close()
    if not quiet:
        click.echo(f"extracted {summary.sources} sources, {summary.quads} quads into {output}", err=True)
        for s in summary.skipped:
            click.echo(f"  skipped {s.path}: {s.reason}", err=True)


@click.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@store_option
@base_option
@quiet_option
@handle_errors
def load(shards: tuple[Path, ...], store: Path, base_iri: str | None, quiet: bool) -> None:
    """Load N-Quads shards written by `kg extract` (or by kg.shards.extract_shard on a cluster) into the store.

    Derives the reports from their copies and the citation summaries, as `kg ingest` does: the store is the one a
    local ingest of the same files makes. A source loaded again replaces its graph.

    \b
    Example:
      kg load out/shards --store out/store
    """
    from kg.pipeline import load as run_load

    config = make_config(base_iri)
    summary = run_load(list(shards), store, config)
    if not quiet:
        for line in summary_lines(summary, store):
            click.echo(line, err=True)


def summary_lines(summary, store: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """What an ingest did, for stderr: counts first, then each skipped file or record with its reason."""
    violations = [v for v in summary.violations if v.severity == "Violation"]
    records = [s for s in summary.skipped if _is_record(s.path)]
    unsupported = summary.unsupported
    files = [s for s in summary.skipped if s not in records and s not in unsupported]
    parts = [f"ingested {summary.sources} sources of {summary.reports} reports, {summary.quads} quads into {store}"]
    if summary.unchanged:
        parts.append(f"{summary.unchanged} unchanged")
    if summary.replaced:
        parts.append(f"{summary.replaced} replaced")
    parts.append(f"{len(violations)} violations")
    parts.append(f"{len(files)} files skipped")
    if records:
        parts.append(f"{len(records)} records skipped")
    if unsupported:
        parts.append(f"{len(unsupported)} unsupported files")
    if summary.conflicts:
        parts.append(f"{len(summary.conflicts)} conflicts between copies")
    lines = ["; ".join(parts)]
    if summary.recovered:
        lines.append(f"  recovered: removed {summary.recovered} sources an interrupted ingest had half written")
    lines += [f"  skipped {s.path}: {s.reason}" for s in files]
    lines += [f"  record skipped {s.path}: {s.reason}" for s in records]
    if unsupported:
        names = ", ".join(Path(s.path).name for s in unsupported[:10])
        more = f" … and {len(unsupported) - 10} more" if len(unsupported) > 10 else ""
        lines.append(f"  unsupported (not read): {names}{more}")
    for c in summary.conflicts[:10]:
        lines.append(f"  copies disagree: {c} (see `kg validate`)")
    for v in violations[:20]:
        lines.append(f"  violation {v.focus} {v.path}: {v.message}")
    if len(violations) > 20:
        lines.append(f"  … and {len(violations) - 20} more (see `kg validate`)")
    return lines


def _is_record(path: str) -> bool:
    """A JSONL record's location, ``file.jsonl:LINE``."""
    head, sep, line = path.rpartition(":")
    return bool(sep) and line.isdigit() and head.lower().endswith(".jsonl")


@click.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(["table", "turtle"]), default="table", show_default=True)
@click.option(
    "--full", is_flag=True, help="Validate every graph again with pyshacl and check every triple (slow on big stores)."
)
@handle_errors
def validate(store: Path, fmt: str, full: bool) -> None:
    """Validate the stored graph against shapes/*.ttl and the cross-entity rules.

    Each source is checked when it is ingested; this runs the shapes on what was not checked against the current
    shapes, and the cross-entity rules on the whole store. --full re-validates everything with pyshacl.
    Exit status 0 when the data conforms, 1 when it does not, 2 on bad input.

    \b
    Example:
      kg validate --store out/store --format turtle > report.ttl
    """
    from kg.ledger import Ledger
    from kg.store import open_store
    from kg.validate import validate_store

    config = make_config()
    opened = open_store(store, read_only=True)
    ledger = Ledger.for_reading(store)
    try:
        result = validate_store(opened, config, full=full, ledger=ledger)
    finally:
        if ledger is not None:
            ledger.close()
    if fmt == "turtle":
        click.echo(result.report_graph().serialize(format="turtle"))
    else:
        click.echo("conforms" if result.conforms else "does not conform")
        for v in sorted(result.violations, key=lambda v: (v.severity, v.focus)):
            click.echo(f"{v.severity}\t{v.focus}\t{v.path}\t{v.message}")
    sys.exit(0 if result.conforms else 1)


@click.command()
@click.argument("name_or_file")
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), help="Directory of the store.")
@click.option("--endpoint", metavar="URL", help="Run against a remote SPARQL 1.1 endpoint instead of --store.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Bind a parameter the query declares.")
@handle_errors
def query(name_or_file: str, store: Path | None, endpoint: str | None, fmt: str, params: tuple[str, ...]) -> None:
    """Run a named query (queries/*.rq, by name such as most-cited) or any .rq file.

    Parameters are read the way extraction writes values: a 文号 in any bracket style becomes its canonical form
    (国办发[2016]80号 → 国办发〔2016〕80号), a path becomes its file name. When no row comes back, the nearest values
    the parameter can take are suggested. JSON output is typed: numbers as numbers, booleans as booleans.

    \b
    Example:
      kg query most-cited --store out/store
      kg query citing-regions --store out/store --param number=国办发〔2016〕80号 --format csv
    """
    from kg.errors import QueryError
    from kg.queries import load_query, run_select

    config = make_config()
    q = load_query(name_or_file, config.queries_dir)
    bound: dict[str, str] = {}
    for p in params:
        key, sep, value = p.partition("=")
        if not sep:
            raise QueryError(f"--param {p!r} is not KEY=VALUE", hint="e.g. --param year=2017")
        bound[key.strip()] = value
    if endpoint:
        from kg.remote import run_select_remote

        table = run_select_remote(endpoint, q, bound)
    elif store:
        from kg.store import open_store

        opened = open_store(store, read_only=True)
        if fmt == "csv":  # written by the engine, row by row
            from kg.queries import select_csv

            with select_csv(opened, q, bound) as answer:
                shutil.copyfileobj(answer, sys.stdout.buffer)
                sys.stdout.flush()
                answer.seek(0)
                answer.readline()  # the header
                empty = not answer.readline()
            if bound and empty:
                _hint_empty(opened, q, bound, store)
            return
        table = run_select(opened, q, bound)
    else:
        raise QueryError("give --store DIR or --endpoint URL")
    out = {"csv": table.to_csv, "tsv": lambda: table.to_csv("\t"), "json": table.to_json, "table": table.to_text}[fmt]()
    click.echo(out, nl=False)
    if bound and not table.rows:
        _hint_empty(opened if store else None, q, bound, store)


def _hint_empty(opened, q, bound: dict[str, str], store: Path | None) -> None:  # type: ignore[no-untyped-def]
    """No rows: how the parameters were read, and the nearest values they can take."""
    from kg.queries import nearest_values, normalize_params

    read_as = normalize_params(bound)
    for key, value in bound.items():
        if read_as[key] != value:
            click.echo(f"note: --param {key}={value} was read as {read_as[key]}", err=True)
    if store:
        for key, values in nearest_values(opened, q, bound).items():
            shown = ", ".join(values) if values else "(none: the query has no rows at all)"
            click.echo(f"no rows for {key}={read_as[key]}; nearest values: {shown}", err=True)


@click.command()
@store_option
@base_option
@click.option("--format", "fmt", type=click.Choice(["ttl", "trig", "nq"]), default="ttl", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@handle_errors
def export(store: Path, base_iri: str | None, fmt: str, output: Path) -> None:
    """Write a deterministic dump (same data, byte-identical file) and its VoID/DCAT description (FILE.void.ttl).

    Turtle holds the union of all graphs; TriG and N-Quads keep one graph per report.

    \b
    Example:
      kg export --store out/store --format trig -o out/govkg.trig
    """
    from kg.export import export_store, write_description
    from kg.store import open_store

    config = make_config(base_iri)
    opened = open_store(store, read_only=True)
    n = export_store(opened, output, fmt, config.base_iri)
    described = write_description(opened, output, fmt, config.base_iri)
    click.echo(f"wrote {n} statements to {output}, its VoID/DCAT description to {described}", err=True)


@click.command()
@click.argument("iri")
@store_option
@handle_errors
def explain(iri: str, store: Path) -> None:
    """Print a fact with the sentence it was read from (and its page, for a PDF).

    IRI is a whole IRI as `kg query` prints it, the same in <…>, or a prefixed name (id:…, region:…).

    \b
    Example:
      kg explain https://w3id.org/govkg/id/report/321281/government/2016 --store out/store
      kg explain id:report/321281/government/2016 --store out/store
    """
    from kg.explain import explain_fact
    from kg.store import open_store

    click.echo(explain_fact(open_store(store, read_only=True), iri, make_config()), nl=False)


COMMANDS = [ingest, extract, load, validate, query, export, explain]
