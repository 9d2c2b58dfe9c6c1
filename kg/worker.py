"""A worker's job: one file → its sources, read, extracted, built as pyoxigraph quads and checked.

Runs in the worker processes of ``kg ingest --jobs N`` and ``kg extract``, or on a cluster's workers through
:func:`kg.shards.extract_shard`; everything it returns is plain data for the one writer (:mod:`kg.writer`).
Never raises for a bad file: what cannot be read or extracted comes back as :class:`Skipped` with its reason.
"""

from __future__ import annotations

import hashlib
import logging
import os
import select
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.build import Built, build_source_graph
from kg.config import Config
from kg.derive import derive_report, summarize_copy
from kg.errors import InputError
from kg.extract.report import extract_facts
from kg.findings import Violation
from kg.iris import Minter
from kg.ledger import FileRecord
from kg.namespaces import X
from kg.sources import SourceDocument, read_file
from kg.text import normalize
from kg.writer import Extracted

log = logging.getLogger(__name__)


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class Unchanged:
    """A file read: its record for the ledger; ``same`` when the store already held its content (touched only)."""

    key: str
    record: FileRecord
    same: bool = False


def process_source(doc: SourceDocument, minter: Minter[ox.NamedNode]) -> Built:
    """One source → its quads (raises on extractor failure; the caller reports it)."""
    if not doc.text.strip():
        raise InputError(doc.source_id, "no text (the page had no main content)")
    text = normalize(doc.text)
    facts = extract_facts(text.norm, url=doc.url)
    return build_source_graph(minter, doc, text, facts)


@dataclass(frozen=True)
class FileTask:
    path: str
    key: str
    known_sha256: str | None  # the file's content when the store last read it


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def run_task(task: FileTask, config: Config, validate: bool) -> list[Extracted | Skipped | Unchanged]:
    """A worker's job: one file → its sources, built and checked (never raises: failures become Skipped)."""
    path = Path(task.path)
    out: list[Extracted | Skipped | Unchanged] = []
    record: FileRecord | None = None
    try:
        st = path.stat()
        record = FileRecord(st.st_size, st.st_mtime_ns, file_sha256(path))
    except OSError:
        pass  # read_file says what is wrong with it
    if record is not None and record.sha256 == task.known_sha256:
        return [Unchanged(task.key, record, same=True)]
    minter: Minter[ox.NamedNode] = Minter(config.base_iri, ox.NamedNode)
    for item in read_file(path, config.max_file_bytes, config.source_root):
        if isinstance(item, InputError):
            out.append(Skipped(item.path, item.reason))
            continue
        try:
            built = process_source(item, minter)
        except InputError as exc:
            out.append(Skipped(exc.path, exc.reason))
            continue
        except Exception as exc:  # an extractor bug must not abort the batch: report it with the file
            log.exception("extraction failed for %s", item.source_id)
            out.append(Skipped(task.path, f"extraction failed: {type(exc).__name__}: {exc}"))
            continue
        out.append(_extracted(built, item, task, validate, config))
    if record is not None and not any(isinstance(o, Skipped) for o in out):
        out.append(Unchanged(task.key, record))  # remembered once the file's sources are written
    return out


def _extracted(built: Built, doc: SourceDocument, task: FileTask, validate: bool, config: Config) -> Extracted:
    summary = summarize_copy(built.quads, built.graph)
    assert summary is not None  # every source graph links its report
    violations: list[Violation] = []
    checked = ""
    # the report as this copy alone says it: the report's graph when it has no other copy (the writer decides), and
    # what is checked of it (a report of several copies holds only values its copies hold)
    alone = derive_report(Minter(config.base_iri, ox.NamedNode), built.report, [summary])
    if validate:
        from kg.shacl import check_at_ingest, shapes_digest

        violations = check_at_ingest([*built.quads, *alone], config)
        checked = shapes_digest(config)
    return Extracted(
        key=built.source_key,
        file=task.key,
        graph=built.graph.value,
        report=built.report.value,
        sha256=doc.sha256,
        nquads=ox.serialize(built.quads, format=ox.RdfFormat.N_QUADS) or b"",
        summary=summary,
        quads=len(built.quads),
        violations=violations,
        checked=checked,
        alone=ox.serialize(alone, format=ox.RdfFormat.N_QUADS) or b"",
        alone_quads=len(alone),
        alone_conflicts=sorted({str(q.subject)[1:-1] for q in alone if q.predicate == X.gk.report and "/conflict/" in str(q.subject)}),
    )


def _run_chunk(tasks: list[FileTask], config: Config, validate: bool) -> list[list[Extracted | Skipped | Unchanged]]:
    return [run_task(t, config, validate) for t in tasks]


def _warm_worker(ingest_pid: int | None = None) -> None:
    """Load the gazetteer, vocabularies and script converter once per worker, before its first report; and leave
    when the ingest that started the worker is gone (see :func:`_leave_with`)."""
    from kg.extract.report import extract_facts

    if ingest_pid is not None:
        threading.Thread(target=_leave_with, args=(ingest_pid,), name="kg-leave-with", daemon=True).start()

    extract_facts(normalize("兴化市人民政府2016年政府信息公开工作年度报告").norm)


def _leave_with(pid: int) -> None:
    """Exit this worker once process ``pid`` has ended. A worker is the child of multiprocessing's fork server, not
    of the ingest, so nothing else ends it when the ingest is killed: it would wait for ever to send a result nobody
    reads (seen after a SIGTERM of ``kg ingest``). Waits on a pidfd (Linux 5.3+), else checks once a second."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])  # readable once the process has ended
    else:
        while True:
            time.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                continue
    os._exit(1)
