"""The endpoint's HTTP/1.1 server: httptools' parser on an asyncio transport, with every limit of its own.

httptools (llhttp, the parser uvicorn uses) reads the requests: request line, header fields, the body's framing
(``Content-Length`` or chunked), keep-alive and HTTP/1.0, and it refuses malformed or ambiguous requests (a body
framed both ways, bytes after ``Connection: close``). This module moves bytes between the transport and the parser,
writes the responses, and applies the limits, so that each of them is answered in the endpoint's JSON error shape:

- at most ``max_connections`` connections; one more is answered 503 ``too_many_connections`` and closed;
- a request line longer than ``max_request_line`` bytes: 414; header fields over ``max_header_bytes``: 431; a body
  over ``max_body_bytes``: 413 (the rest of it is not kept);
- the request (line, headers and body) must arrive within ``header_timeout_s`` of the connection's start or of the
  previous response: 408 if it had begun, else the idle connection is just closed (slowloris);
- answers are written with backpressure: a chunk at a time, each once the client has taken the previous one (the
  transport's buffer is back under 64 KiB). A client that takes nothing for ``send_timeout_s`` is dropped, and the
  bytes waiting in all transports together never pass ``max_buffer_bytes`` (:class:`Budget`).

Requests on one connection are answered one at a time, in order; pipelined ones wait, and the socket is not read
while one is waiting. Why not h11 (pure Python): on the benchmark's lookups it cost the gateway 0.13 ms of CPU per
query on its two hops, as much as all the rest, and took ``kg serve`` from 0.52x to 0.31x of raw Oxigraph
(docs/decisions/0002-endpoint.md).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

import httptools

from kg.serve.errors import Refusal, refuse

log = logging.getLogger(__name__)
access_log = logging.getLogger("kg.serve.access")

CHUNK = 64 * 1024  # bytes written at a time; the transport pauses us above this much unsent data


class ClientGone(Exception):
    """The client closed the connection, or was dropped for not reading its answer."""


class AnswerCut(Exception):
    """A streamed body cannot go on (a limit, the engine): the response ends without its last chunk."""


Body = bytes | AsyncIterator[bytes]


@dataclass
class Response:
    """What every handler returns: a status, header fields, and the body (bytes, or chunks as they come)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body = b""

    @classmethod
    def of_refusal(cls, refusal: Refusal) -> Response:
        return cls(refusal.status, [("content-type", "application/json"), *refusal.headers.items()], refusal.payload())


class Budget:
    """Bytes of answers handed to transports and not yet sent, over all connections; writers wait past ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.peak = 0
        self._freed: asyncio.Event | None = None

    def take(self, size: int) -> bool:
        """Take ``size`` bytes if there is room (one chunk always goes, or nothing could)."""
        if self.used and self.used + size > self.limit:
            return False
        self.used += size
        self.peak = max(self.peak, self.used)
        return True

    async def acquire(self, size: int) -> None:
        while not self.take(size):
            if self._freed is None:
                self._freed = asyncio.Event()
            await self._freed.wait()

    def release(self, size: int) -> None:
        self.used -= size
        if self._freed is not None:
            self._freed.set()
            self._freed = None


class Request:
    """One request: method, path, query string and header fields; :meth:`body` waits for the whole body."""

    __slots__ = ("_conn", "_expect", "body_size", "chunks", "complete", "headers", "keep_alive", "method", "path",
                 "query_string", "target", "too_large", "version")  # fmt: skip

    def __init__(self, conn: _Connection, method: str, target: str, headers: list[tuple[bytes, bytes]],
                 version: str, keep_alive: bool) -> None:  # fmt: skip
        self._conn = conn
        self.method = method
        self.target = target
        self.path, _, self.query_string = target.partition("?")
        self.headers = headers  # names in lower case
        self.version = version
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []
        self.body_size = 0
        self.too_large = False
        self.complete = False  # the whole body has arrived
        self._expect = self.header(b"expect") == "100-continue"

    def header(self, name: bytes) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("latin-1")
        return None

    @property
    def origin(self) -> str:
        """``http://host:port`` as the client addressed us (the Host header, else our socket's address)."""
        return f"http://{self.header(b'host') or self._conn.local_address}"

    async def body(self, limit: int) -> bytes:
        """The whole body, at most ``limit`` bytes (413 past it)."""
        if self._expect:
            self._expect = False
            if not self.complete:
                self._conn.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await self._conn.wait_for_body(self)
        if self.too_large or self.body_size > limit:
            raise refuse(
                "query_too_large",
                f"the request body is larger than {min(limit, self._conn.server.max_body_bytes)} bytes",
                "shorten the query, or ask the operator to raise --max-query-bytes",
            )
        return b"".join(self.chunks)


Handler = Callable[[Request], Awaitable[Response]]


class HttpServer:
    """Serves ``handler`` on a listening socket; :meth:`close` stops accepting and ends every connection."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_connections: int,
        max_request_line: int,
        max_header_bytes: int,
        max_body_bytes: int,
        header_timeout_s: float,
        send_timeout_s: float,
        max_buffer_bytes: int,
        access_log: bool = False,
    ) -> None:
        self.handler = handler
        self.max_connections = max_connections
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self.header_timeout_s = header_timeout_s
        self.send_timeout_s = send_timeout_s
        self.budget = Budget(max_buffer_bytes)
        self.access_log = access_log
        self.connections: set[_Connection] = set()
        self.refused_connections = 0
        self.dropped_readers = 0
        self._server: asyncio.AbstractServer | None = None
        self._date = (0, b"")

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock, backlog=1024)

    def date(self) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, formatdate(now, usegmt=True).encode("ascii"))
        return self._date[1]

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop accepting; let requests being answered finish for ``grace_s``, then close every connection."""
        if self._server is not None:
            self._server.close()
        deadline = time.monotonic() + grace_s
        for conn in list(self.connections):
            conn.closing = True
            if conn.idle:
                conn.close()
        while any(not c.idle for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            conn.close()


_REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}


class _Limit(Exception):
    """A limit of the request's head or body was passed (raised in a parser callback)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class _Connection(asyncio.Protocol):
    """One client connection: the parser's callbacks queue requests, a task answers them in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.local_address = ""
        self.client = "-"
        self.idle = True  # no request being answered
        self.closing = False  # answer the current request, then close
        self.deadline = 0.0  # loop time by which the next request must have arrived, body included
        self._queue: deque[Request] = deque()  # heads that have arrived, in order
        self._parsing: Request | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._began = False  # bytes of a request not yet answered have arrived
        self._arrived = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._lost = False
        self._reading = True
        self._charged = 0  # bytes of the budget this connection holds (written, not yet taken by the kernel)
        self._failed: Refusal | None = None  # a bad request after the one being answered: refused after it
        self._responding = False  # a response's head has been written, its body not finished
        self._task: asyncio.Task[None] | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sockname = transport.get_extra_info("sockname")
        peer = transport.get_extra_info("peername")
        self.local_address = f"{sockname[0]}:{sockname[1]}" if sockname else ""
        self.client = f"{peer[0]}:{peer[1]}" if peer else "-"
        if len(self.server.connections) >= self.server.max_connections:
            self.server.refused_connections += 1
            self._refuse_and_close(
                refuse(
                    "too_many_connections",
                    f"the endpoint has its limit of {self.server.max_connections} open connections",
                    "retry in a moment, reuse one connection for many queries (keep-alive), or ask the operator "
                    "to raise --max-connections",
                    headers={"Retry-After": "1"},
                )
            )
            return
        self.server.connections.add(self)
        self.transport.set_write_buffer_limits(high=CHUNK)  # type: ignore[union-attr]
        self._task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        if self.closing and self.idle:
            return
        self._began = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            limit = exc.__context__
            self._fail(limit.refusal if isinstance(limit, _Limit) else _bad_request(str(exc)))
            return
        except httptools.HttpParserUpgrade:
            self._fail(_bad_request("protocol upgrades are not served"))
            return
        except httptools.HttpParserError as exc:
            self._fail(_bad_request(str(exc)))
            return
        if len(self._queue) > 1 and self._reading:  # pipelined requests wait: read no more until they are answered
            self._reading = False
            self.transport.pause_reading()  # type: ignore[union-attr]

    def _fail(self, refusal: Refusal) -> None:
        """The bytes received are not a request we serve: refuse now, or once the current answer is written."""
        self._reading = False
        self.transport.pause_reading()  # type: ignore[union-attr]
        if self.idle:
            self._refuse_and_close(refusal)
        else:
            self._failed = refusal
            self.closing = True

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._arrived.set()
        self._writable.set()
        self.server.connections.discard(self)
        self._settle(all_of_it=True)
        if self._task is not None:
            self._task.cancel()  # a query being answered is abandoned: its slot and engine connection are freed

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()
        self._settle()

    # -- the parser's callbacks --------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self.server.max_request_line:
            raise _Limit(
                refuse(
                    "uri_too_long",
                    f"the request line is longer than {self.server.max_request_line} bytes",
                    "send a long query with POST (application/sparql-query or a form) instead of GET",
                )
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if self._head_size > self.server.max_header_bytes:
            raise _Limit(
                refuse(
                    "header_too_large",
                    f"the request's header fields are larger than {self.server.max_header_bytes} bytes",
                    "send fewer or shorter header fields (cookies?), or ask the operator to raise --max-header-bytes",
                )
            )
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        request = Request(self, parser.get_method().decode("ascii"), self._url.decode("latin-1"), self._headers,
                          parser.get_http_version(), parser.should_keep_alive())  # fmt: skip
        length = request.header(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.server.max_body_bytes:
            request.too_large = True  # refused at once, whatever follows
        self._parsing = request
        self._queue.append(request)
        self._arrived.set()

    def on_body(self, body: bytes) -> None:
        request = self._parsing
        assert request is not None
        request.body_size += len(body)
        if request.body_size > self.server.max_body_bytes:
            request.too_large = True
            request.chunks.clear()
        elif not request.too_large:
            request.chunks.append(body)

    def on_message_complete(self) -> None:
        assert self._parsing is not None
        self._parsing.complete = True
        self._parsing = None
        self._arrived.set()

    # -- the request loop --------------------------------------------------------------------------------------
    async def _wait(self, ready: Callable[[], bool]) -> bool:
        """Wait until ``ready()`` or the deadline; False when the deadline passed or the client went away."""
        while not ready():
            if self._lost:
                return False
            if not self._reading:
                self._reading = True
                self.transport.resume_reading()  # type: ignore[union-attr]
            self._arrived.clear()
            try:
                async with asyncio.timeout_at(self.deadline):
                    await self._arrived.wait()
            except TimeoutError:
                return False
        return True

    async def wait_for_body(self, request: Request) -> None:
        if not await self._wait(lambda: request.complete or request.too_large):
            if self._lost:
                raise ClientGone()
            self.closing = True
            raise _request_timeout(self.server.header_timeout_s)

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self.closing:
                self.deadline = loop.time() + self.server.header_timeout_s
                if not await self._wait(lambda: bool(self._queue)):
                    if self._began and not self._lost:  # a request had begun: say why it is refused
                        self._refuse_and_close(_request_timeout(self.server.header_timeout_s))
                    return
                request = self._queue.popleft()
                self.idle = False
                response = await self.server.handler(request)
                if not request.keep_alive or request.too_large:
                    self.closing = True
                await self._send(request, response)
                if self._failed is not None:
                    self.idle = True
                    self._refuse_and_close(self._failed)
                    return
                if self.closing:
                    return
                if not request.complete and not await self._wait(lambda r=request: r.complete):  # type: ignore[misc]
                    return  # a body still arriving past the deadline: close rather than read it
                self._began = bool(self._queue) or self._parsing is not None
                self.idle = True
        except AnswerCut:
            self.abort()  # the client sees an incomplete chunked body, never a short answer that looks whole
        except (ClientGone, ConnectionError, asyncio.CancelledError):
            pass
        except Exception:  # noqa: BLE001 - a bug of ours: logged; the client gets a 500 when nothing was sent
            log.exception("internal error while serving %s", self.client)
            if self._responding:
                self.abort()
            else:
                self.idle = True
                self._refuse_and_close(_internal_error())
        finally:
            self.idle = True
            self.close()

    # -- writing -----------------------------------------------------------------------------------------------
    def _head(self, status: int, headers: list[tuple[str, str]], framing: bytes) -> bytes:
        parts = [b"HTTP/1.1 %d %s\r\ndate: %s\r\n" % (status, _REASONS.get(status, b""), self.server.date())]
        for name, value in headers:
            parts.append(f"{name}: {value}\r\n".encode("latin-1"))
        parts.append(framing)
        if self.closing:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        return b"".join(parts)

    async def _send(self, request: Request, response: Response) -> None:
        head_only = request.method == "HEAD"
        body = response.body
        if request.method != "HEAD" and request.version == "1.0" and not isinstance(body, bytes):
            self.closing = True  # no chunked encoding for HTTP/1.0: the end of the connection ends the body
        self._log(request, response.status)
        self._responding = True
        try:
            await self._write_body(request, response, head_only)
        finally:
            self._responding = False

    async def _write_body(self, request: Request, response: Response, head_only: bool) -> None:
        body = response.body
        if isinstance(body, bytes):
            head = self._head(response.status, response.headers, b"content-length: %d\r\n" % len(body))
            if head_only or not body:
                await self._emit(head)
            elif len(body) <= CHUNK:
                await self._emit(head + body)
            else:
                await self._emit(head)
                for start in range(0, len(body), CHUNK):
                    await self._emit(body[start : start + CHUNK])
            return
        chunked = request.version != "1.0"
        try:
            await self._emit(self._head(response.status, response.headers,
                                        b"transfer-encoding: chunked\r\n" if chunked else b""))  # fmt: skip
            if not head_only:
                async for chunk in body:
                    if chunk:
                        await self._emit(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                if chunked:
                    await self._emit(b"0\r\n\r\n")
        finally:
            await body.aclose()  # type: ignore[attr-defined]

    async def _emit(self, data: bytes) -> None:
        """Write ``data`` once the client has taken what was written before (``send_timeout_s`` at most) and the
        budget has room for it."""
        budget = self.server.budget
        if not self._writable.is_set() or not budget.take(len(data)):
            try:
                async with asyncio.timeout(self.server.send_timeout_s):
                    await self._writable.wait()
                    await budget.acquire(len(data))
            except TimeoutError:
                self.server.dropped_readers += 1
                log.warning("dropped %s: it took nothing for %g s", self.client, self.server.send_timeout_s)
                self.abort()
                raise ClientGone() from None
        self._charged += len(data)
        if self._lost:
            self._settle(all_of_it=True)
            raise ClientGone()
        self.transport.write(data)  # type: ignore[union-attr]
        self._settle()

    def _settle(self, *, all_of_it: bool = False) -> None:
        """Give back the budget for what the kernel has taken from the transport (everything, once it is closed)."""
        if not self._charged:
            return
        pending = 0 if all_of_it or self.transport is None else self.transport.get_write_buffer_size()
        if pending < self._charged:
            self.server.budget.release(self._charged - pending)
            self._charged = pending

    def write(self, data: bytes) -> None:
        if not self._lost and self.transport is not None:
            self.transport.write(data)

    def _refuse_and_close(self, refusal: Refusal) -> None:
        """Answer with ``refusal`` and close the connection (only when no answer is being written)."""
        self.closing = True
        body = refusal.payload()
        headers = [("content-type", "application/json"), *refusal.headers.items()]
        self.write(self._head(refusal.status, headers, b"content-length: %d\r\n" % len(body)) + body)
        self.close()

    def _log(self, request: Request, status: int) -> None:
        if self.server.access_log:
            access_log.info('%s - "%s %s HTTP/%s" %d', self.client, request.method, request.target, request.version,
                            status)  # fmt: skip

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _request_timeout(seconds: float) -> Refusal:
    return refuse(
        "request_timeout",
        f"the request did not arrive within {seconds:g} s",
        "send the request line, headers and body at once",
    )


def _bad_request(why: str) -> Refusal:
    return refuse("bad_request", f"not a valid HTTP/1.1 request ({why})", "send an HTTP/1.1 request")


def _internal_error() -> Refusal:
    return refuse("internal_error", "internal error", "retry; if it persists, tell the operator")
