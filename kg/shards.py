"""Extraction beyond one machine: sources built anywhere into N-Quads shards, loaded into a store by one writer.

``kg extract PATH... -o SHARDS/`` (or :func:`extract_shard` mapped over partitions of files by Dask, Spark or any
engine) writes each source's quads — its graph and the shared descriptions it writes — as N-Quads. Each source's
quads are preceded by one comment line, which N-Quads readers skip::

    # kg-source {"key": "/data/r1.txt", "file": "/data/r1.txt", "sha256": "…", "graph": "…", "report": "…", …}

``kg load SHARDS/ --store DIR`` reads the shards in name order and hands each source to the same writer as
``kg ingest`` (:mod:`kg.writer`), which derives the reports and summaries: a store loaded from shards is the
store a local ingest of the same files makes, byte for byte in its dumps.

A shard is written to a temporary name and renamed when whole, so a worker that dies leaves no half shard behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.config import Config
from kg.derive import summarize_copy
from kg.errors import InputError
from kg.findings import Violation
from kg.writer import Extracted

HEADER = "# kg-source "
SUFFIX = ".nq"


@dataclass
class ShardResult:
    path: str
    sources: int
    skipped: list[tuple[str, str]]  # (path, reason)


def write_shard(items: Iterable[object], out: Path) -> ShardResult:
    """Write the Extracted items among ``items`` to the shard ``out``; the others (skipped files) are returned."""
    from kg.worker import Skipped

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    sources, skipped = 0, []
    with tmp.open("wb") as f:
        for it in items:
            if isinstance(it, Skipped):
                skipped.append((it.path, it.reason))
                continue
            if not isinstance(it, Extracted):
                continue
            header = {
                "key": it.key, "file": it.file, "sha256": it.sha256, "graph": it.graph, "report": it.report,
                "checked": it.checked, "violations": [v.__dict__ for v in it.violations],
            }  # fmt: skip
            f.write((HEADER + json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
            f.write(it.nquads)
            sources += 1
    tmp.replace(out)
    return ShardResult(str(out), sources, skipped)


def extract_shard(paths: Iterable[str], out: str, name: str | None = None, config: Config | None = None) -> list:
    """Build the reports in ``paths`` (files) into one shard in the directory ``out``: a function to map over
    partitions of a file list with Dask (``bag.map_partitions(extract_shard, out=…)``) or any engine.

    The shard is named after its first file's key, so the same files give the same shard whoever builds it.
    Returns ``[ShardResult]`` (a list, as a partition).
    """
    from kg.sources import source_key
    from kg.worker import FileTask, run_task

    config = config or Config()
    tasks = []
    for p in sorted(paths):
        try:
            tasks.append(FileTask(str(p), source_key(Path(p), config.source_root), None))
        except InputError:
            tasks.append(FileTask(str(p), str(p), None))
    if not tasks:
        return []
    import hashlib

    name = name or "part-" + hashlib.sha256(tasks[0].key.encode("utf-8")).hexdigest()[:16]
    items = (it for t in tasks for it in run_task(t, config, validate=True))
    return [write_shard(items, Path(out) / f"{name}{SUFFIX}")]


def shard_files(paths: Iterable[Path]) -> list[Path]:
    """The shards under ``paths`` (files or directories), in name order."""
    out = []
    for p in paths:
        p = Path(p)
        out += sorted(p.glob(f"*{SUFFIX}")) if p.is_dir() else [p]
    return sorted(out, key=lambda x: x.name)


def read_shard(path: Path) -> Iterator[Extracted]:
    """The sources of one shard, as the writer takes them (their summaries computed from their quads)."""
    header: dict | None = None  # type: ignore[type-arg]
    lines: list[bytes] = []

    def emit() -> Extracted | None:
        if header is None:
            return None
        data = b"".join(lines)
        graph = ox.NamedNode(header["graph"])
        quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
        summary = summarize_copy(quads, graph)
        if summary is None:
            raise InputError(str(path), f"source {header['key']} has no report link", hint="write shards with kg extract")
        return Extracted(
            key=header["key"], file=header.get("file"), graph=header["graph"], report=header["report"],
            sha256=header["sha256"], nquads=data, summary=summary, quads=len(quads),
            violations=[Violation(**v) for v in header.get("violations", [])], checked=header.get("checked", ""),
        )  # fmt: skip

    with path.open("rb") as f:
        for line in f:
            if line.startswith(HEADER.encode()):
                if (it := emit()) is not None:
                    yield it
                header = json.loads(line[len(HEADER) :])
                lines = []
            elif header is not None:
                lines.append(line)
            elif line.strip():
                raise InputError(str(path), "not a kg shard (quads before the first '# kg-source' line)")
    if (it := emit()) is not None:
        yield it
