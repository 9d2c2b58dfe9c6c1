"""The SPARQL service description (``GET /sparql`` with no query) and the VoID document of the endpoint."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID

from kg.namespaces import SD, bind_prefixes
from kg.serve.negotiation import GRAPH_FORMATS, Format
from kg.serve.settings import ServeSettings
from kg.void import VoidStats, void_graph

_FORMAT_IRIS = {
    "application/sparql-results+json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "application/sparql-results+xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "text/csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "text/tab-separated-values": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "text/turtle": "http://www.w3.org/ns/formats/Turtle",
    "application/n-triples": "http://www.w3.org/ns/formats/N-Triples",
    "application/ld+json": "http://www.w3.org/ns/formats/JSON-LD",
    "application/rdf+xml": "http://www.w3.org/ns/formats/RDF_XML",
}


def void_dataset_iri(origin: str) -> URIRef:
    return URIRef(f"{origin}/.well-known/void#dataset")


def service_description(origin: str, settings: ServeSettings) -> Graph:
    """What the endpoint is and what it accepts (SPARQL 1.1 Service Description), linking to its VoID dataset."""
    g = Graph()
    bind_prefixes(g)
    g.bind("sd", SD)
    endpoint = URIRef(f"{origin}/sparql")
    service = URIRef(f"{origin}/sparql#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, endpoint))
    g.add((service, SD.endpoint, URIRef(f"{origin}/query")))
    g.add((service, SD.supportedLanguage, SD.SPARQL10Query))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for iri in _FORMAT_IRIS.values():
        g.add((service, SD.resultFormat, URIRef(iri)))
    dataset = void_dataset_iri(origin)
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    default_graph = BNode("defaultGraph")  # a fixed label: the same description every time
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    g.add((default_graph, DCTERMS.description, Literal("the union of all named graphs", lang="en")))
    g.add(
        (
            service,
            DCTERMS.description,
            Literal(
                "Read-only SPARQL 1.1 endpoint of govkg. Refused: updates, LOAD, SERVICE, FROM/FROM NAMED. "
                f"Limits: {settings.timeout_s:g} s per query, {settings.max_rows} result rows, "
                f"{settings.max_query_bytes} bytes per query, {settings.max_concurrent} queries at once. "
                f"VoID: {origin}/.well-known/void",
                lang="en",
            ),
        )
    )
    return g


def endpoint_void(origin: str, stats: VoidStats, settings: ServeSettings, modified=None) -> Graph:  # type: ignore[no-untyped-def]
    return void_graph(
        stats,
        void_dataset_iri(origin),
        sparql_endpoint=URIRef(f"{origin}/sparql"),
        modified=modified,
        uri_space=settings.base_iri,
    )


def serialize_graph(graph: Graph, fmt: Format) -> bytes:
    assert fmt in GRAPH_FORMATS and fmt.rdflib
    data = graph.serialize(format=fmt.rdflib, encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")
