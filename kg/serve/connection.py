"""The gateway's HTTP/1.1 client for the one hop it makes: to its own Oxigraph, on loopback, with keep-alive.

httpx costs about 1.0 ms of CPU per request on this hop (measured; see docs/decisions/0002-endpoint.md): on a query
that Oxigraph answers in a millisecond the client was most of the gateway's cost. Here each connection is an
:class:`asyncio.Protocol` whose bytes go straight into httptools' response parser (llhttp, in C): status, headers and
the body's framing (``Content-Length``, ``Transfer-Encoding: chunked``, or the end of the connection) are decoded
there, with no Python loop over lines. A connection goes back to the pool only when its response was read to the
end; a response abandoned midway (row limit, timeout) closes its connection, which makes Oxigraph stop producing it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httptools


class UpstreamError(ConnectionError):
    """The upstream server closed the connection or sent something that is not HTTP/1.1."""


class UpstreamResponse:
    """One response as it arrives: ``status`` and ``headers`` first, then the body's chunks."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.complete = False  # the whole body has arrived
        self.keep_alive = True
        self.started = False  # the status line and headers have arrived
        self.error: Exception | None = None
        self._chunks: list[bytes] = []
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def more(self) -> None:
        """Wait until more of the body (or its end, or an error) has arrived."""
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def _started(self) -> None:
        while not self.started:
            if self.error is not None:
                raise self.error
            await self.more()

    def take(self) -> list[bytes]:
        """The chunks received since the last call."""
        chunks, self._chunks = self._chunks, []
        return chunks

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body, decoded from its framing, as it arrives."""
        while True:
            if self._chunks:
                for chunk in self.take():
                    yield chunk
                continue
            if self.complete:
                return
            if self.error is not None:
                raise self.error
            await self.more()

    async def read(self, limit: int = 1 << 26) -> bytes:
        body = b""
        async for chunk in self.iter_chunks():
            body += chunk
            if len(body) > limit:
                break
        return body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; it parses whatever arrives into the current :class:`UpstreamResponse`."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.response: UpstreamResponse | None = None
        self.closed = False
        self._framed = False  # the current response has Content-Length or chunked framing

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        if self.response is None:
            self._fail(UpstreamError("the upstream sent bytes nobody asked for"))
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"malformed upstream response ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        response = self.response
        if exc is None and response is not None and response.started and not response.complete and not self._framed:
            response.complete = True  # a body delimited by the (orderly) end of the connection
            response.keep_alive = False
            response._wake()
            return
        self._fail(UpstreamError(f"the upstream closed the connection{f' ({exc})' if exc else ''}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.response is not None
        key = name.decode("latin-1").lower()
        self.response.headers[key] = value.decode("latin-1")
        if key in ("content-length", "transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        response = self.response
        assert response is not None
        response.status = self.parser.get_status_code()
        response.keep_alive = self.parser.should_keep_alive()
        response.started = True
        response._wake()

    def on_body(self, body: bytes) -> None:
        assert self.response is not None
        self.response._chunks.append(body)
        self.response._wake()

    def on_message_complete(self) -> None:
        response = self.response
        assert response is not None
        response.complete = True
        response._wake()

    # the client's side
    def send(self, data: bytes) -> UpstreamResponse:
        self.response = UpstreamResponse(self.loop)
        self._framed = False
        assert self.transport is not None
        self.transport.write(data)
        return self.response

    def _fail(self, error: Exception) -> None:
        response = self.response
        if response is not None and not response.complete and response.error is None:
            response.error = error
            response._wake()
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Keep-alive connections to one ``host:port``."""

    def __init__(self, host: str, port: int, max_idle: int = 16) -> None:
        self.host = host
        self.port = port
        self.max_idle = max_idle
        self._idle: list[_Connection] = []
        self._host_line = f"Host: {host}:{port}\r\n"

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(lambda: _Connection(loop), self.host, self.port)
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {self.host}:{self.port} ({exc.strerror or exc})") from exc
        return protocol

    def _idle_connection(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return None

    @contextlib.asynccontextmanager
    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> AsyncIterator[UpstreamResponse]:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = f"{method} {path} HTTP/1.1\r\n{self._host_line}Content-Length: {len(body)}\r\n{extra}\r\n"
        data = head.encode("latin-1") + body
        conn = self._idle_connection()
        response = None
        try:
            if conn is not None:  # a kept-alive connection may have been closed by the server meanwhile: retry once
                response = conn.send(data)
                try:
                    await response._started()
                except UpstreamError:
                    conn.close()
                    conn = response = None
            if conn is None:
                conn = await self._connect()
                response = conn.send(data)
                await response._started()
            assert response is not None
            yield response
        finally:  # back to the pool only when the response was read to its end; else closed (Oxigraph stops)
            if conn is not None:
                reusable = response is not None and response.complete and response.keep_alive and not conn.closed
                if reusable and len(self._idle) < self.max_idle:
                    conn.response = None
                    self._idle.append(conn)
                else:
                    conn.close()

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.request("GET", path) as response:
            return response.status, await response.read()

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
