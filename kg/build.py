"""Facts → RDF: one rdflib graph per source (its named graph) and the shared region descriptions.

Every fact links to a :class:`gk:Mention` whose Web Annotation selectors give the original-text offsets and the
exact quote, so each answer leads back to the sentence it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, QB, RDF, RDFS, SDO, SKOS, XSD

from kg.extract.facts import Facts
from kg.iris import Minter, concept, short_hash
from kg.namespaces import ELI, GK, OA, SDMX_DIM
from kg.resolve.regions import STATE, gazetteer
from kg.resolve.vocab import platform_classes
from kg.sources import SourceDocument
from kg.text import Text

_CONTEXT = 24  # characters of prefix/suffix kept with each quote
_PLATFORM_CLASS = platform_classes()


@dataclass
class Built:
    graph: Graph  # the source's named graph
    shared: Graph  # region and organisation descriptions (shared graph, added to, never replaced)
    report: URIRef


class _Builder:
    def __init__(self, minter: Minter, doc: SourceDocument, text: Text, graph: Graph) -> None:
        self.m = minter
        self.doc = doc
        self.text = text
        self.g = graph

    def mention(self, span: tuple[int, int]) -> URIRef:
        s, e = self.text.span(*span)
        node = self.m.mention(self.doc.source_id, s, e)
        g = self.g
        if (node, RDF.type, GK.Mention) in g:
            return node
        pos = self.m.selector(node, "position")
        quote = self.m.selector(node, "quote")
        orig = self.text.original
        g.add((node, RDF.type, GK.Mention))
        g.add((node, GK.fromSource, self.m.source(self.doc.source_id)))
        g.add((node, OA.hasSelector, pos))
        g.add((node, OA.hasSelector, quote))
        g.add((pos, RDF.type, OA.TextPositionSelector))
        g.add((pos, OA.start, Literal(s)))
        g.add((pos, OA.end, Literal(e)))
        g.add((quote, RDF.type, OA.TextQuoteSelector))
        g.add((quote, OA.exact, Literal(orig[s:e])))
        g.add((quote, OA.prefix, Literal(orig[max(0, s - _CONTEXT) : s])))
        g.add((quote, OA.suffix, Literal(orig[e : e + _CONTEXT])))
        return node


def _decimal(value: float, places: int | None = None) -> str:
    """Canonical xsd:decimal lexical form (53.0, 32.060875), so the same value is always the same literal."""
    from decimal import Decimal

    d = Decimal(str(round(value, places) if places is not None else value)).normalize()
    text = format(d, "f")
    return text if "." in text else text + ".0"


def region_description(minter: Minter, code: str, graph: Graph) -> URIRef:
    """Describe a region and its ancestors in ``graph`` (the shared regions graph)."""
    gz = gazetteer()
    node = minter.region(code)
    r = gz.get(code)
    if r is None:
        return node
    graph.add((node, RDF.type, GK.Region))
    graph.add((node, RDF.type, SDO.AdministrativeArea))
    graph.add((node, GK.adcode, Literal(code)))
    graph.add((node, RDFS.label, Literal(r.name, lang="zh")))
    graph.add((node, GK.level, concept("level", r.level)))
    if not r.current:
        graph.add((node, GK.retired, Literal(True)))
        if succ := gz.successor(code):
            graph.add((node, GK.successor, minter.region(succ)))
            region_description(minter, succ, graph)
    if r.lon is not None and r.lat is not None:
        graph.add((node, SDO.longitude, Literal(_decimal(r.lon, 6), datatype=XSD.decimal)))
        graph.add((node, SDO.latitude, Literal(_decimal(r.lat, 6), datatype=XSD.decimal)))
    parent = gz.parent(code)
    if parent and parent != STATE:
        graph.add((node, SDO.containedInPlace, minter.region(parent)))
        graph.add((node, GK.province, minter.region(code[:2] + "0000")))
        region_description(minter, parent, graph)
    elif code != STATE:
        graph.add((node, GK.province, node))
    return node


def build_report_graph(minter: Minter, doc: SourceDocument, text: Text, facts: Facts) -> Built:
    gname = minter.graph(doc.source_id)
    g = Graph(identifier=gname)
    shared = Graph(identifier=minter.shared_graph("regions"))
    b = _Builder(minter, doc, text, g)
    ident = facts.identity
    src = minter.source(doc.source_id)

    # the source document
    g.add((src, RDF.type, GK.SourceDocument))
    g.add((src, DCTERMS.identifier, Literal(doc.source_id)))
    g.add((src, GK.fileName, Literal(doc.file_name)))
    g.add((src, GK.encoding, Literal(doc.encoding)))
    g.add((src, GK.sha256, Literal(doc.sha256)))
    g.add((src, GK.characters, Literal(len(text.original))))
    g.add((src, GK.convertedFromTraditional, Literal(text.traditional)))
    g.add((src, DCTERMS.format, Literal(doc.media_type)))
    g += [(src, GK.pageOffsets, Literal(" ".join(map(str, doc.pages))))] if doc.pages else []  # where pages start
    if doc.url:
        g.add((src, DCTERMS.source, Literal(doc.url, datatype=XSD.anyURI)))
    if doc.fetched:
        g.add((src, DCTERMS.date, Literal(doc.fetched)))

    # the report
    body_key = ident.body if ident.body == "government" else f"dept-{short_hash(ident.body_name or doc.source_id, 10)}"
    report = minter.report(ident.region_code, body_key, ident.year, doc.source_id)
    g.add((report, RDF.type, GK.AnnualReport))
    g.add((report, GK.source, src))
    g.add((report, GK.bodyKind, concept("body", ident.body)))
    g.add((report, GK.level, concept("level", ident.level or "unknown")))
    if ident.title:
        g.add((report, DCTERMS.title, Literal(ident.title, lang="zh")))
    if ident.region_code:
        region = region_description(minter, ident.region_code, shared)
        g.add((report, GK.reportingRegion, region))
        gov = minter.government(ident.region_code)
        if ident.body == "government" or not ident.body_name:
            body = gov
        else:
            body = minter.agency(ident.region_code, ident.body_name)
            g.add((body, ORG.subOrganizationOf, gov))
            g.add((body, RDF.type, ORG.Organization))
            g.add((body, SKOS.prefLabel, Literal(ident.body_name, lang="zh")))
        g.add((report, GK.reportingBody, body))
        shared.add((gov, RDF.type, ORG.Organization))
        shared.add((gov, RDF.type, SDO.GovernmentOrganization))
        shared.add((gov, GK.reportingRegion, region))
        gz = gazetteer()
        label = "国务院" if ident.region_code == STATE else gz.name(ident.region_code) + "人民政府"
        shared.add((gov, SKOS.prefLabel, Literal(label, lang="zh")))
    if ident.year:
        g.add((report, GK.yearCovered, Literal(str(ident.year), datatype=XSD.gYear)))
    if ident.published:
        g.add((report, DCTERMS.issued, Literal(ident.published, datatype=XSD.date)))
    if ident.index_number:
        g.add((report, GK.indexNumber, Literal(ident.index_number)))
    if ident.report_number:
        g.add((report, GK.reportNumber, Literal(ident.report_number)))
    for field_name in sorted(ident.spans):
        g.add((report, GK.mention, b.mention(ident.spans[field_name])))

    _citations(b, report, facts, shared)
    _platforms(b, report, facts, ident.region_code)
    _initiatives(b, report, facts)
    _statistics(b, report, facts, ident)
    _agencies(b, report, facts, ident.region_code)
    return Built(g, shared, report)


def _citations(b: _Builder, report: URIRef, facts: Facts, shared: Graph) -> None:
    g, m, sid = b.g, b.m, b.doc.source_id
    for c in facts.citations:
        key = c.number or f"title:{c.title}"
        node = m.fact(sid, "citation", short_hash(key))
        g.add((report, GK.citation, node))
        g.add((node, RDF.type, GK.Citation))
        g.add((node, GK.mention, b.mention(c.span)))
        if c.title:
            g.add((node, GK.citedTitle, Literal(c.title)))
        if c.alias:
            g.add((node, GK.alias, Literal(c.alias)))
        g.add((node, GK.titleOnly, Literal(c.number is None)))
        if c.number and c.issuer:
            doc = m.document(c.number, c.issuer.adcode)
            g.add((node, GK.citedNumber, Literal(c.number)))
            g.add((doc, ELI.id_local, Literal(c.number)))
            if c.year:
                g.add((doc, ELI.date_document, Literal(str(c.year), datatype=XSD.gYear)))
            issuer = m.issuer(c.issuer.code, c.issuer.adcode)
            g.add((doc, ELI.passed_by, issuer))
            g.add((doc, GK.issuerCode, Literal(c.issuer.code)))
            g.add((doc, GK.issuerLevel, concept("level", c.issuer.level)))
            g.add((issuer, RDF.type, GK.Issuer))
            g.add((issuer, GK.issuerCode, Literal(c.issuer.code)))
            if c.issuer.organ:
                g.add((issuer, SKOS.prefLabel, Literal(c.issuer.organ, lang="zh")))
            if c.issuer.adcode:
                region = region_description(m, c.issuer.adcode, shared)
                g.add((doc, GK.issuerRegion, region))
                g.add((issuer, GK.issuerRegion, region))
        else:
            doc = m.titled_document(c.title or "")
        g.add((doc, RDF.type, ELI.LegalResource))
        if c.title:
            g.add((doc, ELI.title, Literal(c.title, lang="zh")))
        g.add((node, GK.citedDocument, doc))
        g.add((report, GK.cites, doc))


def _platforms(b: _Builder, report: URIRef, facts: Facts, region_code: str | None) -> None:
    g, m, sid = b.g, b.m, b.doc.source_id
    operator = g.value(report, GK.reportingBody)
    for p in facts.platforms:
        node = m.fact(sid, "platform", f"{p.type}-{short_hash((p.name or '') + '|' + (p.url or ''))}")
        g.add((report, GK.platform, node))
        g.add((node, RDF.type, GK.Platform))
        if cls := _PLATFORM_CLASS.get(p.type):
            g.add((node, RDF.type, cls))
        g.add((node, GK.platformType, concept("platform", p.type)))
        if p.name:
            g.add((node, SDO.name, Literal(p.name)))
        if p.url:
            g.add((node, SDO.url, Literal(p.url)))
            g.add((node, GK.suspiciousUrl, Literal(p.suspicious)))
        if operator is not None:
            g.add((node, GK.operatedBy, operator))
        g.add((node, GK.mention, b.mention(p.span)))


def _initiatives(b: _Builder, report: URIRef, facts: Facts) -> None:
    g, m = b.g, b.m
    for i in facts.initiatives:
        node = concept("initiative", i.notation) if i.notation else m.initiative(i.label)
        g.add((report, GK.initiative, node))
        if not i.notation:
            g.add((node, RDF.type, SKOS.Concept))
            g.add((node, SKOS.prefLabel, Literal(i.label, lang="zh")))
            g.add((node, GK.candidate, Literal(True)))
        # the span where the report names it, as printed (报告原文的写法)
        mention = b.mention(i.span)
        g.add((report, GK.mention, mention))
        g.add((mention, GK.initiative, node))


def _statistics(b: _Builder, report: URIRef, facts: Facts, ident) -> None:  # type: ignore[no-untyped-def]
    g, m, sid = b.g, b.m, b.doc.source_id
    for s in facts.statistics:
        node = m.fact(sid, "obs", s.key)
        g.add((node, RDF.type, QB.Observation))
        g.add((node, QB.dataSet, m.dataset("disclosure-statistics")))
        g.add((node, GK.report, report))
        if ident.region_code:
            g.add((node, SDMX_DIM.refArea, m.region(ident.region_code)))
        if ident.year:
            g.add((node, SDMX_DIM.refPeriod, Literal(str(ident.year), datatype=XSD.gYear)))
        g.add((node, GK.indicator, concept("indicator", s.key)))
        g.add((node, GK.value, Literal(_decimal(s.value), datatype=XSD.decimal)))
        g.add((node, GK.approximate, Literal(s.approximate)))
        g.add((node, GK.mention, b.mention(s.span)))


def _agencies(b: _Builder, report: URIRef, facts: Facts, region_code: str | None) -> None:
    g, m = b.g, b.m
    if not region_code:
        return
    gov = m.government(region_code)
    for a in facts.agencies:
        node = m.agency(region_code, a.full_name)
        g.add((report, GK.agency, node))
        g.add((node, RDF.type, ORG.Organization))
        g.add((node, SKOS.prefLabel, Literal(a.full_name, lang="zh")))
        if a.name != a.full_name:
            g.add((node, SKOS.altLabel, Literal(a.name, lang="zh")))
        g.add((node, ORG.subOrganizationOf, gov))
        g.add((node, GK.mention, b.mention(a.span)))
