"""``ingest``: report files → facts → validated RDF → the on-disk store, in bounded batches."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.build import Built, build_report_graph
from kg.config import Config
from kg.errors import InputError
from kg.extract.report import extract_facts
from kg.iris import Minter
from kg.snapshots import mark_generation
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


def process_source(doc: SourceDocument, minter: Minter) -> Built:
    """One source → its built graphs (raises on extractor failure; the caller reports it)."""
    if not doc.text.strip():
        raise InputError(doc.source_id, "no text (the page had no main content)")
    text = normalize(doc.text)
    facts = extract_facts(text.norm, url=doc.url)
    return build_report_graph(minter, doc, text, facts)


def ingest(
    paths: Iterable[Path],
    store_path: Path,
    config: Config,
    progress: Callable[[str], None] | None = None,
    validate: bool = True,
) -> IngestSummary:
    """Ingest every report under ``paths`` into the store; bad files are reported in the summary, never fatal.

    When it is done, the store is closed and its generation marked, so a running ``kg serve`` picks the data up.
    """
    summary = IngestSummary(store=str(store_path))
    store = open_store(store_path, wait_seconds=5.0)
    _load(store, paths, config, summary, progress, validate)
    del store  # closed before the generation mark, so `kg serve` can snapshot it right away
    mark_generation(store_path)
    return summary


class _Batch:
    """Report graphs waiting for validation and one bulk load, and the region descriptions they share."""

    def __init__(self, store: ox.Store, minter: Minter, config: Config, summary: IngestSummary, validate: bool) -> None:
        self.store, self.config, self.summary, self.validate = store, config, summary, validate
        self.graphs: list[Graph] = []
        self.shared = Graph(identifier=minter.shared_graph("regions"))

    def add(self, built: Built) -> None:
        self.graphs.append(built.graph)
        self.shared += built.shared
        if len(self.graphs) >= self.config.batch_reports:
            self.flush()

    def flush(self) -> None:
        if not self.graphs:
            return
        if self.validate:
            data = Graph()
            for gr in self.graphs + [self.shared]:
                data += gr
            self.summary.violations += validate_graph(data, self.config, inplace=True).violations
        self.summary.quads += replace_graphs(self.store, self.graphs)
        self.store.bulk_extend(graph_quads(self.shared))
        self.graphs.clear()
        self.shared.remove((None, None, None))


def _load(
    store: ox.Store,
    paths: Iterable[Path],
    config: Config,
    summary: IngestSummary,
    progress: Callable[[str], None] | None,
    validate: bool,
) -> None:
    minter = Minter(config.base_iri)
    batch = _Batch(store, minter, config, summary, validate)
    for item in read_sources(paths, config.max_file_bytes):
        if progress:
            progress(item.path if isinstance(item, InputError) else item.source_id)
        if isinstance(item, InputError):
            summary.skipped.append(Skipped(item.path, item.reason))
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
        summary.reports += 1
        batch.add(built)
    batch.flush()
    _load_vocabularies(store, minter, config)
    store.flush()


def _load_vocabularies(store, minter: Minter, config: Config) -> None:  # type: ignore[no-untyped-def]
    vocab = Graph(identifier=minter.shared_graph("vocabularies"))
    for t in load_vocabularies(config.ontology_dir):
        vocab.add(t)
    replace_graphs(store, [vocab])
