"""Deterministic dumps of the store: Turtle (union of all graphs), TriG and N-Quads (graphs kept).

Quads are sorted by their N-Quads form before serialization, so the same data gives byte-identical files whatever
order the reports were ingested in. Prefixes are the project's, sorted.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError
from kg.store import to_ox

FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "nt": ox.RdfFormat.N_TRIPLES,
}


def prefixes(base_iri: str) -> dict[str, str]:
    from kg.namespaces import ELI, OA, ONTOLOGY_IRI, SDMX_DIM, VOCAB_IRI

    return dict(
        sorted(
            {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dcterms": "http://purl.org/dc/terms/",
                "eli": str(ELI),
                "gk": ONTOLOGY_IRI,
                "id": base_iri,
                "oa": str(OA),
                "org": "http://www.w3.org/ns/org#",
                "prov": "http://www.w3.org/ns/prov#",
                "qb": "http://purl.org/linked-data/cube#",
                "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                "schema": "https://schema.org/",
                "sdmx-dimension": str(SDMX_DIM),
                "skos": "http://www.w3.org/2004/02/skos/core#",
                "v": VOCAB_IRI,
                "void": "http://rdfs.org/ns/void#",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
            }.items()
        )
    )


MEDIA_TYPES = {
    "ttl": "text/turtle",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "nt": "application/n-triples",
}


def _key(term: object) -> str:
    return str(term)


def export_store(store: ox.Store, out: Path, fmt: str, base_iri: str) -> int:
    """Write the store to ``out`` in ``fmt``; returns the number of statements written."""
    if fmt not in FORMATS:
        raise KgError(f"unknown export format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")
    rdf_format = FORMATS[fmt]
    if rdf_format.supports_datasets:
        items: list = sorted(
            store, key=lambda q: (_key(q.graph_name), _key(q.subject), _key(q.predicate), _key(q.object))
        )
    else:
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in store}
        items = sorted(triples, key=lambda t: (_key(t.subject), _key(t.predicate), _key(t.object)))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("wb") as f:
        ox.serialize(items, f, rdf_format, prefixes=prefixes(base_iri) if fmt in ("ttl", "trig") else None)
    tmp.replace(out)
    return len(items)


def description_path(out: Path) -> Path:
    return out.with_name(out.name + ".void.ttl")


def write_description(store: ox.Store, out: Path, fmt: str, base_iri: str) -> Path:
    """Write the dump's VoID and DCAT description beside it (``FILE.void.ttl``); no timestamps, so it is stable."""
    import hashlib

    from rdflib import Literal
    from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

    from kg.iris import Minter
    from kg.void import compute_void_stats, void_graph

    minter = Minter(base_iri)
    dataset = minter.dataset("govkg")
    g = void_graph(compute_void_stats(store), dataset, uri_space=base_iri)
    dist = minter.distribution("govkg", fmt)
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.downloadURL, Literal(out.name, datatype=XSD.anyURI)))
    g.add((dist, DCAT.mediaType, Literal(MEDIA_TYPES[fmt])))
    g.add((dist, DCAT.byteSize, Literal(out.stat().st_size, datatype=XSD.nonNegativeInteger)))
    g.add((dist, DCTERMS.identifier, Literal("sha256:" + hashlib.sha256(out.read_bytes()).hexdigest())))
    path = description_path(out)
    items = sorted(
        (ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in g),  # type: ignore[arg-type]
        key=lambda t: (str(t.subject), str(t.predicate), str(t.object)),
    )
    with path.open("wb") as f:
        ox.serialize(items, f, ox.RdfFormat.TURTLE, prefixes=prefixes(base_iri))
    return path
