"""Every shape: the shapes graph is valid SHACL, one conforming example, and one violating example per shape."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.config import Config
from kg.validate import load_shapes, validate_graph

PREFIXES = """
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix eli: <http://data.europa.eu/eli/ontology#> .
@prefix gk: <https://w3id.org/govkg/ontology#> . @prefix oa: <http://www.w3.org/ns/oa#> .
@prefix qb: <http://purl.org/linked-data/cube#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> . @prefix lv: <https://w3id.org/govkg/vocab/level/> .
@prefix bk: <https://w3id.org/govkg/vocab/body/> . @prefix pf: <https://w3id.org/govkg/vocab/platform/> .
@prefix ind: <https://w3id.org/govkg/vocab/indicator/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix id: <https://example.org/id/> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
"""
CONFORMING = (
    PREFIXES
    + """
id:src a gk:SourceDocument ; gk:fileName "a.txt" ; gk:characters 10 ; gk:mention id:m ;
    gk:sha256 "0000000000000000000000000000000000000000000000000000000000000000" .
id:rep a gk:AnnualReport ; gk:source id:src ; gk:reportingRegion id:r321281 ; gk:level lv:county ;
    gk:bodyKind bk:government ; gk:yearCovered "2016"^^xsd:gYear ; dcterms:issued "2017-02-28"^^xsd:date ;
    gk:reportNumber "兴政办发〔2017〕3号" ; gk:copies 1 .
id:m a gk:Mention ; gk:fromSource id:src ; oa:start 0 ; oa:end 4 ; oa:exact "2016" ; oa:prefix "" ; oa:suffix "年" .
id:cit a gk:Citation ; gk:citedDocument id:doc ; gk:mention id:m ; gk:titleOnly false ; gk:citedNumber "国办发〔2016〕19号" .
id:doc a eli:LegalResource ; eli:id_local "国办发〔2016〕19号" ; eli:passed_by id:issuer ;
    gk:issuerLevel lv:national ; eli:date_document "2016"^^xsd:gYear .
id:issuer a gk:Issuer .
id:res a gk:Resolution ; gk:resolves id:titled ; gk:resolvedTo id:doc ; gk:resolvedBy gk:foundationalTable ;
    gk:fromYear 2007 ; gk:untilYear 2018 ; <http://www.w3.org/ns/prov#wasDerivedFrom> <http://www.gov.cn/a.htm> .
id:obs a qb:Observation ; qb:dataSet id:stats ; sdmx-dimension:refArea id:r321281 ;
    sdmx-dimension:refPeriod "2016"^^xsd:gYear ; gk:level lv:county ; gk:indicator ind:requests_received ;
    gk:value "53"^^xsd:decimal ; gk:approximate false ; gk:report id:rep ; gk:mention id:m .
id:rd a gk:Reading ; gk:indicator ind:requests_received ; gk:value "53"^^xsd:decimal ; gk:approximate false ; gk:mention id:m .
id:plat a gk:Platform ; gk:platformType pf:wechat ; gk:mention id:m .
id:r321281 a gk:Region ; gk:adcode "321281" ; rdfs:label "兴化市"@zh ; schema:containedInPlace id:r321200 ; gk:province id:r320000 .
id:r321200 a gk:Region ; gk:adcode "321200" ; rdfs:label "泰州市"@zh ; schema:containedInPlace id:r320000 ; gk:province id:r320000 .
id:r320000 a gk:Region ; gk:adcode "320000" ; rdfs:label "江苏省"@zh .
"""
)
# shape → (triples removed, triples added) that make its focus violate it
VIOLATIONS = {
    "ReportShape": ('id:rep gk:yearCovered "2016"^^xsd:gYear .', 'id:rep gk:yearCovered "16"^^xsd:gYear .'),
    "SourceShape": ("", 'id:src gk:sha256 "abc" .'),
    "CitationShape": ("", 'id:cit gk:citedNumber "国办发[2016]19" .'),
    "NumberedDocumentShape": ("id:doc eli:passed_by id:issuer .", ""),
    "RegionShape": ("", 'id:r321281 gk:adcode "32128" .'),
    "SubProvincialRegionShape": ("id:r321281 schema:containedInPlace id:r321200 .", ""),
    "MentionShape": ("id:m oa:end 4 .", "id:m oa:end -1 ."),
    "ObservationShape": ("id:obs gk:value \"53\"^^xsd:decimal .", "id:obs gk:value -1.0 ."),
    "ReadingShape": ("id:rd gk:mention id:m .", ""),
    "PlatformShape": ("id:plat gk:platformType pf:wechat .", ""),
    "ResolutionShape": ("id:res gk:resolvedBy gk:foundationalTable .", "id:res gk:resolvedBy gk:guessed ."),
}
GKS = "https://w3id.org/govkg/shapes#"


def _graph(extra_remove: str = "", extra_add: str = "") -> Graph:
    g = Graph().parse(data=CONFORMING, format="turtle")
    if extra_remove:
        for t in Graph().parse(data=PREFIXES + extra_remove, format="turtle"):
            assert t in g, t
            g.remove(t)
    if extra_add:
        g.parse(data=PREFIXES + extra_add, format="turtle")
    return g


def test_shapes_are_valid_shacl() -> None:
    from pyshacl import validate

    shapes = load_shapes(Config().shapes_dir)
    conforms, _, text = validate(shapes, shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_every_shape_has_a_violating_example_and_bilingual_messages() -> None:
    shapes = load_shapes(Config().shapes_dir)
    names = {str(s)[len(GKS) :] for s in shapes.subjects(RDF.type, SH.NodeShape) if str(s).startswith(GKS)}
    assert names == set(VIOLATIONS)
    for node in set(shapes.subjects(SH.message, None)):
        langs = {m.language for m in shapes.objects(node, SH.message)}
        assert langs == {"zh", "en"}, node


def test_conforming_example(config: Config) -> None:
    result = validate_graph(_graph(), config)
    assert result.conforms, result.violations


@pytest.mark.parametrize("shape", sorted(VIOLATIONS))
def test_violating_example(shape: str, config: Config) -> None:
    data = _graph(*VIOLATIONS[shape])
    before = len(data)
    result = validate_graph(data, config)
    assert not result.conforms
    assert len(data) == before  # validation does not mutate its input
    shapes = load_shapes(config.shapes_dir)
    node = URIRef(GKS + shape)
    owned = {str(node)} | {str(p) for p in shapes.objects(node, SH.property)}
    assert any(v.source in owned for v in result.violations), result.violations
