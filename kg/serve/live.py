"""Serving while ingesting: the endpoint answers from a snapshot and moves to a new one when an ingest completes.

The store itself is never held open: a snapshot is taken (:func:`kg.snapshots.make_snapshot`, a moment's
read-write open) and ``oxigraph serve-read-only`` runs on the snapshot. Every ``poll_interval_s`` the gateway reads
``kg-generation.json``; when the generation changed it takes a new snapshot (if an ingest holds the store, it keeps
the old one and tries again at the next poll), starts a second Oxigraph on it, switches new queries over in one
assignment, lets the queries still running on the old one finish, then stops it and deletes its snapshot.

The same switch recycles an Oxigraph that was left computing a query past the time limit: Oxigraph cannot be told
to cancel one query (its own ``--timeout-s`` leaks a thread per query, see :mod:`kg.serve.upstream`), so a fresh
process is started on the same snapshot, new queries go there, and the old one is stopped once the other queries
it was answering are done (at most the time limit later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.serve.connection import UpstreamPool
from kg.serve.errors import ServeError, refuse
from kg.serve.settings import ServeSettings
from kg.serve.upstream import OxigraphServer, find_oxigraph
from kg.snapshots import Snapshot, StoreBusyError, make_snapshot, read_generation
from kg.void import VoidStats, compute_void_stats

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Upstream:
    """One snapshot and the Oxigraph serving it."""

    snapshot: Snapshot
    server: OxigraphServer
    max_connections: int
    in_flight: int = 0
    _client: UpstreamPool | None = None
    _void: VoidStats | None = None
    _void_lock: asyncio.Lock | None = field(default=None, repr=False)

    @property
    def generation(self) -> int:
        return self.snapshot.generation or 0

    @property
    def client(self) -> UpstreamPool:
        """Keep-alive connections to this Oxigraph, made on first use inside the event loop that uses them."""
        if self._client is None:
            self._client = UpstreamPool("127.0.0.1", self.server.port, max_idle=self.max_connections)
        return self._client

    async def void_stats(self) -> VoidStats:
        """Computed from the snapshot once, on first request (a read-only open beside Oxigraph's)."""
        if self._void_lock is None:
            self._void_lock = asyncio.Lock()
        async with self._void_lock:
            if self._void is None:
                self._void = await asyncio.to_thread(_stats_of, self.snapshot.data)
        return self._void

    async def close(self, *, delete_snapshot: bool = True) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await asyncio.to_thread(self.server.stop)
        if delete_snapshot:
            await asyncio.to_thread(shutil.rmtree, self.snapshot.path, True)


def _stats_of(location: Path) -> VoidStats:
    store = ox.Store.read_only(str(location))
    try:
        return compute_void_stats(store)
    finally:
        del store


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LiveStore:
    """The current :class:`Upstream` of a store, replaced when the store's generation changes."""

    def __init__(self, store_dir: Path, settings: ServeSettings) -> None:
        self.store_dir = Path(store_dir)
        if not (self.store_dir / "CURRENT").exists():
            raise StoreError(
                f"{self.store_dir}: no store here",
                hint="create one with `kg ingest REPORTS --store DIR`, or point --store at an existing store",
            )
        self.settings = settings
        self.root = settings.snapshots_dir or self.store_dir.parent / f"{self.store_dir.name}.snapshots"
        self.binary = find_oxigraph()
        self.workdir: Path | None = None
        self._current: Upstream | None = None
        self._retiring: set[Upstream] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._switching: asyncio.Lock | None = None
        self._sequence = 0
        self.recycled = 0  # Oxigraph processes replaced after a timed-out query
        self.last_error: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Take the first snapshot and start Oxigraph on it (waits up to ``startup_wait_s`` for a running ingest)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServeError(
                f"{self.root}: cannot create the snapshots directory ({exc})", hint="give --snapshots DIR"
            ) from exc
        self._prune_stale()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"serve-{os.getpid()}-", dir=self.root))
        deadline = time.monotonic() + self.settings.startup_wait_s
        while True:
            try:
                self._current = self._prepare()
                return
            except StoreBusyError:
                if time.monotonic() >= deadline:
                    self._remove_workdir()
                    raise StoreBusyError(
                        f"{self.store_dir}: an ingest has held the store for {self.settings.startup_wait_s:.0f} s",
                        hint="start `kg serve` when the ingest has finished",
                    ) from None
                log.warning("%s is being written; waiting for the ingest to finish", self.store_dir)
                time.sleep(min(self.settings.poll_interval_s, 1.0))
            except BaseException:
                self._remove_workdir()
                raise

    def _prune_stale(self) -> None:
        """Remove snapshot directories left by servers that died without cleaning up."""
        for path in self.root.glob("serve-*"):
            match = re.match(r"serve-(\d+)-", path.name)
            if match and not _pid_alive(int(match.group(1))):
                shutil.rmtree(path, ignore_errors=True)

    def _remove_workdir(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.root.rmdir()  # only when empty

    def _prepare(self) -> Upstream:
        """Snapshot the store and start an Oxigraph on the snapshot (blocking)."""
        assert self.workdir is not None
        self._sequence += 1
        target = self.workdir / f"snapshot-{self._sequence}"
        snapshot = make_snapshot(self.store_dir, target)
        try:
            upstream = self._start_on(snapshot)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        log.info("serving generation %s from %s", snapshot.generation, target)
        return upstream

    def _start_on(self, snapshot: Snapshot) -> Upstream:
        """A new Oxigraph on ``snapshot`` (blocking)."""
        self._sequence += 1
        server = OxigraphServer(self.binary, snapshot.data, snapshot.path / f"oxigraph-{self._sequence}.log")
        server.start()
        return Upstream(snapshot, server, max_connections=self.settings.max_concurrent + 8)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for up in [*self._retiring, *([self._current] if self._current else [])]:
            await up.close(delete_snapshot=False)  # the whole work directory goes below
        self._retiring.clear()
        self._current = None
        self._remove_workdir()

    def close_sync(self) -> None:
        """Stop everything outside an event loop (after the server has stopped)."""
        for up in [*self._retiring, *([self._current] if self._current else [])]:
            up.server.stop()
        self._retiring.clear()
        self._current = None
        self._remove_workdir()

    # -- requests ----------------------------------------------------------------------------------------------
    @property
    def current(self) -> Upstream:
        if self._current is None:
            raise refuse("unavailable", "the endpoint is starting or stopping", "retry in a few seconds")
        return self._current

    def acquire(self) -> Upstream:
        """The current upstream, kept alive (even if a switch happens) until :meth:`release` is called with it."""
        up = self.current
        up.in_flight += 1
        return up

    def release(self, up: Upstream) -> None:
        up.in_flight -= 1

    @contextlib.asynccontextmanager
    async def use(self):  # type: ignore[no-untyped-def]
        """:meth:`acquire` and :meth:`release` around a block."""
        up = self.acquire()
        try:
            yield up
        finally:
            self.release(up)

    # -- watching the store ------------------------------------------------------------------------------------
    def start_watching(self) -> None:
        self._spawn(self.watch())

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.poll_interval_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep serving the current snapshot, report, retry
                self.last_error = str(exc)
                log.warning("keeping generation %s: %s", self._current and self._current.generation, exc)

    def _lock(self) -> asyncio.Lock:
        if self._switching is None:
            self._switching = asyncio.Lock()
        return self._switching

    async def refresh(self) -> bool:
        """One poll: switch to a new snapshot when the store's generation changed. True when it switched."""
        async with self._lock():
            current = self._current
            if current is None:
                return False
            if not current.server.alive():
                log.error("oxigraph on %s exited; starting another", current.snapshot.data)
                self._switch_to(await asyncio.to_thread(self._start_on, current.snapshot))
                return False
            generation = await asyncio.to_thread(read_generation, self.store_dir)
            if generation == current.snapshot.generation:
                return False
            try:
                fresh = await asyncio.to_thread(self._prepare)
            except StoreBusyError:
                log.info("store %s is being written; keeping generation %s", self.store_dir, current.generation)
                return False
            self._switch_to(fresh)
            self.last_error = None
            log.info("switched from generation %s to %s", current.generation, fresh.generation)
            return True

    def recycle_soon(self, upstream: Upstream) -> None:
        """``upstream`` was left computing a query past the time limit: replace its Oxigraph (in the background)."""
        self._spawn(self.recycle(upstream))

    async def recycle(self, upstream: Upstream) -> None:
        async with self._lock():
            if upstream is not self._current:
                return  # already replaced; its retirement (and so its end) is under way
            fresh = await asyncio.to_thread(self._start_on, upstream.snapshot)
            fresh._void = upstream._void
            self._switch_to(fresh)
            self.recycled += 1
            log.warning("replaced the oxigraph of generation %s after a timed-out query", upstream.generation)

    def _switch_to(self, fresh: Upstream) -> None:
        old = self._current
        self._current = fresh  # from here on, new queries go to the new process
        if old is not None:
            self._retiring.add(old)
            self._spawn(self._retire(old))

    def _spawn(self, coroutine) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retire(self, old: Upstream) -> None:
        """Stop ``old`` once its queries are done (or the time limit has passed); keep a snapshot still in use."""
        deadline = time.monotonic() + self.settings.timeout_s + 1
        while old.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self._retiring.discard(old)
        in_use = {u.snapshot.path for u in [self._current, *self._retiring] if u is not None}
        await old.close(delete_snapshot=old.snapshot.path not in in_use)
