"""Citation summaries (``graph/summary/…``, one graph per document): per cited document, how many reports and regions cite it, and when.

The questions researchers ask first — the most-cited directives, which regions cite which — aggregate over every
report of the corpus; at 100,000 reports no engine answers them in a second from the raw citations. So ingest keeps
their answers in a derived graph, refreshed for exactly the documents whose citations changed:

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
from dataclasses import dataclass, field
from itertools import islice

import pyoxigraph as ox

from kg.build import lit
from kg.iris import Minter
from kg.namespaces import X
from kg.queries import with_values
from kg.resolve.documents import applies
from kg.titles import links_of

_BY_REGION = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?doc ?region (COUNT(?report) AS ?reports) (MIN(?y) AS ?first) (MAX(?y) AS ?last) WHERE {
  ?report gk:cites ?doc .
  OPTIONAL { ?report gk:reportingRegion ?region }
  OPTIONAL { ?report gk:yearCovered ?yc BIND (xsd:integer(STR(?yc)) AS ?y) }
}
GROUP BY ?doc ?region
"""
_CITING = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?report ?region ?yc WHERE {
  ?report gk:cites ?doc .
  OPTIONAL { ?report gk:reportingRegion ?region }
  OPTIONAL { ?report gk:yearCovered ?yc }
}
"""
_TITLES = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?title (COUNT(?c) AS ?n) WHERE { ?c gk:citedDocument ?doc ; gk:citedTitle ?title }
GROUP BY ?doc ?title
"""
# the same two for every document at once, one subquery per pattern so that the engine joins whole scans on hashes:
# what a refresh of many documents (a new store) reads instead of asking each document in turn
_BY_REGION_ALL = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?doc ?region (COUNT(?report) AS ?reports) (MIN(?y) AS ?first) (MAX(?y) AS ?last) WHERE {
  { SELECT ?report ?doc WHERE { ?report gk:cites ?doc } }
  OPTIONAL { SELECT ?report ?region WHERE { ?report gk:reportingRegion ?region } }
  OPTIONAL { SELECT ?report ?y WHERE { ?report gk:yearCovered ?yc BIND (xsd:integer(STR(?yc)) AS ?y) } }
}
GROUP BY ?doc ?region
"""
_TITLES_ALL = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?title (COUNT(?c) AS ?n) WHERE {
  { SELECT ?c ?doc WHERE { ?c gk:citedDocument ?doc } }
  { SELECT ?c ?title WHERE { ?c gk:citedTitle ?title } }
}
GROUP BY ?doc ?title
"""
_CITING_MANY = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?report ?region ?yc WHERE {
  { SELECT ?doc ?report WHERE { VALUES ?doc { #DOCS } ?report gk:cites ?doc } }
  OPTIONAL { SELECT ?report ?region WHERE { ?report gk:reportingRegion ?region } }
  OPTIONAL { SELECT ?report ?yc WHERE { ?report gk:yearCovered ?yc } }
}
"""
_TITLES_MANY = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?title (COUNT(?c) AS ?n) WHERE {
  VALUES ?doc { #DOCS }
  ?c gk:citedDocument ?doc ; gk:citedTitle ?title .
}
GROUP BY ?doc ?title
"""
BULK_FROM = 200  # documents: a refresh of more reads every document's counts at once
_FLUSH = 100_000  # summary quads held before they are written
BIG = 2_000  # citing reports: a document cited by more has its counts read joined on hashes (Counts.read_for)


@dataclass
class Counts:
    """Every document's reports by region and titles with their citations, read at once (see :data:`BULK_FROM`)."""

    by_region: dict[str, ByRegion] = field(default_factory=dict)
    titles: dict[str, Counter[str]] = field(default_factory=dict)
    covered: set[str] | None = None  # the documents these counts are for (None: every document)

    def has(self, doc: str) -> bool:
        return self.covered is None or doc in self.covered

    @classmethod
    def read_for(cls, store: ox.Store, docs: list[str], cache: dict[str, Citing]) -> Counts:
        """The counts of a few widely cited documents (see :data:`BIG`), their citing reports put in ``cache``:
        read joined on hashes, restricted to them by a VALUES block, since looked up one citing report at a time
        the 条例's 100,000 reports take seconds each."""
        counts = cls(covered=set(docs))
        for i in range(0, len(docs), 200):
            block = " ".join(str(ox.NamedNode(d)) for d in docs[i : i + 200])
            citing: dict[str, Citing] = {d: {} for d in docs[i : i + 200]}
            for r in store.query(_CITING_MANY.replace("#DOCS", block), use_default_graph_as_union=True):  # type: ignore[union-attr]
                region, yc = r["region"], r["yc"]
                year = int(yc.value[:4]) if yc is not None and yc.value[:4].isdigit() else None
                citing[r["doc"].value][r["report"].value] = (region if isinstance(region, ox.NamedNode) else None, year)
            for r in store.query(_TITLES_MANY.replace("#DOCS", block), use_default_graph_as_union=True):  # type: ignore[union-attr]
                counts.titles.setdefault(r["doc"].value, Counter())[r["title"].value] += int(r["n"].value)
            for doc, reports in citing.items():
                cache[doc] = reports
                counts.by_region[doc] = _by_region(reports)
        return counts

    @classmethod
    def read(cls, store: ox.Store) -> Counts:
        counts = cls()
        for r in store.query(_BY_REGION_ALL, use_default_graph_as_union=True):  # type: ignore[union-attr]
            region = r["region"] if isinstance(r["region"], ox.NamedNode) else None
            first, last = (int(r[k].value) if r[k] is not None else None for k in ("first", "last"))
            counts.by_region.setdefault(r["doc"].value, {})[region] = (int(r["reports"].value), first, last)
        for r in store.query(_TITLES_ALL, use_default_graph_as_union=True):  # type: ignore[union-attr]
            counts.titles.setdefault(r["doc"].value, Counter())[r["title"].value] += int(r["n"].value)
        return counts


_OWN_TITLE = """
PREFIX eli: <http://data.europa.eu/eli/ontology#>
SELECT ?doc ?title WHERE { ?doc eli:title ?title }
"""

Citing = dict[str, tuple[ox.NamedNode | None, int | None]]  # report -> (its region, the year it covers)


def _for_doc(store: ox.Store, text: str, subs: dict) -> ox.QuerySolutions:  # type: ignore[type-arg]
    """``text`` for one document (``subs``: ?doc and its IRI), bound by a VALUES row: Oxigraph's planner does not see
    substitutions (the 条例's citing reports at 100k reports: 0.81 s substituted, 0.25 s so)."""
    (variable, term), = subs.items()
    result = store.query(with_values(text, [f"?{variable.value}"], [[str(term)]]), use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return result


def citing_reports(store: ox.Store, doc: str) -> Citing:
    """The reports whose graphs cite ``doc`` (by number, or by title for a title-only document), each once."""
    out: Citing = {}
    subs = {ox.Variable("doc"): ox.NamedNode(doc)}
    for r in _for_doc(store, _CITING, subs):  # type: ignore[arg-type,union-attr]
        region, yc = r["region"], r["yc"]
        year = int(yc.value[:4]) if yc is not None and yc.value[:4].isdigit() else None
        out[r["report"].value] = (region if isinstance(region, ox.NamedNode) else None, year)
    return out


# per region (None: reports of unknown region): (reports, first year, last year)
ByRegion = dict[ox.NamedNode | None, tuple[int, int | None, int | None]]


def _grouped(store: ox.Store, doc: str, counts: Counts | None = None) -> ByRegion:
    """The reports citing ``doc`` by region, counted by the engine (a document no resolution touches)."""
    if counts is not None and counts.has(doc):
        return dict(counts.by_region.get(doc, {}))
    out: ByRegion = {}
    subs = {ox.Variable("doc"): ox.NamedNode(doc)}
    for r in _for_doc(store, _BY_REGION, subs):  # type: ignore[arg-type,union-attr]
        region = r["region"] if isinstance(r["region"], ox.NamedNode) else None
        first, last = (int(r[k].value) if r[k] is not None else None for k in ("first", "last"))
        out[region] = (int(r["reports"].value), first, last)
    return out


def _by_region(counted: Citing) -> ByRegion:
    years: dict[ox.NamedNode | None, list[int | None]] = defaultdict(list)
    for region, year in counted.values():
        years[region].append(year)
    out: ByRegion = {}
    for region, ys in years.items():
        known = [y for y in ys if y is not None]
        out[region] = (len(ys), min(known) if known else None, max(known) if known else None)
    return out


def counted_reports(
    store: ox.Store, doc: str, title_only: bool, cache: dict[str, Citing] | None = None, counts: Counts | None = None
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
            cache[d] = citing_reports(store, d)
        return cache[d]

    links = links_of(store, titled=doc) if title_only else links_of(store, target=doc)
    if not links:  # what no resolution touches, as the engine counts it
        grouped = _grouped(store, doc, counts)
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
        subs = {ox.Variable("doc"): ox.NamedNode(titled)}
        for row in _for_doc(store, _OWN_TITLE, subs):  # type: ignore[arg-type,union-attr]
            titles.append((row["title"].value, len(resolved)))
    return _by_region(counted), len(by_title), titles


def summarize_document(
    store: ox.Store,
    minter: Minter[ox.NamedNode],
    doc: ox.NamedNode,
    cache: dict[str, Citing] | None = None,
    counts: Counts | None = None,
) -> list[ox.Quad]:
    """The summary quads of one document, in its own summary graph (none when no report counts under it any more)."""
    g = minter.summary_graph(doc.value)
    title_only = doc.value.startswith(minter.base + "doc/title/")
    by_region, by_title, resolved_titles = counted_reports(store, doc.value, title_only, cache, counts)
    total = sum(n for n, _, _ in by_region.values())
    if not total:
        return []
    whole = minter.citation_summary(doc.value, None)
    out = [
        ox.Quad(whole, X.rdf.type, X.gk.CitationSummary, g),
        ox.Quad(whole, X.gk.document, doc, g),
        ox.Quad(whole, X.gk.citingReports, lit(total), g),
        ox.Quad(whole, X.gk.citingRegions, lit(sum(1 for r in by_region if r is not None)), g),
        ox.Quad(whole, X.gk.titleOnly, lit(title_only), g),
        ox.Quad(whole, X.gk.titleOnlyReports, lit(by_title), g),
    ]
    titles: Counter[str] = Counter()
    if counts is not None and counts.has(doc.value):
        titles.update(counts.titles.get(doc.value, Counter()))
    else:
        subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {ox.Variable("doc"): doc}
        for r in _for_doc(store, _TITLES, subs):  # type: ignore[union-attr]
            titles[r["title"].value] += int(r["n"].value)
    for title, n in resolved_titles:
        titles[title] += n
    if titles:
        title = min(titles, key=lambda t: (-titles[t], t))
        out.append(ox.Quad(whole, X.gk.commonTitle, lit(title, lang="zh"), g))
    for region in sorted((r for r in by_region if r is not None), key=lambda r: r.value):
        n, first, last = by_region[region]
        node = minter.citation_summary(doc.value, region.value.rsplit("/", 1)[-1])
        out += [
            ox.Quad(node, X.rdf.type, X.gk.CitationSummary, g),
            ox.Quad(node, X.gk.document, doc, g),
            ox.Quad(node, X.gk.region, region, g),
            ox.Quad(node, X.gk.reports, lit(n), g),
        ]
        if first is not None and last is not None:
            out.append(ox.Quad(node, X.gk.firstYear, lit(first), g))
            out.append(ox.Quad(node, X.gk.lastYear, lit(last), g))
    return out


def _cited_by_at_least(store: ox.Store, doc: str, n: int) -> bool:
    return sum(1 for _ in islice(store.quads_for_pattern(None, X.gk.cites, ox.NamedNode(doc), None), n)) >= n


def refresh_summaries(store: ox.Store, minter: Minter[ox.NamedNode], docs: Iterable[str]) -> int:
    """Replace the summaries of ``docs`` (IRIs) with what the store says now; returns the quads written."""
    out: list[ox.Quad] = []
    written = 0
    cache: dict[str, Citing] = {}
    todo = sorted(set(docs))
    counts: Counts | None
    if len(todo) >= BULK_FROM:
        counts = Counts.read(store)
    else:  # a few documents: those cited by many (and the title-only ones resolved to them) read at once
        linked = {t for d in todo for _, t, _, _, _ in links_of(store, target=d)}
        big = [d for d in sorted(set(todo) | linked) if _cited_by_at_least(store, d, BIG)]
        counts = Counts.read_for(store, big, cache) if big else None
    for iri in todo:
        graph = minter.summary_graph(iri)
        fresh = summarize_document(store, minter, ox.NamedNode(iri), cache, counts)
        # only what changed is written: a widely cited document's summary has a node per region (20,000 quads for
        # the 条例 at 100k reports), and a few new reports change a few of them
        before = set(store.quads_for_pattern(None, None, None, graph))
        for quad in sorted(before - set(fresh), key=str):
            store.remove(quad)
        out += [q for q in fresh if q not in before]
        if len(out) >= _FLUSH:  # a new store's summaries are 800,000 quads at 100k reports: written as they come
            store.bulk_extend(out)
            written += len(out)
            out = []
    if out:
        store.bulk_extend(out)
    return written + len(out)
