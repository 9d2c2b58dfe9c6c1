"""Facts → RDF quads, built as pyoxigraph terms (no rdflib on the hot path).

One source (a file or record, a *copy* of a report) gives:

- its own graph (``graph/source/…``): the source document and everything this copy says — the report's identity as
  printed, its citations, platforms, initiatives, agencies and figures — each fact with the span it was read from;
- descriptions of shared entities (cited documents and their issuers, regions, governments, agencies, candidate
  initiatives) in the shared graphs. A shared description depends only on the entity's IRI, so every source that
  mentions the entity writes the same triples into the same graph, where the store keeps them once.

What the report says across all its copies (one report scraped from several sites) is derived from the copies in
:mod:`kg.derive`; nothing here writes a triple about the report itself, so no triple can land in two graphs.

Spans are Web Annotation selectors folded into the span node: ``gk:Mention`` is both an ``oa:TextPositionSelector``
(``oa:start``, ``oa:end``) and an ``oa:TextQuoteSelector`` (``oa:exact`` with its ``oa:prefix`` and ``oa:suffix``),
with ``gk:fromSource`` its source — seven triples per span (twelve with separate selector nodes) that keep every fact
traceable to its offsets, its exact quote and the sentence around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pyoxigraph as ox

from kg.extract.facts import Facts, Identity
from kg.iris import Minter, concept, scheme, short_hash
from kg.namespaces import X
from kg.resolve.regions import STATE, gazetteer
from kg.resolve.vocab import platform_classes
from kg.sources import SourceDocument
from kg.text import Text

Term = ox.NamedNode | ox.Literal | ox.BlankNode


def C(scheme_name: str, notation: str) -> ox.NamedNode:
    return _concept(scheme_name, notation)


@cache
def _concept(scheme_name: str, notation: str) -> ox.NamedNode:
    return concept(scheme_name, notation, ox.NamedNode)


_STRING = X.xsd.string
_INTEGER = X.xsd.integer
_BOOLEAN = X.xsd.boolean
_DECIMAL = X.xsd.decimal
_GYEAR = X.xsd.gYear
_DATE = X.xsd.date
_ANYURI = X.xsd.anyURI
TRUE = ox.Literal("true", datatype=_BOOLEAN)
FALSE = ox.Literal("false", datatype=_BOOLEAN)
_CONTEXT = 24  # characters before and after each quote kept with it (oa:prefix, oa:suffix)
_CONTENT_CHARS = re.compile(r"[^\u4e00-\u9fff0-9]")
_PLATFORM_CLASS = {ptype: ox.NamedNode(str(cls)) for ptype, cls in platform_classes().items()}
CANDIDATE_SCHEME = "initiative-candidates"


def lit(value: str | int | bool, datatype: ox.NamedNode | None = None, lang: str | None = None) -> ox.Literal:
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=_INTEGER)
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=datatype) if datatype else ox.Literal(value)


def year_literal(year: int) -> ox.Literal:
    return ox.Literal(str(year), datatype=_GYEAR)


def decimal_literal(value: float, places: int | None = None) -> ox.Literal:
    """An xsd:decimal in the canonical form the store keeps (53, 32.060875), so the same value is the same literal
    whether it was just built or read back from the store."""
    d = Decimal(str(round(value, places) if places is not None else value)).normalize()
    text = format(d, "f")
    return ox.Literal("0" if text in ("-0", "0") else text, datatype=_DECIMAL)


@dataclass
class Built:
    """What one source gives: its graph's quads and the shared descriptions (both as pyoxigraph quads)."""

    source_key: str
    graph: ox.NamedNode  # the source's own graph
    report: ox.NamedNode  # the report this source is a copy of
    quads: list[ox.Quad]  # the source graph and the shared descriptions, each quad in its graph


def body_key(ident: Identity) -> str:
    """The reporting body within its region: its government, a township's government, or a department."""
    if ident.level == "township" and ident.body_name:
        return f"town-{short_hash(ident.body_name, 10)}"
    if ident.body == "government":
        return "government"
    return f"dept-{short_hash(ident.body_name or '', 10)}"


def content_key(text: Text) -> str:
    """What copies of one text share whatever their script, spacing and punctuation: its Han characters and digits."""
    return _CONTENT_CHARS.sub("", text.norm)


class _Builder:
    def __init__(self, minter: Minter[ox.NamedNode], doc: SourceDocument, text: Text) -> None:
        self.m = minter
        self.doc = doc
        self.text = text
        self.key = doc.source_id
        self.src = minter.source(self.key)
        self.g = minter.graph(self.key)
        self.graphs = {name: minter.shared_graph(name) for name in ("documents", "regions", "agencies", "initiatives")}
        self.quads: list[ox.Quad] = []
        self._mentions: set[tuple[int, int]] = set()
        self._described: set[str] = set()
        self.body: ox.NamedNode | None = None  # the reporting body, once known: it operates the platforms

    def add(self, s: ox.NamedNode, p: ox.NamedNode, o: Term) -> None:
        self.quads.append(ox.Quad(s, p, o, self.g))

    def shared(self, graph: str, s: ox.NamedNode, p: ox.NamedNode, o: Term) -> None:
        self.quads.append(ox.Quad(s, p, o, self.graphs[graph]))

    def first_time(self, node: ox.NamedNode) -> bool:
        """Whether a shared entity is described for the first time by this source (describe it once per source)."""
        if node.value in self._described:
            return False
        self._described.add(node.value)
        return True

    def mention(self, span: tuple[int, int]) -> ox.NamedNode:
        s, e = self.text.span(*span)
        node = self.m.mention(self.key, s, e)
        if (s, e) not in self._mentions:
            self._mentions.add((s, e))
            add = self.add
            add(node, X.rdf.type, X.gk.Mention)
            add(node, X.gk.fromSource, self.src)
            add(node, X.oa.start, lit(s))
            add(node, X.oa.end, lit(e))
            original = self.text.original
            add(node, X.oa.exact, lit(original[s:e]))
            add(node, X.oa.prefix, lit(original[max(0, s - _CONTEXT) : s]))  # the sentence around it
            add(node, X.oa.suffix, lit(original[e : e + _CONTEXT]))
        return node


def describe_region(b: _Builder, code: str) -> ox.NamedNode:
    """Describe a region, its ancestors and its successor in the regions graph."""
    m = b.m
    node = m.region(code)
    gz = gazetteer()
    r = gz.get(code)
    if r is None or not b.first_time(node):
        return node
    add = lambda p, o: b.shared("regions", node, p, o)  # noqa: E731
    add(X.rdf.type, X.gk.Region)
    add(X.rdf.type, X.schema.AdministrativeArea)
    add(X.gk.adcode, lit(code))
    add(X.rdfs.label, lit(r.name, lang="zh"))
    add(X.gk.level, C("level", r.level))
    if not r.current:
        add(X.gk.retired, TRUE)
        if succ := gz.successor(code):
            add(X.gk.successor, describe_region(b, succ))
    if r.lon is not None and r.lat is not None:
        add(X.schema.longitude, decimal_literal(r.lon, 6))
        add(X.schema.latitude, decimal_literal(r.lat, 6))
    parent = gz.parent(code)
    if parent and parent != STATE:
        add(X.schema.containedInPlace, describe_region(b, parent))
        add(X.gk.province, m.region(code[:2] + "0000"))
    elif code != STATE:
        add(X.gk.province, node)
    return node


def describe_government(b: _Builder, code: str) -> ox.NamedNode:
    gov = b.m.government(code)
    if b.first_time(gov):
        region = describe_region(b, code)
        label = "国务院" if code == STATE else gazetteer().name(code) + "人民政府"
        for p, o in (
            (X.rdf.type, X.org.Organization),
            (X.rdf.type, X.schema.GovernmentOrganization),
            (X.gk.reportingRegion, region),
            (X.skos.prefLabel, lit(label, lang="zh")),
        ):
            b.shared("regions", gov, p, o)
    return gov


def describe_agency(b: _Builder, code: str, name: str) -> ox.NamedNode:
    node = b.m.agency(code, name)
    if b.first_time(node):
        gov = describe_government(b, code)
        b.shared("agencies", node, X.rdf.type, X.org.Organization)
        b.shared("agencies", node, X.skos.prefLabel, lit(name, lang="zh"))
        b.shared("agencies", node, X.org.subOrganizationOf, gov)
    return node


def report_iri(minter: Minter[ox.NamedNode], ident: Identity, text: Text) -> ox.NamedNode:
    return minter.report(ident.region_code, body_key(ident), ident.year, content_key(text))


def build_source_graph(minter: Minter[ox.NamedNode], doc: SourceDocument, text: Text, facts: Facts) -> Built:
    b = _Builder(minter, doc, text)
    ident = facts.identity
    src, add = b.src, b.add

    # the source document: one copy of the report, as one site published it
    add(src, X.rdf.type, X.gk.SourceDocument)
    add(src, X.gk.fileName, lit(doc.file_name))
    add(src, X.gk.encoding, lit(doc.encoding))
    add(src, X.gk.sha256, lit(doc.sha256))
    add(src, X.gk.characters, lit(len(text.original)))
    add(src, X.gk.convertedFromTraditional, lit(text.traditional))
    add(src, X.dcterms.format, lit(doc.media_type))
    if doc.url:
        add(src, X.dcterms.source, lit(doc.url, _ANYURI))
    if doc.fetched:
        add(src, X.dcterms.date, lit(doc.fetched))
    if doc.pages:  # where each page starts in the text
        add(src, X.gk.pageOffsets, lit(" ".join(str(p) for p in doc.pages)))

    # which report it is a copy of, and the report's identity as this copy prints it
    report = report_iri(minter, ident, text)
    add(report, X.gk.source, src)
    add(src, X.gk.bodyKind, C("body", ident.body))
    add(src, X.gk.level, C("level", ident.level or "unknown"))
    if ident.region_code:
        add(src, X.gk.reportingRegion, describe_region(b, ident.region_code))
        if ident.body == "government" and ident.level != "township" or not ident.body_name:
            body = describe_government(b, ident.region_code)
        else:
            body = describe_agency(b, ident.region_code, ident.body_name)
        add(src, X.gk.reportingBody, body)
        b.body = body
    if ident.year:
        add(src, X.gk.yearCovered, year_literal(ident.year))
    if ident.title:
        add(src, X.dcterms.title, lit(ident.title, lang="zh"))
    if ident.published:
        add(src, X.dcterms.issued, lit(ident.published, _DATE))
    if ident.index_number:
        add(src, X.gk.indexNumber, lit(ident.index_number))
    if ident.report_number:
        add(src, X.gk.reportNumber, lit(ident.report_number))
    for field_name in sorted(ident.spans):
        add(src, X.gk.mention, b.mention(ident.spans[field_name]))
    _evidence(b, ident)

    _citations(b, facts)
    _platforms(b, facts)
    _initiatives(b, facts)
    _statistics(b, facts)
    _agencies(b, facts, ident.region_code)
    return Built(doc.source_id, b.g, report, b.quads)


def _evidence(b: _Builder, ident: Identity) -> None:
    """What decided who reports (leading claim first) and for which year, each with its span when it has one."""
    items = [("region", e) for e in ident.evidence]
    if ident.year_evidence is not None:
        items.append(("year", ident.year_evidence))
    for i, (what, e) in enumerate(items):
        node = b.m.fact(b.key, "evidence", str(i))
        b.add(b.src, X.gk.evidence, node)
        b.add(node, X.rdf.type, X.gk.Evidence)
        b.add(node, X.gk.evidenceFor, lit(what))
        b.add(node, X.gk.evidenceKind, lit(e.kind))
        if e.value:
            b.add(node, X.gk.evidenceValue, lit(e.value))
        if e.span[1] > e.span[0]:
            b.add(node, X.gk.mention, b.mention(e.span))


def _document(b: _Builder, c) -> ox.NamedNode:  # type: ignore[no-untyped-def]
    """The cited document, described (once, in the documents graph) by what its IRI determines."""
    m = b.m
    if not (c.number and c.issuer):
        doc = m.titled_document(c.title or "")
        if b.first_time(doc):
            b.shared("documents", doc, X.rdf.type, X.eli.LegalResource)
            if c.title:
                b.shared("documents", doc, X.eli.title, lit(c.title, lang="zh"))
        return doc
    doc = m.document(c.number, c.issuer.adcode)
    if not b.first_time(doc):
        return doc
    add = lambda s, p, o: b.shared("documents", s, p, o)  # noqa: E731
    issuer = m.issuer(c.issuer.code, c.issuer.adcode)
    add(doc, X.rdf.type, X.eli.LegalResource)
    add(doc, X.eli.id_local, lit(c.number))
    if c.year:
        add(doc, X.eli.date_document, year_literal(c.year))
    add(doc, X.eli.passed_by, issuer)
    add(doc, X.gk.issuerCode, lit(c.issuer.code))
    add(doc, X.gk.issuerLevel, C("level", c.issuer.level))
    if b.first_time(issuer):
        add(issuer, X.rdf.type, X.gk.Issuer)
        add(issuer, X.gk.issuerCode, lit(c.issuer.code))
        if c.issuer.organ:
            add(issuer, X.skos.prefLabel, lit(c.issuer.organ, lang="zh"))
        if c.issuer.adcode:
            add(issuer, X.gk.issuerRegion, describe_region(b, c.issuer.adcode))
    if c.issuer.adcode:
        add(doc, X.gk.issuerRegion, describe_region(b, c.issuer.adcode))
    return doc


def _citations(b: _Builder, facts: Facts) -> None:
    m, key, add = b.m, b.key, b.add
    for c in facts.citations:
        node = m.fact(key, "citation", short_hash(c.number or f"title:{c.title}"))
        add(b.src, X.gk.citation, node)
        add(node, X.rdf.type, X.gk.Citation)
        add(node, X.gk.citedDocument, _document(b, c))
        add(node, X.gk.mention, b.mention(c.span))
        add(node, X.gk.titleOnly, lit(c.number is None))
        if c.number and c.issuer:
            add(node, X.gk.citedNumber, lit(c.number))
        if c.title:
            add(node, X.gk.citedTitle, lit(c.title))
        if c.alias:
            add(node, X.gk.alias, lit(c.alias))


def _platforms(b: _Builder, facts: Facts) -> None:
    m, key, add = b.m, b.key, b.add
    for p in facts.platforms:
        node = m.fact(key, "platform", f"{p.type}-{short_hash((p.name or '') + '|' + (p.url or ''))}")
        add(b.src, X.gk.platform, node)
        add(node, X.rdf.type, X.gk.Platform)
        if cls := _PLATFORM_CLASS.get(p.type):
            add(node, X.rdf.type, cls)
        add(node, X.gk.platformType, C("platform", p.type))
        if p.name:
            add(node, X.schema.name, lit(p.name))
        if p.url:
            add(node, X.schema.url, lit(p.url))
            add(node, X.gk.suspiciousUrl, lit(p.suspicious))
        if b.body is not None:
            add(node, X.gk.operatedBy, b.body)
        add(node, X.gk.mention, b.mention(p.span))


def _initiatives(b: _Builder, facts: Facts) -> None:
    for i in facts.initiatives:
        if i.notation:
            node = C("initiative", i.notation)
        else:
            node = b.m.initiative(i.label)
            if b.first_time(node):
                b.shared("initiatives", node, X.rdf.type, X.skos.Concept)
                b.shared("initiatives", node, X.skos.prefLabel, lit(i.label, lang="zh"))
                b.shared("initiatives", node, X.skos.inScheme, ox.NamedNode(scheme(CANDIDATE_SCHEME)))
                b.shared("initiatives", node, X.gk.candidate, TRUE)
        # the span where the report names it, as printed (报告原文的写法)
        mention = b.mention(i.span)
        b.add(b.src, X.gk.mention, mention)
        b.add(mention, X.gk.initiative, node)


def _statistics(b: _Builder, facts: Facts) -> None:
    """Each figure as this copy prints it (a reading); the report's observation is derived from its copies' readings."""
    for s in facts.statistics:
        node = b.m.fact(b.key, "reading", s.key)
        b.add(b.src, X.gk.reading, node)
        b.add(node, X.rdf.type, X.gk.Reading)
        b.add(node, X.gk.indicator, C("indicator", s.key))
        b.add(node, X.gk.value, decimal_literal(s.value))
        b.add(node, X.gk.approximate, lit(s.approximate))
        b.add(node, X.gk.mention, b.mention(s.span))


def _agencies(b: _Builder, facts: Facts, region_code: str | None) -> None:
    if not region_code:
        return
    for a in facts.agencies:
        node = describe_agency(b, region_code, a.full_name)
        b.add(b.src, X.gk.agency, node)
        b.add(node, X.gk.mention, b.mention(a.span))
