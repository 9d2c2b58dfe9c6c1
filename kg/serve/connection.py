"""The gateway's HTTP/1.1 client for the one hop it makes: to its own Oxigraph, on loopback, with keep-alive.

httpx costs about 1.0 ms of CPU per request on this hop (measured; see docs/decisions/0002-endpoint.md): on a query
that Oxigraph answers in a millisecond the client was most of the gateway's cost. Here each connection is an
:class:`asyncio.Protocol` whose bytes go straight into httptools' response parser (llhttp, in C): status, headers and
the body's framing (``Content-Length``, ``Transfer-Encoding: chunked``, or the end of the connection) are decoded
there, with no Python loop over lines. A request is one :class:`Exchange`: the parser's callbacks gather the body,
count its lines and apply the limits as it arrives, and wake the caller once, when it is complete (or a limit is
passed, or the connection fails). A connection goes back to the pool only when its response was read to the end;
otherwise (row limit, timeout, error) it is closed, which makes Oxigraph stop producing the rest.
"""

from __future__ import annotations

import asyncio

import httptools


class UpstreamError(ConnectionError):
    """The upstream server closed the connection or sent something that is not HTTP/1.1."""


class Exchange:
    """One whole response, gathered by the connection's callbacks for :meth:`UpstreamPool.exchange`.

    Limits are applied as the body arrives: past ``max_lines`` newlines or ``max_bytes`` bytes the exchange ends at
    once (``over`` says which) and its connection is closed.
    """

    __slots__ = ("chunks", "done", "error", "max_bytes", "max_lines", "newlines", "over", "size", "status")

    def __init__(self, done: asyncio.Future[None], max_lines: int | None, max_bytes: int) -> None:
        self.done = done
        self.status = 0  # set once the status line and headers have arrived
        self.chunks: list[bytes] = []
        self.size = 0
        self.newlines = 0  # counted only with max_lines
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.over: str | None = None  # "lines" or "bytes" when a limit was passed
        self.error: Exception | None = None

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def body(self) -> bytes:
        return b"".join(self.chunks)


class _Connection(asyncio.Protocol):
    """One keep-alive connection; it parses whatever arrives into its current :class:`Exchange`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.exchange: Exchange | None = None
        self.closed = False
        self.complete = False  # the current response was read to its end
        self.keep_alive = True  # and the server keeps the connection open after it
        self._framed = False  # the current response has Content-Length or chunked framing

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        if self.exchange is None:
            self._fail(UpstreamError("the upstream sent bytes nobody asked for"))
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"malformed upstream response ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        ex = self.exchange
        if exc is None and ex is not None and ex.status and not self.complete and not self._framed:
            self.complete, self.keep_alive = True, False  # a body delimited by the (orderly) end of the connection
            ex._finish()
            return
        self._fail(UpstreamError(f"the upstream closed the connection{f' ({exc})' if exc else ''}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        assert self.exchange is not None
        self.exchange.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        ex = self.exchange
        assert ex is not None
        if ex.over is not None:
            return
        ex.chunks.append(body)
        ex.size += len(body)
        if ex.max_lines is not None:
            ex.newlines += body.count(b"\n")
            if ex.newlines > ex.max_lines:
                ex.over = "lines"
        if ex.size > ex.max_bytes:
            ex.over = "bytes"
        if ex.over is not None:
            ex._finish()
            self.close()  # Oxigraph stops producing the rest

    def on_message_complete(self) -> None:
        assert self.exchange is not None
        self.complete = True
        self.exchange._finish()

    # the client's side
    def start(self, data: bytes, exchange: Exchange) -> None:
        """Send a request whose response is gathered into ``exchange``."""
        self.exchange = exchange
        self.complete = self._framed = False
        self.keep_alive = True
        assert self.transport is not None
        self.transport.write(data)

    def _fail(self, error: Exception) -> None:
        ex = self.exchange
        if ex is not None and not ex.done.done():
            ex.error = error
            ex._finish()
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
        self._heads: dict[tuple[str, str, str, str], bytes] = {}

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(_Connection, self.host, self.port)
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {self.host}:{self.port} ({exc.strerror or exc})") from exc
        return protocol

    def _idle_connection(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return None

    def head(self, method: str, path: str, content_type: str = "", accept: str = "") -> bytes:
        """A request's head up to its ``Content-Length`` value (see :meth:`exchange`); remembered per request kind."""
        key = (method, path, content_type, accept)
        head = self._heads.get(key)
        if head is None:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            lines += [f"Content-Type: {content_type}"] if content_type else []
            lines += [f"Accept: {accept}"] if accept else []
            head = self._heads[key] = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        return head

    async def exchange(self, head: bytes, body: bytes, max_lines: int | None, max_bytes: int) -> Exchange:
        """Send ``body`` after ``head`` (from :meth:`head`) and gather the whole response within the limits.

        Returns the exchange, with ``over`` set when a limit was passed; raises UpstreamError when the connection
        fails or the answer is cut or malformed. A kept-alive connection that the server closed meanwhile (no
        response at all) is replaced once. A cancelled exchange (a timeout) closes its connection.
        """
        data = head + str(len(body)).encode() + b"\r\n\r\n" + body
        loop = asyncio.get_running_loop()
        conn = self._idle_connection()
        reused = conn is not None
        while True:
            if conn is None:
                conn = await self._connect()
            ex = Exchange(loop.create_future(), max_lines, max_bytes)
            conn.start(data, ex)
            try:
                await ex.done
            except BaseException:
                conn.close()
                raise
            if reused and ex.error is not None and not ex.status:
                conn, reused = None, False  # stale: send it again on a new connection
                continue
            break
        conn.exchange = None
        if conn.complete and conn.keep_alive and not conn.closed and len(self._idle) < self.max_idle:
            self._idle.append(conn)
        else:
            conn.close()
        if ex.error is not None:
            raise ex.error
        return ex

    async def get(self, path: str, max_bytes: int = 1 << 26) -> tuple[int, bytes]:
        ex = await self.exchange(self.head("GET", path), b"", None, max_bytes)
        return ex.status, ex.body()

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
