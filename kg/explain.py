"""``explain``: a fact with the sentence it was read from (and the page, for a paged source such as a PDF); for a
document cited by title only, a numbered document or a resolution between them (:mod:`kg.titles`), how the title
was resolved and the sentence that printed the number."""

from __future__ import annotations

import re
from bisect import bisect_right
from urllib.parse import quote

import pyoxigraph as ox

from kg.config import Config
from kg.errors import QueryError

_FACT = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?fact ?p ?o ?start ?end ?exact ?prefix ?suffix ?file ?pages WHERE {
  { ?fact ?p ?o }
  OPTIONAL {
    # the fact's own spans; for a report, the spans of its copies that say who reports
    { ?fact gk:mention ?m }
    UNION { ?fact gk:source/gk:mention ?m FILTER NOT EXISTS { ?m gk:initiative [] } }
    UNION { ?fact a gk:Mention BIND(?fact AS ?m) }
    UNION { ?fact a gk:Resolution ; prov:wasDerivedFrom/gk:mention ?m }  # the citation that printed the number
    ?m gk:fromSource ?src ; oa:start ?start ; oa:end ?end ; oa:exact ?exact ; oa:prefix ?prefix ; oa:suffix ?suffix .
    ?src gk:fileName ?file .
    OPTIONAL { ?src gk:pageOffsets ?pages }
  }
}
ORDER BY ?p ?o ?start
"""
_EVIDENCE = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?fact ?file ?e ?for ?kind ?value ?exact WHERE {
  ?fact gk:source ?src . ?src gk:fileName ?file ; gk:evidence ?e .
  ?e gk:evidenceFor ?for ; gk:evidenceKind ?kind .
  OPTIONAL { ?e gk:evidenceValue ?value }
  OPTIONAL { ?e gk:mention/oa:exact ?exact }
}
ORDER BY ?file ?e
"""
_RESOLUTIONS = """
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?fact ?link ?titled ?title ?target ?number ?by ?from ?until ?derived ?supporting ?report ?file ?start ?exact
WHERE {
  { ?link gk:resolves ?fact } UNION { ?link gk:resolvedTo ?fact } UNION { ?fact gk:resolves [] BIND (?fact AS ?link) }
  ?link gk:resolves ?titled ; gk:resolvedTo ?target ; gk:resolvedBy ?by ; prov:wasDerivedFrom ?derived .
  OPTIONAL { ?titled eli:title ?title }
  OPTIONAL { ?target eli:id_local ?number }
  OPTIONAL { ?link gk:fromYear ?from }
  OPTIONAL { ?link gk:untilYear ?until }
  OPTIONAL { ?link gk:supportingReports ?supporting }
  OPTIONAL {
    ?src gk:citation ?derived ; gk:fileName ?file . ?report gk:source ?src .
    ?derived gk:mention ?m . ?m oa:start ?start ; oa:exact ?exact .
  }
}
ORDER BY ?link ?start
"""
_METHOD = {
    "foundationalTable": "the foundational table",
    "sameTitle": "the same title",
    "shortForm": "a short form (以下简称)",
    "shorterTitle": "a shorter title",
}
_EXAMPLE = "id:report/321281/government/2016"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# what an IRI may hold unencoded (RFC 3986 reserved and unreserved characters, and % of an existing escape)
_URI_SAFE = "!#$%&'()*+,-./:;=?@[]_~"


def resolve_iri(given: str, base_iri: str) -> str:
    """The IRI that ``given`` stands for: ``<…>``, a whole IRI as ``kg query`` prints it, or a prefixed name
    (``id:report/…``, ``region:320700``, ``gk:Citation``). Characters outside ASCII are percent-encoded, the way
    the data's IRIs are minted, so a name pasted with Chinese in it finds the same node.

    Raises QueryError (exit 2) when ``given`` is none of these.
    """
    from kg.namespaces import prefix_candidates

    text = given.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    prefix, colon, local = text.partition(":")
    known = prefix_candidates(base_iri)
    if colon and prefix in known and not local.startswith("//"):
        text = known[prefix] + local.replace("\\", "")  # a Turtle escape (id:org\/320700) is the character itself
    if not _SCHEME.match(text) or not text.partition(":")[2]:
        raise QueryError(
            f"not an IRI: {given!r}",
            hint=f"give a whole IRI as `kg query` prints it, <…>, or a prefixed name such as {_EXAMPLE}",
        )
    iri = quote(text, safe=_URI_SAFE)
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"not an IRI: {given!r} ({exc})", hint=f"e.g. {_EXAMPLE}") from exc
    return iri


def page_of(offset: int, pages: str | None) -> int | None:
    """The page (from 1) holding character ``offset``, from a source's ``gk:pageOffsets`` ("0 1532 3310")."""
    if not pages:
        return None
    starts = [int(p) for p in pages.split()]
    return bisect_right(starts, offset) if starts else None


def explain_fact(store: ox.Store, iri: str, config: Config) -> str:
    iri = resolve_iri(iri, config.base_iri)
    result = store.query(_FACT, use_default_graph_as_union=True, substitutions={ox.Variable("fact"): ox.NamedNode(iri)})
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    if not rows:
        raise QueryError(f"nothing is known about <{iri}>", hint="copy an IRI from `kg query` output")
    lines = [f"<{iri}>"]
    props = sorted({(r["p"].value, getattr(r["o"], "value", str(r["o"]))) for r in rows})
    lines += [f"  {p.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}: {o}" for p, o in props]
    quotes = sorted(
        {
            (
                r["file"].value,
                int(r["start"].value),
                int(r["end"].value),
                r["prefix"].value,
                r["exact"].value,
                r["suffix"].value,
                r["pages"].value if r["pages"] is not None else None,
            )
            for r in rows
            if r["exact"] is not None
        }
    )
    for file, start, end, prefix, exact, suffix, pages in quotes:
        page = page_of(start, pages)
        where = f"{file} p. {page}" if page else file
        lines.append(f"  read from {where} [{start}:{end}]: …{prefix}【{exact}】{suffix}…")
    lines += _evidence_lines(store, iri)
    lines += _resolution_lines(store, iri)
    return "\n".join(lines) + "\n"


def _evidence_lines(store: ox.Store, iri: str) -> list[str]:
    """For a report: what in each copy decided who reports and for which year."""
    result = store.query(
        _EVIDENCE, use_default_graph_as_union=True, substitutions={ox.Variable("fact"): ox.NamedNode(iri)}
    )
    assert isinstance(result, ox.QuerySolutions)
    out = []
    for r in result:
        said = r["exact"] or r["value"]
        shown = f": 【{said.value}】" if said is not None else ""
        out.append(f"  {r['for'].value} decided in {r['file'].value} by its {r['kind'].value}{shown}")
    return out


def _resolution_lines(store: ox.Store, iri: str) -> list[str]:
    """For a title-only document, a numbered one or a resolution: which title resolves to which number, how, for
    which years, and what printed the number (a report's sentence, or the table's public source)."""
    result = store.query(
        _RESOLUTIONS, use_default_graph_as_union=True, substitutions={ox.Variable("fact"): ox.NamedNode(iri)}
    )
    assert isinstance(result, ox.QuerySolutions)
    out: list[str] = []
    seen: set[str] = set()
    for r in result:
        link = r["link"].value
        if link in seen:
            continue  # the first quote of the citation that printed the number is enough
        seen.add(link)
        title = r["title"].value if r["title"] is not None else r["titled"].value
        number = r["number"].value if r["number"] is not None else r["target"].value
        method = r["by"].value.rsplit("#", 1)[-1]
        years = _years(r["from"].value if r["from"] is not None else None, r["until"].value if r["until"] else None)
        out.append(f"  resolved 《{title}》 → {number} <{r['target'].value}> by {_METHOD.get(method, method)}{years}")
        if r["exact"] is not None:
            n = r["supporting"].value if r["supporting"] is not None else "?"
            out.append(
                f"    number printed by {n} report(s), e.g. <{r['report'].value}> in {r['file'].value} "
                f"[{r['start'].value}]: 【{r['exact'].value}】"
            )
        else:
            out.append(f"    source: {r['derived'].value}")
    return out


def _years(first: str | None, last: str | None) -> str:
    if first and last:
        return f", for the reports covering {first}–{last}"
    if first:
        return f", for the reports covering {first} or later"
    if last:
        return f", for the reports covering {last} or earlier"
    return ""
