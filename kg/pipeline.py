"""``ingest``: report files → facts → RDF → the on-disk store; extraction in worker processes, one writer.

The main process lists the files and skips those the ledger says are unchanged (same size and modification time,
or the same SHA-256); workers read, decode, extract and build each source's quads (pyoxigraph terms, serialized as
N-Quads) and check what extraction can break; the writer (:mod:`kg.writer`) loads them in batches and derives the
reports. Results are taken in input order, so ``--jobs 1`` and ``--jobs N`` write the same store. At most a few
tasks per worker are in flight and a batch is bounded in bytes, so memory stays bounded whatever the corpus size.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from kg.config import Config
from kg.errors import InputError
from kg.findings import Violation
from kg.ledger import FileRecord, Ledger
from kg.sources import SUFFIXES, iter_paths, source_key
from kg.worker import FileTask, Skipped, Unchanged, _run_chunk, _warm_worker, run_task
from kg.writer import BatchResult, Extracted, StoreWriter

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    sources: int = 0  # sources written (new or changed)
    replaced: int = 0  # of which replaced an earlier version of themselves
    unchanged: int = 0  # sources whose content the store already held
    reports: int = 0  # reports (works) that gained or changed a copy
    quads: int = 0
    violations: list[Violation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # reports whose copies disagree (gk:CopyConflict nodes)
    recovered: int = 0  # sources of an interrupted earlier ingest that were removed first
    store: str = ""

    @property
    def unsupported(self) -> list[Skipped]:
        return [s for s in self.skipped if s.reason.startswith("unsupported file type")]


# ---------------------------------------------------------------------------------------------------- the run
def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def ingest(
    paths: Iterable[Path],
    store_path: Path,
    config: Config,
    progress: Callable[[str], None] | None = None,
    validate: bool = True,
    jobs: int = 1,
) -> IngestSummary:
    """Ingest every report under ``paths`` into the store; bad files are reported in the summary, never fatal.

    When it is done, the store is closed and its generation marked, so a running ``kg serve`` picks the data up.
    """
    paths = list(paths)
    pool = _Workers(jobs) if jobs > 1 else None  # started before the store opens its threads
    try:

        def items(writer: StoreWriter, summary: IngestSummary) -> Iterator[Extracted | Skipped | Unchanged]:
            tasks = _tasks(paths, writer.ledger, config, summary, progress, Path(store_path).resolve())
            return _results(tasks, config, validate, pool)

        return _into_store(store_path, config, items, progress)
    finally:
        if pool is not None:
            pool.shutdown()


def load(shards: Iterable[Path], store_path: Path, config: Config, progress: Callable[[str], None] | None = None) -> IngestSummary:
    """Load shards written by :func:`extract` (or :func:`kg.shards.extract_shard` on a cluster) into the store."""
    from kg.shards import read_shard, shard_files

    files = shard_files(shards)
    if not files:
        raise InputError(", ".join(map(str, shards)), "no shards (*.nq written by kg extract) here")

    def items(writer: StoreWriter, summary: IngestSummary) -> Iterator[Extracted]:
        for f in files:
            yield from read_shard(f)

    return _into_store(store_path, config, items, progress)


def _into_store(
    store_path: Path,
    config: Config,
    items: Callable[[StoreWriter, IngestSummary], Iterable[Extracted | Skipped | Unchanged]],
    progress: Callable[[str], None] | None,
) -> IngestSummary:
    """Write ``items`` with one writer: recover first, then the batches, the summaries, the vocabularies and the
    data set's description; mark."""
    from kg.cube import write_dataset
    from kg.snapshots import mark_generation
    from kg.store import load_vocabularies, open_writer

    summary = IngestSummary(store=str(store_path))
    store, ledger = open_writer(store_path)
    try:
        writer = StoreWriter(store, ledger, config.base_iri)
        summary.recovered = writer.recover()
        _write(writer, iter(items(writer, summary)), config, summary, progress)
        writer.refresh_summaries()
        load_vocabularies(store, ledger, config)
        write_dataset(store, config.base_iri)
        store.flush()
        if writer.loads >= config.compact_after_loads:
            # the loads' files are left for RocksDB to merge; merged, the store answers queries twice as fast
            # (most-cited at 100k reports: 2.1 -> 1.1 s, 10.6 -> 9.0 GB, for 132 s of compaction; 8.5 s at 10k)
            log.info("compacting the store (%d bulk loads)", writer.loads)
            store.optimize()
    finally:
        ledger.close()
        del store  # closed before the generation mark, so `kg serve` can snapshot it right away
    mark_generation(store_path)
    return summary


def extract(
    paths: Iterable[Path],
    out: Path,
    config: Config,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
    shard_sources: int = 2000,
) -> IngestSummary:
    """Build every report under ``paths`` into N-Quads shards in ``out`` (``part-00000.nq`` …) for :func:`load`."""
    from kg.shards import SUFFIX, write_shard

    paths = list(paths)
    summary = IngestSummary(store=str(out))
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"part-*{SUFFIX}"):
        old.unlink()  # a new extraction replaces the last one's shards
    pool = _Workers(jobs) if jobs > 1 else None
    try:
        tasks = _tasks(paths, None, config, summary, progress, out.resolve())
        batch: list[Extracted | Skipped | Unchanged] = []
        n = 0
        for item in _results(tasks, config, True, pool):
            if progress and not isinstance(item, Unchanged):
                progress(item.path if isinstance(item, Skipped) else item.key)
            if isinstance(item, Extracted):
                summary.sources += 1
                summary.quads += item.quads
                summary.violations += item.violations
            elif isinstance(item, Skipped):
                summary.skipped.append(item)
            batch.append(item)
            if sum(isinstance(b, Extracted) for b in batch) >= shard_sources:
                write_shard(batch, out / f"part-{n:05d}{SUFFIX}")
                batch, n = [], n + 1
        if any(isinstance(b, Extracted) for b in batch):
            write_shard(batch, out / f"part-{n:05d}{SUFFIX}")
    finally:
        if pool is not None:
            pool.shutdown()
    return summary


def _tasks(
    paths: list[Path],
    ledger: Ledger | None,
    config: Config,
    summary: IngestSummary,
    progress: Callable[[str], None] | None,
    store_dir: Path,
) -> Iterator[FileTask]:
    """The files to read: every file given, every file under each directory (not the store's own, when it lies
    inside one); the unchanged ones are skipped."""
    pending: list[tuple[Path, str]] = []

    def flush() -> Iterator[FileTask]:
        known = ledger.file_records([k for _, k in pending]) if ledger is not None else {}
        for path, key in pending:
            rec = known.get(key)
            if rec is not None:
                try:
                    st = path.stat()
                except OSError:
                    st = None
                if st is not None and st.st_size == rec.size and st.st_mtime_ns == rec.mtime_ns:
                    summary.unchanged += 1
                    if progress:
                        progress(str(path))
                    continue
            yield FileTask(str(path), key, rec.sha256 if rec else None)
        pending.clear()

    for path in iter_paths(paths, every_file=True):
        if path.resolve().is_relative_to(store_dir):
            continue
        if path.suffix.lower() not in SUFFIXES:
            summary.skipped.append(Skipped(str(path), f"unsupported file type {path.suffix or '(none)'}"))
            continue
        try:
            key = source_key(path, config.source_root)
        except InputError as exc:
            summary.skipped.append(Skipped(exc.path, exc.reason))
            continue
        pending.append((path, key))
        if len(pending) >= 500:
            yield from flush()
    yield from flush()


def _results(
    tasks: Iterator[FileTask], config: Config, validate: bool, pool: _Workers | None
) -> Iterator[Extracted | Skipped | Unchanged]:
    """Each task's results, in task order; with workers, a bounded number of chunks in flight."""
    if pool is None:
        for t in tasks:
            yield from run_task(t, config, validate)
        return
    window: deque[tuple[list[FileTask], Future]] = deque()

    def chunks() -> Iterator[list[FileTask]]:
        chunk: list[FileTask] = []
        for t in tasks:
            chunk.append(t)
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def take() -> Iterator[Extracted | Skipped | Unchanged]:
        chunk, future = window.popleft()
        try:
            done = future.result()
        except BrokenProcessPool:
            # a worker died (killed, out of memory, a crash in a library): find the file that did it, skip it
            lost = [chunk] + [c for c, _ in window]
            window.clear()
            pool.restart()
            for c in lost[1:]:
                window.append((c, pool.submit(c, config, validate)))
            done = [pool.run_alone(t, config, validate) for t in chunk]
        for results in done:
            yield from results

    for chunk in chunks():
        window.append((chunk, pool.submit(chunk, config, validate)))
        if len(window) >= pool.jobs * 3:
            yield from take()
    while window:
        yield from take()


_CHUNK = 16  # files per task: the cost of a round trip to a worker is small beside 16 reports


class _Workers:
    """A pool of worker processes that can be started again when one of them dies."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["kg.worker"])
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=ctx, initializer=_warm_worker, initargs=(os.getpid(),)
        )

    def submit(self, chunk: list[FileTask], config: Config, validate: bool) -> Future:
        return self.pool.submit(_run_chunk, chunk, config, validate)

    def restart(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._start()

    def run_alone(self, task: FileTask, config: Config, validate: bool) -> list[Extracted | Skipped | Unchanged]:
        try:
            return self.pool.submit(_run_chunk, [task], config, validate).result()[0]
        except BrokenProcessPool:
            self.restart()
            return [Skipped(task.path, "the worker reading it died (out of memory or a crash in a library)")]

    def shutdown(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def _write(
    writer: StoreWriter,
    results: Iterator[Extracted | Skipped | Unchanged],
    config: Config,
    summary: IngestSummary,
    progress: Callable[[str], None] | None,
) -> None:
    """Gather the results into batches and hand each to the writer thread, which loads one while the next gathers.

    The workers so never wait for a bulk load; at most three batches are held at once (one being written, one
    waiting, one gathering), each bounded by ``batch_bytes`` and ``batch_reports``.
    """
    background = _WriterThread(writer, summary)
    batch: list[Extracted] = []
    files: list[tuple[str, FileRecord]] = []
    size = 0
    try:
        for item in results:
            if isinstance(item, Unchanged):
                files.append((item.key, item.record))
                if item.same:
                    summary.unchanged += 1
                    if progress:
                        progress(item.key)
                continue
            if progress:
                progress(item.path if isinstance(item, Skipped) else item.key)
            if isinstance(item, Skipped):
                summary.skipped.append(item)
                continue
            summary.violations += item.violations
            batch.append(item)
            size += len(item.nquads)
            if size >= config.batch_bytes or len(batch) >= config.batch_reports:
                background.submit(batch, files)
                batch, files, size = [], [], 0
        background.submit(batch, files)
    finally:
        background.close()


class _WriterThread:
    """The store writer on a thread of its own (Oxigraph's bulk load releases the interpreter while it works)."""

    def __init__(self, writer: StoreWriter, summary: IngestSummary) -> None:
        import queue
        import threading

        self.writer, self.summary = writer, summary
        self.reports: set[str] = set()
        self.queue: queue.Queue[tuple[list[Extracted], list[tuple[str, FileRecord]]] | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="kg-writer", daemon=True)
        self.thread.start()

    def submit(self, batch: list[Extracted], files: list[tuple[str, FileRecord]]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((batch, files))

    def _run(self) -> None:
        while (job := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the main thread raises the first error
            batch, files = job
            try:
                res: BatchResult = self.writer.write(batch)
                self.writer.ledger.record_files(files)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self.error = exc
                continue
            s = self.summary
            s.sources += res.written
            s.replaced += res.replaced
            s.unchanged += res.unchanged
            s.quads += res.quads
            s.conflicts += res.conflicts
            self.reports.update(res.reports)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.summary.reports = len(self.reports)
        if self.error is not None:
            raise self.error
