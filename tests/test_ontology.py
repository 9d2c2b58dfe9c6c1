"""The ontology declares every own term with zh and en labels; the schemes carry the evaluation's codes."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from kg.config import Config
from kg.iris import scheme
from kg.namespaces import GK, ONTOLOGY_IRI
from kg.resolve.vocab import platform_types


def _ontology() -> Graph:
    g = Graph()
    for p in sorted(Config().ontology_dir.glob("*.ttl")):
        g.parse(p)
    return g


def test_every_own_term_is_declared_with_zh_and_en_labels() -> None:
    g = _ontology()
    declared = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_IRI)}
    in_code = {GK[name] for name in GK.__annotations__}
    assert in_code == declared
    for term in declared:
        langs = {lbl.language for lbl in g.objects(term, RDFS.label)}
        assert {"zh", "en"} <= langs, term


def test_schemes_carry_the_codes() -> None:
    g = _ontology()

    def notations(name: str) -> set[str]:
        return {str(g.value(c, SKOS.notation)) for c in g.subjects(SKOS.inScheme, scheme(name))}

    assert notations("level") >= {"national", "province", "city", "county", "township"}
    assert notations("body") == {"government", "department"}
    # the closed platform-type list has one source, the ordered collection: the scheme holds exactly its members
    assert notations("platform") == set(platform_types())
    assert len(platform_types()) == 15 and platform_types()[0] == "portal" and platform_types()[-1] == "other"
    assert notations("indicator") >= {
        "info_disclosed_total",
        "requests_received",
        "requests_completed",
        "reconsiderations",
        "lawsuits",
        "press_conferences",
        "policy_interpretations",
    }
    for c in g.subjects(SKOS.inScheme, None):
        langs = {lbl.language for lbl in g.objects(c, SKOS.prefLabel)}
        assert langs == {"zh", "en"}, c
        pref = {str(x) for x in g.objects(c, SKOS.prefLabel)}
        assert not pref & {str(x) for x in g.objects(c, SKOS.altLabel)}, c  # SKOS: pref and alt labels disjoint
