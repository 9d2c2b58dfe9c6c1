"""Remote stores, Virtuoso: `kg push` into a real Virtuoso (Debian's virtuoso-opensource) started here, the named
queries run there, and clear failures. Skipped when `virtuoso-t` is missing (scripts/test.sh installs it). Also the
choice between HTTP Basic and Digest that Virtuoso made necessary, against a loopback server that asks for Basic."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import remote
from kg.cli.main import cli
from kg.config import Config
from kg.namespaces import GK
from kg.queries import load_query, run_select
from kg.remote import RemoteError, push_store, run_select_remote
from tests.endpoint_support import VIRTUOSO_DBA, start_virtuoso, stop_process, virtuoso_binary

from .conftest import EXAMPLES, ROOT

needs_virtuoso = pytest.mark.skipif(
    virtuoso_binary() is None,
    reason="needs Virtuoso's virtuoso-t (Debian: apt-get install virtuoso-opensource; scripts/test.sh installs it "
    "as root)",
)

PARAMS = {  # the named queries that declare parameters, with values the examples have
    "directive-diffusion": {"number": "国办发〔2016〕80号"},
    "report-facts": {"source": "seed-000.txt"},
}
GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    proc, url = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield url
    stop_process(proc)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example reports, ingested with `kg ingest` (read-only for the tests: copy it to change it)."""
    store = tmp_path_factory.mktemp("examples") / "store"
    result = CliRunner().invoke(cli, ["ingest", str(EXAMPLES), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def _push_args(store: Path, url: str) -> list[str]:
    return [
        "push",
        "--store",
        str(store),
        "--endpoint",
        f"{url}/sparql",
        "--graph-store",
        f"{url}/sparql-graph-crud-auth",
        "--user",
        VIRTUOSO_DBA[0],
    ]


def _local_counts(store: Path) -> dict[str, int]:
    counts = Counter(
        q.graph_name.value for q in ox.Store.read_only(str(store)) if isinstance(q.graph_name, ox.NamedNode)
    )
    return dict(counts)


def _remote_counts(url: str) -> dict[str, int]:
    answer = httpx.post(f"{url}/sparql", data={"query": GRAPH_COUNTS}, headers={"Accept": "application/json"})
    answer.raise_for_status()
    return {b["g"]["value"]: int(b["n"]["value"]) for b in answer.json()["results"]["bindings"]}


@pytest.mark.virtuoso
@needs_virtuoso
def test_push_twice_duplicates_nothing(
    examples: Path, virtuoso: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    shutil.copytree(examples, store)
    local = _local_counts(store)
    assert len(local) >= 7  # five reports, regions, vocabularies (and the model's other shared graphs)
    monkeypatch.setattr(remote, "COUNT_BATCH", 3)  # the verification counts graphs in batches: several here
    runner = CliRunner(env={"KG_REMOTE_PASSWORD": VIRTUOSO_DBA[1]})
    for _ in range(2):
        result = runner.invoke(cli, _push_args(store, virtuoso))
        assert result.exit_code == 0, result.output
        triples = sum(local.values())
        assert result.stdout == (
            f"pushed {len(local)} graphs, {triples} triples to {virtuoso}/sparql-graph-crud-auth (verified)\n"
        )
        assert result.stderr == ""  # Virtuoso's default graph is the union of its graphs: no warning
        there = _remote_counts(virtuoso)
        assert {g: there.get(g) for g in local} == local
    # fewer triples in one report's graph: the next push replaces that graph on Virtuoso
    graph = min(g for g in local if "/graph/source/" in g)  # one source's graph: its spans' text before them go
    writer = ox.Store(str(store))
    prefix = ox.NamedNode("http://www.w3.org/ns/oa#prefix")
    for quad in list(writer.quads_for_pattern(None, prefix, None, ox.NamedNode(graph))):
        writer.remove(quad)
    writer.flush()
    del writer
    smaller = _local_counts(store)
    assert smaller[graph] < local[graph]
    report = push_store(
        store, f"{virtuoso}/sparql-graph-crud-auth", endpoint_url=f"{virtuoso}/sparql", auth=VIRTUOSO_DBA
    )
    assert report.verified and report.graphs == len(local) and report.union_default_graph is True
    there = _remote_counts(virtuoso)
    assert {g: there.get(g) for g in smaller} == smaller


@pytest.mark.virtuoso
@needs_virtuoso
def test_named_queries_remotely_give_the_local_rows(examples: Path, virtuoso: str) -> None:
    push_store(examples, f"{virtuoso}/sparql-graph-crud-auth", auth=VIRTUOSO_DBA)
    config = Config()
    store = ox.Store.read_only(str(examples))
    core = {"most-cited", "citing-regions", "directive-diffusion", "report-facts", "platform-adoption"}
    names = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    assert core <= set(names)
    for name in [*names, "eval/statistics"]:  # eval/statistics reads xsd:boolean values (Virtuoso answers 1/0)
        query = load_query(str(ROOT / "queries" / f"{name}.rq"), config.queries_dir)
        params = PARAMS.get(name, {})
        here = run_select(store, query, params)
        there = run_select_remote(f"{virtuoso}/sparql", query, params)
        assert here.rows or name not in core, name  # the examples have rows for these
        assert there.columns == here.columns, name
        assert sorted(there.rows) == sorted(here.rows), name  # same rows (ties may be ordered differently)
    # and through the CLI, a parameter bound remotely
    runner = CliRunner()
    args = ["query", "directive-diffusion", "--param", "number=国办发〔2016〕80号", "--format", "csv"]
    remote_csv = runner.invoke(cli, [*args, "--endpoint", f"{virtuoso}/sparql"])
    local_csv = runner.invoke(cli, [*args, "--store", str(examples)])
    assert remote_csv.exit_code == local_csv.exit_code == 0, remote_csv.output
    assert remote_csv.stdout == local_csv.stdout and remote_csv.stdout.count("\n") >= 2


@pytest.mark.virtuoso
@needs_virtuoso
def test_a_result_cut_at_virtuosos_row_limit_is_refused(examples: Path, virtuoso: str, tmp_path: Path) -> None:
    push_store(examples, f"{virtuoso}/sparql-graph-crud-auth", auth=VIRTUOSO_DBA)
    wide = tmp_path / "wide.rq"  # 5 reports × every triple: past Virtuoso's ResultSetMaxRows (10,000)
    wide.write_text(f"SELECT ?r ?s WHERE {{ ?r a <{GK}AnnualReport> . GRAPH ?g {{ ?s ?p ?o }} }}", encoding="utf-8")
    with pytest.raises(RemoteError, match="stopped at its limit of 10000 rows") as err:
        run_select_remote(f"{virtuoso}/sparql", load_query(str(wide), tmp_path), {})
    assert "ResultSetMaxRows" in str(err.value.hint)


@pytest.mark.virtuoso
@needs_virtuoso
def test_wrong_or_missing_credentials_and_the_wrong_url_are_clear(examples: Path, virtuoso: str) -> None:
    crud = f"{virtuoso}/sparql-graph-crud-auth"
    wrong = CliRunner(env={"KG_REMOTE_PASSWORD": "not-the-password"}).invoke(cli, _push_args(examples, virtuoso))
    assert wrong.exit_code == 2
    assert wrong.exception is None or isinstance(wrong.exception, SystemExit)  # no traceback
    lines = wrong.stderr.splitlines()
    assert lines[0].startswith(f"Error: {crud}: PUT https://w3id.org/govkg/id/graph/")
    assert lines[0].endswith(": HTTP 401: the store refused the user name or password")
    assert lines[1] == "Hint: check --user and --password (KG_REMOTE_PASSWORD)"

    anonymous = CliRunner().invoke(
        cli, ["push", "--store", str(examples), "--endpoint", f"{virtuoso}/sparql", "--graph-store", crud]
    )
    assert anonymous.exit_code == 2
    assert "HTTP 401: the store wants credentials" in anonymous.stderr
    assert "Hint: give --user, and --password or KG_REMOTE_PASSWORD" in anonymous.stderr

    # without --graph-store the Graph Store URL is Oxigraph's …/store, which Virtuoso does not serve
    derived = CliRunner(env={"KG_REMOTE_PASSWORD": VIRTUOSO_DBA[1]}).invoke(
        cli, ["push", "--store", str(examples), "--endpoint", f"{virtuoso}/sparql", "--user", "dba"]
    )
    assert derived.exit_code == 2
    assert f"Error: {virtuoso}/store: PUT " in derived.stderr
    assert f"Hint: this is Virtuoso: give --graph-store {crud}, with --user" in derived.stderr

    # the unauthenticated Graph Store endpoint: Virtuoso's SPARQL user may not write (its HTML error page, as text)
    with pytest.raises(RemoteError, match=r"HTTP 403: .*Permission denied") as err:
        push_store(examples, f"{virtuoso}/sparql-graph-crud")
    assert "<" not in err.value.message and f"--graph-store {crud}" in str(err.value.hint)


def test_basic_authentication_where_the_store_asks_for_it(examples: Path) -> None:
    seen: list[tuple[str, str | None]] = []

    class BasicOnly(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            auth = self.headers.get("Authorization")
            seen.append((self.command, auth))
            ok = auth == "Basic dTpw"  # u:p
            self.send_response(201 if ok else 401)
            if not ok:
                self.send_header("WWW-Authenticate", 'Basic realm="store", charset="UTF-8"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), BasicOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/store"
    try:
        report = push_store(examples, url, auth=("u", "p"))
        graphs = len(list(ox.Store.read_only(str(examples)).named_graphs()))
        assert report.graphs == graphs
        # asked once without credentials, then Basic for that graph and, without asking again, for the others
        assert seen == [("PUT", None)] + [("PUT", "Basic dTpw")] * graphs
        seen.clear()
        with pytest.raises(RemoteError, match="HTTP 401: the store refused the user name or password"):
            push_store(examples, url, auth=("u", "wrong"))
        assert seen == [("PUT", None), ("PUT", "Basic dTp3cm9uZw==")]
    finally:
        server.shutdown()
        server.server_close()
