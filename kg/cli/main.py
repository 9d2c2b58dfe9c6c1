"""``kg``: build, validate, query, export, serve and view the knowledge graph."""

from __future__ import annotations

import click

from kg import __version__
from kg.cli.common import setup_logging


class LazyGroup(click.Group):
    """Commands imported when used (the pattern of click's documentation): `kg query` does not import the views
    or the endpoint, which costs half a second."""

    COMMANDS = {
        "ingest": "kg.cli.build", "extract": "kg.cli.build", "load": "kg.cli.build", "validate": "kg.cli.build",
        "query": "kg.cli.build", "export": "kg.cli.build", "explain": "kg.cli.build",
        "view": "kg.cli.view", "serve": "kg.cli.serve", "push": "kg.cli.serve",
    }  # fmt: skip

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        import importlib

        module = self.COMMANDS.get(cmd_name)
        if module is None:
            return None
        found = {c.name: c for c in importlib.import_module(module).COMMANDS}
        return found.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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
