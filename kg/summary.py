"""Citation summaries (``graph/summary/…``, one graph per document): per cited document, how many reports and regions cite it, and when.

The questions researchers ask first — the most-cited directives, which regions cite which — aggregate over every
report of the corpus; at 100,000 reports no engine answers them in a second from the raw citations. So ingest keeps
their answers in a derived graph, refreshed for exactly the documents whose citations changed:

```turtle
id:summary/<doc> a gk:CitationSummary ; gk:document id:doc/100000/… ;
    gk:citingReports 4210 ; gk:citingRegions 1893 ; gk:commonTitle "国务院办公厅关于…的通知" .
id:summary/<doc>/321281 a gk:CitationSummary ; gk:document id:doc/100000/… ; gk:region id:region/321281 ;
    gk:reports 3 ; gk:firstYear 2016 ; gk:lastYear 2018 .
```

Like the report graphs, the summary is a function of the data only (reports count once, whatever their copies), so
it is the same whatever order the sources came in.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.build import lit
from kg.iris import Minter
from kg.namespaces import X

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
_TITLES = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?doc ?title (COUNT(?c) AS ?n) WHERE { ?c gk:citedDocument ?doc ; gk:citedTitle ?title }
GROUP BY ?doc ?title
"""


def summarize_document(store: ox.Store, minter: Minter[ox.NamedNode], doc: ox.NamedNode) -> list[ox.Quad]:
    """The summary quads of one document, in its own summary graph (none when no report cites it any more)."""
    g = minter.summary_graph(doc.value)
    subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {ox.Variable("doc"): doc}
    rows = list(store.query(_BY_REGION, substitutions=subs, use_default_graph_as_union=True))  # type: ignore[arg-type]
    total = sum(int(r["reports"].value) for r in rows)
    if total == 0:
        return []
    whole = minter.citation_summary(doc.value, None)
    out = [
        ox.Quad(whole, X.rdf.type, X.gk.CitationSummary, g),
        ox.Quad(whole, X.gk.document, doc, g),
        ox.Quad(whole, X.gk.citingReports, lit(total), g),
        ox.Quad(whole, X.gk.citingRegions, lit(sum(1 for r in rows if r["region"] is not None)), g),
        ox.Quad(whole, X.gk.titleOnly, lit(doc.value.startswith(minter.base + "doc/title/")), g),
    ]
    titles = [
        (int(r["n"].value), r["title"].value)
        for r in store.query(_TITLES, substitutions=subs, use_default_graph_as_union=True)  # type: ignore[union-attr]
    ]
    if titles:
        _, title = min(titles, key=lambda t: (-t[0], t[1]))
        out.append(ox.Quad(whole, X.gk.commonTitle, lit(title, lang="zh"), g))
    for r in rows:
        region = r["region"]
        if not isinstance(region, ox.NamedNode):
            continue
        node = minter.citation_summary(doc.value, region.value.rsplit("/", 1)[-1])
        out += [
            ox.Quad(node, X.rdf.type, X.gk.CitationSummary, g),
            ox.Quad(node, X.gk.document, doc, g),
            ox.Quad(node, X.gk.region, region, g),
            ox.Quad(node, X.gk.reports, r["reports"], g),  # type: ignore[arg-type]
        ]
        if r["first"] is not None:
            out.append(ox.Quad(node, X.gk.firstYear, r["first"], g))  # type: ignore[arg-type]
            out.append(ox.Quad(node, X.gk.lastYear, r["last"], g))  # type: ignore[arg-type]
    return out


def refresh_summaries(store: ox.Store, minter: Minter[ox.NamedNode], docs: Iterable[str]) -> int:
    """Replace the summaries of ``docs`` (IRIs) with what the store says now; returns the quads written."""
    out: list[ox.Quad] = []
    for iri in sorted(set(docs)):
        graph = minter.summary_graph(iri)
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
        out += summarize_document(store, minter, ox.NamedNode(iri))
    if out:
        store.bulk_extend(out)
    return len(out)
