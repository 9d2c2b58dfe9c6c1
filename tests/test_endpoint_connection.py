"""The gateway's connections to its engines (``kg/serve/engine.py``), against scripted loopback servers: every
framing httptools reads for it, keep-alive reuse, a stale kept-alive connection, backpressure, and answers cut
short or malformed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from kg.serve.engine import MIN_ENGINE_BYTES, Engine, EngineAnswer, EngineLost

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def _with_server(script: Script, body: Callable[[Engine, list[int]], Awaitable[None]]) -> list[int]:
    """Run ``body`` with an engine whose port is a server answering each connection with ``script``."""
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
    engine = Engine(Path("oxigraph"), Path("."), Path("oxigraph.log"), MIN_ENGINE_BYTES)
    engine.port = server.sockets[0].getsockname()[1]
    try:
        await body(engine, connections)
    finally:
        engine._drop_idle()
        server.close()
        await server.wait_closed()
    return connections


def run(coroutine: Awaitable[list[int]]) -> list[int]:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


async def _all(answer: EngineAnswer) -> bytes:
    chunks = []
    while (chunk := await answer.read()) is not None:
        chunks.append(chunk)
    return b"".join(chunks)


async def _post(engine: Engine) -> bytes:
    answer = await engine.request("POST", "/query", [("accept", "text/plain")], b"ASK {}")
    return await _all(answer)


def test_every_framing_on_one_kept_alive_connection_and_the_end_of_the_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        if n == 0:
            request = await _read_request(reader)
            assert request.startswith(b"POST /query HTTP/1.1\r\n") and request.endswith(b"\r\n\r\nASK {}")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n")
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart one, ")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"part two")

    async def body(engine: Engine, connections: list[int]) -> None:
        assert await _post(engine) == b"first"
        assert await _post(engine) == b"second"
        assert await _post(engine) == b"part one, part two"  # delimited by the end of the connection
        assert not engine._idle, "a connection the engine closed is not kept"

    assert run(_with_server(script, body)) == [0]


def test_a_stale_kept_alive_connection_is_replaced() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        if n == 0:
            await _read_request(reader)  # then it closes the kept-alive connection without answering

    async def body(engine: Engine, _: list[int]) -> None:
        assert await _post(engine) == b"ok"
        assert await _post(engine) == b"ok", "sent again on a new connection"

    assert run(_with_server(script, body)) == [0, 1]


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
def test_cut_or_malformed_answers_are_errors(answer: bytes) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def body(engine: Engine, _: list[int]) -> None:
        with pytest.raises(EngineLost):
            await _post(engine)
        assert not engine._idle

    run(_with_server(script, body))


def test_a_slow_reader_pauses_the_engine_and_abandoning_closes_the_connection() -> None:
    sent: list[int] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        try:
            for _ in range(1000):  # 64 MB, far more than the kernel's buffers and the gateway's 256 KiB
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                sent.append(len(piece))
        except ConnectionError:
            pass

    async def body(engine: Engine, _: list[int]) -> None:
        answer = await engine.request("POST", "/query", [], b"q")
        assert await answer.read()
        await asyncio.sleep(0.5)  # the gateway reads nothing: the engine must be held back
        assert sum(sent) < 16 * 2**20, "the engine was not paused"
        answer.abandon()
        await asyncio.sleep(0.2)
        assert not engine._idle

    run(_with_server(script, body))
    assert sum(sent) < 16 * 2**20


def test_a_request_cancelled_by_a_timeout_closes_its_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await _read_request(reader)
        await reader.read()  # never answers; returns when the gateway closes

    async def body(engine: Engine, connections: list[int]) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await _post(engine)
        assert not engine._idle

    assert run(_with_server(script, body)) == [0]
