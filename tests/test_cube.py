"""The statistics are an RDF Data Cube: a well-formed structure, a described data set, and the integrity checks.

The structure (``ontology/cube.ttl``) is checked as vocabulary; the data set's description as ingest writes it; and
each integrity rule (``queries/rules/cube-*.rq``) on the example store, where none finds anything, and on a small
store that breaks it, where it returns the offending node. The small store is a real on-disk store holding the
ontology, the data set's description and one report's observations as :mod:`kg.derive` writes them.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import QB, RDF, RDFS, SKOS

from kg.build import C, decimal_literal, lit, year_literal
from kg.config import Config
from kg.cube import STATISTICS, dataset_quads, write_dataset
from kg.derive import CopySummary, Reading, derive_report
from kg.findings import load_vocabularies
from kg.iris import Minter, home_graph, structure
from kg.namespaces import DEFAULT_BASE, GK, SDMX_DIM, X
from kg.queries import list_queries, run_select
from kg.shacl import check_partition
from kg.store import open_store

RULES = [q for q in list_queries(Config().queries_dir) if q.name.startswith("rules/cube-")]
DSD = structure(STATISTICS)
DIMENSIONS = [SDMX_DIM.refArea, SDMX_DIM.refPeriod, GK.level, GK.report, GK.indicator]
BASE = "https://example.org/kg/"
REPORT = f"{BASE}report/321281/government/2016"
PREFIXES = f"""
@prefix gk: <https://w3id.org/govkg/ontology#> . @prefix qb: <http://purl.org/linked-data/cube#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix v: <https://w3id.org/govkg/vocab/> .
@prefix lv: <https://w3id.org/govkg/vocab/level/> . @prefix ind: <https://w3id.org/govkg/vocab/indicator/> .
@prefix dsd: <https://w3id.org/govkg/vocab/structure/disclosure-statistics/> .
@prefix sets: <{BASE}dataset/> . @prefix region: <{BASE}region/> . @prefix obs: <{REPORT}/obs/> . @prefix ex: <https://example.org/other/> .
"""


def _ontology() -> Graph:
    return load_vocabularies(Config().ontology_dir)


# ---------------------------------------------------------------------------------------------------- structure
def test_the_structure_is_well_formed_and_normalized() -> None:
    g = _ontology()
    assert (DSD, RDF.type, QB.DataStructureDefinition) in g
    assert {lbl.language for lbl in g.objects(DSD, RDFS.label)} == {"zh", "en"}
    kinds: dict[URIRef, list[URIRef]] = {QB.dimension: [], QB.measure: [], QB.attribute: []}
    orders = {}
    for spec in g.objects(DSD, QB.component):
        assert (spec, RDF.type, QB.ComponentSpecification) in g
        assert {lbl.language for lbl in g.objects(spec, RDFS.label)} == {"zh", "en"}, spec
        declared = [(k, p) for k in kinds for p in g.objects(spec, k)]
        assert len(declared) == 1, spec  # one component per specification
        kind, prop = declared[0]
        assert set(g.objects(spec, QB.componentProperty)) == {prop}, spec  # the normalized form, stated
        kinds[kind].append(prop)  # type: ignore[arg-type]
        if kind == QB.dimension:
            orders[prop] = int(g.value(spec, QB.order))  # type: ignore[arg-type]
        else:
            assert g.value(spec, QB.order) is None
    assert sorted(orders, key=orders.__getitem__) == DIMENSIONS
    assert sorted(orders.values()) == list(range(1, len(DIMENSIONS) + 1))
    assert kinds[QB.measure] == [GK.value] and kinds[QB.attribute] == [GK.approximate]
    required = {g.value(s, QB.componentRequired) for s in g.subjects(QB.attribute, GK.approximate)}
    assert required == {Literal(True)}
    kind_of = {QB.dimension: QB.DimensionProperty, QB.measure: QB.MeasureProperty, QB.attribute: QB.AttributeProperty}
    for kind, props in kinds.items():
        for p in props:
            assert (p, RDF.type, kind_of[kind]) in g, p
            others = set(kind_of.values()) - {kind_of[kind]}
            assert not any((p, RDF.type, o) in g for o in others), p  # a component is of one kind
    for dim in DIMENSIONS:
        assert g.value(dim, RDFS.range) is not None, dim
        if g.value(dim, RDFS.range) == SKOS.Concept:  # coded: the code list is a shipped scheme with concepts
            scheme = g.value(dim, QB.codeList)
            assert (scheme, RDF.type, SKOS.ConceptScheme) in g, dim
            assert len(set(g.subjects(SKOS.inScheme, scheme))) >= 5
    assert {g.value(d, QB.codeList) for d in (GK.level, GK.indicator)} == {
        URIRef("https://w3id.org/govkg/vocab/level"), URIRef("https://w3id.org/govkg/vocab/indicator"),
    }  # fmt: skip


def test_the_structure_is_vocabulary_and_the_data_set_is_data() -> None:
    """No IRI of the structure depends on the base; the data set's description lives in its one graph."""
    cube = Graph().parse(Config().ontology_dir / "cube.ttl")
    iris = {str(t) for triple in cube for t in triple if isinstance(t, URIRef)}
    assert str(DSD) in iris and not any(i.startswith(DEFAULT_BASE) for i in iris)
    quads = dataset_quads(BASE)
    ds = ox.NamedNode(BASE + "dataset/" + STATISTICS)
    graph = ox.NamedNode(BASE + "graph/dataset/" + STATISTICS)
    assert {q.subject for q in quads} == {ds} and {q.graph_name for q in quads} == {graph}
    assert home_graph(BASE, ds.value) == graph.value
    assert ox.Quad(ds, X.qb.structure, ox.NamedNode(str(DSD)), graph) in quads
    assert {q.object.language for q in quads if q.predicate == X.rdfs.label} == {"zh", "en"}  # type: ignore[union-attr]
    assert check_partition(quads, BASE) == []


def test_writing_the_data_set_is_idempotent(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "store"))
    graph = ox.NamedNode(BASE + "graph/dataset/" + STATISTICS)
    assert write_dataset(store, BASE) is True
    first = sorted(map(str, store.quads_for_pattern(None, None, None, graph)))
    assert write_dataset(store, BASE) is False
    stale = ox.Quad(ox.NamedNode(BASE + "dataset/" + STATISTICS), X.rdfs.comment, lit("stale"), graph)
    store.add(stale)
    assert write_dataset(store, BASE) is True  # an edited description is put back as it should be
    assert sorted(map(str, store.quads_for_pattern(None, None, None, graph))) == first
    assert len(store) == len(dataset_quads(BASE))


def test_ingest_describes_the_data_set_once(example_store: Path, config: Config) -> None:
    store = open_store(example_store, read_only=True)
    m: Minter[ox.NamedNode] = Minter(config.base_iri, ox.NamedNode)
    ds = m.dataset(STATISTICS)
    assert set(store.quads_for_pattern(ds, None, None, None)) == set(dataset_quads(config.base_iri))
    observations = list(store.quads_for_pattern(None, X.qb.dataSet, ds, None))
    assert len(observations) > 20
    assert all(q.graph_name.value.startswith(config.base_iri + "graph/report/") for q in observations)  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------------- derivation
def _copy(minter: Minter[ox.NamedNode], *, region: bool = True, year: bool = True, value: int = 53) -> CopySummary:
    report = ox.NamedNode(REPORT)
    source, graph = minter.source("a.txt"), minter.graph("a.txt")
    identity = [(X.gk.level, C("level", "county")), (X.gk.bodyKind, C("body", "government"))]
    if region:
        identity.append((X.gk.reportingRegion, minter.region("321281")))
    if year:
        identity.append((X.gk.yearCovered, year_literal(2016)))
    readings = tuple(
        Reading(minter.fact("a.txt", "reading", key), C("indicator", key), decimal_literal(n), lit(False),
                minter.mention("a.txt", 10 * i, 10 * i + 4))
        for i, (key, n) in enumerate((("requests_received", value), ("press_conferences", 3)))
    )  # fmt: skip
    return CopySummary(source, graph, report, tuple(sorted(identity, key=str)), frozenset(), frozenset(),
                       frozenset(), frozenset(), readings)  # fmt: skip


def _observations(quads: list[ox.Quad]) -> dict[str, dict[str, list[str]]]:
    kept = {q.subject for q in quads if q.predicate == X.rdf.type and q.object == X.qb.Observation}
    out: dict[str, dict[str, list[str]]] = {}
    for q in quads:
        if q.subject in kept:
            out.setdefault(q.subject.value, {}).setdefault(q.predicate.value, []).append(q.object.value)
    return out


def test_an_observation_has_every_dimension_of_its_report() -> None:
    m: Minter[ox.NamedNode] = Minter(BASE, ox.NamedNode)
    quads = derive_report(m, ox.NamedNode(REPORT), [_copy(m)])
    obs = _observations(quads)
    assert sorted(obs) == [f"{REPORT}/obs/press_conferences", f"{REPORT}/obs/requests_received"]
    one = obs[f"{REPORT}/obs/requests_received"]
    assert {p: one[str(p)] for p in DIMENSIONS} == {
        SDMX_DIM.refArea: [BASE + "region/321281"],
        SDMX_DIM.refPeriod: ["2016"],
        GK.level: ["https://w3id.org/govkg/vocab/level/county"],
        GK.report: [REPORT],
        GK.indicator: ["https://w3id.org/govkg/vocab/indicator/requests_received"],
    }
    assert one[str(QB.dataSet)] == [BASE + "dataset/" + STATISTICS]
    assert one[str(GK.value)] == ["53"] and one[str(GK.approximate)] == ["false"]
    report_level = [q.object.value for q in quads if q.subject.value == REPORT and q.predicate == X.gk.level]
    assert report_level == one[str(GK.level)]  # the dimension is the value the report's graph keeps


@pytest.mark.parametrize("missing", ["region", "year"])
def test_a_report_of_unknown_region_or_year_has_no_observation(missing: str) -> None:
    """Every dimension is required (IC-11): its figures stay readings of its copies; disagreements are still kept."""
    m: Minter[ox.NamedNode] = Minter(BASE, ox.NamedNode)
    report = ox.NamedNode(REPORT)
    alone = derive_report(m, report, [_copy(m, **{missing: False})])
    assert _observations(alone) == {}
    assert (report, X.rdf.type, X.gk.AnnualReport) in {(q.subject, q.predicate, q.object) for q in alone}
    other = _copy(m, **{missing: False}, value=35)
    other = CopySummary(m.source("b.txt"), m.graph("b.txt"), *(getattr(other, f) for f in (
        "report", "identity", "cites", "initiatives", "agencies", "platform_types")),
        tuple(Reading(m.fact("b.txt", "reading", r.indicator.value.rsplit("/", 1)[-1]), r.indicator, r.value,
                      r.approximate, r.mention) for r in other.readings))  # fmt: skip
    both = derive_report(m, report, [_copy(m, **{missing: False}), other])
    conflicts = {q.subject.value for q in both if q.object == X.gk.CopyConflict}
    assert conflicts == {f"{REPORT}/conflict/requests_received"} and _observations(both) == {}


# ---------------------------------------------------------------------------------------------------- the rules
def test_the_rules_are_the_checks_that_apply() -> None:
    assert [q.name.removeprefix("rules/cube-")[:4] for q in RULES] == [
        "ic01", "ic02", "ic03", "ic04", "ic05", "ic06", "ic11", "ic12", "ic13", "ic14", "ic19",
    ]  # fmt: skip
    for q in RULES:
        assert q.title.startswith("Cube IC-") and q.purpose and not q.params, q.name


def test_the_endpoint_runs_the_rules_too() -> None:
    """The rules are plain SPARQL 1.1: the endpoint lists them as examples, and its gateway accepts them."""
    from kg.serve.policy import plan_query

    for q in RULES:
        assert plan_query(q.text, 65536).form == "SELECT", q.name


@pytest.mark.parametrize("rule", RULES, ids=[q.name for q in RULES])
def test_no_rule_finds_anything_on_the_examples(rule, example_store: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_select(open_store(example_store, read_only=True), rule).rows == []


def _parse(turtle: str) -> list[ox.Triple]:
    return list(ox.parse(PREFIXES + turtle, format=ox.RdfFormat.TURTLE))


@pytest.fixture()
def small(tmp_path: Path) -> ox.Store:
    """A store with the ontology, the data set's description and one report's two observations (none breaks a rule)."""
    m: Minter[ox.NamedNode] = Minter(BASE, ox.NamedNode)
    store = ox.Store(str(tmp_path / "store"))
    vocab = m.shared_graph("vocabularies")
    for p in sorted(Config().ontology_dir.glob("*.ttl")):
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, vocab) for t in ox.parse(path=str(p)))
    write_dataset(store, BASE)
    store.bulk_extend(derive_report(m, ox.NamedNode(REPORT), [_copy(m)]))
    for rule in RULES:
        assert run_select(store, rule).rows == [], rule.name
    return store


def _break(store: ox.Store, remove: str = "", add: str = "") -> None:
    for t in _parse(remove):
        found = list(store.quads_for_pattern(t.subject, t.predicate, t.object, None))  # type: ignore[arg-type]
        assert found, t
        for q in found:
            store.remove(q)
    extra = ox.NamedNode(BASE + "graph/extra")
    store.extend(ox.Quad(t.subject, t.predicate, t.object, extra) for t in _parse(add))


def _found(store: ox.Store, ic: str) -> set[tuple[str, str]]:
    rule = next(q for q in RULES if q.name.startswith(f"rules/cube-{ic}-"))
    table = run_select(store, rule)
    rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    assert all(r["severity"] == "Violation" and f"(IC-{int(ic[2:])})" in r["message"] for r in rows)
    return {(r["focus"], r.get("path", "")) for r in rows}


OBS = f"{REPORT}/obs/requests_received"
OTHER = f"{REPORT}/obs/press_conferences"
DS = BASE + "dataset/" + STATISTICS
SPEC = "https://w3id.org/govkg/vocab/structure/disclosure-statistics/"
# rule → (triples removed, triples added) that break it, and what the rule must return: (focus, path)
BREAKS = {
    "ic01": ("obs:requests_received qb:dataSet sets:disclosure-statistics .", "", {(OBS, str(QB.dataSet))}),
    "ic02": ("sets:disclosure-statistics qb:structure <https://w3id.org/govkg/vocab/structure/disclosure-statistics> .",
             "", {(DS, str(QB.structure))}),
    "ic03": ("<https://w3id.org/govkg/vocab/structure/disclosure-statistics> qb:component dsd:value .", "",
             {(str(DSD), str(QB.component))}),
    "ic04": ("sdmx-dimension:refArea rdfs:range rdfs:Resource .", "", {(str(SDMX_DIM.refArea), str(RDFS.range))}),
    "ic05": ("gk:indicator qb:codeList v:indicator .", "", {(str(GK.indicator), str(QB.codeList))}),
    "ic06": ("", "dsd:level qb:componentRequired false .", {(SPEC + "level", str(QB.componentRequired))}),
    "ic11": ('obs:requests_received sdmx-dimension:refPeriod "2016"^^xsd:gYear .', "",
             {(OBS, str(SDMX_DIM.refPeriod))}),
    "ic12": ("", f"""ex:copy a qb:Observation ; qb:dataSet sets:disclosure-statistics ;
                 sdmx-dimension:refArea region:321281 ; sdmx-dimension:refPeriod "2016"^^xsd:gYear ;
                 gk:level lv:county ; gk:report <{REPORT}> ; gk:indicator ind:requests_received ;
                 gk:value 35.0 ; gk:approximate false .""",
             {(OBS, ""), ("https://example.org/other/copy", "")}),
    "ic13": ("obs:requests_received gk:approximate false .", "", {(OBS, str(GK.approximate))}),
    "ic14": ('obs:requests_received gk:value "53"^^xsd:decimal .', "", {(OBS, str(GK.value))}),
    "ic19": ("obs:press_conferences gk:level lv:county .", "obs:press_conferences gk:level lv:town .",
             {(OTHER, str(GK.level))}),
}  # fmt: skip


@pytest.mark.parametrize("ic", sorted(BREAKS))
def test_each_rule_returns_what_breaks_it(ic: str, small: ox.Store) -> None:
    remove, add, expected = BREAKS[ic]
    _break(small, remove, add)
    assert _found(small, ic) == expected


def test_a_second_or_undescribed_data_set_is_found(small: ox.Store) -> None:
    _break(
        small, add="obs:requests_received qb:dataSet ex:elsewhere . ex:stats a qb:DataSet ; qb:structure ex:a , ex:b ."
    )
    assert _found(small, "ic01") == {(OBS, str(QB.dataSet))}
    assert _found(small, "ic02") == {
        ("https://example.org/other/elsewhere", str(QB.structure)), ("https://example.org/other/stats", str(QB.structure)),
    }  # fmt: skip


def test_a_code_outside_a_collection_is_found(small: ox.Store) -> None:
    """The second form of IC-19: a code list that is a skos:Collection."""
    _break(small, remove="gk:level qb:codeList v:level .",
           add="gk:level qb:codeList ex:levels . ex:levels a skos:Collection ; skos:member ex:inner . "
               "ex:inner a skos:Collection ; skos:member lv:city . lv:city a skos:Concept .")  # fmt: skip
    assert _found(small, "ic19") == {(OBS, str(GK.level)), (OTHER, str(GK.level))}
    _break(small, add="ex:inner skos:member lv:county .")
    assert _found(small, "ic19") == set()


@pytest.mark.parametrize("dim", DIMENSIONS, ids=[str(d).rsplit("/", 1)[-1] for d in DIMENSIONS])
def test_an_observation_lacking_any_one_dimension_is_found(dim: URIRef, small: ox.Store) -> None:
    """The rule for missing dimensions checks exactly the dimensions of the structure."""
    for q in list(small.quads_for_pattern(ox.NamedNode(OBS), ox.NamedNode(str(dim)), None, None)):
        small.remove(q)
    assert _found(small, "ic11") == {(OBS, str(dim))}


@pytest.mark.parametrize("dim", DIMENSIONS, ids=[str(d).rsplit("/", 1)[-1] for d in DIMENSIONS])
def test_observations_that_differ_in_any_one_dimension_are_not_duplicates(dim: URIRef, small: ox.Store) -> None:
    """The duplicate rule groups on exactly the dimensions of the structure."""
    obs, twin = ox.NamedNode(OBS), ox.NamedNode("https://example.org/other/twin")
    extra, prop = ox.NamedNode(BASE + "graph/extra"), ox.NamedNode(str(dim))
    other = ox.Literal("2017", datatype=X.xsd.gYear) if dim == SDMX_DIM.refPeriod else ox.NamedNode(BASE + "x")
    for q in list(small.quads_for_pattern(obs, None, None, None)):
        small.add(ox.Quad(twin, q.predicate, other if q.predicate == prop else q.object, extra))
    assert _found(small, "ic12") == set()
    small.remove(ox.Quad(twin, prop, other, extra))
    for q in list(small.quads_for_pattern(obs, prop, None, None)):
        small.add(ox.Quad(twin, prop, q.object, extra))
    assert _found(small, "ic12") == {(OBS, ""), (twin.value, "")}
