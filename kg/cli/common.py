"""Options and error handling shared by every command."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kg.config import Config
from kg.errors import KgError

F = TypeVar("F", bound=Callable[..., Any])

store_option = click.option(
    "--store",
    "store",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the on-disk Oxigraph store.",
)
base_option = click.option(
    "--base",
    "base_iri",
    default=None,
    metavar="IRI",
    help="Base IRI of the data (default https://w3id.org/govkg/id/).",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary on stderr.")


def make_config(base_iri: str | None = None) -> Config:
    return Config() if base_iri is None else Config(base_iri=base_iri)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def handle_errors(fn: F) -> F:
    """Turn a KgError into one line on stderr and its documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KgError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]
