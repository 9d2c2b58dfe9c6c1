"""The query engine: ``oxigraph serve-read-only`` processes on a snapshot, each under a memory limit, and the
gateway's keep-alive HTTP/1.1 connections to them (httptools' response parser, as :mod:`kg.serve.http` uses its
request parser: h11 cost too much on this hop, see there).

The binary comes from the PyPI package ``oxigraph`` (same version as pyoxigraph, so it reads the same store format).
It runs with ``--union-default-graph`` and without ``--timeout-s``: in 0.5.13 that option starts one thread per
query which sleeps for the whole timeout even when the query is long done, so under load the threads pile up until
Oxigraph aborts with "failed to allocate an alternative stack". The gateway enforces the time limit instead.

Memory: each process gets ``RLIMIT_DATA`` (its private writable memory: heap and anonymous maps; unlike the
address-space limit it does not count the thread stacks and allocator arenas that are reserved but unused, which
took an idle Oxigraph from 0.4 to 1.1 GB of address space under 50 concurrent requests while its data stayed at
90 MB). At the limit Oxigraph's allocator fails, Rust aborts ("memory allocation of N bytes failed", SIGABRT),
and the gateway reads that in the process's log: see :class:`kg.isolated.Death`. Oxigraph's release build aborts on any panic
(``panic = "abort"``), so a panic is a dead process too, with "panicked at" in its log.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import httptools
import httpx
import pyoxigraph

from kg.isolated import Death, classify_death
from kg.serve.allocator import Allocator
from kg.serve.errors import ServeError

log = logging.getLogger(__name__)

MIN_ENGINE_BYTES = 256 * 2**20  # below this an idle Oxigraph on a large store may not even start
_READ_PAUSE = 256 * 1024  # bytes an engine connection buffers before the gateway stops reading it
_LIBC = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform == "linux" else None


def find_oxigraph() -> Path:
    """The ``oxigraph`` binary: beside the running Python (a virtualenv's bin), else on PATH; its version checked."""
    candidates = [Path(sys.executable).parent / "oxigraph"]
    found = shutil.which("oxigraph")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            _check_version(candidate)
            return candidate
    raise ServeError(
        "the oxigraph server binary is not installed",
        hint=f"pip install oxigraph=={pyoxigraph.__version__} (the same version as pyoxigraph)",
    )


def _check_version(binary: Path) -> None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServeError(f"{binary}: does not run ({exc})", hint="reinstall the oxigraph package") from exc
    match = re.search(r"(\d+)\.(\d+)\.\d+", out)
    wanted = pyoxigraph.__version__.split(".")[:2]
    if not match or list(match.groups()) != wanted:
        raise ServeError(
            f"{binary}: version {out.strip() or '?'} does not match pyoxigraph {pyoxigraph.__version__}",
            hint=f"pip install oxigraph=={pyoxigraph.__version__}: the server must read what pyoxigraph wrote",
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _limit_child(memory_bytes: int) -> None:  # pragma: no cover - runs in the child between fork and exec
    """The child's memory limit, and (Linux) SIGTERM when the gateway dies, even by SIGKILL (no orphans)."""
    resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EngineLost(ConnectionError):
    """The connection to the engine failed: it closed, or sent something that is not HTTP/1.1."""


class Engine:
    """One ``oxigraph serve-read-only`` process on a store directory that nothing writes, and connections to it."""

    def __init__(
        self,
        binary: Path,
        location: Path,
        log_path: Path,
        memory_bytes: int,
        max_idle: int = 16,
        allocator: Allocator | None = None,
    ) -> None:
        self.binary = binary
        self.allocator = allocator or Allocator("system")
        self.allocator_name = self.allocator.name  # what the running process was seen to have loaded
        self.location = location
        self.log_path = log_path
        self.memory_bytes = memory_bytes
        self.max_idle = max_idle
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.in_flight = 0  # queries using it (kept by the live store)
        self.probation = False  # the live store's probation engine: one query at a time
        self.in_flight_at_death = 0
        # a query left computing past its time limit (its client answered 504, the engine being replaced): it
        # counts for none of in_flight, so a death of this engine can no longer be blamed on the query alone on it
        self.abandoned = False
        self.acquired = 0  # queries given this engine so far (a query's number tells whether it ran at its death)
        self.acquired_at_death = 0
        self.death: asyncio.Future[Death] | None = None  # resolved when the process ends (see :meth:`watch`)
        self._idle: list[_EngineConnection] = []
        self._heads: dict[tuple[str, str, tuple[tuple[str, str], ...]], bytes] = {}
        self._pidfd: int | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def died_alone(self) -> bool:
        """Whether at most one query was on this engine when it died, and none was left computing past its time
        limit: then that query is the one to blame for the death."""
        return self.in_flight_at_death <= 1 and not self.abandoned

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- the process -------------------------------------------------------------------------------------------
    def start(self, ready_within_s: float = 30.0) -> None:
        """Start the process and wait until it answers (blocking)."""
        for _attempt in range(3):  # a free port may be taken between our probe and oxigraph's bind: try another
            self.port = free_port()
            args = [
                str(self.binary), "serve-read-only", "--location", str(self.location),
                "--bind", f"127.0.0.1:{self.port}", "--union-default-graph",
            ]  # fmt: skip
            with open(self.log_path, "ab") as logfile:
                self.process = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=logfile,
                    stderr=logfile,
                    env={**os.environ, "RUST_BACKTRACE": "0", **self.allocator.env},
                    preexec_fn=lambda: _limit_child(self.memory_bytes),  # noqa: PLW1509
                )
            if self._wait_ready(ready_within_s):
                if self.allocator.loaded_in(self.process.pid) is False:
                    log.warning("%s was not loaded into the engine: it uses the C library's malloc", self.allocator.library)
                    self.allocator_name = "system"
                log.info("oxigraph serving %s on %s (pid %s)", self.location, self.url, self.process.pid)
                return
            if "in use" not in self.log_tail().lower():
                break
        self.stop()
        raise ServeError(
            f"oxigraph did not start on {self.location}: {self.log_tail() or 'no message'}",
            hint="check that the snapshot is an Oxigraph store, that loopback ports are free, and that "
            f"--max-engine-mb ({self.memory_bytes // 2**20}) leaves it room to open the store",
        )

    def _wait_ready(self, within_s: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/", timeout=1.0).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.03)
        return False

    def log_tail(self, size: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - size))
                return handle.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def watch(self) -> asyncio.Future[Death]:
        """A future resolved with the :class:`Death` of the process, whenever it ends (from the running loop)."""
        loop = asyncio.get_running_loop()
        self.death = loop.create_future()
        process = self.process
        assert process is not None

        def ended() -> None:
            if self._pidfd is not None:
                loop.remove_reader(self._pidfd)
                os.close(self._pidfd)
                self._pidfd = None
            returncode = process.wait()
            self.in_flight_at_death = self.in_flight
            self.acquired_at_death = self.acquired
            if self.death is not None and not self.death.done():
                self.death.set_result(classify_death(returncode, self.log_tail()))
            self._drop_idle()

        try:
            self._pidfd = os.pidfd_open(process.pid)
            loop.add_reader(self._pidfd, ended)
        except (AttributeError, OSError):  # no pidfd (not Linux, or an old kernel): look twice a second
            async def poll() -> None:
                while process.poll() is None:
                    await asyncio.sleep(0.5)
                ended()

            loop.create_task(poll())
        return self.death

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """End the process at once (SIGKILL): what it was computing is abandoned."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()

    def stop(self) -> None:
        """End the process (SIGTERM, then SIGKILL after 5 s) and wait for it (blocking)."""
        self._drop_idle()
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def _drop_idle(self) -> None:
        while self._idle:
            self._idle.pop().close()

    # -- requests ----------------------------------------------------------------------------------------------
    async def request(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> EngineAnswer:
        """Send one request; returns once the answer's status line and headers have arrived."""
        head = self._heads.get((method, target, tuple(headers)))
        if head is None:
            lines = [f"{method} {target} HTTP/1.1", f"host: 127.0.0.1:{self.port}", *(f"{k}: {v}" for k, v in headers)]
            head = self._heads[(method, target, tuple(headers))] = ("\r\n".join(lines) + "\r\ncontent-length: ").encode()
        data = head + b"%d\r\n\r\n" % len(body) + body
        conn = self._idle.pop() if self._idle else None
        while True:
            reused = conn is not None and not conn.lost
            if not reused:
                conn = await self._connect()
            assert conn is not None
            conn.start(data)
            try:
                await conn.head_arrived()
            except EngineLost:
                conn.close()
                if reused:  # a kept-alive connection the engine had closed meanwhile: once more on a new one
                    conn = None
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            return EngineAnswer(self, conn, conn.status)

    async def _connect(self) -> _EngineConnection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_EngineConnection, "127.0.0.1", self.port)
        except OSError as exc:
            raise EngineLost(f"cannot connect to the engine on port {self.port} ({exc.strerror or exc})") from exc
        return conn

    def _give_back(self, conn: _EngineConnection) -> None:
        ended = self.death is not None and self.death.done()
        if conn.keep_alive and not conn.lost and len(self._idle) < self.max_idle and not ended:
            self._idle.append(conn)
        else:
            conn.close()

    async def get(self, target: str, max_bytes: int = 1 << 26) -> tuple[int, bytes]:
        """A whole small answer (the query page's assets)."""
        answer = await self.request("GET", target, [], b"")
        chunks, size = [], 0
        while (chunk := await answer.read()) is not None:
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                answer.abandon()
                raise EngineLost(f"the engine's {target} is larger than {max_bytes} bytes")
        return answer.status, b"".join(chunks)


class EngineAnswer:
    """An answer whose head has arrived: :meth:`read` gives its bytes as they come, :meth:`abandon` stops it."""

    __slots__ = ("_conn", "engine", "status")

    def __init__(self, engine: Engine, conn: _EngineConnection, status: int) -> None:
        self.engine = engine
        self.status = status
        self._conn: _EngineConnection | None = conn

    async def read(self) -> bytes | None:
        """The next bytes of the body; None at its end (the connection then goes back to the pool)."""
        conn = self._conn
        if conn is None:
            return None
        try:
            chunk = await conn.next_chunk()
        except BaseException:
            self.abandon()
            raise
        if chunk is None:
            self._conn = None
            self.engine._give_back(conn)
        return chunk

    def abandon(self) -> None:
        """Close the connection unless the answer was read to its end (Oxigraph stops producing the rest)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _EngineConnection(asyncio.Protocol):
    """One keep-alive connection to an engine; httptools' response parser reads what it sends (the body's framing
    too), and the gateway stops reading when the answer's reader lags."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.status = 0
        self.keep_alive = True
        self.error: EngineLost | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._framed = False  # the answer has Content-Length or chunked framing (else the end of the connection)
        self._arrived = asyncio.Event()
        self._reading = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"the engine sent a malformed answer ({exc})")
            return
        if self._reading and self._buffered > _READ_PAUSE:
            self._reading = False
            self.transport.pause_reading()  # type: ignore[union-attr]
        self._arrived.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if exc is None and self.status and not self._framed and not self._complete:
            self._complete, self.keep_alive = True, False  # a body delimited by the (orderly) end of the connection
        elif not self._complete:
            self._fail(f"the engine closed the connection{f' ({exc})' if exc else ''}")
        self._arrived.set()

    # httptools' callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)

    def on_message_complete(self) -> None:
        self._complete = True

    # the gateway's side
    def start(self, data: bytes) -> None:
        """Send a request (the previous answer on this connection was read to its end)."""
        self.status = 0
        self._complete = self._framed = False
        assert self.transport is not None
        self.transport.write(data)

    async def head_arrived(self) -> None:
        while not self.status:
            await self._wait()

    async def next_chunk(self) -> bytes | None:
        while not self._chunks:
            if self._complete:
                return None
            await self._wait()
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if not self._reading and self._buffered <= _READ_PAUSE // 2:
            self._reading = True
            self.transport.resume_reading()  # type: ignore[union-attr]
        return chunk

    async def _wait(self) -> None:
        if self.error is not None:
            raise self.error
        self._arrived.clear()
        await self._arrived.wait()
        if self.error is not None and not self._chunks:
            raise self.error

    def _fail(self, why: str) -> None:
        self.error = EngineLost(why)
        self.close()

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()
