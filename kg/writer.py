"""The one process that writes the store: sources in batches, the reports derived from them, shared entities kept tidy.

Workers (``kg ingest --jobs N``, or a Dask cluster through ``kg extract``) build each source's quads; everything
below runs in one process, in this order for each batch:

1. the ledger marks the batch's sources pending (:mod:`kg.ledger`);
2. the graphs they replace are removed, and the new quads bulk-loaded (one Oxigraph bulk load per batch);
3. every report that gained or lost a copy gets its graph derived again from all its copies (:mod:`kg.derive`);
4. shared descriptions that nothing points to any more are removed;
5. the ledger marks the batch done.

A crash anywhere in 2–4 leaves pending rows behind; :meth:`StoreWriter.recover` removes their graphs and derives
their reports again before anything else is written, so the store only ever holds whole sources.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.derive import SUMMARY_PREDICATES, CopySummary, citing_rows, derive_report, summarize_copy
from kg.iris import Minter
from kg.ledger import Counted, Ledger, SourceRecord
from kg.namespaces import X

log = logging.getLogger(__name__)

# what the summaries count, read from a store's graphs (one subquery per pattern: the engine joins scans on hashes)
_CITING_ALL = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?report ?region ?yc WHERE {
  { SELECT ?report ?doc WHERE { ?report gk:cites ?doc } }
  OPTIONAL { SELECT ?report ?region WHERE { ?report gk:reportingRegion ?region } }
  OPTIONAL { SELECT ?report ?yc WHERE { ?report gk:yearCovered ?yc } }
}
"""
_TITLES_ALL = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?g ?doc ?title (COUNT(?c) AS ?n) WHERE {
  { SELECT ?g ?c ?doc WHERE { GRAPH ?g { ?c gk:citedDocument ?doc } } }
  { SELECT ?g ?c ?title WHERE { GRAPH ?g { ?c gk:citedTitle ?title } } }
}
GROUP BY ?g ?doc ?title
"""


def _titles(summary: CopySummary) -> list[tuple[str, str, int]]:
    return [(d.value, t, n) for d, t, n in summary.titles]


@dataclass
class Extracted:
    """One source as a worker built it: its quads as N-Quads and what the writer needs to know of them."""

    key: str
    file: str | None
    graph: str
    report: str
    sha256: str
    nquads: bytes
    summary: CopySummary
    quads: int
    violations: list = field(default_factory=list)
    checked: str = ""  # the digest of the shapes it was checked against ("" when it was not checked)
    alone: bytes = b""  # the report's graph derived from this copy alone (N-Quads), for a report new to the store
    alone_quads: int = 0
    alone_conflicts: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    written: int = 0
    replaced: int = 0
    unchanged: int = 0
    quads: int = 0
    reports: set[str] = field(default_factory=set)
    conflicts: list[str] = field(default_factory=list)


class StoreWriter:
    def __init__(self, store: ox.Store, ledger: Ledger, base_iri: str) -> None:
        self.store = store
        self.ledger = ledger
        self.minter: Minter[ox.NamedNode] = Minter(base_iri, ox.NamedNode)
        self.described = [self.minter.shared_graph(n) for n in ("documents", "regions", "agencies", "initiatives")]
        # what keeps a shared entity alive: a source's graph, a report's or a resolution's (kg.titles) pointing to
        # it (summaries do not)
        self.roots = (base_iri + "graph/source/", base_iri + "graph/report/", base_iri + "graph/resolution/")
        self.loads = 0  # batches bulk-loaded by this writer
        if not ledger.counted_kept():
            self.count_citations()

    # ------------------------------------------------------------------ reading back
    def copy_summary(self, graph: ox.NamedNode) -> CopySummary | None:
        quads = (q for p in SUMMARY_PREDICATES for q in self.store.quads_for_pattern(None, p, None, graph))
        return summarize_copy(quads, graph)

    def _known(self, report: str) -> bool:
        """Whether the store already holds the report (its derived graph, or a copy of it)."""
        node = ox.NamedNode(report)
        if self.store.contains_named_graph(self.minter.report_graph(report)):
            return True
        return next(iter(self.store.quads_for_pattern(node, X.gk.source, None, None)), None) is not None

    def copies_of(self, report: ox.NamedNode) -> list[ox.NamedNode]:
        """The graphs of the sources that are copies of ``report``."""
        return sorted({q.graph_name for q in self.store.quads_for_pattern(report, X.gk.source, None, None)}, key=str)  # type: ignore[misc]

    # ------------------------------------------------------------------ writing
    def write(self, items: Iterable[Extracted]) -> BatchResult:
        """Write one batch of sources (a later item with the same key wins); their N-Quads are let go once loaded."""
        batch = {it.key: it for it in items}
        result = BatchResult()
        if not batch:
            return result
        existing = self.ledger.sources(batch)
        fresh = [it for k, it in batch.items() if not (k in existing and existing[k].sha256 == it.sha256
                                                        and existing[k].state == "done")]
        result.unchanged = len(batch) - len(fresh)
        if not fresh:
            return result
        self.ledger.mark_pending(
            SourceRecord(it.key, it.graph, it.report, it.sha256, it.file, "pending") for it in fresh
        )
        affected: set[str] = {it.report for it in fresh}
        gone: set[ox.NamedNode] = set()
        dirty: set[str] = {d.value for it in fresh for d in it.summary.cites}
        counted = Counted()
        for it in fresh:
            old = existing.get(it.key)
            if old is None:
                continue
            result.replaced += 1
            counted.titles[old.graph] = []
            graph = ox.NamedNode(old.graph)
            summary = self.copy_summary(graph)
            if summary is not None:
                affected.add(summary.report.value)
                gone |= summary.referenced()
                dirty |= {d.value for d in summary.cites}
            self.store.remove_graph(graph)
        # a report whose only copy is this one, new to the store, takes the graph its worker derived from it
        copies: dict[str, int] = {}
        for it in fresh:
            copies[it.report] = copies.get(it.report, 0) + 1
        alone = [it for it in fresh if it.alone and copies[it.report] == 1 and not self._known(it.report)]
        taken = {it.report for it in alone}
        for it in fresh:
            counted.titles[it.graph] = _titles(it.summary)
        for it in alone:
            counted.citing[it.report] = citing_rows([it.summary])
        # one copy of the batch's N-Quads, its pieces let go before the load (a batch is up to 128 MiB)
        data = b"".join([*(it.nquads for it in fresh), *(it.alone for it in alone)])
        for it in fresh:
            it.nquads = it.alone = b""
        self.store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        self.loads += 1
        del data
        result.written = len(fresh)
        result.quads = sum(it.quads + (it.alone_quads if it.report in taken else 0) for it in fresh)
        result.conflicts += [c for it in alone for c in it.alone_conflicts]
        in_batch = {it.graph: it.summary for it in fresh}
        result.quads += self.derive(affected - taken, in_batch, result, counted)
        if gone:
            self.collect(gone)
        self.ledger.mark_done((it.key for it in fresh), dirty, counted)
        for digest in {it.checked for it in fresh if it.checked}:
            self.ledger.record_checks(digest, {it.key: it.violations for it in fresh if it.checked == digest})
        result.reports = affected
        return result

    def refresh_summaries(self) -> int:
        """Resolve the title-only documents the changed citations concern (:mod:`kg.titles`), then bring the citation
        summaries of the documents whose citations or resolutions changed up to date."""
        from kg.summary import refresh_summaries
        from kg.titles import resolve_titles

        resolve_titles(self, self.ledger.dirty())
        dirty = self.ledger.dirty()
        n = refresh_summaries(self.store, self.ledger, self.minter, dirty)
        self.ledger.clean(dirty)
        return n

    def derive(
        self,
        reports: Iterable[str],
        known: dict[str, CopySummary],
        result: BatchResult | None = None,
        counted: Counted | None = None,
    ) -> int:
        """Derive the graphs of ``reports`` again from their copies; returns the quads written. What the summaries
        count of them goes into ``counted``, for the caller to record with its batch (recorded here without one)."""
        own = counted is None
        counted = Counted() if counted is None else counted
        out: list[ox.Quad] = []
        for iri in sorted(reports):
            report = ox.NamedNode(iri)
            copies = []
            for g in self.copies_of(report):
                summary = known.get(g.value) or self.copy_summary(g)
                if summary is not None and summary.report == report:
                    copies.append(summary)
            graph = self.minter.report_graph(iri)
            if self.store.contains_named_graph(graph):
                self.store.remove_graph(graph)
            quads = derive_report(self.minter, report, copies)
            counted.citing[iri] = citing_rows(copies)
            if result is not None:
                result.conflicts += [
                    str(q.subject.value) for q in quads  # type: ignore[union-attr]
                    if q.predicate == X.gk.report and "/conflict/" in str(q.subject)
                ]
            out += quads
        if out:
            self.store.bulk_extend(out)
        if own:
            self.ledger.mark_done((), (), counted)
        return len(out)

    def count_citations(self) -> None:
        """Count, from the store as it is, what the citation summaries count (:class:`kg.ledger.Counted`): for a store
        written before the ledger kept it, or one built without the writer (a test's fixture)."""
        counted = Counted()
        for r in self.store.query(_CITING_ALL, use_default_graph_as_union=True):  # type: ignore[union-attr]
            region, yc = r["region"], r["yc"]
            year = int(yc.value[:4]) if yc is not None and yc.value[:4].isdigit() else None
            counted.citing.setdefault(r["report"].value, []).append(
                (r["doc"].value, region.value if isinstance(region, ox.NamedNode) else None, year)
            )
        for r in self.store.query(_TITLES_ALL):  # type: ignore[union-attr]
            counted.titles.setdefault(r["g"].value, []).append((r["doc"].value, r["title"].value, int(r["n"].value)))
        self.ledger.replace_counted(counted)
        log.info("counted the citations of %d reports for the summaries", len(counted.citing))

    def remove_sources(self, records: Iterable[SourceRecord]) -> None:
        """Remove sources whole (their graphs), derive their reports again and tidy what they alone pointed to."""
        affected: set[str] = set()
        gone: set[ox.NamedNode] = set()
        dirty: set[str] = set()
        keys = []
        counted = Counted()
        for r in records:
            keys.append(r.key)
            counted.titles[r.graph] = []
            graph = ox.NamedNode(r.graph)
            summary = self.copy_summary(graph)
            if summary is not None:
                affected.add(summary.report.value)
                gone |= summary.referenced()
                dirty |= {d.value for d in summary.cites}
            for report in (r.report, r.previous_report):
                if report:
                    affected.add(report)
            self.store.remove_graph(graph)
        self.derive(affected, {}, counted=counted)
        if gone:
            self.collect(gone)
        self.ledger.mark_done((), dirty, counted)
        self.ledger.forget_sources(keys)

    def recover(self) -> int:
        """Undo what an interrupted batch may have half written; returns how many sources it concerned."""
        pending = self.ledger.pending()
        if not pending:
            return 0
        log.warning("an earlier ingest was interrupted: removing %d sources it was writing", len(pending))
        self.remove_sources(pending)
        self.ledger.forget_files({r.file for r in pending if r.file})
        self.collect(self.all_described(), deep=False)
        self.refresh_summaries()
        return len(pending)

    # ------------------------------------------------------------------ shared entities
    def all_described(self) -> set[ox.NamedNode]:
        out: set[ox.NamedNode] = set()
        for g in self.described:
            for q in self.store.quads_for_pattern(None, X.rdf.type, None, g):
                if isinstance(q.subject, ox.NamedNode):
                    out.add(q.subject)
        return out

    def collect(self, candidates: Iterable[ox.NamedNode], deep: bool = True) -> int:
        """Remove the shared descriptions of ``candidates`` that no source or report leads to any more.

        An entity is kept when a source's or a report's graph points to it, or a kept shared entity does (a region
        contains a kept region, a kept document was issued by it …). With ``deep``, what a removed description
        pointed to is examined too.
        """
        todo = list(candidates)
        seen: set[ox.NamedNode] = set()
        live: dict[ox.NamedNode, bool] = {}
        removed = 0
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if self._live(node, live, set()):
                continue
            for g in self.described:
                quads = list(self.store.quads_for_pattern(node, None, None, g))
                for q in quads:
                    self.store.remove(q)
                    removed += 1
                    if deep and isinstance(q.object, ox.NamedNode) and q.object not in seen:
                        todo.append(q.object)
        return removed

    def _live(self, node: ox.NamedNode, memo: dict[ox.NamedNode, bool], path: set[ox.NamedNode]) -> bool:
        if node in memo:
            return memo[node]
        if not any(True for _ in self.store.quads_for_pattern(node, None, None, None)):
            memo[node] = True  # not described here (a vocabulary concept, an unknown IRI): nothing to remove
            return True
        path.add(node)
        referrers: list[ox.NamedNode] = []
        alive = False
        for q in self.store.quads_for_pattern(None, None, node, None):
            if q.graph_name.value.startswith(self.roots):  # type: ignore[union-attr]
                alive = True
                break
            if isinstance(q.subject, ox.NamedNode) and q.subject != node and q.subject not in path:
                referrers.append(q.subject)
        if not alive:
            alive = any(self._live(r, memo, path) for r in dict.fromkeys(referrers))
        path.discard(node)
        memo[node] = alive
        return alive

