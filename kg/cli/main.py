"""``kg``: build, validate, query, export, serve and view the knowledge graph."""

from __future__ import annotations

import click

from kg import __version__
from kg.cli.common import setup_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="kg")
@click.option("--verbose", "-v", is_flag=True, help="Log details on stderr.")
def cli(verbose: bool) -> None:
    """govkg: annual government information-disclosure reports as a validated RDF knowledge graph.

    \b
    Example:
      kg ingest examples/reports --store out/store
      kg query most-cited --store out/store
    """
    setup_logging(verbose)


def _register() -> None:
    from kg.cli import build as build_cmds
    from kg.cli import serve as serve_cmds
    from kg.cli import view as view_cmds

    for module in (build_cmds, view_cmds, serve_cmds):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
