"""The VoID description of a store: sizes, graphs, classes and properties, computed with SPARQL.

:func:`compute_void_stats` asks the store (a handful of aggregate queries over the union of its graphs);
:func:`void_graph` turns the figures into an rdflib graph under any dataset IRI, so one computation serves every
place the description is published (the endpoint's ``/.well-known/void``, dumps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from kg.iris import short_hash
from kg.namespaces import ELI, ONTOLOGY_IRI, SD, VOCAB_IRI, bind_prefixes


@dataclass(frozen=True)
class VoidStats:
    """Figures of a dataset. ``triples`` counts statements per graph, as the union default graph answers them."""

    triples: int
    default_graph_triples: int
    graphs: tuple[tuple[str, int], ...]  # (shared graph IRI, triples), sorted by IRI
    named_graphs: int  # every named graph, shared or not
    distinct_subjects: int | None  # None: not counted (a large store, see DISTINCT_LIMIT)
    distinct_objects: int | None
    properties: tuple[tuple[str, int], ...]  # (property IRI, triples)
    classes: tuple[tuple[str, int], ...]  # (class IRI, entities)


def _count(store: ox.Store, query: str) -> int:
    result = store.query(query, use_default_graph_as_union=True)
    for solution in result:  # type: ignore[union-attr]
        term = solution["n"]
        return int(term.value) if term is not None else 0
    return 0


def _grouped(store: ox.Store, query: str, key: str) -> tuple[tuple[str, int], ...]:
    result = store.query(query, use_default_graph_as_union=True)
    rows = []
    for solution in result:  # type: ignore[union-attr]
        term = solution[key]
        if isinstance(term, ox.NamedNode):
            rows.append((term.value, int(solution["n"].value)))  # type: ignore[union-attr]
    return tuple(sorted(rows))


# Above this many triples the distinct subjects and objects are not counted: the count holds every one of them in
# the engine's memory at once (10 million subjects at 100,000 reports), and VoID does not require it.
DISTINCT_LIMIT = 5_000_000
# The graphs described one by one: the shared ones. The one-per-source, per-report and per-document graphs (hundreds
# of thousands in a large store) are counted, not listed.
_LISTED = re.compile(r"/graph/[a-z]+$")


def compute_void_stats(store: ox.Store) -> VoidStats:
    """Count triples, graphs, distinct subjects and objects, and the class and property partitions of ``store``."""
    default = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    per_graph = _grouped(store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", "g")
    triples = default + sum(n for _, n in per_graph)
    small = triples <= DISTINCT_LIMIT
    return VoidStats(
        triples=triples,
        default_graph_triples=default,
        graphs=tuple((g, n) for g, n in per_graph if _LISTED.search(g)),
        named_graphs=len(per_graph),
        distinct_subjects=_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }") if small else None,
        distinct_objects=_count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }") if small else None,
        properties=_grouped(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p", "p"),
        classes=_grouped(
            store,
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{RDF.type}> ?c }} GROUP BY ?c",
            "c",
        ),
    )


def _part(dataset: URIRef, kind: str, iri: str) -> URIRef:
    return URIRef(f"{dataset}/{kind}/{short_hash(iri, 16)}")


def void_graph(
    stats: VoidStats,
    dataset: URIRef,
    *,
    sparql_endpoint: URIRef | None = None,
    title: str = "govkg: Chinese government information-disclosure annual reports",
    modified: datetime | None = None,
    uri_space: str | None = None,
) -> Graph:
    """The VoID description of ``stats`` as the dataset ``dataset``; partitions get IRIs derived from it."""
    g = Graph()
    bind_prefixes(g)
    g.bind("sd", SD)
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, Literal(title, lang="en")))
    if modified is not None:
        g.add((dataset, DCTERMS.modified, Literal(modified.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    if sparql_endpoint is not None:
        g.add((dataset, VOID.sparqlEndpoint, sparql_endpoint))
    if uri_space:
        g.add((dataset, VOID.uriSpace, Literal(uri_space)))
    for vocabulary in (ONTOLOGY_IRI, VOCAB_IRI, str(ELI), "http://www.w3.org/ns/org#", "https://schema.org/"):
        g.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    g.add((dataset, VOID.triples, Literal(stats.triples)))
    if stats.distinct_subjects is not None:
        g.add((dataset, VOID.distinctSubjects, Literal(stats.distinct_subjects)))
    if stats.distinct_objects is not None:
        g.add((dataset, VOID.distinctObjects, Literal(stats.distinct_objects)))
    g.add((dataset, VOID.properties, Literal(len(stats.properties))))
    g.add((dataset, VOID.classes, Literal(len(stats.classes))))
    g.add((dataset, VOID.entities, Literal(sum(n for _, n in stats.classes))))
    for cls, entities in stats.classes:
        part = _part(dataset, "class", cls)
        g.add((dataset, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(entities)))
    for prop, triples in stats.properties:
        part = _part(dataset, "property", prop)
        g.add((dataset, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(triples)))
    for name, triples in stats.graphs:
        part = _part(dataset, "graph", name)
        g.add((dataset, VOID.subset, part))
        g.add((part, RDF.type, VOID.Dataset))
        g.add((part, RDF.type, SD.NamedGraph))
        g.add((part, SD.name, URIRef(name)))
        g.add((part, VOID.triples, Literal(triples)))
    return g
