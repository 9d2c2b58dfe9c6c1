"""`kg serve`: the SPARQL 1.1 Protocol through real clients, the refusals, the limits and the one error shape.

Every server here is real: the gateway and `oxigraph serve-read-only` behind it, on free loopback ports.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, VOID
from SPARQLWrapper import CSV, JSON, JSONLD, N3, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.namespaces import GK, SD
from kg.serve import Endpoint, ServeSettings
from kg.serve.errors import CODES
from tests.endpoint_support import DIRECTIVE, SilentListener, assert_error_shape, build_store, cpu_seconds

RUNAWAY_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CITING = f"""PREFIX gk: <{GK}>
SELECT (COUNT(DISTINCT ?report) AS ?n) WHERE {{ ?report gk:cites ?doc . ?doc ?p "{DIRECTIVE}" }}"""
SIMPLE = f"PREFIX gk: <{GK}> SELECT (COUNT(*) AS ?n) WHERE {{ ?r a gk:AnnualReport }}"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("endpoint")
    facts = build_store(root / "store")
    queries = root / "queries"
    queries.mkdir()
    (queries / "reports.rq").write_text(
        f"# title: Reports\n# purpose: every report and its title\nPREFIX gk: <{GK}>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?report ?title WHERE { ?report a gk:AnnualReport ; dcterms:title ?title } ORDER BY ?report\n",
        encoding="utf-8",
    )
    return root, facts


def _endpoint(root: Path, **overrides: object) -> Endpoint:
    options: dict[str, object] = {
        "port": 0,
        "timeout_s": 2.0,
        "max_rows": 1000,
        "max_concurrent": 4,
        "max_queued": 4,
        "max_query_bytes": 4096,
        "poll_interval_s": 0.2,
        "snapshots_dir": root / "snapshots",
        "queries_dir": root / "queries",
        "access_log": False,
    }
    settings = ServeSettings(**{**options, **overrides})  # type: ignore[arg-type]
    endpoint = Endpoint(root / "store", settings).open()
    endpoint.start()
    return endpoint


@pytest.fixture(scope="module")
def endpoint(store: tuple[Path, dict[str, int]]):  # type: ignore[no-untyped-def]
    ep = _endpoint(store[0])
    yield ep
    ep.stop()


@pytest.fixture
def client(endpoint: Endpoint):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=endpoint.url, timeout=30) as c:
        yield c


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    silent = SilentListener()
    yield silent
    silent.close()


def _count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# -- the protocol through SPARQLWrapper ---------------------------------------------------------------------------
def test_sparqlwrapper_select_in_every_results_format(endpoint: Endpoint, store) -> None:  # type: ignore[no-untyped-def]
    reports = store[1]["reports"]
    sparql = SPARQLWrapper(f"{endpoint.url}/sparql")
    sparql.setQuery(CITING)
    sparql.setReturnFormat(JSON)
    assert int(sparql.queryAndConvert()["results"]["bindings"][0]["n"]["value"]) == reports
    sparql.setReturnFormat(XML)
    doc = sparql.queryAndConvert()
    assert doc.getElementsByTagName("literal")[0].firstChild.data == str(reports)
    sparql.setReturnFormat(CSV)
    assert sparql.queryAndConvert().decode().splitlines() == ["n", str(reports)]
    sparql.setReturnFormat(TSV)
    assert sparql.queryAndConvert().decode().splitlines()[0] == "?n"
    sparql.setMethod("POST")
    sparql.setReturnFormat(JSON)
    assert int(sparql.queryAndConvert()["results"]["bindings"][0]["n"]["value"]) == reports


def test_sparqlwrapper_construct_and_describe(endpoint: Endpoint) -> None:
    sparql = SPARQLWrapper(f"{endpoint.url}/query")
    sparql.setQuery(f"PREFIX gk: <{GK}> CONSTRUCT {{ ?r a gk:AnnualReport }} WHERE {{ ?r a gk:AnnualReport }} LIMIT 5")
    for fmt in (TURTLE, JSONLD, XML, N3):
        sparql.setReturnFormat(fmt)
        graph = sparql.queryAndConvert()
        if isinstance(graph, bytes):
            graph = Graph().parse(data=graph, format="turtle")
        assert len(graph) == 5, fmt
        assert all(o == GK.AnnualReport for o in graph.objects(None, RDF.type))
    sparql.setQuery("DESCRIBE <https://w3id.org/govkg/id/region/320000>")
    sparql.setReturnFormat(TURTLE)
    described = Graph().parse(data=sparql.queryAndConvert(), format="turtle")
    assert (URIRef("https://w3id.org/govkg/id/region/320000"), GK.adcode, None) in described


def test_sparqlwrapper_sees_refusals_as_errors(endpoint: Endpoint, listener: SilentListener) -> None:
    sparql = SPARQLWrapper(f"{endpoint.url}/sparql")
    sparql.setQuery(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    sparql.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="service_refused"):
        sparql.query()
    assert listener.connections == 0


# -- the protocol through plain HTTP ------------------------------------------------------------------------------
def test_get_post_form_and_direct_post_agree(client: httpx.Client, store) -> None:  # type: ignore[no-untyped-def]
    reports = store[1]["reports"]
    assert _count(client.get("/sparql", params={"query": CITING})) == reports
    assert _count(client.post("/sparql", data={"query": CITING})) == reports
    direct = client.post("/query", content=CITING.encode(), headers={"Content-Type": "application/sparql-query"})
    assert _count(direct) == reports
    assert direct.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
    assert direct.headers["x-kg-rows"] == "1"
    head = client.head("/sparql", params={"query": CITING})
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


def test_content_negotiation(client: httpx.Client) -> None:
    query = {"query": SIMPLE}
    assert (
        client.get("/sparql", params=query, headers={"Accept": "text/csv"})
        .headers["content-type"]
        .startswith("text/csv")
    )
    xml = client.get("/sparql", params=query, headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml"})
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
    assert ask.json()["boolean"] is True
    construct = f"PREFIX gk: <{GK}> CONSTRUCT WHERE {{ ?r a gk:AnnualReport }} LIMIT 2"
    nt = client.get("/sparql", params={"query": construct}, headers={"Accept": "application/n-triples"})
    assert nt.headers["content-type"].startswith("application/n-triples")
    assert len(nt.text.strip().splitlines()) == 2
    jsonld = client.get("/sparql", params={"query": construct}, headers={"Accept": "application/ld+json"})
    assert len(Graph().parse(data=jsonld.text, format="json-ld")) == 2
    turtle = client.get("/sparql", params={"query": construct})  # no Accept: Turtle for graphs
    assert "@prefix gk:" in turtle.text and "@prefix dcat:" not in turtle.text  # only the prefixes it uses


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SIMPLE, "text/html"),
        (SIMPLE, "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "application/sparql-results+json"),
        ("ASK { ?s ?p ?o }", "image/png"),
        (SIMPLE, "application/sparql-results+json;q=0, */*;q=0"),
    ],
)
def test_406_for_what_cannot_be_served(client: httpx.Client, query: str, accept: str) -> None:
    error = assert_error_shape(
        client.get("/sparql", params={"query": query}, headers={"Accept": accept}), 406, "not_acceptable"
    )
    assert "ask for one of" in error["hint"]


def test_service_description(client: httpx.Client, endpoint: Endpoint) -> None:
    turtle = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    sd = Graph().parse(data=turtle.text, format="turtle")
    service = next(sd.subjects(RDF.type, SD.Service))
    assert (service, SD.endpoint, URIRef(f"{endpoint.url}/sparql")) in sd
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    assert (None, None, SD.BasicFederatedQuery) not in sd  # SERVICE is refused, so it is not advertised
    jsonld = client.get("/service-description", headers={"Accept": "application/ld+json"})
    assert len(Graph().parse(data=jsonld.text, format="json-ld")) == len(sd)
    page = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/"


def test_void_is_computed_from_the_store(client: httpx.Client, store) -> None:  # type: ignore[no-untyped-def]
    facts = store[1]
    response = client.get("/.well-known/void")
    assert response.headers["content-type"].startswith("text/turtle")
    void = Graph().parse(data=response.text, format="turtle")
    dataset = URIRef(str(response.url).split("#")[0] + "#dataset")
    assert (
        int(void.value(dataset, VOID.triples))
        == facts["quads"]
        == _count(client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}))
    )
    # the shared graphs are described one by one (not the one-per-source graphs: hundreds of thousands at scale)
    listed = {str(void.value(part, SD.name)) for part in void.objects(dataset, VOID.subset)}
    assert listed and all(re.search(r"/graph/[a-z]+$", g) for g in listed) and len(listed) < facts["graphs"]
    reports = next(
        p for p in void.objects(dataset, VOID.classPartition) if void.value(p, VOID["class"]) == GK.AnnualReport
    )
    assert int(void.value(reports, VOID.entities)) == facts["reports"]
    assert int(void.value(dataset, VOID.distinctSubjects)) > facts["reports"]


def test_queries_json_and_page(client: httpx.Client) -> None:
    queries = client.get("/queries").json()
    assert [q["name"] for q in queries] == ["reports"]
    assert queries[0]["title"] == "Reports" and "SELECT ?report ?title" in queries[0]["text"]
    page = client.get("/")
    assert page.status_code == 200 and "yasgui.min.js" in page.text and "/queries" in page.text
    assert client.get("/yasgui.min.js").headers["content-type"].startswith("application/javascript")
    assert client.get("/prefixes.json").json()["gk"] == str(GK)


# -- refusals: nothing may leave the machine ----------------------------------------------------------------------
L = "http://LISTENER/sparql"  # replaced by the silent listener's URL in each test
UPDATE, QUERY = "application/sparql-update", "application/sparql-query"


def get(query: str, **params: str) -> tuple[str, str, dict[str, object]]:
    return ("GET", "/sparql", {"params": {"query": query, **params}})


def form(path: str = "/sparql", **fields: str) -> tuple[str, str, dict[str, object]]:
    return ("POST", path, {"data": fields})


def body(text: str, ctype: str = QUERY, path: str = "/sparql") -> tuple[str, str, dict[str, object]]:
    return ("POST", path, {"content": text, "headers": {"Content-Type": ctype}})


REFUSALS = [
    (get(f"SELECT * {{ SERVICE <{L}> {{ ?s ?p ?o }} }}"), 400, "service_refused"),
    (form(query=f"SELECT * {{ {{ SELECT * {{ SERVICE SILENT <{L}> {{ ?s ?p ?o }} }} }} }}"), 400, "service_refused"),
    (get(f"SELECT * {{ \\u0053ERVICE <{L}> {{ ?s ?p ?o }} }}"), 400, "service_refused"),
    (get(f"SELECT * {{ VALUES ?x {{ <{L}> }} SERVICE ?x {{ ?s ?p ?o }} }}"), 400, "service_refused"),
    # rdflib ended a comment only at a line feed, Oxigraph at a carriage return too: this SERVICE used to go through
    (form(query=f"SELECT * {{ ?s ?p ?o # note\r SERVICE <{L}> {{ ?a ?b ?c }}\n }} LIMIT 1"), 400, "service_refused"),
    (body(f"SELECT * # note\rFROM <{L}>\n {{ ?s ?p ?o }} LIMIT 1"), 400, "dataset_refused"),
    (get(f"SELECT * FROM <{L}> {{ ?s ?p ?o }}"), 400, "dataset_refused"),
    (body(f"SELECT * FROM NAMED <{L}> {{ GRAPH ?g {{ ?s ?p ?o }} }}", path="/query"), 400, "dataset_refused"),
    (get("SELECT * { ?s ?p ?o } LIMIT 1", **{"default-graph-uri": L}), 400, "dataset_refused"),
    (form(query="SELECT * { ?s ?p ?o } LIMIT 1", **{"named-graph-uri": L}), 400, "dataset_refused"),
    (form("/update", update=f"LOAD <{L}>"), 403, "update_refused"),
    (body("INSERT DATA { <a:a> <a:b> <a:c> }", UPDATE, "/update"), 403, "update_refused"),
    (body(f"LOAD <{L}>", UPDATE), 403, "update_refused"),
    (form(update=f"LOAD <{L}> INTO GRAPH <a:g>"), 403, "update_refused"),
    (("GET", "/sparql", {"params": {"update": "CLEAR ALL"}}), 403, "update_refused"),
    (form(query=f"LOAD <{L}>"), 403, "load_refused"),
    (body("DELETE WHERE { ?s ?p ?o }"), 403, "update_refused"),
    (("PUT", "/store", {"params": {"graph": L}, "content": "<a:a> <a:b> <a:c> ."}), 403, "graph_store_refused"),
    (("GET", "/store", {"params": {"graph": L}}), 403, "graph_store_refused"),
    (get(f"SELEKT * {{ <{L}> ?p ?o }}"), 400, "unparseable"),
    (get(f"SELECT * {{ <{L}> ?p ?o }} SERVICE"), 400, "unparseable"),
    (get(f"SELECT * {{ <<<{L}> ?p ?o>> ?q ?r }}"), 400, "unparseable"),
    (get(f"SELECT * {{ <{L}> ?p ?o }} # " + "x" * 5000), 413, "query_too_large"),
    (body(f"SELECT * {{ <{L}> ?p ?o }} #" + "y" * 20000), 413, "query_too_large"),
    (body(f"query={L}", "text/plain"), 415, "unsupported_media_type"),
    (get("   "), 400, "missing_query"),
    (("DELETE", "/sparql", {}), 405, "method_not_allowed"),
    (("GET", "/admin", {}), 404, "not_found"),
]


def _to(listener: SilentListener, value: object) -> object:
    if isinstance(value, str):
        return value.replace(L, listener.url)
    if isinstance(value, dict):
        return {key: _to(listener, v) for key, v in value.items()}
    return value


@pytest.mark.parametrize(("call", "status", "code"), REFUSALS, ids=[f"{r[2]}-{i}" for i, r in enumerate(REFUSALS)])
def test_refusal_never_reaches_the_network(
    client: httpx.Client, listener: SilentListener, call: tuple[str, str, dict[str, object]], status: int, code: str
) -> None:
    method, path, kwargs = call
    response = client.request(method, path, **_to(listener, kwargs))  # type: ignore[arg-type]
    error = assert_error_shape(response, status, code)
    assert CODES[code] == status
    assert error["hint"], "every refusal says what to do instead"
    time.sleep(0.1)
    assert listener.connections == 0


def test_the_listener_would_have_seen_an_unguarded_service_call(endpoint: Endpoint, listener: SilentListener) -> None:
    """Control: Oxigraph itself does call out on SERVICE, so the silence above is the gateway's doing."""
    assert endpoint.live is not None
    upstream = endpoint.live.current.url
    query = f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    httpx.post(f"{upstream}/query", data={"query": query}, headers={"Accept": "application/json"}, timeout=10)
    deadline = time.monotonic() + 5
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.connections >= 1


# -- limits -------------------------------------------------------------------------------------------------------
def _oxigraph_pid(endpoint: Endpoint) -> int:
    assert endpoint.live is not None and endpoint.live.current.pid is not None
    return endpoint.live.current.pid


def _assert_oxigraph_idle(endpoint: Endpoint, within_s: float = 3.0) -> None:
    """The Oxigraph answering queries is not computing anything any more."""
    pid = _oxigraph_pid(endpoint)
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.05:
            return
    raise AssertionError(f"oxigraph still computes {within_s} s after the query was given up")


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_runaway_query_times_out_while_others_are_served(endpoint: Endpoint) -> None:
    busy_pid = _oxigraph_pid(endpoint)
    result: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        result["response"] = httpx.get(f"{endpoint.url}/sparql", params={"query": RUNAWAY_COUNT}, timeout=30)
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    served = 0
    with httpx.Client(base_url=endpoint.url, timeout=5) as other:
        while thread.is_alive():
            started = time.monotonic()
            assert _count(other.get("/sparql", params={"query": SIMPLE})) > 0
            assert time.monotonic() - started < 1.5, "a simple query waited behind the runaway one"
            served += 1
            time.sleep(0.05)
        thread.join()
        assert served >= 5
        response = result["response"]
        assert isinstance(response, httpx.Response)
        error = assert_error_shape(response, 504, "timeout")
        assert "2 s" in error["message"]
        assert 1.9 < float(result["seconds"]) < 3.5  # type: ignore[arg-type]
        # Oxigraph cannot cancel one query: the process left computing it is replaced, then stopped
        assert _gone(busy_pid, within_s=5), "the oxigraph computing the runaway query was not stopped"
        assert _oxigraph_pid(endpoint) != busy_pid
        assert _count(other.get("/sparql", params={"query": SIMPLE})) > 0
        assert other.get("/status").json()["oxigraph_recycled"] >= 1
    _assert_oxigraph_idle(endpoint)


def test_row_limit_stops_a_streaming_result(client: httpx.Client, endpoint: Endpoint) -> None:
    started = time.monotonic()
    error = assert_error_shape(client.get("/sparql", params={"query": RUNAWAY_ROWS}), 422, "too_many_rows")
    assert time.monotonic() - started < 2.0
    assert "1000 rows" in error["message"] and "LIMIT" in error["hint"]
    ok = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 1000"}, headers={"Accept": "text/csv"})
    assert ok.status_code == 200 and len(ok.text.strip().splitlines()) == 1001
    construct = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert "1000 triples" in assert_error_shape(construct, 422, "too_many_rows")["message"]
    _assert_oxigraph_idle(endpoint)


def test_concurrency_limit_queues_then_refuses(store) -> None:  # type: ignore[no-untyped-def]
    endpoint = _endpoint(store[0], max_concurrent=1, max_queued=1)
    try:
        responses: dict[str, httpx.Response] = {}

        def ask(name: str, query: str) -> None:
            responses[name] = httpx.get(f"{endpoint.url}/sparql", params={"query": query}, timeout=30)

        runaway = threading.Thread(target=ask, args=("runaway", RUNAWAY_COUNT))
        runaway.start()
        with httpx.Client(base_url=endpoint.url) as c:
            deadline = time.monotonic() + 5
            while c.get("/status").json()["running_queries"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            queued = threading.Thread(target=ask, args=("queued", SIMPLE))
            queued.start()
            while c.get("/status").json()["queued_queries"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            busy = c.get("/sparql", params={"query": SIMPLE})
            error = assert_error_shape(busy, 503, "busy")
            assert busy.headers["retry-after"] == "2" and "queue is full" in error["message"]
        runaway.join()
        queued.join()
        assert_error_shape(responses["runaway"], 504, "timeout")
        assert _count(responses["queued"]) > 0  # it waited for the slot, then ran
    finally:
        endpoint.stop()


# -- CORS, binding, CLI -------------------------------------------------------------------------------------------
def test_no_cors_header_unless_asked(client: httpx.Client, store) -> None:  # type: ignore[no-untyped-def]
    origin = {"Origin": "https://evil.example"}
    plain = client.get("/sparql", params={"query": SIMPLE}, headers=origin)
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers
    preflight = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    endpoint = _endpoint(store[0], cors_origin="https://research.example")
    try:
        with httpx.Client(base_url=endpoint.url) as c:
            allowed = c.get("/sparql", params={"query": SIMPLE}, headers={"Origin": "https://research.example"})
            assert allowed.headers["access-control-allow-origin"] == "https://research.example"
            other = c.get("/sparql", params={"query": SIMPLE}, headers=origin)
            assert "access-control-allow-origin" not in other.headers
            pre = c.options(
                "/sparql",
                headers={"Origin": "https://research.example", "Access-Control-Request-Method": "POST"},
            )
            assert pre.status_code == 200 and "POST" in pre.headers["access-control-allow-methods"]
    finally:
        endpoint.stop()


def test_loopback_by_default(endpoint: Endpoint) -> None:
    assert ServeSettings().host == "127.0.0.1"
    assert endpoint.url.startswith("http://127.0.0.1:")
    assert endpoint.live is not None
    assert endpoint.live.current.url.startswith("http://127.0.0.1:")
