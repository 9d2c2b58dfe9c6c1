"""The gateway's client for its Oxigraph hop (``kg/serve/connection.py``), against scripted loopback servers: every
framing it must read, keep-alive reuse, a stale kept-alive connection, and answers cut short or malformed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from kg.serve.connection import UpstreamError, UpstreamPool

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def _with_server(script: Script, body: Callable[[UpstreamPool, list[int]], Awaitable[None]]) -> list[int]:
    """Run ``body`` with a pool on a server that answers each connection with ``script``; returns connection ids."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        try:
            await script(reader, writer, connections[-1])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = UpstreamPool("127.0.0.1", port)
    try:
        await body(pool, connections)
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()
    return connections


def run(coroutine: Awaitable[list[int]]) -> list[int]:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_a_body_delimited_by_the_end_of_the_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart one, ")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"part two")

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        assert await pool.get("/") == (200, b"part one, part two")
        assert await pool.get("/") == (200, b"part one, part two")  # not reused: a new connection

    assert run(_with_server(script, body)) == [0, 1]


def test_a_stale_kept_alive_connection_is_replaced() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()  # then the server closes the connection it said it would keep

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        assert await pool.get("/") == (200, b"ok")
        await asyncio.sleep(0.05)
        assert await pool.get("/") == (200, b"ok")

    assert run(_with_server(script, body)) == [0, 1]


# -- the query path: UpstreamPool.exchange ------------------------------------------------------------------------
def _post(pool: UpstreamPool, body: bytes = b"q", max_lines: int | None = None, max_bytes: int = 1 << 20):  # type: ignore[no-untyped-def]
    head = pool.head("POST", "/query", "application/sparql-query", "text/tab-separated-values")
    return pool.exchange(head, body, max_lines, max_bytes)


def test_exchange_reads_every_framing_on_one_kept_alive_connection() -> None:
    seen: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        seen.append(await _read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\na\nb\nc\n")
        seen.append(await _read_request(reader))
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\na\n\r\n4;x=1\r\nb\nc\n\r\n0\r\nX-T: 1\r\n\r\n"
        )
        seen.append(await _read_request(reader))
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nnope")
        await writer.drain()
        await reader.read()

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        first = await _post(pool, b"SELECT 1", max_lines=10)
        assert (first.status, first.body(), first.newlines, first.over) == (200, b"a\nb\nc\n", 3, None)
        second = await _post(pool, max_lines=10)
        assert (second.status, second.body(), second.newlines) == (200, b"a\nb\nc\n", 3)
        third = await _post(pool)
        assert (third.status, third.body()) == (400, b"nope")

    assert run(_with_server(script, body)) == [0], "one connection for the three exchanges"
    assert seen[0].startswith(b"POST /query HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nContent-Type: application/sparql-query\r\nAccept: text/tab-separated-values\r\n" in seen[0]
    assert seen[0].endswith(b"\r\nContent-Length: 8\r\n\r\nSELECT 1")


def test_exchange_past_a_limit_stops_and_closes_the_connection() -> None:
    closed: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            while True:  # an endless result: only closing the connection stops it
                writer.write(b"6\r\nrow..\n\r\n")
                await writer.drain()
                await asyncio.sleep(0.001)
        except ConnectionError:
            closed.append("closed by the gateway")
            raise

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        lines = await _post(pool, max_lines=5)
        assert lines.over == "lines" and lines.newlines == 6
        assert not pool._idle, "a connection whose response was not read to the end is not reused"
        size = await _post(pool, max_bytes=100)
        assert size.over == "bytes" and 100 < size.size <= 200
        for _ in range(100):
            if len(closed) == 2:
                break
            await asyncio.sleep(0.01)

    assert run(_with_server(script, body)) == [0, 1]
    assert closed == ["closed by the gateway"] * 2


def test_exchange_replaces_a_stale_kept_alive_connection_and_honours_close() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        if n == 0:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            await _read_request(reader)  # then it closes the kept-alive connection without answering
        elif n == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain")
            await writer.drain()
            await reader.read()
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        assert (await _post(pool)).body() == b"ok"
        assert (await _post(pool)).body() == b"again", "sent again on a new connection"
        pool._idle.pop().close()
        assert (await _post(pool)).body() == b"until the end"  # a body delimited by the end of the connection
        assert not pool._idle

    assert run(_with_server(script, body)) == [0, 1, 2]


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc",
        b"SPARQL says hello\r\n\r\n",
        b"",
    ],
)
def test_exchange_cut_or_malformed_answers_are_errors(answer: bytes) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        with pytest.raises(UpstreamError):
            await _post(pool)
        assert not pool._idle

    run(_with_server(script, body))


def test_exchange_cancelled_by_a_timeout_closes_its_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        await reader.read()  # never answers; returns when the gateway closes

    async def body(pool: UpstreamPool, connections: list[int]) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await _post(pool)
        assert not pool._idle

    assert run(_with_server(script, body)) == [0]
