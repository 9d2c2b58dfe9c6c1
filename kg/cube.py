"""The statistics data set: the RDF Data Cube of the reports' yearly figures, and its description in the store.

Every report's figures are ``qb:Observation``\\ s of one data set, ``id:dataset/disclosure-statistics``
(:mod:`kg.derive` writes them in each report's graph). What an observation is — its dimensions (region, year,
level, report, indicator), its measure (the value) and its attribute (approximate), with the code lists of the coded
dimensions — is vocabulary: the data structure definition in ``ontology/cube.ttl``, loaded with the ontology. The
data set itself has an IRI under the configurable base, so its description is data: :func:`write_dataset` keeps it
in the data set's own graph ``graph/dataset/disclosure-statistics`` (:func:`kg.iris.home_graph`), the same after
every ingest.

The cube's integrity constraints — the checks IC-1 … IC-21 of the recommendation that apply to this data — are
SPARQL rules, ``queries/rules/cube-*.rq``, which ``kg validate`` runs with the other rules.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.build import lit
from kg.iris import Minter, structure
from kg.namespaces import X

STATISTICS = "disclosure-statistics"  # the data set and its structure

_LABELS = (
    lit("政府信息公开工作年度统计", lang="zh"),
    lit("yearly government information-disclosure statistics", lang="en"),
)
_COMMENTS = (
    lit("各地政府及其部门在政府信息公开工作年度报告中公布的统计数字,每份报告每个指标一项观测。", lang="zh"),
    lit(
        "The figures governments and their departments publish in their annual information-disclosure reports: "
        "one observation per report and indicator, kept when every copy of the report that prints the figure "
        "prints the same one.",
        lang="en",
    ),
)


def dataset_quads(base_iri: str) -> list[ox.Quad]:
    """The description of the statistics data set, in its graph."""
    m: Minter[ox.NamedNode] = Minter(base_iri, ox.NamedNode)
    ds, graph = m.dataset(STATISTICS), m.dataset_graph(STATISTICS)
    triples = [
        (X.rdf.type, X.qb.DataSet),
        (X.qb.structure, structure(STATISTICS, ox.NamedNode)),
        *((X.rdfs.label, label) for label in _LABELS),
        *((X.rdfs.comment, comment) for comment in _COMMENTS),
    ]
    return [ox.Quad(ds, p, o, graph) for p, o in triples]


def write_dataset(store: ox.Store, base_iri: str) -> bool:
    """Make the data set's graph hold exactly its description; True when it had to be written (idempotent)."""
    quads = dataset_quads(base_iri)
    graph = quads[0].graph_name
    if set(store.quads_for_pattern(None, None, None, graph)) == set(quads):
        return False
    store.remove_graph(graph)
    store.extend(quads)
    return True
