"""``kg serve`` and ``kg push``: publish the store read-only, or load it into another SPARQL store."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from kg.cli.common import handle_errors, quiet_option, store_option
from kg.serve import ServeSettings, serve_endpoint
from kg.serve.allocator import CHOICES

_DEFAULTS = ServeSettings()


@click.command()
@store_option
@click.option("--host", default=_DEFAULTS.host, show_default=True, help="Address to listen on (loopback by default).")
@click.option(
    "--port", default=_DEFAULTS.port, show_default=True, type=click.IntRange(0, 65535), help="0: any free port."
)
@click.option(
    "--cors", "cors", default=None, metavar="ORIGIN", help="Allow browsers on ORIGIN (or *) to query; off by default."
)
@click.option(
    "--timeout",
    "timeout_s",
    default=_DEFAULTS.timeout_s,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds a query may run (and wait in the queue).",
)
@click.option(
    "--max-rows",
    default=_DEFAULTS.max_rows,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a result may have; more is refused.",
)
@click.option(
    "--max-concurrent",
    default=_DEFAULTS.max_concurrent,
    show_default=True,
    type=click.IntRange(min=1),
    help="Queries running at once.",
)
@click.option(
    "--max-queued",
    default=_DEFAULTS.max_queued,
    show_default=True,
    type=click.IntRange(min=0),
    help="Queries waiting for a slot; beyond that, 503.",
)
@click.option(
    "--max-query-bytes",
    default=_DEFAULTS.max_query_bytes,
    show_default=True,
    type=click.IntRange(min=1),
    help="Longest query accepted.",
)
@click.option(
    "--cache-mb",
    default=_DEFAULTS.cache_bytes // 2**20,
    show_default=True,
    type=click.IntRange(min=0),
    help="Memory for answers already given on the current snapshot (repeats skip Oxigraph); 0 turns it off.",
)
@click.option(
    "--max-engine-mb",
    default=_DEFAULTS.max_engine_mb,
    show_default="a quarter of this machine's memory",
    type=click.IntRange(min=256),
    help="Memory each Oxigraph process may use; a query needing more is refused (422 memory_limit).",
)
@click.option(
    "--engine-allocator",
    default=_DEFAULTS.engine_allocator,
    show_default=True,
    type=click.Choice(CHOICES),
    help="Memory allocator of the Oxigraph processes: jemalloc gives freed memory back (auto: when installed).",
)
@click.option(
    "--max-connections",
    default=_DEFAULTS.max_connections,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open client connections; one more is answered 503.",
)
@click.option(
    "--max-request-line",
    default=_DEFAULTS.max_request_line,
    show_default=True,
    type=click.IntRange(min=256),
    help="Bytes of the request line (a GET query's URL); longer is 414.",
)
@click.option(
    "--max-header-bytes",
    default=_DEFAULTS.max_header_bytes,
    show_default=True,
    type=click.IntRange(min=256),
    help="Bytes of a request's header fields; more is 431.",
)
@click.option(
    "--header-timeout",
    "header_timeout_s",
    default=_DEFAULTS.header_timeout_s,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a request (line, headers, body) may take to arrive; an idle connection is closed after that.",
)
@click.option(
    "--send-timeout",
    "send_timeout_s",
    default=_DEFAULTS.send_timeout_s,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a client may leave its answer unread before it is dropped.",
)
@click.option(
    "--max-buffer-mb",
    default=_DEFAULTS.max_buffer_bytes // 2**20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Memory for answers waiting to be read by clients, all together; past it, writers wait.",
)
@click.option(
    "--max-streams",
    default=_DEFAULTS.max_streams,
    show_default=True,
    type=click.IntRange(min=1),
    help="Answers over 1 MiB being streamed to their clients at once; one more is answered 503.",
)
@click.option(
    "--snapshots",
    "snapshots_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where snapshots of the store go (default: STORE.snapshots beside the store).",
)
@click.option(
    "--views",
    "views_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also serve the network views written by `kg view -o DIR` under /views/.",
)
@quiet_option
@handle_errors
def serve(
    store: Path,
    host: str,
    port: int,
    cors: str | None,
    timeout_s: int,
    max_rows: int,
    max_concurrent: int,
    max_queued: int,
    max_query_bytes: int,
    cache_mb: int,
    max_engine_mb: int,
    engine_allocator: str,
    max_connections: int,
    max_request_line: int,
    max_header_bytes: int,
    header_timeout_s: float,
    send_timeout_s: float,
    max_buffer_mb: int,
    max_streams: int,
    snapshots_dir: Path | None,
    views_dir: Path | None,
    quiet: bool,
) -> None:
    """Publish the store as a read-only SPARQL endpoint with a query page.

    SPARQL 1.1 Protocol at /sparql (GET or POST), the query page at /, the VoID description at
    /.well-known/void. Updates, LOAD, SERVICE and FROM are refused; time, rows, size, concurrency, the
    engine's memory, connections and request heads are bounded; every refusal is JSON ({"error": {"status",
    "code", "message", "hint"}}). When `kg ingest` completes, the endpoint moves to the new data by itself.
    Ctrl-C stops it; exit status 2 when it cannot start, or when its query engine dies and cannot be started
    again.

    \b
    Example:
      kg serve --store out/store
      kg serve --store out/store --views out/views
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 3' http://127.0.0.1:8000/sparql
    """
    if views_dir is not None:
        from kg.views import views_dir as checked_views

        views_dir = checked_views(views_dir)
    settings = ServeSettings(
        host=host,
        port=port,
        cors_origin=cors,
        timeout_s=timeout_s,
        max_rows=max_rows,
        max_concurrent=max_concurrent,
        max_queued=max_queued,
        max_query_bytes=max_query_bytes,
        cache_bytes=cache_mb * 2**20,
        max_engine_mb=max_engine_mb,
        engine_allocator=engine_allocator,
        max_connections=max_connections,
        max_request_line=max_request_line,
        max_header_bytes=max_header_bytes,
        header_timeout_s=header_timeout_s,
        send_timeout_s=send_timeout_s,
        max_buffer_bytes=max_buffer_mb * 2**20,
        max_streams=max_streams,
        snapshots_dir=snapshots_dir,
        views_dir=views_dir,
        access_log=not quiet,
    )
    if not settings.loopback:
        click.echo(f"Warning: listening on {host}: anyone who can reach this address can query the store", err=True)
    try:
        serve_endpoint(store, settings, on_ready=None if quiet else _announce)
    except KeyboardInterrupt:  # Ctrl-C before the server was up: everything is cleaned up by now
        pass
    if not quiet:
        click.echo("kg serve: stopped", err=True)


def _announce(url: str, generation: int) -> None:
    click.echo(
        f"kg serve: SPARQL endpoint {url}/sparql, query page {url}/ (store generation {generation}); Ctrl-C stops",
        err=True,
    )


@click.command()
@store_option
@click.option(
    "--endpoint",
    "endpoint_url",
    required=True,
    metavar="URL",
    help="SPARQL query endpoint of the remote store (used to verify the push).",
)
@click.option(
    "--graph-store",
    "graph_store_url",
    default=None,
    metavar="URL",
    help="Its Graph Store Protocol endpoint (default: /store beside an …/query or …/sparql endpoint; "
    "Virtuoso: …/sparql-graph-crud-auth).",
)
@click.option("--user", default=None, help="User name, for HTTP Basic or Digest authentication (as the store asks).")
@click.option("--password", default=None, envvar="KG_REMOTE_PASSWORD", help="Password (or set KG_REMOTE_PASSWORD).")
@click.option(
    "--timeout",
    "timeout_s",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds to wait for each request.",
)
@quiet_option
@handle_errors
def push(
    store: Path,
    endpoint_url: str,
    graph_store_url: str | None,
    user: str | None,
    password: str | None,
    timeout_s: float,
    quiet: bool,
) -> None:
    """Load every graph of the store into a remote SPARQL 1.1 store.

    One HTTP PUT per named graph (Graph Store Protocol): each replaces the graph on the remote, so pushing
    again duplicates nothing. Reads a snapshot, so a running ingest is not disturbed. Prints the graphs and
    triples pushed on stdout, after checking the remote's counts through --endpoint.

    \b
    Example:
      oxigraph serve --location remote-store --bind 127.0.0.1:7878 &
      kg push --store out/store --endpoint http://127.0.0.1:7878/query
      kg query most-cited --endpoint http://127.0.0.1:7878/query
    """
    from kg.remote import graph_store_url_for, push_store

    if (user is None) != (password is None):
        from kg.remote import RemoteError

        raise RemoteError("--user and --password go together", hint="give both, or neither")
    target = graph_store_url or graph_store_url_for(endpoint_url)
    with tqdm(unit=" graphs", disable=quiet or not sys.stderr.isatty(), file=sys.stderr) as bar:
        report = push_store(
            store,
            target,
            endpoint_url=endpoint_url,
            auth=(user, password) if user is not None and password is not None else None,
            timeout_s=timeout_s,
            on_graph=lambda label, triples: bar.update(1),
        )
    click.echo(
        f"pushed {report.graphs} graphs, {report.triples} triples to {report.graph_store}"
        + (" (verified)" if report.verified else "")
    )
    if report.union_default_graph is False:
        click.echo(
            "Warning: the remote's default graph is not the union of its graphs, so `kg query --endpoint` will find "
            "nothing there; start it so (Oxigraph: serve --union-default-graph; Fuseki: tdb2:unionDefaultGraph true)",
            err=True,
        )


COMMANDS = [serve, push]
