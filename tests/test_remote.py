"""Remote stores: `kg push` into a real `oxigraph serve`, named queries run remotely, and clear failures."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset

from kg.cli.serve import push
from kg.errors import QueryError
from kg.namespaces import GK
from kg.queries import bind_values, load_query, run_select, where_clause_start
from kg.remote import RemoteError, graph_store_url_for, push_store, run_select_remote
from kg.serve import Endpoint, ServeSettings
from tests.endpoint_support import (
    M,
    SilentListener,
    add_report,
    build_store,
    free_port,
    load_dataset,
    start_oxigraph_rw,
    stop_process,
)

QUERY = f"""# title: Reports of a region
# purpose: the reports a region published, with their titles
# param: region  IRI of a region (optional)
# param: title  exact title (optional)
PREFIX gk: <{GK}>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?report ?title ?region WHERE {{
  ?report a gk:AnnualReport ; gk:reportingRegion ?region ; dcterms:title ?title .
}} ORDER BY ?report
"""
QUAD_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("remote")
    build_store(root / "store", counties=10)
    (root / "queries").mkdir()
    (root / "queries" / "region-reports.rq").write_text(QUERY, encoding="utf-8")
    return root


@pytest.fixture
def remote(tmp_path: Path):  # type: ignore[no-untyped-def]
    proc, url = start_oxigraph_rw(tmp_path / "remote-store")
    yield url
    stop_process(proc)


@pytest.fixture
def plain_remote(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An Oxigraph whose default graph is only the default graph (its out-of-the-box setting)."""
    proc, url = start_oxigraph_rw(tmp_path / "plain-store", union=False)
    yield url
    stop_process(proc)


def _remote_quads(url: str) -> int:
    response = httpx.post(f"{url}/query", data={"query": QUAD_COUNT}, headers={"Accept": "application/json"})
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _local_quads(store: Path) -> int:
    return len(ox.Store.read_only(str(store)))


def test_push_twice_duplicates_nothing_and_replaces_graphs(local: Path, remote: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    build_store(store, counties=10)
    quads = _local_quads(store)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(push, ["--store", str(store), "--endpoint", f"{remote}/query"])
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"pushed 15 graphs, {quads} triples to {remote}/store (verified)"
        assert result.stderr == ""
        assert _remote_quads(remote) == quads
    # a report re-ingested with less in it: the next push replaces its graph on the remote
    writer = ox.Store(str(store))
    smaller = Dataset()
    add_report(smaller, "county-0.txt", "320100", "第0县", 2017, [])
    load_dataset(writer, smaller)
    del writer
    report = push_store(store, f"{remote}/store", endpoint_url=f"{remote}/query")
    assert report.verified and report.graphs == 15
    assert _remote_quads(remote) == _local_quads(store) < quads


def test_push_warns_when_the_remote_default_graph_is_not_the_union(local: Path, plain_remote: str) -> None:
    result = CliRunner().invoke(push, ["--store", str(local / "store"), "--endpoint", f"{plain_remote}/query"])
    assert result.exit_code == 0 and "(verified)" in result.stdout
    assert "Warning: the remote's default graph is not the union of its graphs" in result.stderr
    assert "--union-default-graph" in result.stderr


def test_named_query_remotely_matches_the_local_store(local: Path, remote: str) -> None:
    push_store(local / "store", f"{remote}/store")
    query = load_query("region-reports", local / "queries")
    store = ox.Store.read_only(str(local / "store"))
    for params in ({}, {"region": str(M.region("320000"))}, {"title": "2017第3县政府信息公开工作年度报告"}):
        here = run_select(store, query, params)
        there = run_select_remote(f"{remote}/query", query, params)
        assert there.columns == here.columns == ["report", "title", "region"]
        assert there.rows == here.rows
        assert len(there.rows) == (13 if not params else 1)


def test_named_query_through_kg_serve(local: Path) -> None:
    settings = ServeSettings(port=0, access_log=False, snapshots_dir=local / "snapshots")
    with Endpoint(local / "store", settings) as endpoint:
        endpoint.start()
        query = load_query("region-reports", local / "queries")
        table = run_select_remote(f"{endpoint.url}/sparql", query, {"region": str(M.region("330000"))})
        assert [row[2] for row in table.rows] == [str(M.region("330000"))]
        refused = local / "queries" / "from.rq"
        refused.write_text("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", encoding="utf-8")
        with pytest.raises(RemoteError, match="FROM and FROM NAMED are refused") as err:
            run_select_remote(f"{endpoint.url}/sparql", load_query(str(refused), local / "queries"), {})
        assert "GRAPH <iri>" in str(err.value)
        with pytest.raises(RemoteError, match="HTTP 403: the Graph Store Protocol is not served here") as push_err:
            push_store(local / "store", f"{endpoint.url}/store")
        assert "kg serve is read-only" in str(push_err.value.hint)
        refused.unlink()


def test_a_hostile_parameter_stays_a_value(local: Path, remote: str) -> None:
    push_store(local / "store", f"{remote}/store")
    query = load_query("region-reports", local / "queries")
    listener = SilentListener()
    try:
        hostile = f'x" }} SERVICE <{listener.url}> {{ ?a ?b ?c }} #'
        text = bind_values(query, {"title": hostile})
        assert "VALUES (?title)" in text and listener.url in text  # inside a string literal, escaped
        assert run_select_remote(f"{remote}/query", query, {"title": hostile}).rows == []
        assert listener.connections == 0
    finally:
        listener.close()
    with pytest.raises(QueryError, match="has no parameter year"):
        run_select_remote(f"{remote}/query", query, {"year": "2016"})


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "{ ?s"),
        ("PREFIX ex: <http://ex/where/> SELECT ?where { ?where ex:where ?o }", "{ ?where ex"),
        ("SELECT ?s WHERE{?s <http://ex/a{b> ?o}", "{?s"),
        ("# WHERE { in a comment\nSELECT (\"}{\" AS ?x) WHERE { ?s ?p '''{'''}", "{ ?s ?p '''"),
        ('CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o != "where") }', "{ ?s ?p ?o FILTER"),
        ("ASK{?s ?p ?o}", "{?s"),
    ],
)
def test_where_clause_start(text: str, marker: str) -> None:
    assert text[where_clause_start(text) - 1 :].startswith(marker)


def test_unreachable_and_failing_remotes(local: Path) -> None:
    query = load_query("region-reports", local / "queries")
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RemoteError, match="cannot reach the endpoint") as err:
        run_select_remote(f"{closed}/query", query, {})
    assert "server runs" in str(err.value.hint)
    with pytest.raises(RemoteError, match="cannot reach the endpoint"):
        push_store(local / "store", f"{closed}/store")
    with pytest.raises(RemoteError, match="cannot tell the Graph Store URL") as gsp:
        graph_store_url_for("http://example.org/repositories/kg")
    assert "--graph-store" in str(gsp.value.hint)
    assert graph_store_url_for("http://127.0.0.1:7878/query") == "http://127.0.0.1:7878/store"

    class Failing(BaseHTTPRequestHandler):
        def _fail(self) -> None:
            status = 404 if self.path.startswith("/nope") else 500
            body = b"disk full" if status == 500 else b"no such page"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _fail

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(RemoteError, match=r"the endpoint failed \(500\): disk full"):
            run_select_remote(f"{base}/query", query, {})
        with pytest.raises(RemoteError, match="no SPARQL endpoint at this URL"):
            run_select_remote(f"{base}/nope/query", query, {})
        result = CliRunner().invoke(push, ["--store", str(local / "store"), "--endpoint", f"{base}/query"])
        assert result.exit_code == 2
        assert f"Error: {base}/store: PUT " in result.output and "HTTP 500: disk full" in result.output
    finally:
        server.shutdown()
        server.server_close()
