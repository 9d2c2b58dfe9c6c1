"""Citation summaries (``graph/summary/…``, one graph per document): per cited document, how many reports and regions cite it, and when.

The questions researchers ask first — the most-cited directives, which regions cite which — aggregate over every
report of the corpus; at 100,000 reports no engine answers them in a second from the raw citations. So ingest keeps
their answers in a derived graph, refreshed for exactly the documents whose citations changed, from the rows the
ingest ledger keeps of what it counts (:class:`kg.ledger.Counted`: each report's cited documents, region and year;
each source's cited titles), so that a refresh costs a few indexed rows per changed document, whatever the store:

```turtle
id:summary/<doc> a gk:CitationSummary ; gk:document id:doc/100000/… ;
    gk:citingReports 4210 ; gk:citingRegions 1893 ; gk:commonTitle "国务院办公厅关于…的通知" ;
    gk:titleOnly false ; gk:titleOnlyReports 12 .
id:summary/<doc>/321281 a gk:CitationSummary ; gk:document id:doc/100000/… ; gk:region id:region/321281 ;
    gk:reports 3 ; gk:firstYear 2016 ; gk:lastYear 2018 .
```

A report citing a title-only document that :mod:`kg.titles` resolved to a numbered one (for the year the report covers)
counts under the numbered one, once even when it also cites the number, and among its ``gk:titleOnlyReports``; the
title-only document's own summary counts only the reports no resolution applies to (none when all are resolved).

Like the report graphs, the summary is a function of the data only (reports count once, whatever their copies), so
it is the same whatever order the sources came in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from kg.build import lit
from kg.iris import Minter
from kg.ledger import Ledger, RegionFigures
from kg.namespaces import X
from kg.resolve.documents import applies
from kg.titles import links_of

_FLUSH = 100_000  # summary quads held before they are written

Citing = dict[str, tuple[str | None, int | None]]  # report -> (its region, the year it covers), IRIs as the ledger has them
# per region (None: reports of unknown region): (reports, first year, last year)
ByRegion = dict[str | None, tuple[int, int | None, int | None]]


def citing_reports(ledger: Ledger, doc: str) -> Citing:
    """The reports whose graphs cite ``doc`` (by number, or by title for a title-only document), each once."""
    return {report: (region, year) for report, region, year in ledger.citing(doc)}


def _grouped(ledger: Ledger, doc: str) -> ByRegion:
    """The reports citing ``doc`` by region (a document no resolution touches)."""
    return {region: (n, first, last) for _, region, n, first, last in ledger.citing_by_region([doc])}


def _by_region(counted: Citing) -> ByRegion:
    years: dict[str | None, list[int | None]] = defaultdict(list)
    for region, year in counted.values():
        years[region].append(year)
    out: ByRegion = {}
    for region, ys in years.items():
        known = [y for y in ys if y is not None]
        out[region] = (len(ys), min(known) if known else None, max(known) if known else None)
    return out


def counted_reports(
    store: ox.Store, ledger: Ledger, doc: str, title_only: bool, cache: dict[str, Citing] | None = None
) -> tuple[ByRegion, int, list[tuple[str, int]]]:
    """The reports a document's summary counts, by region; how many of them cite it by title only; and the titles
    they cite it by with how many of them do (beyond its own citations' titles).

    A numbered document counts the reports citing it and those citing a title-only document resolved to it, for the
    years the resolution applies to (:mod:`kg.titles`), each once; a title-only document counts the reports its
    resolutions leave to it. ``cache`` keeps the title-only documents' citing reports between the documents of one
    refresh (the 条例's are read once for the title and for both its versions).
    """
    cache = {} if cache is None else cache

    def citing(d: str) -> Citing:
        if d not in cache:
            cache[d] = citing_reports(ledger, d)
        return cache[d]

    links = links_of(store, titled=doc) if title_only else links_of(store, target=doc)
    if not links:  # what no resolution touches, as the engine counts it
        grouped = _grouped(ledger, doc)
        return grouped, sum(n for n, _, _ in grouped.values()) if title_only else 0, []
    if title_only:  # what its resolutions leave to it
        left = {r: v for r, v in citing(doc).items() if not any(applies(f, u, v[1]) for _, _, _, f, u in links)}
        return _by_region(left), len(left), []
    direct = citing(doc)
    counted = dict(direct)
    by_title: set[str] = set()
    titles: list[tuple[str, int]] = []
    for _, titled, _, from_year, until_year in links:
        resolved = {r: v for r, v in citing(titled).items() if applies(from_year, until_year, v[1])}
        counted.update(resolved)
        by_title |= set(resolved) - set(direct)
        for q in store.quads_for_pattern(ox.NamedNode(titled), X.eli.title, None, None):
            if isinstance(q.object, ox.Literal):
                titles.append((q.object.value, len(resolved)))
    return _by_region(counted), len(by_title), titles


def _summary(
    store: ox.Store, ledger: Ledger, minter: Minter[ox.NamedNode], doc: ox.NamedNode, cache: dict[str, Citing] | None
) -> tuple[list[ox.Quad], RegionFigures]:
    """A document's summary: the quads of its whole node, and its figures per region (IRI)."""
    g = minter.summary_graph(doc.value)
    title_only = doc.value.startswith(minter.base + "doc/title/")
    by_region, by_title, resolved_titles = counted_reports(store, ledger, doc.value, title_only, cache)
    total = sum(n for n, _, _ in by_region.values())
    if not total:
        return [], {}
    whole = minter.citation_summary(doc.value, None)
    out = [
        ox.Quad(whole, X.rdf.type, X.gk.CitationSummary, g),
        ox.Quad(whole, X.gk.document, doc, g),
        ox.Quad(whole, X.gk.citingReports, lit(total), g),
        ox.Quad(whole, X.gk.citingRegions, lit(sum(1 for r in by_region if r is not None)), g),
        ox.Quad(whole, X.gk.titleOnly, lit(title_only), g),
        ox.Quad(whole, X.gk.titleOnlyReports, lit(by_title), g),
    ]
    titles: Counter[str] = Counter({title: n for _, title, n in ledger.titles_cited([doc.value])})
    for title, n in resolved_titles:
        titles[title] += n
    if titles:
        title = min(titles, key=lambda t: (-titles[t], t))
        out.append(ox.Quad(whole, X.gk.commonTitle, lit(title, lang="zh"), g))
    return out, {r: v for r, v in by_region.items() if r is not None}


def _region_quads(
    minter: Minter[ox.NamedNode], doc: ox.NamedNode, region: str, figures: tuple[int, int | None, int | None], g: ox.NamedNode
) -> list[ox.Quad]:
    """The quads of a region's node in a document's summary: what its figures (reports, first, last year) give."""
    n, first, last = figures
    node = minter.citation_summary(doc.value, region.rsplit("/", 1)[-1])
    out = [
        ox.Quad(node, X.rdf.type, X.gk.CitationSummary, g),
        ox.Quad(node, X.gk.document, doc, g),
        ox.Quad(node, X.gk.region, ox.NamedNode(region), g),
        ox.Quad(node, X.gk.reports, lit(n), g),
    ]
    if first is not None and last is not None:
        out.append(ox.Quad(node, X.gk.firstYear, lit(first), g))
        out.append(ox.Quad(node, X.gk.lastYear, lit(last), g))
    return out


def _figures_in(quads: Iterable[ox.Quad]) -> tuple[str | None, RegionFigures]:
    """The document and the region figures a summary graph holds (read back from the store)."""
    doc: str | None = None
    regions: dict[str, str] = {}
    values: dict[str, dict[str, int]] = defaultdict(dict)
    for q in quads:
        s, o = q.subject, q.object
        if not isinstance(s, ox.NamedNode) or not isinstance(o, ox.NamedNode | ox.Literal):
            continue
        if q.predicate == X.gk.document and "/" not in s.value.rsplit("summary/", 1)[-1]:
            doc = o.value
        elif q.predicate == X.gk.region:
            regions[s.value] = o.value
        elif q.predicate in (X.gk.reports, X.gk.firstYear, X.gk.lastYear):
            values[s.value][q.predicate.value] = int(o.value)
    figures = {}
    for node, region in regions.items():
        v = values[node]
        figures[region] = (v.get(X.gk.reports.value, 0), v.get(X.gk.firstYear.value), v.get(X.gk.lastYear.value))
    return doc, figures


def refresh_summaries(store: ox.Store, ledger: Ledger, minter: Minter[ox.NamedNode], docs: Iterable[str]) -> int:
    """Replace the summaries of ``docs`` (IRIs) with what the ledger counts now (:class:`kg.ledger.Counted`); returns
    the quads written.

    Only what changed is written: a widely cited document's summary has a node per region (1,700 for the 条例 at 100k
    reports, 10,000 quads), and a few new reports change a few of them. What the graph held is known from the figures
    the ledger keeps of it (``Ledger.summarized``), not read back; when those cannot be trusted (a refresh was cut
    short, or the store was written before they were kept) the graphs are read, and the figures recorded afresh.
    """
    kept = ledger.summaries_kept()
    ledger.refreshing_summaries()
    out: list[ox.Quad] = []
    written = 0
    cache: dict[str, Citing] = {}
    figures: dict[str, tuple[RegionFigures, RegionFigures]] = {}
    todo = sorted(set(docs))
    for iri in todo:
        doc = ox.NamedNode(iri)
        graph = minter.summary_graph(iri)
        whole, now = _summary(store, ledger, minter, doc, cache)
        was = ledger.summarized(iri)
        changed = {r: v for r, v in now.items() if was.get(r) != v}
        gone = {r: v for r, v in was.items() if r not in now}
        if kept:  # the graph holds the whole node and ``was``: rebuilt from them, not read
            before = set(store.quads_for_pattern(minter.citation_summary(iri, None), None, None, graph))
            before.update(q for r in (*gone, *(r for r in changed if r in was)) for q in _region_quads(minter, doc, r, was[r], graph))
            fresh = set(whole).union(*(_region_quads(minter, doc, r, v, graph) for r, v in changed.items()))
            figures[iri] = (changed, gone)
        else:
            before = set(store.quads_for_pattern(None, None, None, graph))
            fresh = set(whole).union(*(_region_quads(minter, doc, r, v, graph) for r, v in now.items()))
            figures[iri] = (now, gone)
        for quad in sorted(before - fresh, key=str):
            store.remove(quad)
        out += sorted(fresh - before, key=str)
        if len(out) >= _FLUSH:  # a new store's summaries are 800,000 quads at 100k reports: written as they come
            store.bulk_extend(out)
            written += len(out)
            out = []
    if out:
        store.bulk_extend(out)
    if kept is None:  # the summaries no refresh has recorded yet: their figures as the store holds them
        prefix, done = minter.base + "graph/summary/", {minter.summary_graph(d) for d in todo}
        for named in store.named_graphs():
            if isinstance(named, ox.NamedNode) and named.value.startswith(prefix) and named not in done:
                of, held = _figures_in(store.quads_for_pattern(None, None, None, named))
                if of is not None:
                    figures[of] = (held, {})
    ledger.record_summarized(figures)
    return written + len(out)
