"""Documents cited by title only, resolved across the corpus: one derived graph per title-only document
(``graph/resolution/…``).

Most reports name the 条例 by its title alone, 《中华人民共和国政府信息公开条例》; others print a title together with its
文号. After each ingest, :func:`resolve_titles` decides again, for the title-only documents it concerns, which
numbered document each one is:

1. A document of the foundational table (:mod:`kg.resolve.documents`), by the same title or a shorter form of it
   (as in 2), is the table's document. A document of several versions resolves by the year the citing report covers (the 条例:
   国务院令第492号 for the reports on 2007–2018, 第711号 from 2019); no version applies to a report of a year before
   the first could be cited, or of unknown year.
2. Otherwise, the numbered document that some report prints a matching title with. Matches, best first: the same
   title (:func:`~kg.resolve.documents.title_key`); the short form a report defines for it with 以下简称; a title the
   title-only one is a shorter form of (:func:`kg.extract.citations.shorter_form`, the rule extraction applies
   within one report), from 8 characters only: a shorter form (实施细则, 暂行办法) names many documents, and only its
   report's context tells which. Among several documents: the best match, then the document the most reports print it with,
   then the smallest IRI — never the order of ingest. A local document (a province's, a city's …) is taken only
   when every report citing the title lies in its issuer's region; a document of known year resolves only the
   reports covering the year before it or later (a report is written in the spring after the year it covers).
3. Otherwise it stays title-only.

```turtle
id:resolution/<doc>/<target> a gk:Resolution ;                 # graph id:graph/resolution/<doc>
    gk:resolves id:doc/title/… ; gk:resolvedTo id:doc/100000/国务院令第492号 ;
    gk:resolvedBy gk:foundationalTable ; gk:fromYear 2007 ; gk:untilYear 2018 ;
    prov:wasDerivedFrom <http://www.gov.cn/…> .                 # the table's source
id:resolution/<doc>/<target> a gk:Resolution ; gk:resolves id:doc/title/… ; gk:resolvedTo id:doc/100000/国办发〔2016〕19号 ;
    gk:resolvedBy gk:shorterTitle ; gk:supportingReports 3 ; gk:fromYear 2015 ;
    prov:wasDerivedFrom id:fact/…/citation/… .                 # the citation that printed the number with the title
```

A report citing a title-only document counts under the document a resolution of it resolves to when the resolution
applies to the year it covers (:func:`~kg.resolve.documents.applies`; the queries say the same in SPARQL), and stays
title-only otherwise.

The work is incremental. The ledger keeps an index (:mod:`kg.ledger`): every title-only document by its title key,
and what each source's numbered citations print (titles and short forms, with the document and the report). The pass
reads only the sources written or removed since it last ran, and resolves again the title-only documents whose
citations changed (the summaries' dirty documents) and those the changed printings match; so its cost follows the
new sources, not the corpus. A resolution is a function of the store's citations and the table, so the same corpus
gives the same resolutions whatever the order of ingest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox

from kg.build import lit
from kg.extract.citations import shorter_form
from kg.namespaces import X
from kg.resolve.documents import (
    Foundational,
    Version,
    foundational_versions,
    load_foundational,
    title_key,
)
from kg.resolve.regions import STATE, gazetteer

if TYPE_CHECKING:
    from kg.iris import Minter
    from kg.ledger import Ledger


class StoreWriter(Protocol):
    """What the pass needs of the store's one writer (:class:`kg.writer.StoreWriter`, which calls it)."""

    store: ox.Store
    ledger: Ledger
    minter: Minter[ox.NamedNode]

    def collect(self, candidates: Iterable[ox.NamedNode], deep: bool = True) -> int: ...

INDEX = "titles-index"  # ledger meta key: the version of the title index below
INDEX_VERSION = "2"
_PROV = "http://www.w3.org/ns/prov#wasDerivedFrom"
# matches, best first
SAME, ALIAS, SHORTER = "same", "alias", "shorter"
_RANK = {SAME: 0, ALIAS: 1, SHORTER: 2}
METHODS = {SAME: "sameTitle", ALIAS: "shortForm", SHORTER: "shorterTitle"}
# across reports, a short form or shorter title names a document from this many characters (extraction's bound for a
# part of a title): a shorter one (实施细则, 暂行办法) names many documents, and only its report's context tells which
_ACROSS_MIN = 8
_MIN_TITLE = 4  # extraction keeps no title-only citation of 3 characters or fewer

_PREFIXES = """
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
_PRINTED = _PREFIXES + """
SELECT ?g ?c ?doc ?report ?title ?alias WHERE {
  GRAPH ?g {  # a source's numbered citations, with their titles and short forms
    ?report gk:source ?src . ?src gk:citation ?c .
    ?c gk:citedDocument ?doc ; gk:titleOnly false .
    OPTIONAL { ?c gk:citedTitle ?title }
    OPTIONAL { ?c gk:alias ?alias }
  }
}
"""
# the same over every source at once, one subquery per pattern so that the engine joins whole scans on hashes
# (10k reports: 20.6 s looked up row by row, 6.9 s so; same rows)
_PRINTED_ALL = _PREFIXES + """
SELECT ?g ?c ?doc ?report ?title ?alias WHERE {
  { SELECT ?g ?c WHERE { GRAPH ?g { ?c gk:titleOnly false } } }
  { SELECT ?g ?c ?doc WHERE { GRAPH ?g { ?c gk:citedDocument ?doc } } }
  { SELECT ?g ?src ?c WHERE { GRAPH ?g { ?src gk:citation ?c } } }
  { SELECT ?g ?report ?src WHERE { GRAPH ?g { ?report gk:source ?src } } }
  OPTIONAL { SELECT ?g ?c ?title WHERE { GRAPH ?g { ?c gk:citedTitle ?title } } }
  OPTIONAL { SELECT ?g ?c ?alias WHERE { GRAPH ?g { ?c gk:alias ?alias } } }
}
"""
_CITING_REGIONS = _PREFIXES + """
SELECT DISTINCT ?doc ?report ?adcode WHERE {
  ?report gk:cites ?doc .
  OPTIONAL { ?report gk:reportingRegion ?r . ?r gk:adcode ?adcode }
}
"""
_ISSUER = _PREFIXES + """
SELECT ?doc ?adcode ?date WHERE {
  OPTIONAL { ?doc gk:issuerRegion ?r . ?r gk:adcode ?adcode }
  OPTIONAL { ?doc eli:date_document ?date }
}
"""
_LINKS = _PREFIXES + """
SELECT ?link ?titled ?target ?from ?until WHERE {
  ?link gk:resolves ?titled ; gk:resolvedTo ?target .
  OPTIONAL { ?link gk:fromYear ?from }
  OPTIONAL { ?link gk:untilYear ?until }
}
"""


@dataclass(frozen=True)
class Link:
    """One resolution: the title-only document is ``target`` for the reports of the years it applies to."""

    target: str
    method: str  # a gk:ResolutionMethod's local name
    derived_from: str  # the citation that printed the number, or the table's source
    supporting: int | None = None  # reports printing the title (or short form) with the number
    from_year: int | None = None
    until_year: int | None = None


def links_of(store: ox.Store, titled: str | None = None, target: str | None = None) -> list[tuple[str, str, str, int | None, int | None]]:
    """The resolutions in the store, of one title-only document or to one numbered document:
    (resolution, title-only document, numbered document, from year, until year), sorted."""
    subs: dict[ox.Variable, ox.NamedNode] = {}
    if titled is not None:
        subs[ox.Variable("titled")] = ox.NamedNode(titled)
    if target is not None:
        subs[ox.Variable("target")] = ox.NamedNode(target)
    out = []
    for r in store.query(_LINKS, substitutions=subs, use_default_graph_as_union=True):  # type: ignore[arg-type,union-attr]
        out.append((
            r["link"].value, r["titled"].value, r["target"].value,
            int(r["from"].value) if r["from"] is not None else None,
            int(r["until"].value) if r["until"] is not None else None,
        ))  # fmt: skip
    return sorted(out, key=lambda t: (t[0], t[3] or 0))


# ---------------------------------------------------------------------------------------------------- the pass
def resolve_titles(writer: StoreWriter, dirty: Iterable[str], chunk: int = 500) -> int:
    """Resolve again the title-only documents that changed: those ``dirty`` names (documents whose citations
    changed), and those whose titles the sources written or removed since the last pass print with a number. Marks
    the documents whose summaries change with them dirty in the ledger. Returns how many it resolved."""
    store, ledger, minter = writer.store, writer.ledger, writer.minter
    titled_prefix = minter.base + "doc/title/"
    docs = set(dirty)
    if ledger.meta(INDEX) != INDEX_VERSION:  # a store written before the index (or a new one): index everything
        ledger.reset_titles()
        docs |= _all_documents(store, minter)
        _index_everything(store, ledger)
    todo = {d for d in docs if d.startswith(titled_prefix)}
    pending = ledger.titles_pending()
    for i in range(0, len(pending), chunk):
        sources = pending[i : i + chunk]
        records = ledger.sources(sources)
        printed = {
            key: _printed(store, records[key].graph) if key in records and records[key].state == "done" else []
            for key in sources
        }
        keys: dict[str, set[str]] = defaultdict(set)
        for key, kind in ledger.printed_by(sources) | {(k, kind) for rows in printed.values() for _, k, kind, _, _ in rows}:
            keys[kind].add(key)
        matched = {t for t, _ in ledger.titled_with(_matching_title_keys(keys))}
        ledger.replace_printed(printed, dirty=sorted(matched - todo))
        todo |= matched
    table_docs = _table_documents(minter)
    described = [
        q for doc in sorted(docs & set(table_docs)) if _is_described(store, minter, doc)
        for q in _table_description(store, minter, table_docs[doc])
    ]  # fmt: skip
    if described:
        store.bulk_extend(described)
    ordered = sorted(todo)
    for i in range(0, len(ordered), chunk):
        _resolve(writer, ordered[i : i + chunk])
    ledger.set_meta(INDEX, INDEX_VERSION)
    return len(todo)


_HASHED_UP_TO = 20_000  # sources: an index of every source of a larger store reads them one by one


def _index_everything(store: ox.Store, ledger: Ledger, batch: int = 50_000) -> None:
    """Index what every source of the store prints (the index was emptied). Up to :data:`_HASHED_UP_TO` sources in
    one query joined on hashes (10k reports: 6.9 s); beyond, source by source (1.1 ms each), since the hash
    tables of that query grow with the store (650 MB at 100k reports)."""
    graphs = ledger.source_graphs()
    printed: dict[str, list[tuple[str, str, str, str, str]]] = defaultdict(list)
    n = 0
    if len(graphs) <= _HASHED_UP_TO:
        rows: Iterable[tuple[str, list[tuple[str, str, str, str, str]]]] = (
            (r["g"].value, _printings(r)) for r in store.query(_PRINTED_ALL)  # type: ignore[union-attr]
        )
    else:
        rows = ((graph, _printed(store, graph)) for graph in sorted(graphs))
    for graph, found in rows:
        source = graphs.get(graph)
        if source is None or not found:
            continue
        printed[source] += found
        n += len(found)
        if n >= batch:
            ledger.add_printed(printed)
            printed, n = defaultdict(list), 0
    ledger.add_printed(printed)
    ledger.index_printed_keys()


def _matching_title_keys(keys: dict[str, set[str]]) -> set[str]:
    """The title keys of the title-only documents that printed titles (``keys["title"]``) and short forms
    (``keys["alias"]``) may match: the same keys, and every shorter form of a title that may match across reports."""
    out = {k for k in keys.get("alias", ()) if len(k) >= _ACROSS_MIN} | set(keys.get("title", ()))
    for key in keys.get("title", ()):
        n = len(key)
        for k in range(_ACROSS_MIN, n):
            out |= {key[i : i + k] for i in range(n - k + 1)}
    return out


def _resolve(writer: StoreWriter, titled_docs: list[str]) -> None:
    """Write the resolution graphs of these title-only documents again (or remove them); mark what changes dirty."""
    store, ledger, minter = writer.store, writer.ledger, writer.minter
    keys: dict[str, str | None] = {}
    plans: list[tuple[ox.NamedNode, ox.NamedNode, set[str], list[Link]]] = []
    for titled in titled_docs:
        node = ox.NamedNode(titled)
        graph = minter.resolution_graph(titled)
        before = {str(q.object.value) for q in store.quads_for_pattern(None, X.gk.resolvedTo, None, graph)}  # type: ignore[union-attr]
        title = next((str(q.object.value) for q in store.quads_for_pattern(node, X.eli.title, None, None)), None)  # type: ignore[union-attr]
        cited = next(iter(store.quads_for_pattern(None, X.gk.cites, node, None)), None) is not None
        links: list[Link] = []
        key = keys[titled] = title_key(title) if title is not None and cited else None
        if key is not None:
            links = _links(store, ledger, minter, titled, key)
        plans.append((node, graph, before, links))
    # their summaries change: marked before the store is written, so a crash in between redoes it all
    changed = {n.value for n, _, _, _ in plans} | {d for _, _, b, ls in plans for d in b | {x.target for x in ls}}
    ledger.index_titled(keys, changed)
    quads: list[ox.Quad] = []
    gone: set[ox.NamedNode] = set()
    table = _table_documents(minter)
    for node, graph, before, links in plans:
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
        for link in links:
            quads += _link_quads(minter, node, link, graph)
            if link.method == "foundationalTable":
                quads += _table_description(store, minter, table[link.target])
        gone |= {ox.NamedNode(d) for d in before - {x.target for x in links}} | (set() if links else {node})
    if quads:
        store.bulk_extend(quads)
    if gone:
        writer.collect(gone)


def _links(store: ox.Store, ledger: Ledger, minter: Minter[ox.NamedNode], titled: str, key: str) -> list[Link]:
    versions = _table_match(key)
    if versions:
        return [
            Link(minter.document(v.document.number, STATE).value, "foundationalTable", v.document.source,
                 None, v.from_year, v.until_year)
            for v in versions
        ]  # fmt: skip
    regions: list[str | None] | None = None
    for doc, kind, reports, evidence in _candidates(ledger, key):
        adcode, year = _issuer(store, doc)
        if adcode is None:
            continue
        if adcode != STATE:
            if regions is None:
                regions = _citing_regions(store, titled)
            if not all(r is not None and _within(r, adcode) for r in regions):
                continue
        return [Link(doc, METHODS[kind], evidence, reports, year - 1 if year is not None else None)]
    return []


def _candidates(ledger: Ledger, key: str) -> list[tuple[str, str, int, str]]:
    """The numbered documents a title-only document of title key ``key`` may be, best first:
    (document, kind of match, reports printing it, the citation to show)."""
    found: dict[str, tuple[int, int, str, str]] = {}  # doc -> (rank, reports, evidence, kind), the best kind only

    def offer(doc: str, kind: str, reports: int, evidence: str) -> None:
        rank = _RANK[kind]
        old = found.get(doc)
        if old is None or rank < old[0]:
            found[doc] = (rank, reports, evidence, kind)
        elif rank == old[0]:  # several printings of one kind: their reports add up; the most printed one is shown
            found[doc] = (rank, old[1] + reports, evidence if reports > old[1] else old[2], kind)

    for doc, _, reports, evidence in ledger.printed_as(key, "title"):
        offer(doc, SAME, reports, evidence)
    if len(key) >= _ACROSS_MIN:
        for doc, _, reports, evidence in ledger.printed_as(key, "alias"):
            offer(doc, ALIAS, reports, evidence)
        for doc, printed_key, reports, evidence in ledger.printed_containing(key):
            if shorter_form(key, printed_key):
                offer(doc, SHORTER, reports, evidence)
    ranked = sorted(found.items(), key=lambda kv: (kv[1][0], -kv[1][1], kv[0]))
    return [(doc, kind, reports, evidence) for doc, (_, reports, evidence, kind) in ranked]


def _table_match(key: str) -> tuple[Version, ...]:
    """The versions of the foundational document a title key names (the same title first, then a shorter form)."""
    table = foundational_versions()
    if key in table:
        return table[key]
    longer = sorted(k for k in table if len(key) >= _ACROSS_MIN and shorter_form(key, k))
    return table[longer[0]] if longer else ()


def _within(adcode: str, issuer: str) -> bool:
    """Whether region ``adcode`` lies in the issuing region ``issuer`` (a province, a city or a county)."""
    region = gazetteer().get(issuer)
    level = region.level if region else "county"
    width = {"province": 2, "city": 4}.get(level, 6)
    return adcode[:width] == issuer[:width]


def _printed(store: ox.Store, graph: str) -> list[tuple[str, str, str, str, str]]:
    """What one source's numbered citations print: (document, title key or short form key, "title" or "alias",
    report, citation)."""
    subs = {ox.Variable("g"): ox.NamedNode(graph)}
    rows = store.query(_PRINTED, substitutions=subs)  # type: ignore[arg-type]
    return [p for r in rows for p in _printings(r)]  # type: ignore[union-attr]


def _printings(r) -> list[tuple[str, str, str, str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for kind, term in (("title", r["title"]), ("alias", r["alias"])):
        key = title_key(term.value) if term is not None else ""
        if len(key) >= (_MIN_TITLE if kind == "title" else 1):
            out.append((r["doc"].value, key, kind, r["report"].value, r["c"].value))
    return out


def _citing_regions(store: ox.Store, titled: str) -> list[str | None]:
    subs = {ox.Variable("doc"): ox.NamedNode(titled)}
    rows = store.query(_CITING_REGIONS, substitutions=subs, use_default_graph_as_union=True)  # type: ignore[arg-type]
    return [r["adcode"].value if r["adcode"] is not None else None for r in rows]  # type: ignore[union-attr]


def _issuer(store: ox.Store, doc: str) -> tuple[str | None, int | None]:
    """The issuing region's code and the year of a numbered document (None when unknown)."""
    subs = {ox.Variable("doc"): ox.NamedNode(doc)}
    rows = list(store.query(_ISSUER, substitutions=subs, use_default_graph_as_union=True))  # type: ignore[arg-type]
    adcodes = sorted(r["adcode"].value for r in rows if r["adcode"] is not None)  # type: ignore[index]
    years = sorted(int(r["date"].value[:4]) for r in rows if r["date"] is not None)  # type: ignore[index]
    return (adcodes[0] if adcodes else None), (years[0] if years else None)


def _all_documents(store: ox.Store, minter: Minter[ox.NamedNode]) -> set[str]:
    graph = minter.shared_graph("documents")
    return {
        q.subject.value
        for q in store.quads_for_pattern(None, X.rdf.type, X.eli.LegalResource, graph)
        if isinstance(q.subject, ox.NamedNode)
    }


def _is_described(store: ox.Store, minter: Minter[ox.NamedNode], doc: str) -> bool:
    graph = minter.shared_graph("documents")
    return next(iter(store.quads_for_pattern(ox.NamedNode(doc), X.rdf.type, None, graph)), None) is not None


def _link_quads(minter: Minter[ox.NamedNode], titled: ox.NamedNode, link: Link, graph: ox.NamedNode) -> list[ox.Quad]:
    node = minter.resolution(titled.value, link.target)
    out = [
        ox.Quad(node, X.rdf.type, X.gk.Resolution, graph),
        ox.Quad(node, X.gk.resolves, titled, graph),
        ox.Quad(node, X.gk.resolvedTo, ox.NamedNode(link.target), graph),
        ox.Quad(node, X.gk.resolvedBy, getattr(X.gk, link.method), graph),
        ox.Quad(node, ox.NamedNode(_PROV), ox.NamedNode(link.derived_from), graph),
    ]
    if link.supporting is not None:
        out.append(ox.Quad(node, X.gk.supportingReports, lit(link.supporting), graph))
    if link.from_year is not None:
        out.append(ox.Quad(node, X.gk.fromYear, lit(link.from_year), graph))
    if link.until_year is not None:
        out.append(ox.Quad(node, X.gk.untilYear, lit(link.until_year), graph))
    return out


# ---------------------------------------------------------------------------------------------------- the table
@lru_cache(maxsize=4)
def _table_documents(minter: Minter[ox.NamedNode]) -> dict[str, Foundational]:
    """The table's documents by IRI."""
    return {minter.document(row.number, STATE).value: row for row in load_foundational()}


def _table_description(store: ox.Store, minter: Minter[ox.NamedNode], row: Foundational) -> tuple[ox.Quad, ...]:
    """What the store lacks of a table document's description (nothing once its title is there: a description is
    added and removed whole)."""
    doc = minter.document(row.number, STATE)
    title = ox.Quad(doc, X.eli.title, lit(row.title, lang="zh"), minter.shared_graph("documents"))
    return () if title in store else _describe_table_document(minter, row)


@lru_cache(maxsize=64)
def _describe_table_document(minter: Minter[ox.NamedNode], row: Foundational) -> tuple[ox.Quad, ...]:
    """The shared description of a table document: what a report citing it by its number writes (the same code
    describes it, on the citation 《title》（number）), its title and the year it was issued."""
    from kg.build import build_source_graph, year_literal
    from kg.extract.report import extract_facts
    from kg.sources import SourceDocument
    from kg.text import normalize

    text = f"《{row.title}》（{row.number}）"
    source = SourceDocument(f"foundational:{row.number}", "foundational_documents.csv", text, "utf-8")
    norm = normalize(text)
    built = build_source_graph(minter, source, norm, extract_facts(norm.norm))
    doc = minter.document(row.number, STATE)
    shared = {minter.shared_graph("documents"), minter.shared_graph("regions")}
    by_subject: dict[ox.NamedNode, list[ox.Quad]] = defaultdict(list)
    for q in built.quads:
        if q.graph_name in shared and isinstance(q.subject, ox.NamedNode):
            by_subject[q.subject].append(q)
    if doc not in by_subject:
        raise ValueError(f"foundational_documents.csv: {row.number} is not read as a national document's number")
    out: list[ox.Quad] = []
    seen: set[ox.NamedNode] = set()
    todo = [doc]
    while todo:  # the document and what its description leads to (its issuer, the State)
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in by_subject.get(node, []):
            out.append(q)
            if isinstance(q.object, ox.NamedNode):
                todo.append(q.object)
    documents = minter.shared_graph("documents")
    out.append(ox.Quad(doc, X.eli.date_document, year_literal(row.date.year), documents))
    out.append(ox.Quad(doc, X.eli.title, lit(row.title, lang="zh"), documents))
    return tuple(sorted(set(out), key=str))
