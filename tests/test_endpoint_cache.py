"""What the gateway remembers: answers per snapshot (the result cache), decisions per query shape (the plan cache),
and the form decoder that replaced ``parse_qs`` on the hot path.

The result cache must answer repeats without Oxigraph, keep formats apart, forget everything when a new generation
is served, and never keep a refusal, an error or an answer over its size limit. The plan cache must never accept, by
shape, a query that the full parse would refuse: that is checked on random fill-ins and random mutations.
"""

from __future__ import annotations

import os
import signal
import string
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote_plus

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset

from kg.namespaces import GK
from kg.serve import Endpoint, Refusal, ServeSettings
from kg.serve.cache import CachedAnswer, ResultCache
from kg.serve.forms import parse_form
from kg.serve.policy import PlanCache, plan_query, query_shape
from kg.snapshots import mark_generation
from tests.endpoint_support import DIRECTIVE, add_report, assert_error_shape, build_store, dataset_quads

COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?r a <{GK.AnnualReport}> }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ALL_TRIPLES = "SELECT * WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache")
    build_store(root / "store", counties=30)
    (root / "queries").mkdir()
    return root


def _endpoint(root: Path, **overrides: object) -> Endpoint:
    options: dict[str, object] = {
        "port": 0,
        "timeout_s": 2.0,
        "max_rows": 200,
        "max_concurrent": 2,
        "max_queued": 2,
        "poll_interval_s": 0.1,
        "snapshots_dir": root / "snapshots",
        "queries_dir": root / "queries",
        "access_log": False,
    }
    endpoint = Endpoint(root / "store", ServeSettings(**{**options, **overrides})).open()  # type: ignore[arg-type]
    endpoint.start()
    return endpoint


@pytest.fixture
def endpoint(store: Path):  # type: ignore[no-untyped-def]
    ep = _endpoint(store)
    yield ep
    ep.stop()


def _oxigraph_pid(endpoint: Endpoint) -> int:
    assert endpoint.live is not None and endpoint.live.current.pid is not None
    return endpoint.live.current.pid


# -- the result cache, through the endpoint ------------------------------------------------------------------------
def test_a_repeat_is_answered_without_oxigraph(endpoint: Endpoint) -> None:
    with httpx.Client(base_url=endpoint.url, timeout=10) as client:
        first = client.post("/sparql", data={"query": COUNT}, headers={"Accept": "application/sparql-results+json"})
        assert first.status_code == 200 and first.headers["x-kg-cache"] == "miss"
        pid = _oxigraph_pid(endpoint)
        os.kill(pid, signal.SIGSTOP)  # Oxigraph frozen: only the cache can answer now
        try:
            again = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "application/json"}, timeout=1.5)
            assert again.status_code == 200 and again.headers["x-kg-cache"] == "hit"
            assert again.content == first.content
            assert again.headers["x-kg-generation"] == first.headers["x-kg-generation"]
            assert again.headers["x-kg-rows"] == "1"
            with pytest.raises(httpx.TimeoutException):  # a query it has not seen still needs Oxigraph
                client.get("/sparql", params={"query": COUNT + " LIMIT 5"}, timeout=0.5)
        finally:
            os.kill(pid, signal.SIGCONT)
        status = client.get("/status").json()["result_cache"]
        assert status["hits"] >= 1 and status["entries"] >= 1 and 0 < status["bytes"] <= status["max_bytes"]


def test_each_format_is_its_own_entry(endpoint: Endpoint) -> None:
    with httpx.Client(base_url=endpoint.url, timeout=10) as client:

        def ask(accept: str) -> httpx.Response:
            response = client.get("/sparql", params={"query": COUNT}, headers={"Accept": accept})
            assert response.status_code == 200
            return response

        json_answer = ask("application/sparql-results+json")
        csv_answer = ask("text/csv")
        assert csv_answer.headers["x-kg-cache"] == "miss", "a cached JSON answer must not be served for CSV"
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert csv_answer.text.splitlines()[0] == "n"
        assert ask("text/csv").headers["x-kg-cache"] == "hit"
        again = ask("application/json")  # another name for the same format: the same entry
        assert again.headers["x-kg-cache"] == "hit" and again.content == json_answer.content
        assert again.headers["content-type"].startswith("application/sparql-results+json")
        assert again.headers["vary"] == "Accept"
        graph = client.get("/sparql", params={"query": f"CONSTRUCT WHERE {{ ?r a <{GK.AnnualReport}> }}"})
        assert graph.headers["content-type"].startswith("text/turtle") and graph.headers["x-kg-cache"] == "miss"
        nt = client.get(
            "/sparql",
            params={"query": f"CONSTRUCT WHERE {{ ?r a <{GK.AnnualReport}> }}"},
            headers={"Accept": "application/n-triples"},
        )
        assert nt.headers["x-kg-cache"] == "miss" and nt.headers["content-type"].startswith("application/n-triples")


def test_refusals_and_errors_are_never_kept(endpoint: Endpoint) -> None:
    with httpx.Client(base_url=endpoint.url, timeout=10) as client:
        for _ in range(2):  # too many rows: refused each time, from Oxigraph each time
            assert_error_shape(client.get("/sparql", params={"query": ALL_TRIPLES}), 422, "too_many_rows")
        for _ in range(2):
            assert_error_shape(client.get("/sparql", params={"query": RUNAWAY}), 504, "timeout")
        for _ in range(2):
            bad = client.get("/sparql", params={"query": "SELECT * { ?s <nope:p> ?o } ORDER BY undeclared:x"})
            assert bad.status_code == 400
        assert client.get("/status").json()["result_cache"]["hits"] == 0


def test_a_hit_needs_no_query_slot(store: Path) -> None:
    endpoint = _endpoint(store, max_concurrent=1, max_queued=0)
    try:
        with httpx.Client(base_url=endpoint.url, timeout=10) as client:
            assert client.get("/sparql", params={"query": COUNT}).headers["x-kg-cache"] == "miss"
            runaway = threading.Thread(target=lambda: client.get("/sparql", params={"query": RUNAWAY}))
            runaway.start()
            deadline = time.monotonic() + 5
            while client.get("/status").json()["running_queries"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert client.get("/sparql", params={"query": COUNT}).headers["x-kg-cache"] == "hit"
            busy = client.get("/sparql", params={"query": COUNT + " LIMIT 1"})
            assert_error_shape(busy, 503, "busy")  # a miss still obeys the limits
            runaway.join()
    finally:
        endpoint.stop()


def test_large_answers_are_not_kept_and_the_cache_can_be_off(store: Path) -> None:
    endpoint = _endpoint(store, cache_entry_bytes=2048)
    try:
        with httpx.Client(base_url=endpoint.url, timeout=10) as client:
            big = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 150"
            for _ in range(2):
                response = client.get("/sparql", params={"query": big})
                assert response.status_code == 200 and len(response.content) > 2048
                assert response.headers["x-kg-cache"] == "miss"
            assert client.get("/status").json()["result_cache"]["entries"] == 0
    finally:
        endpoint.stop()
    endpoint = _endpoint(store, cache_bytes=0)
    try:
        with httpx.Client(base_url=endpoint.url, timeout=10) as client:
            for _ in range(2):
                response = client.get("/sparql", params={"query": COUNT})
                assert response.status_code == 200 and "x-kg-cache" not in response.headers
            assert client.get("/status").json()["result_cache"]["max_bytes"] == 0
    finally:
        endpoint.stop()


def test_a_new_generation_empties_the_cache(tmp_path: Path) -> None:
    store = tmp_path / "store"
    facts = build_store(store, counties=5)
    mark_generation(store)
    endpoint = _endpoint_at(store, tmp_path)
    try:
        with httpx.Client(base_url=endpoint.url, timeout=10) as client:

            def count() -> tuple[int, str, str]:
                response = client.get("/sparql", params={"query": COUNT})
                assert response.status_code == 200
                n = int(response.json()["results"]["bindings"][0]["n"]["value"])
                return n, response.headers["x-kg-generation"], response.headers["x-kg-cache"]

            assert count() == (facts["reports"], "1", "miss")
            assert count() == (facts["reports"], "1", "hit")
            writer = ox.Store(str(store))  # an ingest adds a report, then marks its completion
            ds = Dataset()
            add_report(ds, "late.txt", "320100", "南京市", 2018, [DIRECTIVE])
            writer.extend(dataset_quads(ds))
            del writer
            mark_generation(store)
            deadline = time.monotonic() + 10
            while count()[1] != "2" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert count() == (facts["reports"] + 1, "2", "hit")  # the first answer on generation 2 was a miss
            assert client.get("/status").json()["result_cache"]["entries"] == 1
    finally:
        endpoint.stop()


def _endpoint_at(store: Path, root: Path) -> Endpoint:
    settings = ServeSettings(port=0, poll_interval_s=0.1, snapshots_dir=root / "snapshots", access_log=False)
    endpoint = Endpoint(store, settings).open()
    endpoint.start()
    return endpoint


# -- the result cache, as a unit ---------------------------------------------------------------------------------
def _answer(size: int, generation: int = 1) -> CachedAnswer:
    return CachedAnswer(b"x" * size, "text/csv; charset=utf-8", 1, generation)


def test_result_cache_bounds_and_scopes() -> None:
    cache = ResultCache(max_bytes=3000, max_entry_bytes=1500)
    assert cache.get("snap-1", "q1", "text/csv") is None
    assert cache.put("snap-1", "q1", "text/csv", _answer(500))
    assert not cache.put("snap-1", "q-big", "text/csv", _answer(1500)), "over the per-answer limit"
    assert cache.get("snap-1", "q1", "text/csv") == _answer(500)
    assert cache.get("snap-1", "q1", "application/json") is None
    for i in range(2, 6):  # 700 bytes each with the overhead: the oldest go
        cache.put("snap-1", f"q{i}", "text/csv", _answer(500))
        assert cache.size <= 3000
    assert cache.get("snap-1", "q1", "text/csv") is None and cache.get("snap-1", "q5", "text/csv") is not None
    assert (cache.hits, cache.misses) == (2, 3)
    assert cache.get("snap-2", "q5", "text/csv") is None, "a new snapshot empties the cache"
    assert len(cache) == 0 and cache.size == 0
    assert not cache.put("snap-1", "q6", "text/csv", _answer(10)), "an answer from the old snapshot is not kept"
    assert cache.put("snap-2", "q6", "text/csv", _answer(10, 2))
    assert not ResultCache(0, 100).put(None, "q", "text/csv", _answer(1)), "0 bytes: off"


# -- the plan cache: shapes ------------------------------------------------------------------------------------
LOOKUP = """PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?report ?year WHERE {{
  ?report gk:reportingRegion <{iri}> ; gk:yearCovered ?year ; <http://purl.org/dc/terms/title> ?t .
  FILTER(STR(?year) >= "{a}" && CONTAINS(?t, '{b}'))
}} ORDER BY ?year"""


def test_queries_of_one_shape_are_parsed_once() -> None:
    cache = PlanCache()
    first = LOOKUP.format(iri="https://w3id.org/govkg/id/region/110101", a="2012", b="年度")
    cache.put(plan_query(first, 16384))
    for i in range(20):
        text = LOOKUP.format(iri=f"https://w3id.org/govkg/id/region/{320000 + i}", a=str(2000 + i), b=f"报告{i}")
        plan = cache.get(text)
        assert plan is not None and plan.text == text and plan.form == "SELECT"
    assert cache.parsed == 1
    other = first.replace("ORDER BY ?year", "ORDER BY DESC(?year)")
    assert cache.get(other) is None, "another shape is parsed"


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "\\u0022 } SERVICE <http://x/> { ?a ?b ?c } #" }',  # rdflib expands \u before parsing
        "SELECT * { ?s ?p ex:a\\#b }",  # a backslash outside a string
        "SELECT * { FILTER(?a<?b&&(?c>?d)) }",  # an IRI-looking span with a bracket inside an expression
        "SELECT * { FILTER((?a<?b)) } LIMIT 1 )",  # unbalanced
        "SELECT * { ?s ?p ?o FILTER(?a<'x#'>?b) }",
        "SELECT * WHERE { ?s ?p ?o } ORDER BY ?x < ?y",  # "<" at depth 0 that opens no IRI
        'SELECT * { ?s ?p "open }',  # a quote that opens no string
    ],
)
def test_no_shape_when_unsure(text: str) -> None:
    assert query_shape(text) is None


def test_a_hostile_value_does_not_borrow_a_shape() -> None:
    cache = PlanCache()
    base = 'SELECT * WHERE { ?s ?p "x" }'
    cache.put(plan_query(base, 4096))
    for value in ['" } SERVICE <http://evil/> { ?a ?b ?c } #', "\\u0022 } SERVICE <http://evil/> {", 'x\\" }']:
        text = base.replace('"x"', f'"{value}"')
        if cache.get(text) is not None:  # only when rdflib reads the same structure
            assert plan_query(text, 4096).form == "SELECT"
    evil = 'SELECT * WHERE { ?s ?p "" } SERVICE <http://evil/> { ?a ?b ?c } #" }'
    assert cache.get(evil) is None
    with pytest.raises(Refusal):
        plan_query(evil, 4096)


SEEDS = [
    LOOKUP.format(iri="https://w3id.org/govkg/id/region/110101", a="2012", b="年度"),
    'PREFIX ex: <http://example.org/>\nSELECT ?x (COUNT(*) AS ?n) WHERE { ?x ex:p """long\n"text""" ; ex:q ?o .'
    " FILTER(?o != <http://example.org/o> || ?o < 3) } GROUP BY ?x HAVING (COUNT(*) > 1) LIMIT 10",
    'ASK { GRAPH <http://example.org/g> { ?s <http://example.org/p> "a"@en } }',
    "CONSTRUCT { ?s <http://example.org/p> ?o } WHERE { VALUES ?s { <http://example.org/a> <http://example.org/b> }"
    ' ?s ?p ?o # a comment with <http://example.org/c> and "quotes"\n}',
    "DESCRIBE <http://example.org/a>",
    "SELECT * WHERE { ?s ?p ?o . FILTER(?o < 5 && ?o >= 2) } ORDER BY <http://example.org/f>(?o)",
]
_SEED_SHAPES = {query_shape(s): plan_query(s, 1 << 16).form for s in SEEDS}
_FILL = st.text(alphabet=string.printable + "中#\\\"'<>{}()|^`", max_size=30)
_SNIPPETS = [" SERVICE <http://evil/> { ?a ?b ?c } ", " FROM <http://evil/> ", "}", "{", "#", "\n", "\r", '"', "'",
             "\\", "\\u0022", "<", ">", "(", ")", " . ", "<http://x/>", '"""', "'''", "?x<?y&&?z>?w"]  # fmt: skip


def _accepted_by_shape(text: str) -> str | None:
    shape = query_shape(text.replace("\r", "\n"))
    return _SEED_SHAPES.get(shape) if shape is not None else None


def _assert_consistent(text: str) -> None:
    form = _accepted_by_shape(text)
    if form is not None:  # the cache would accept it without parsing: the full parse must agree
        assert plan_query(text, 1 << 16).form == form, text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), fills=st.lists(_FILL, min_size=1, max_size=6))
def test_any_fill_in_of_a_known_shape_is_what_the_parser_accepts(seed: str, fills: list[str]) -> None:
    """Replace the IRIs' and strings' contents of an accepted query with anything: whenever the result still has the
    accepted shape (so the cache would skip the parse), the full parse accepts it too, with the same form."""
    shape = query_shape(seed)
    assert shape is not None
    out = [shape[0]]
    for i, kind in enumerate(shape[1::2]):
        fill = fills[i % len(fills)]
        out.append(f"<{fill}>" if kind == "<>" else f"{kind}{fill}{kind}")
        out.append(shape[2 + 2 * i])
    _assert_consistent("".join(out))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(_SNIPPETS), st.booleans()), min_size=1, max_size=3),
)
def test_any_mutation_that_keeps_a_known_shape_is_what_the_parser_accepts(
    seed: str, edits: list[tuple[float, str, bool]]
) -> None:
    text = seed
    for where, snippet, insert in edits:
        at = int(where * len(text))
        text = text[:at] + snippet + text[at + (0 if insert else len(snippet)) :]
    _assert_consistent(text)


# -- the form decoder --------------------------------------------------------------------------------------------
@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=string.ascii_letters + "%+&=;\\x0129AaFfzZ中é\x80\n", max_size=60))
def test_parse_form_is_parse_qs(text: str) -> None:
    assert parse_form(text) == parse_qs(text, keep_blank_values=True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=10))
def test_parse_form_reads_what_clients_encode(query: str, other: str) -> None:
    text = f"query={quote_plus(query)}&x={quote_plus(other)}&query="
    assert parse_form(text) == parse_qs(text, keep_blank_values=True)
    assert parse_form(text)["query"][0] == query
