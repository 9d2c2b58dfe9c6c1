"""The gateway's HTTP/1.1 client for the one hop it makes: to its own Oxigraph, on loopback, with keep-alive.

httpx costs about 1.0 ms of CPU per request on this hop, a plain asyncio exchange 0.08 ms (measured; see
docs/decisions/0002-endpoint.md): on a query that Oxigraph answers in a millisecond the client was most of the
gateway's cost. This client speaks only what Oxigraph sends: a status line, headers, and a body framed by
``Content-Length`` or ``Transfer-Encoding: chunked``. A connection goes back to the pool only when its response was
read to the end; a response abandoned midway (row limit, timeout) closes its connection, which makes Oxigraph stop
producing it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

_READ = 64 * 1024


class UpstreamError(ConnectionError):
    """The upstream server closed the connection or sent something that is not HTTP/1.1."""


class UpstreamResponse:
    def __init__(self, status: int, headers: dict[str, str], reader: asyncio.StreamReader) -> None:
        self.status = status
        self.headers = headers
        self._reader = reader
        self.complete = False
        self.keep_alive = headers.get("connection", "").lower() != "close"

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body, decoded from its framing, as it arrives."""
        try:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size_line = await self._reader.readline()
                    size = int(size_line.split(b";")[0].strip() or b"x", 16)
                    if size == 0:
                        while (await self._reader.readline()) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        break
                    yield await self._reader.readexactly(size)
                    await self._reader.readexactly(2)
            elif "content-length" in self.headers:
                left = int(self.headers["content-length"])
                while left:
                    chunk = await self._reader.read(min(left, _READ))
                    if not chunk:
                        raise UpstreamError("the upstream closed the connection mid-body")
                    left -= len(chunk)
                    yield chunk
            else:  # delimited by the end of the connection
                self.keep_alive = False
                while chunk := await self._reader.read(_READ):
                    yield chunk
        except (asyncio.IncompleteReadError, ValueError) as exc:
            raise UpstreamError(f"malformed upstream body ({exc})") from exc
        self.complete = True

    async def read(self, limit: int = 1 << 26) -> bytes:
        body = b""
        async for chunk in self.iter_chunks():
            body += chunk
            if len(body) > limit:
                break
        return body


class UpstreamPool:
    """Keep-alive connections to one ``host:port``."""

    def __init__(self, host: str, port: int, max_idle: int = 16) -> None:
        self.host = host
        self.port = port
        self.max_idle = max_idle
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {self.host}:{self.port} ({exc.strerror or exc})") from exc

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], head: bytes, body: bytes
    ) -> UpstreamResponse:
        reader, writer = conn
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise UpstreamError(f"not an HTTP response: {status_line[:80]!r}")
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise UpstreamError("the upstream closed the connection in the headers")
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return UpstreamResponse(int(parts[1]), headers, reader)

    @contextlib.asynccontextmanager
    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> AsyncIterator[UpstreamResponse]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        conn = self._idle.pop() if self._idle else None
        response = None
        if conn is not None:  # a kept-alive connection may have been closed by the server meanwhile: retry once
            try:
                response = await self._exchange(conn, head, body)
            except (OSError, asyncio.IncompleteReadError, UpstreamError):
                conn[1].close()
                conn = None
        if conn is None:
            conn = await self._connect()
            try:
                response = await self._exchange(conn, head, body)
            except (OSError, asyncio.IncompleteReadError) as exc:
                conn[1].close()
                raise UpstreamError(f"the upstream dropped the request ({exc})") from exc
            except BaseException:
                conn[1].close()
                raise
        assert response is not None
        try:
            yield response
        finally:
            if response.complete and response.keep_alive and len(self._idle) < self.max_idle:
                self._idle.append(conn)
            else:
                conn[1].close()

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.request("GET", path) as response:
            return response.status, await response.read()

    async def aclose(self) -> None:
        while self._idle:
            _, writer = self._idle.pop()
            writer.close()
