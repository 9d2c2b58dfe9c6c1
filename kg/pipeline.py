"""``ingest``: report files → facts → validated RDF → the on-disk store, in bounded batches."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.build import build_report_graph
from kg.config import Config
from kg.errors import InputError
from kg.extract.report import extract_facts
from kg.iris import Minter
from kg.sources import SourceDocument, read_sources
from kg.store import graph_quads, open_store, replace_graphs
from kg.text import normalize
from kg.validate import Violation, load_vocabularies, validate_graph

log = logging.getLogger(__name__)


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class IngestSummary:
    reports: int = 0
    quads: int = 0
    violations: list[Violation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    store: str = ""


def process_source(doc: SourceDocument, minter: Minter):  # type: ignore[no-untyped-def]
    """One source → its built graphs (raises on extractor failure; the caller reports it)."""
    if not doc.text.strip():
        raise InputError(doc.source_id, "no text (the page had no main content)")
    text = normalize(doc.text)
    facts = extract_facts(text.norm)
    return build_report_graph(minter, doc, text, facts)


def ingest(
    paths: Iterable[Path],
    store_path: Path,
    config: Config,
    progress: Callable[[str], None] | None = None,
    validate: bool = True,
) -> IngestSummary:
    """Ingest every report under ``paths`` into the store; bad files are reported in the summary, never fatal."""
    store = open_store(store_path)
    minter = Minter(config.base_iri)
    summary = IngestSummary(store=str(store_path))
    batch: list[Graph] = []
    shared = Graph(identifier=minter.shared_graph("regions"))

    def flush() -> None:
        if not batch:
            return
        if validate:
            data = Graph()
            for gr in batch + [shared]:
                data += gr
            summary.violations += validate_graph(data, config, inplace=True).violations
        summary.quads += replace_graphs(store, batch)
        store.bulk_extend(graph_quads(shared))
        batch.clear()
        shared.remove((None, None, None))

    for item in read_sources(paths, config.max_file_bytes):
        if isinstance(item, InputError):
            summary.skipped.append(Skipped(item.path, item.reason))
            if progress:
                progress(item.path)
            continue
        try:
            built = process_source(item, minter)
        except InputError as exc:
            summary.skipped.append(Skipped(exc.path, exc.reason))
            continue
        except Exception as exc:  # an extractor bug must not abort the batch: report it with the file
            log.exception("extraction failed for %s", item.source_id)
            summary.skipped.append(Skipped(item.source_id, f"extraction failed: {type(exc).__name__}: {exc}"))
            continue
        batch.append(built.graph)
        for t in built.shared:
            shared.add(t)
        summary.reports += 1
        if progress:
            progress(item.source_id)
        if len(batch) >= config.batch_reports:
            flush()
    flush()
    _load_vocabularies(store, minter, config)
    store.flush()
    _mark_generation(store_path)
    return summary


def _shared_quads(graph: Graph):  # type: ignore[no-untyped-def]
    import pyoxigraph as ox

    from kg.store import to_ox

    gname = ox.NamedNode(str(graph.identifier))
    for s, p, o in graph:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), gname)  # type: ignore[arg-type]


def _load_vocabularies(store, minter: Minter, config: Config) -> None:  # type: ignore[no-untyped-def]
    vocab = Graph(identifier=minter.shared_graph("vocabularies"))
    for t in load_vocabularies(config.ontology_dir):
        vocab.add(t)
    replace_graphs(store, [vocab])


def _mark_generation(store_path: Path) -> None:
    try:
        from kg.snapshots import mark_generation
    except ImportError:
        return
    mark_generation(store_path)
