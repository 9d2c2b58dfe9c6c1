"""`kg serve` on the wire: the server keeps HTTP/1.1's rules (pipelining, HEAD, keep-alive and close, HTTP/1.0,
``Expect: 100-continue``), logs every request, and answers its own failures in the one JSON shape.

Raw sockets against a real gateway and Oxigraph: what a client library would smooth over is seen byte for byte.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import httptools
import pytest

from kg.namespaces import GK
from kg.serve import Endpoint, ServeSettings
from kg.serve.errors import CODES
from tests.endpoint_support import build_store

COUNT = f"PREFIX gk: <{GK}> SELECT (COUNT(*) AS ?n) WHERE {{ ?r a gk:AnnualReport }}"
JSON_RESULTS = "application/sparql-results+json"


class Message:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""


class Responses:
    """Parses a stream of HTTP/1.1 responses (to requests other than HEAD)."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.messages: list[Message] = []

    def on_message_begin(self) -> None:
        self.messages.append(Message())

    def on_header(self, name: bytes, value: bytes) -> None:
        self.messages[-1].headers[name.decode().lower()] = value.decode()

    def on_headers_complete(self) -> None:
        self.messages[-1].status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.messages[-1].body += body

    def read(self, sock: socket.socket, count: int) -> list[Message]:
        while len(self.messages) < count or not self._complete:
            data = sock.recv(65536)
            if not data:
                break
            self.parser.feed_data(data)
        return self.messages

    @property
    def _complete(self) -> bool:
        last = self.messages[-1] if self.messages else None
        if last is None or not last.status:
            return False
        return len(last.body) == int(last.headers.get("content-length", "-1"))


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("wire")
    build_store(root / "store")
    settings = ServeSettings(port=0, snapshots_dir=root / "snapshots", timeout_s=10, access_log=False)
    ep = Endpoint(root / "store", settings).open()
    ep.start()
    yield ep
    ep.stop()


def _connect(endpoint: Endpoint) -> socket.socket:
    parts = urlsplit(endpoint.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def _post(query: str, extra: str = "", version: str = "1.1") -> bytes:
    body = urlencode({"query": query}).encode()
    head = (
        f"POST /sparql HTTP/{version}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Accept: {JSON_RESULTS}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def _get(path: str, method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\nAccept: {JSON_RESULTS}\r\n\r\n".encode()


def _error(message: Message, status: int, code: str) -> None:
    """The one JSON error shape (as tests/test_endpoint.py checks it through httpx)."""
    assert message.status == status == CODES[code], message.body
    assert message.headers["content-type"].startswith("application/json")
    body = json.loads(message.body)
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "hint"}
    assert body["error"]["status"] == status and body["error"]["code"] == code


def _count(message: Message) -> int:
    assert message.status == 200, message.body
    return int(json.loads(message.body)["results"]["bindings"][0]["n"]["value"])


def test_pipelined_requests_are_answered_in_order(endpoint: Endpoint) -> None:
    """Queries (hot path) and other routes (the framework) sent in one write come back in the order asked."""
    queries = [
        COUNT,
        COUNT.replace("?r a", "?r a ?t . ?r a"),
        f"SELECT ?x WHERE {{ VALUES ?x {{ {' '.join(map(str, range(7)))} }} }}",
    ]
    wire = (
        _post(queries[0])
        + _get("/status")
        + _post(queries[1])
        + _get("/sparql?query=" + quote(queries[2]))
        + _get("/nowhere")
    )
    with _connect(endpoint) as sock:
        sock.sendall(wire)
        got = Responses().read(sock, 5)
    assert [m.status for m in got] == [200, 200, 200, 200, 404]
    assert _count(got[0]) > 0 and _count(got[2]) > 0
    assert "generation" in json.loads(got[1].body)
    assert len(json.loads(got[3].body)["results"]["bindings"]) == 7
    _error(got[4], 404, "not_found")
    assert got[0].headers["x-kg-rows"] == "1" and got[3].headers["x-kg-rows"] == "7"
    assert "date" in got[0].headers and "server" not in got[0].headers


def test_head_has_the_length_of_get_and_no_body(endpoint: Endpoint) -> None:
    path = "/sparql?query=" + quote(COUNT)
    with _connect(endpoint) as sock:
        sock.sendall(_get(path, "HEAD"))
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            rest += sock.recv(65536)  # nothing follows the head
        assert rest == b""
        sock.settimeout(10)
        sock.sendall(_get(path))  # the connection is still in step
        (get,) = Responses().read(sock, 1)
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert lines[0] == "HTTP/1.1 200 OK"
    assert int(headers["content-length"]) == len(get.body) > 0
    assert headers["content-type"] == get.headers["content-type"]


def test_connection_close_and_http_1_0_end_the_connection(endpoint: Endpoint) -> None:
    for wire in (_post(COUNT, "Connection: close\r\n"), _post(COUNT, version="1.0")):
        with _connect(endpoint) as sock:
            sock.sendall(wire)
            data = b""
            while chunk := sock.recv(65536):  # ends only when the server closes
                data += chunk
        assert data.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
        assert b"\r\nconnection: close\r\n" in data.lower()


def test_keep_alive_serves_many_queries_on_one_connection(endpoint: Endpoint) -> None:
    with _connect(endpoint) as sock:
        for i in range(20):
            sock.sendall(_post(f"SELECT ({i} AS ?n) WHERE {{}}"))
            (message,) = Responses().read(sock, 1)
            assert _count(message) == i


def test_expect_100_continue(endpoint: Endpoint) -> None:
    """curl sends ``Expect: 100-continue`` with bodies over 1 KiB and waits for the interim response."""
    query = COUNT + " #" + "x" * 2000
    body = urlencode({"query": query}).encode()
    head = (
        "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Accept: {JSON_RESULTS}\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    with _connect(endpoint) as sock:
        sock.sendall(head.encode())
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        (message,) = Responses().read(sock, 1)
    assert _count(message) > 0


def test_refusals_on_the_hot_path_keep_the_connection(endpoint: Endpoint) -> None:
    with _connect(endpoint) as sock:
        sock.sendall(_post("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }") + _post(COUNT))
        refused, answered = Responses().read(sock, 2)
    _error(refused, 400, "service_refused")
    assert refused.headers["content-type"] == "application/json"
    assert _count(answered) > 0


def test_an_internal_error_is_a_500_in_the_one_shape(endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    assert endpoint.gateway is not None
    runner = endpoint.gateway.runner

    async def broken(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "run", broken)
    with _connect(endpoint) as sock:
        sock.sendall(_post(COUNT))
        (message,) = Responses().read(sock, 1)
    _error(message, 500, "internal_error")


def test_queries_are_in_the_access_log(tmp_path: Path) -> None:
    build_store(tmp_path / "store", counties=1)
    settings = ServeSettings(port=0, snapshots_dir=tmp_path / "snapshots", access_log=True)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    with Endpoint(tmp_path / "store", settings) as ep:
        ep.start()
        handler = Keep()
        logging.getLogger("kg.serve.access").addHandler(handler)
        try:
            with _connect(ep) as sock:
                sock.sendall(_post(COUNT) + _get("/status"))
                Responses().read(sock, 2)
        finally:
            logging.getLogger("kg.serve.access").removeHandler(handler)
    assert any('"POST /sparql HTTP/1.1" 200' in line for line in lines), lines
    assert any('"GET /status HTTP/1.1" 200' in line for line in lines), lines
