"""The fast checker (kg.shacl) against pyshacl, the reference, on the same graphs; and what holds by construction.

- On the shapes' conforming example, on every violating example, on random damage to the conforming example and
  on the graphs the examples build, both validators find the same things.
- For any facts at all (hypothesis-generated), the graph :mod:`kg.build` writes satisfies every constraint listed
  in :data:`kg.shacl.BY_CONSTRUCTION` (checked by pyshacl), and each quad lies in its subject's graph: that is why
  ingest need not check them.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from kg.config import Config
from kg.derive import SUMMARY_PREDICATES, derive_report, summarize_copy
from kg.extract.facts import Agency, Citation, Facts, Identity, Initiative, Issuer, Platform, Statistic
from kg.findings import Violation
from kg.iris import Minter
from kg.resolve.identity import Evidence
from kg.shacl import BY_CONSTRUCTION, check_partition, load
from kg.sources import SourceDocument, read_sources
from kg.terms import from_ox, to_ox
from kg.text import normalize
from kg.validate import load_shapes, validate_graph
from kg.worker import process_source

from .conftest import EXAMPLES, FIXTURES
from .test_shapes import CONFORMING, VIOLATIONS, _graph

CONFIG = Config()
SHAPES = load(CONFIG.shapes_dir, CONFIG.ontology_dir)
MINTER: Minter[ox.NamedNode] = Minter(CONFIG.base_iri, ox.NamedNode)


def _quads(g: Graph) -> list[ox.Quad]:
    graph = ox.NamedNode("https://example.org/g")
    return [ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph) for s, p, o in g]  # type: ignore[arg-type]


def _path_key(shapes: Graph, path: object) -> str:
    if isinstance(path, URIRef):
        return str(path)
    inverse = shapes.value(path, SH.inversePath)  # type: ignore[arg-type]
    if inverse is not None:
        return "^" + str(inverse)
    return "/".join(_path_key(shapes, p) for p in Collection(shapes, path))  # type: ignore[arg-type]


def _reference(g: Graph) -> set[tuple[str, str, str, str]]:
    """pyshacl's findings as (node shape, path key, focus, message), but for ``sh:lessThanOrEquals`` (see below)."""
    shapes = load_shapes(CONFIG.shapes_dir)
    out = set()
    pairs = _less_than_or_equals(shapes)
    for v in validate_graph(g, CONFIG).violations:
        if v.message in pairs:
            continue
        source: object = URIRef(v.source) if v.source.startswith("http") else BNode(v.source)
        parent = shapes.value(None, SH.property, source) or source  # type: ignore[arg-type]
        path = shapes.value(source, SH.path)  # type: ignore[arg-type]
        out.add((str(parent), _path_key(shapes, path) if path is not None else "", v.focus, v.message))
    return out | _spec_less_than_or_equals(g, shapes)


def _less_than_or_equals(shapes: Graph) -> dict[str, tuple[str, URIRef, URIRef]]:
    """Each ``sh:lessThanOrEquals`` property shape by its message: (node shape, path, the property compared with)."""
    out = {}
    for ps, other in shapes.subject_objects(SH.lessThanOrEquals):
        path = shapes.value(ps, SH.path)
        assert isinstance(path, URIRef) and isinstance(other, URIRef), "only simple paths are compared here"
        parent = shapes.value(None, SH.property, ps)
        out[" / ".join(sorted(str(m) for m in shapes.objects(ps, SH.message)))] = (str(parent), path, other)
    return out


def _spec_less_than_or_equals(g: Graph, shapes: Graph) -> set[tuple[str, str, str, str]]:
    """The spec's ``sh:lessThanOrEquals``: a finding where SPARQL's ``<=`` is false *or cannot compare* the values.

    pyshacl compares with rdflib's Python ordering instead, which calls an ill-typed literal ("2019-13-01"^^xsd:date)
    less than or equal to any integer and compares IRIs as strings; Oxigraph evaluates SPARQL's ``<=`` as the spec says.
    """
    store = ox.Store()
    store.extend(_quads(g))
    out = set()
    for message, (parent, path, other) in _less_than_or_equals(shapes).items():
        query = f"SELECT DISTINCT ?f WHERE {{ GRAPH ?g {{ ?f <{path}> ?v . ?f <{other}> ?o }} FILTER(!COALESCE(?v <= ?o, false)) }}"
        targets = {str(s) for s in shapes.objects(URIRef(parent), SH.targetClass)}
        for row in store.query(query):  # type: ignore[union-attr]
            focus = row["f"]
            types = {str(t) for t in g.objects(URIRef(focus.value), RDF.type)} if isinstance(focus, ox.NamedNode) else set()
            if types & targets:
                out.add((parent, str(path), focus.value, message))
    return out


def _fast(quads: list[ox.Quad]) -> set[tuple[str, str, str, str]]:
    found: list[Violation] = SHAPES.check(quads)
    out = set()
    for v in found:
        matching = [p for s in SHAPES.node_shapes if s.iri == v.source for p in s.properties if p.messages == v.message]
        key = matching[0].path_key if v.path == "" and len(matching) == 1 else v.path
        out.add((v.source, key, v.focus, v.message))
    return out


def _same(g: Graph) -> None:
    assert _fast(_quads(g)) == _reference(g)


def test_conforming_example_both_conform() -> None:
    g = Graph().parse(data=CONFORMING, format="turtle")
    assert _fast(_quads(g)) == set() == _reference(g)


@pytest.mark.parametrize("shape", sorted(VIOLATIONS))
def test_violating_examples_give_the_same_findings(shape: str) -> None:
    g = _graph(*VIOLATIONS[shape])
    assert _reference(g), shape
    _same(g)


def test_an_ill_typed_start_cannot_be_compared_with_the_end() -> None:
    """SHACL: values that SPARQL's ``<=`` cannot compare are a finding (pyshacl's ordering lets this one pass)."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    g = Graph().parse(data=CONFORMING, format="turtle")
    mention = next(s for s, o in g.subject_objects(RDF.type) if str(o).endswith("#Mention"))
    g.add((mention, URIRef("http://www.w3.org/ns/oa#start"), Literal("2019-13-01", datatype=XSD.date)))
    found = {f for f in _fast(_quads(g)) if "start is not after its end" in f[3]}
    assert found and found <= _reference(g)
    _same(g)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_damage_gives_the_same_findings(data: st.DataObject) -> None:
    from rdflib import Literal
    from rdflib.namespace import XSD

    g = Graph().parse(data=CONFORMING, format="turtle")
    triples = sorted(g, key=str)
    for t in data.draw(st.lists(st.sampled_from(triples), max_size=6, unique=True)):
        g.remove(t)
    subjects = sorted({s for s, _, _ in triples}, key=str)
    predicates = sorted({p for _, p, _ in triples if p != RDF.type}, key=str)
    bad = [Literal("-3", datatype=XSD.integer), Literal(""), Literal("x", lang="en"), Literal("2019-13-01", datatype=XSD.date),
           Literal("20160", datatype=XSD.gYear), URIRef("https://example.org/id/nowhere"), Literal("abc")]  # fmt: skip
    for _ in range(data.draw(st.integers(0, 4))):
        g.add((data.draw(st.sampled_from(subjects)), data.draw(st.sampled_from(predicates)), data.draw(st.sampled_from(bad))))
    _same(g)


def _built_graphs() -> list[Graph]:
    out = []
    docs = [d for d in read_sources([EXAMPLES, FIXTURES], CONFIG.max_file_bytes) if isinstance(d, SourceDocument)]
    for doc in docs:
        built = process_source(doc, MINTER)
        summary = summarize_copy(built.quads, built.graph)
        assert summary is not None
        g = Graph()
        for q in [*built.quads, *derive_report(MINTER, built.report, [summary])]:
            g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
        out.append(g)
    return out


def test_built_graphs_give_the_same_findings() -> None:
    for g in _built_graphs():
        _same(g)


# ------------------------------------------------------------------ what holds by construction
_TEXT = "兴化市人民政府2016年政府信息公开工作年度报告。根据《条例》(国办发〔2016〕19号)，收到申请53件。通过门户网站发布。"
_CODES = ["321281", "320000", "100000", "331083", None]


@st.composite
def _facts(draw: st.DrawFn) -> Facts:
    n = len(_TEXT)

    def span() -> tuple[int, int]:
        a = draw(st.integers(0, n - 1))
        return a, draw(st.integers(a, n))

    code = draw(st.sampled_from(_CODES))
    ident = Identity(
        region_code=code,
        level=draw(st.sampled_from(["county", "city", "province", "national", "township", None])),
        body=draw(st.sampled_from(["government", "department"])),
        body_name=draw(st.sampled_from([None, "兴化市教育局", "某镇人民政府"])),
        year=draw(st.one_of(st.none(), st.integers(1990, 2040))),
        title=draw(st.one_of(st.none(), st.text(min_size=1, max_size=20))),
        spans={k: span() for k in draw(st.lists(st.sampled_from(["title", "year", "region"]), unique=True))},
        evidence=[Evidence(kind, span(), "兴化市", draw(st.sampled_from(_CODES)))
                  for kind in draw(st.lists(st.sampled_from(["title", "heading", "portal", "url"]), max_size=3))],
        conflicting=[Evidence("contact", span(), "泰州市", c) for c in draw(st.lists(st.sampled_from(_CODES), max_size=2))],
        year_evidence=draw(st.one_of(st.none(), st.builds(lambda: Evidence("title", span(), "2016年")))),
    )  # fmt: skip
    issuer = Issuer("国办发", "national", "100000", "国务院办公厅")
    citations = [
        Citation(number=draw(st.sampled_from(["国办发〔2016〕19号", None])), raw=None,
                 title=draw(st.one_of(st.none(), st.text(min_size=1, max_size=12))), issuer=issuer, span=span(),
                 year=draw(st.one_of(st.none(), st.integers(1990, 2030))))
        for _ in range(draw(st.integers(0, 3)))
    ]  # fmt: skip
    platforms = [
        Platform(draw(st.sampled_from(["portal", "wechat", "hotline", "other"])),
                 draw(st.one_of(st.none(), st.text(max_size=8))), draw(st.one_of(st.none(), st.just("www.a.gov.cn"))),
                 span(), draw(st.booleans()))
        for _ in range(draw(st.integers(0, 3)))
    ]  # fmt: skip
    stats = [
        Statistic(key, draw(st.floats(-5, 1e6, allow_nan=False)), draw(st.booleans()), span())
        for key in draw(st.lists(st.sampled_from(["requests_received", "lawsuits"]), unique=True))
    ]
    initiatives = [Initiative(draw(st.sampled_from([None, "wugongkai"])), "五公开", span())]
    agencies = [
        Agency(draw(st.sampled_from(["市发改委", "教育局"])), draw(st.sampled_from(["兴化市发展和改革委员会", "兴化市教育局"])),
               span(), draw(st.sampled_from([None, "市"])), draw(st.sampled_from([None, "发改委"])))
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    return Facts(ident, citations, platforms, initiatives, stats, agencies)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_facts())
def test_what_holds_by_construction_holds_for_any_facts(facts: Facts) -> None:
    from kg.build import build_source_graph

    doc = SourceDocument("by-construction.txt", "by-construction.txt", _TEXT, "utf-8")
    built = build_source_graph(MINTER, doc, normalize(_TEXT), facts)
    summary = summarize_copy(built.quads, built.graph)
    assert summary is not None
    # what the writer reads back of a copy for its summary: only the quads of the predicates the summary reads
    wanted = set(SUMMARY_PREDICATES)
    assert summarize_copy([q for q in built.quads if q.predicate in wanted], built.graph) == summary
    quads = [*built.quads, *derive_report(MINTER, built.report, [summary])]
    g = Graph()
    for q in quads:
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    broken = {(shape, path) for shape, path, _, _ in _reference(g)} & BY_CONSTRUCTION
    assert not broken, broken
    # every quad in its subject's graph (or a link kept with its object): ingest does not check it either
    assert check_partition(quads, CONFIG.base_iri) == []


def test_by_construction_names_real_constraints() -> None:
    """Every entry of BY_CONSTRUCTION is a (node shape, path) of the shapes, so none hides a typo."""
    real = {(s.iri, p.path_key) for s in SHAPES.node_shapes for p in s.properties}
    real |= {(s.iri, "") for s in SHAPES.node_shapes if s.or_groups}
    assert BY_CONSTRUCTION <= real, BY_CONSTRUCTION - real


def test_an_unsupported_constraint_is_refused(tmp_path: Path) -> None:
    from kg.shacl import Shapes

    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:hasValue ex:v ] .""",
        format="turtle",
    )
    with pytest.raises(ValueError, match="hasValue"):
        Shapes(shapes, Graph())
