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


def test_content_length_and_chunked_bodies_on_one_kept_alive_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        await _read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-T: 1\r\n\r\n"
        )
        await _read_request(reader)
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        assert await pool.get("/a") == (200, b"hello")
        async with pool.request("POST", "/b", b"query", {"Accept": "text/tab-separated-values"}) as response:
            assert response.status == 200 and response.headers["transfer-encoding"] == "chunked"
            assert await response.read() == b"abcdefg"
        assert await pool.get("/c") == (404, b"")

    assert run(_with_server(script, body)) == [0], "one connection for the three exchanges"


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


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # cut inside a Content-Length body
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",  # no last chunk
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc",  # a chunk size that is not hex
        b"SPARQL says hello\r\n\r\n",  # not HTTP
        b"",  # nothing at all
    ],
)
def test_cut_or_malformed_answers_are_errors(answer: bytes) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        with pytest.raises(UpstreamError):
            async with pool.request("GET", "/") as response:
                while not response.complete:
                    if response.error is not None:
                        raise response.error
                    await response.more()

    run(_with_server(script, body))


def test_an_abandoned_response_closes_its_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # an endless result: only closing the connection stops it
            writer.write(b"6\r\nrow..\n\r\n")
            await writer.drain()
            await asyncio.sleep(0.001)

    async def body(pool: UpstreamPool, _: list[int]) -> None:
        async with pool.request("GET", "/") as response:
            while len(b"".join(response.take())) == 0:
                await response.more()
        assert not pool._idle, "a connection whose response was not read to the end is not reused"

    assert run(_with_server(script, body)) == [0]
