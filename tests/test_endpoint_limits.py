"""What no client can do to `kg serve`: open connections without end, send huge or slow request heads, leave a
large answer unread, or break the query checker with concurrent long queries. And answers streamed piece by piece
are the same documents as answers written whole."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.namespaces import GK
from kg.serve import Endpoint, ServeSettings
from kg.serve.negotiation import GRAPH_FORMATS, RESULT_FORMATS
from kg.serve.results import Converter
from tests.endpoint_support import assert_error_shape, build_store

COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?r a <{GK.AnnualReport}> }}"
BIG = "SELECT ?s ?p ?o ?t WHERE { ?s ?p ?o . ?t ?q ?u } LIMIT 9000"  # about 2 MB of JSON


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("limits")
    build_store(root / "store", counties=60)
    return root


@pytest.fixture(scope="module")
def endpoint(root: Path):  # type: ignore[no-untyped-def]
    settings = ServeSettings(
        port=0, max_connections=8, max_request_line=4096, max_header_bytes=2048, max_query_bytes=1024,
        header_timeout_s=0.5, send_timeout_s=1.0, max_buffer_bytes=256 * 1024, stream_after_bytes=64 * 1024,
        max_concurrent=4, snapshots_dir=root / "snapshots", access_log=False,
    )  # fmt: skip
    ep = Endpoint(root / "store", settings).open()
    ep.start()
    yield ep
    ep.stop()


def _connect(endpoint: Endpoint, rcvbuf: int | None = None) -> socket.socket:
    parts = urlsplit(endpoint.url)
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect((parts.hostname, parts.port))
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def _error_of(raw: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    assert b"content-type: application/json" in head.lower()
    assert b"connection: close" in head.lower()
    return status, json.loads(body)["error"]


def _status(endpoint: Endpoint) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{endpoint.url}/status", timeout=10).json()


# -- connections and request heads --------------------------------------------------------------------------------
def test_one_connection_past_the_limit_gets_a_503_in_the_json_shape(endpoint: Endpoint) -> None:
    time.sleep(0.6)  # idle connections of earlier tests are gone (header timeout)
    held = [_connect(endpoint) for _ in range(8)]
    try:
        time.sleep(0.1)
        extra = _connect(endpoint)
        status, error = _error_of(_read_all(extra))
        assert status == 503 and error["code"] == "too_many_connections"
        assert "limit of 8 open connections" in error["message"] and "--max-connections" in error["hint"]
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert httpx.get(f"{endpoint.url}/sparql", params={"query": COUNT}).status_code == 200
    assert _status(endpoint)["connections"]["refused"] >= 1


def test_a_long_request_line_is_414_and_large_header_fields_431(endpoint: Endpoint) -> None:
    long_get = httpx.get(f"{endpoint.url}/sparql", params={"query": COUNT + " #" + "x" * 5000})
    error = assert_error_shape(long_get, 414, "uri_too_long")
    assert "4096 bytes" in error["message"] and "POST" in str(error["hint"])
    big_header = httpx.get(f"{endpoint.url}/sparql", params={"query": COUNT}, headers={"X-Junk": "y" * 3000})
    assert "2048 bytes" in assert_error_shape(big_header, 431, "header_too_large")["message"]
    with _connect(endpoint) as sock:  # a head that never ends is refused as soon as it passes the limit
        sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 400)
        status, error = _error_of(_read_all(sock))
    assert (status, error["code"]) == (431, "header_too_large")
    assert httpx.get(f"{endpoint.url}/sparql", params={"query": COUNT}).status_code == 200


def test_bad_requests_and_bodies_in_the_json_shape(endpoint: Endpoint) -> None:
    with _connect(endpoint) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        status, error = _error_of(_read_all(sock))
    assert (status, error["code"]) == (400, "bad_request")
    body = urlencode({"query": COUNT + " #" + "z" * 5000})
    too_large = httpx.post(f"{endpoint.url}/sparql", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error_shape(too_large, 413, "query_too_large")
    bad_utf8 = httpx.post(f"{endpoint.url}/sparql", content=b"SELECT * { ?s ?p '\xff' }",
                          headers={"Content-Type": "application/sparql-query"})  # fmt: skip
    assert "not UTF-8" in assert_error_shape(bad_utf8, 400, "unparseable")["message"]


def test_slow_request_heads_are_refused_and_idle_connections_closed(endpoint: Endpoint) -> None:
    with _connect(endpoint) as slow:
        slow.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\n")  # then nothing: a slowloris
        started = time.monotonic()
        status, error = _error_of(_read_all(slow))
    assert (status, error["code"]) == (408, "request_timeout") and time.monotonic() - started < 3
    with _connect(endpoint) as idle:
        started = time.monotonic()
        assert _read_all(idle) == b"", "an idle connection is closed without an answer"
        assert time.monotonic() - started < 3
    with _connect(endpoint) as body_never_comes:
        body_never_comes.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                                 b"Content-Length: 100\r\n\r\nSELECT")  # fmt: skip
        status, error = _error_of(_read_all(body_never_comes))
    assert (status, error["code"]) == (408, "request_timeout")


# -- answers that are not read -----------------------------------------------------------------------------------
def test_a_client_that_does_not_read_is_dropped_and_the_buffered_bytes_stay_capped(endpoint: Endpoint) -> None:
    query = urlencode({"query": BIG})
    readers = []
    for _ in range(6):  # each asks for ~2 MB and reads nothing
        sock = _connect(endpoint, rcvbuf=4096)
        sock.sendall(f"GET /sparql?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        readers.append(sock)
    try:
        deadline = time.monotonic() + 15
        while _status(endpoint)["connections"]["dropped_slow_readers"] < 6 and time.monotonic() < deadline:
            assert httpx.get(f"{endpoint.url}/sparql", params={"query": COUNT}, timeout=5).status_code == 200
            time.sleep(0.2)
        connections = _status(endpoint)["connections"]
        assert connections["dropped_slow_readers"] >= 6
        assert connections["buffered_bytes_peak"] <= 256 * 1024 + 70 * 1024, "past the budget by more than a chunk"
        assert connections["buffered_bytes"] == 0
        assert _status(endpoint)["running_queries"] == 0, "their query slots were given back"
    finally:
        for sock in readers:
            sock.close()
    whole = httpx.get(f"{endpoint.url}/sparql", params={"query": BIG}, timeout=30)  # a reader that reads
    assert whole.status_code == 200 and "content-length" not in whole.headers  # streamed, chunked
    assert len(whole.json()["results"]["bindings"]) == 9000


def test_a_streamed_answer_past_the_row_limit_is_cut_not_shortened(root: Path) -> None:
    settings = ServeSettings(port=0, max_rows=5000, stream_after_bytes=64 * 1024, snapshots_dir=root / "snapshots2",
                             access_log=False)  # fmt: skip
    with Endpoint(root / "store", settings) as ep:
        ep.start()
        with pytest.raises(httpx.RemoteProtocolError):  # an incomplete chunked body: never a short answer
            httpx.get(f"{ep.url}/sparql", params={"query": BIG}, timeout=30)
        small = httpx.get(f"{ep.url}/sparql", params={"query": BIG.replace("9000", "6000").replace("?t ?q ?u", "?t ?q ?u FILTER(false)")})
        assert small.status_code == 200
        assert _status(ep)["answers_cut"] == 1


# -- the query checker under concurrency -------------------------------------------------------------------------
def _long_query(i: int) -> str:
    """A valid query over 2,048 characters with FILTER and COUNT, of a shape of its own (so it must be parsed)."""
    padding = " ".join(f"word{j}" for j in range(300))
    return (f"SELECT ?n (COUNT(?m) AS ?c) WHERE {{ VALUES (?n ?m) {{ ({i} 1) ({i} 2) }} FILTER(?n >= 0 && ?m < 9) }} "
            f"GROUP BY ?n # query {i}: {padding}")  # fmt: skip


def test_the_query_checker_stays_correct_under_concurrent_long_queries(root: Path) -> None:
    settings = ServeSettings(port=0, max_concurrent=8, max_queued=64, snapshots_dir=root / "snapshots3",
                             access_log=False)  # fmt: skip
    with Endpoint(root / "store", settings) as ep:
        ep.start()
        failures: list[str] = []

        def ask(i: int) -> None:
            query = _long_query(i)
            response = httpx.post(f"{ep.url}/sparql", data={"query": query}, timeout=120)
            integer = "http://www.w3.org/2001/XMLSchema#integer"
            if len(query) < 2048 or response.status_code != 200 or response.json()["results"]["bindings"] != [
                {"n": {"type": "literal", "value": str(i), "datatype": integer},
                 "c": {"type": "literal", "value": "2", "datatype": integer}}  # fmt: skip
            ]:
                failures.append(f"{i}: {len(query)} chars, {response.status_code} {response.text[:200]}")

        for round_ in range(3):
            threads = [threading.Thread(target=ask, args=(round_ * 50 + i,)) for i in range(50)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert not failures, failures[:3]
        with httpx.Client(base_url=ep.url) as client:  # the parser is intact: FILTER and COUNT still parse
            fil = client.post("/sparql", data={"query": "SELECT ?x WHERE { VALUES ?x { 1 2 3 } FILTER(?x > 1) }"})
            assert len(fil.json()["results"]["bindings"]) == 2
            assert int(client.post("/sparql", data={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"]) > 0
        assert _status(ep)["queries_parsed"] >= 150


# -- streaming conversions ---------------------------------------------------------------------------------------
def _pieces(data: bytes, size: int) -> list[bytes]:
    """``data`` cut after every ``size`` lines."""
    lines = data.splitlines(keepends=True)
    return [b"".join(lines[i : i + size]) for i in range(0, len(lines), size)]


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=[f.media_type for f in RESULT_FORMATS])
def test_a_select_answer_written_piece_by_piece_is_the_whole_answer(fmt, root: Path) -> None:  # type: ignore[no-untyped-def]
    store = ox.Store.read_only(str(root / "store"))
    result = store.query("SELECT ?s ?p ?o ?none WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", use_default_graph_as_union=True)
    tsv = result.serialize(format=ox.QueryResultsFormat.TSV) or b""
    whole = Converter("SELECT", fmt, {})
    expected = whole.feed(tsv) + whole.finish()
    for size in (1, 7, 100):
        converter = Converter("SELECT", fmt, {})
        streamed = b"".join(converter.feed(piece) for piece in _pieces(tsv, size)) + converter.finish()
        assert streamed == expected, (fmt.media_type, size)
    if fmt.results == ox.QueryResultsFormat.CSV:  # lossy: pyoxigraph does not read it back
        import csv
        import io

        rows = list(csv.reader(io.StringIO(expected.decode("utf-8"))))[1:]
    else:
        rows = list(ox.parse_query_results(expected, format=fmt.results))
    assert len(rows) == len(tsv.splitlines()) - 1


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=[f.media_type for f in GRAPH_FORMATS])
def test_a_graph_answer_written_piece_by_piece_is_the_same_graph(fmt, root: Path) -> None:  # type: ignore[no-untyped-def]
    from kg.serve.execute import turtle_prefixes

    store = ox.Store.read_only(str(root / "store"))
    triples = list(store.query("CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True))
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    reference = Graph().parse(data=nt, format="nt")
    for size in (1, 13, 10**6):
        converter = Converter("CONSTRUCT", fmt, turtle_prefixes())
        streamed = b"".join(converter.feed(piece) for piece in _pieces(nt, size)) + converter.finish()
        graph = Graph().parse(data=streamed, format=fmt.rdflib)
        assert len(graph) == len(reference) and graph.isomorphic(reference), (fmt.media_type, size)


# -- descriptors -------------------------------------------------------------------------------------------------
def test_running_out_of_descriptors_is_said_as_such(root: Path) -> None:
    script = f"""
import resource, os
from kg.snapshots import mark_generation, read_generation
from kg.errors import StoreError
mark_generation({str(root / "store")!r})
used = len(os.listdir("/proc/self/fd")) - 1  # the listing's own descriptor is closed again
resource.setrlimit(resource.RLIMIT_NOFILE, (used, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
try:
    read_generation({str(root / "store")!r})
except StoreError as exc:
    print(exc.message); print(exc.hint)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env={**os.environ})
    assert "too many open files" in out.stdout, out.stdout + out.stderr
    assert "delete" not in out.stdout and "--max-connections" in out.stdout
