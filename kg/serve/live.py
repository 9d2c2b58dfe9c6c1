"""The engines behind the gateway, on snapshots of the store: started, watched, replaced.

The store itself is never held open: a snapshot is taken (:func:`kg.snapshots.make_snapshot`, a moment's read-write
open) and ``oxigraph serve-read-only`` runs on the snapshot. Every ``poll_interval_s`` the gateway reads
``kg-generation.json``; when the generation changed it takes a new snapshot (if an ingest holds the store, it keeps
the old one and tries again at the next poll), starts an engine on it, switches new queries over in one assignment,
lets the queries still running on the old one finish, then stops it and deletes its snapshot.

The same switch replaces an engine left computing a query past the time limit (Oxigraph cannot cancel one query).
An engine that *dies* is replaced at once; queries arriving meanwhile wait for the new one. When no engine can be
started (three tries), :attr:`fatal` is set and ``on_fatal`` is called: ``kg serve`` then says why and exits 2,
rather than answer 503 forever. The probation engine, started only when needed, runs suspects of a crash one at a
time (see :mod:`kg.serve.execute`).

Every engine process has the memory limit ``--max-engine-mb``. At most the current engine, one being retired
(a generation switch, a timed-out query) and the probation engine run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.isolated import Death, classify_death
from kg.serve.allocator import Allocator
from kg.serve.engine import Engine, find_oxigraph
from kg.serve.errors import ServeError, refuse
from kg.serve.settings import ServeSettings
from kg.snapshots import Snapshot, StoreBusyError, make_snapshot, read_generation
from kg.void import VoidStats, compute_void_stats

log = logging.getLogger(__name__)

_START_TRIES = 3


def void_stats_json(location: str) -> str:
    """The VoID figures of the store at ``location`` as JSON (run in a child process: see LiveStore.void_stats)."""
    store = ox.Store.read_only(location)
    return json.dumps(dataclasses.asdict(compute_void_stats(store)))


def _void_of(data: bytes) -> VoidStats:
    record = json.loads(data)
    for name in ("graphs", "properties", "classes"):
        record[name] = tuple(tuple(pair) for pair in record[name])
    return VoidStats(**record)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LiveStore:
    """The current engine of a store (and the snapshot it serves), replaced when it dies or the store changes."""

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
        self.allocator = Allocator.resolve(settings.engine_allocator)
        self.workdir: Path | None = None
        self.on_fatal: Callable[[ServeError], None] = lambda error: None
        self.fatal: ServeError | None = None
        self.recycled = 0  # engines replaced after a timed-out query
        self.restarts = 0  # engines replaced after they died
        self.deaths: list[Death] = []  # the last few, for /status
        self.last_error: str | None = None
        self._main: Engine | None = None
        self._probation: Engine | None = None
        self._probation_lock: asyncio.Lock | None = None
        self._snapshots: dict[Engine, Snapshot] = {}
        self._retiring: set[Engine] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._switching: asyncio.Lock | None = None
        self._ready: asyncio.Event | None = None  # set while the current engine is up
        self._void: dict[Path, VoidStats] = {}
        self._sequence = 0
        self._closing = False

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Take the first snapshot and start an engine on it (waits up to ``startup_wait_s`` for an ingest)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServeError(
                f"{self.root}: cannot create the snapshots directory ({exc})", hint="give --snapshots DIR"
            ) from exc
        self._prune_stale()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"serve-{os.getpid()}-", dir=self.root))
        deadline = time.monotonic() + self.settings.startup_wait_s
        try:
            while True:
                try:
                    self._main = self._prepare()
                    return
                except StoreBusyError:
                    if time.monotonic() >= deadline:
                        raise StoreBusyError(
                            f"{self.store_dir}: an ingest has held the store for {self.settings.startup_wait_s:.0f} s",
                            hint="start `kg serve` when the ingest has finished",
                        ) from None
                    log.warning("%s is being written; waiting for the ingest to finish", self.store_dir)
                    time.sleep(min(self.settings.poll_interval_s, 1.0))
        except BaseException:
            self.close_sync()
            raise

    def start(self) -> None:
        """From the running loop: watch the engine, and the store for new generations."""
        self._ready = asyncio.Event()
        self._ready.set()
        self._switching = asyncio.Lock()
        self._probation_lock = asyncio.Lock()
        assert self._main is not None
        self._watch(self._main)
        self._spawn(self._poll())

    def _prune_stale(self) -> None:
        """Remove snapshot directories left by servers that died without cleaning up."""
        for path in self.root.glob("serve-*"):
            match = re.match(r"serve-(\d+)-", path.name)
            if match and not _pid_alive(int(match.group(1))):
                shutil.rmtree(path, ignore_errors=True)

    def _prepare(self) -> Engine:
        """Snapshot the store and start an engine on the snapshot (blocking)."""
        assert self.workdir is not None
        self._sequence += 1
        target = self.workdir / f"snapshot-{self._sequence}"
        snapshot = make_snapshot(self.store_dir, target)
        try:
            engine = self._start_on(snapshot)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        log.info("serving generation %s from %s", snapshot.generation, target)
        return engine

    def _start_on(self, snapshot: Snapshot) -> Engine:
        """A new engine on ``snapshot`` (blocking)."""
        self._sequence += 1
        engine = Engine(
            self.binary,
            snapshot.data,
            snapshot.path / f"oxigraph-{self._sequence}.log",
            self.settings.max_engine_bytes,
            max_idle=self.settings.max_concurrent + 8,
            allocator=self.allocator,
        )
        engine.start()
        self._snapshots[engine] = snapshot
        return engine

    async def close(self) -> None:
        """Stop every engine and delete the snapshots (from the loop)."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.to_thread(self.close_sync)

    def close_sync(self) -> None:
        """Stop every engine and delete the snapshots (blocking; also after the loop has ended)."""
        self._closing = True
        for engine in [*self._retiring, self._main, self._probation]:
            if engine is not None:
                engine.stop()
        self._retiring.clear()
        self._main = self._probation = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            with contextlib.suppress(OSError):
                self.root.rmdir()  # only when empty

    # -- what requests use -------------------------------------------------------------------------------------
    @property
    def current(self) -> Engine:
        if self._main is None:
            raise refuse("unavailable", "the endpoint is starting or stopping", "retry in a few seconds")
        return self._main

    def snapshot_of(self, engine: Engine) -> Snapshot:
        return self._snapshots[engine]

    @property
    def snapshot_key(self) -> object:
        """What identifies the data now served (the result cache keeps answers for one at a time)."""
        return self.snapshot_of(self.current).path

    def snapshot_key_of(self, engine: Engine) -> object:
        return self.snapshot_of(engine).path

    def generation_of(self, engine: Engine) -> int:
        return self.snapshot_of(engine).generation or 0

    async def acquire(self, *, probation: bool = False, deadline: float) -> Engine:
        """An engine for one query (the probation engine: one query at a time); :meth:`release` it after."""
        assert self._ready is not None and self._probation_lock is not None
        if not probation and self._ready.is_set() and self.fatal is None and self._main is not None:
            engine = self._main  # the usual case: no waiting
            engine.in_flight += 1
            engine.acquired += 1
            return engine
        try:
            async with asyncio.timeout_at(deadline):
                await self._ready.wait()
                if probation:
                    await self._probation_lock.acquire()
        except TimeoutError:
            why = (
                "the query engine failed while this query ran, and the query waited past its time limit to run "
                "again on its own" if probation else "the query engine is being restarted"
            )
            raise refuse("unavailable", why, "retry in a few seconds", headers={"Retry-After": "2"}) from None
        if self.fatal is not None:
            if probation:
                self._probation_lock.release()
            raise refuse("unavailable", f"the query engine cannot be started: {self.fatal.message}", "tell the operator")
        if not probation:
            engine = self.current
        else:
            try:
                if self._probation is None or not self._probation.alive():
                    snapshot = self.snapshot_of(self.current)
                    self._probation = await asyncio.to_thread(self._start_on, snapshot)
                    self._probation.probation = True
                    self._watch(self._probation)
            except BaseException:
                self._probation_lock.release()
                raise
            engine = self._probation
        engine.in_flight += 1
        engine.acquired += 1
        return engine

    def release(self, engine: Engine) -> None:
        engine.in_flight -= 1
        if engine.probation and self._probation_lock is not None and self._probation_lock.locked():
            self._probation_lock.release()  # even when the engine has died meanwhile
            if engine is self._probation:
                self._spawn(self._stop_probation_when_idle(engine))

    async def death_of(self, engine: Engine, within_s: float = 2.0) -> Death | None:
        """How ``engine`` died, once its process has ended (None if it is still alive after ``within_s``)."""
        if engine.death is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(engine.death), within_s)
        except TimeoutError:
            return None

    async def void_stats(self) -> tuple[VoidStats, Snapshot]:
        """The VoID figures of the data now served, computed once per snapshot in a new Python process under the
        engine's memory limit (so that the limit holds, and an Oxigraph failure is an error, not the gateway's end;
        a new process rather than a fork: this one has threads that may hold RocksDB's locks)."""
        snapshot = self.snapshot_of(self.current)
        stats = self._void.get(snapshot.path)
        if stats is None:
            code = "import sys; from kg.serve.live import void_stats_json; print(void_stats_json(sys.argv[1]))"
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, str(snapshot.data),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_DATA, (self.settings.max_engine_bytes,) * 2),
            )  # fmt: skip
            out, err = await child.communicate()
            if child.returncode != 0:
                death = classify_death(child.returncode or 0, err.decode("utf-8", "replace")[-4000:])
                raise refuse(
                    "upstream_error", f"the VoID description could not be computed ({death.detail})", "tell the operator"
                )
            stats = _void_of(out)
            self._void = {snapshot.path: stats}
        return stats, snapshot

    # -- engines ending ----------------------------------------------------------------------------------------
    def _watch(self, engine: Engine) -> None:
        death = engine.watch()
        self._spawn(self._on_death(engine, death))

    async def _on_death(self, engine: Engine, death_future: asyncio.Future[Death]) -> None:
        death = await death_future
        if self._closing or (engine is not self._main and engine is not self._probation):
            return  # the end of a retired engine: stopped by us
        self.deaths = [*self.deaths[-9:], death]
        if engine is self._probation:
            log.warning("the probation engine ended: %s", death.detail)
            self._probation = None
            return
        log.error("the query engine (pid %s) ended: %s; starting another", engine.pid, death.detail)
        assert self._ready is not None and self._switching is not None
        self._ready.clear()
        async with self._switching:
            snapshot = self.snapshot_of(engine)
            for attempt in range(1, _START_TRIES + 1):
                try:
                    fresh = await asyncio.to_thread(self._start_on, snapshot)
                    break
                except ServeError as exc:
                    log.error("could not start the query engine (try %d of %d): %s", attempt, _START_TRIES, exc)
                    if attempt == _START_TRIES:
                        self.fatal = ServeError(
                            f"the query engine ended ({death.detail}) and could not be started again: {exc.message}",
                            hint=exc.hint,
                        )
                        self._ready.set()  # waiting queries learn it at once
                        self.on_fatal(self.fatal)
                        return
                    await asyncio.sleep(attempt)
            self.restarts += 1
            self._snapshots.pop(engine, None)
            self._main = fresh
            self._watch(fresh)
            self._ready.set()

    async def _stop_probation_when_idle(self, engine: Engine, after_s: float = 5.0) -> None:
        await asyncio.sleep(after_s)
        assert self._probation_lock is not None
        if engine is self._probation and not self._probation_lock.locked() and engine.in_flight == 0:
            self._probation = None
            await asyncio.to_thread(engine.stop)
            self._snapshots.pop(engine, None)

    # -- watching the store ------------------------------------------------------------------------------------
    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.settings.poll_interval_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep serving the current snapshot, report, retry
                self.last_error = str(exc)
                log.warning("keeping generation %s: %s", self._main and self.generation_of(self._main), exc)

    async def refresh(self) -> bool:
        """One poll: switch to a new snapshot when the store's generation changed. True when it switched."""
        assert self._switching is not None
        async with self._switching:
            current = self._main
            if current is None or self.fatal is not None or not current.alive():
                return False
            generation = await asyncio.to_thread(read_generation, self.store_dir)
            if generation == self.snapshot_of(current).generation:
                return False
            try:
                fresh = await asyncio.to_thread(self._prepare)
            except StoreBusyError:
                log.info("store %s is being written; keeping generation %s", self.store_dir, self.generation_of(current))
                return False
            self._switch_to(fresh)
            self.last_error = None
            log.info("switched from generation %s to %s", self.generation_of(current), self.generation_of(fresh))
            return True

    def recycle_soon(self, engine: Engine) -> None:
        """``engine`` was left computing a query past the time limit: replace it (in the background)."""
        self._spawn(self._recycle(engine))

    async def _recycle(self, engine: Engine) -> None:
        assert self._switching is not None
        async with self._switching:
            if engine is not self._main or not engine.alive():
                return  # already replaced, or dead (and so being replaced)
            fresh = await asyncio.to_thread(self._start_on, self.snapshot_of(engine))
            self._switch_to(fresh)
            self.recycled += 1
            log.warning("replaced the query engine of generation %s after a timed-out query", self.generation_of(engine))

    def _switch_to(self, fresh: Engine) -> None:
        old = self._main
        self._main = fresh  # from here on, new queries go to the new process
        self._watch(fresh)
        if old is not None:
            self._retiring.add(old)
            self._spawn(self._retire(old))

    def _spawn(self, coroutine) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retire(self, old: Engine) -> None:
        """Stop ``old`` once its queries are done (or the time limit has passed); keep a snapshot still in use."""
        deadline = time.monotonic() + self.settings.timeout_s + 1
        while old.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(old.stop)
        self._retiring.discard(old)
        snapshot = self._snapshots.pop(old)
        in_use = {s.path for s in self._snapshots.values()}
        if snapshot.path not in in_use:
            await asyncio.to_thread(shutil.rmtree, snapshot.path, True)
