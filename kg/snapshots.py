"""Store generations and consistent snapshots: how readers never see a store while it is being written.

``kg ingest`` calls :func:`mark_generation` when it has finished writing: the store directory then holds
``kg-generation.json`` (``{"generation": N, "completed": "<ISO time>"}``), replaced atomically. A reader that must
not hold the store open while an ingest writes it (``kg serve``, ``kg push``) calls :func:`make_snapshot`: it opens
the store read-write for the moment of an Oxigraph backup (a RocksDB checkpoint: hard links on the same file
system), which fails at once with :class:`StoreBusyError` while an ingest holds the store; the reader then keeps
what it has and tries again later.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError

GENERATION_FILE = "kg-generation.json"
SNAPSHOT_INFO = "snapshot.json"


class StoreBusyError(StoreError):
    """Another process holds the store open for writing (an ingest is running)."""


def read_generation(store_dir: Path) -> int | None:
    """The generation the last completed ingest wrote, or None when no ingest has marked the store."""
    path = Path(store_dir) / GENERATION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.EMFILE, errno.ENFILE):  # the process is out of descriptors, the marker is fine
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            raise StoreError(
                f"{path}: cannot be opened: too many open files (this process may have {limit} open)",
                hint="lower --max-connections, or raise the limit on open files (ulimit -n)",
            ) from exc
        raise StoreError(f"{path}: unreadable generation marker ({exc})", hint="check the file's permissions") from exc
    except ValueError as exc:
        raise StoreError(
            f"{path}: unreadable generation marker ({exc})",
            hint=f"delete {GENERATION_FILE}; the next `kg ingest` writes it again",
        ) from exc
    generation = data.get("generation") if isinstance(data, dict) else None
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise StoreError(
            f"{path}: 'generation' is not a non-negative integer",
            hint=f"delete {GENERATION_FILE}; the next `kg ingest` writes it again",
        )
    return generation


def mark_generation(store_dir: Path) -> int:
    """Record that an ingest has completed: the next generation number, written atomically. Returns it."""
    store_dir = Path(store_dir)
    if not store_dir.is_dir():
        raise StoreError(f"{store_dir}: no store directory to mark", hint="give the --store directory of the ingest")
    generation = (read_generation(store_dir) or 0) + 1
    record = {"generation": generation, "completed": datetime.now(UTC).isoformat(timespec="seconds")}
    fd, tmp = tempfile.mkstemp(prefix=".kg-generation-", suffix=".tmp", dir=store_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, store_dir / GENERATION_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return generation


@dataclass(frozen=True)
class Snapshot:
    """A read-only copy of the store at one generation (``None``: the store was never marked)."""

    path: Path  # the directory holding ``data/`` (the Oxigraph store) and ``snapshot.json``
    generation: int | None
    created: datetime

    @property
    def data(self) -> Path:
        return self.path / "data"


def make_snapshot(store_dir: Path, target: Path) -> Snapshot:
    """Back the store up into ``target/data`` (``target`` must not exist) and describe it in ``target/snapshot.json``.

    Raises :class:`StoreBusyError` when an ingest holds the store; nothing is left behind then.
    """
    store_dir = Path(store_dir)
    target = Path(target)
    if not (store_dir / "CURRENT").exists():
        raise StoreError(
            f"{store_dir}: no store here",
            hint="create one with `kg ingest REPORTS --store DIR`, or point --store at an existing store",
        )
    if target.exists():
        raise StoreError(f"{target}: snapshot target exists", hint="remove it or choose another snapshots directory")
    try:
        store = ox.Store(str(store_dir))
    except OSError as exc:
        if "lock" in str(exc).lower():
            raise StoreBusyError(
                f"{store_dir}: the store is being written by another process",
                hint="wait for the running `kg ingest` to finish; readers retry by themselves",
            ) from exc
        raise StoreError(f"{store_dir}: cannot open the store ({exc})", hint="is this an Oxigraph store?") from exc
    target.mkdir(parents=True)
    try:
        generation = read_generation(store_dir)  # read while holding the lock: no ingest can finish meanwhile
        store.backup(str(target / "data"))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        del store  # closes the store and releases its lock
    snapshot = Snapshot(path=target, generation=generation, created=datetime.now(UTC))
    (target / SNAPSHOT_INFO).write_text(
        json.dumps(
            {
                "generation": generation,
                "created": snapshot.created.isoformat(timespec="seconds"),
                "store": str(store_dir),
            }
        ),
        encoding="utf-8",
    )
    return snapshot
