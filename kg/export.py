"""Deterministic dumps of the store: Turtle (union of all graphs), TriG and N-Quads (graphs kept).

Quads are sorted by their N-Quads form before serialization, so the same data gives byte-identical files whatever
order the reports were ingested in. Prefixes are the project's, sorted, and only those under which no local name
needs an escape (:func:`dump_prefixes`): an IRI that would need one is written whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError
from kg.namespaces import prefix_candidates
from kg.store import to_ox

FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "nt": ox.RdfFormat.N_TRIPLES,
}


# a local name that Turtle, TriG, rapper and rdflib read without escapes (PN_LOCAL's plain subset)
_PLAIN_LOCAL = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?")


def dump_prefixes(base_iri: str, iris: Iterable[str]) -> dict[str, str]:
    """The prefixes a dump declares: those of :func:`~kg.namespaces.prefix_candidates` under which every IRI that
    would be written with them has a plain local name.

    Oxigraph writes each IRI with the longest prefix that matches it, escaping whatever a local name may not hold
    (``id:org\\/320700\\/\\%E8…``). So a prefix under which some IRI would need an escape is left out, and those
    IRIs are written whole (``<…/org/320700/government>``), or with a shorter prefix that stays plain. The choice
    depends on the data only, so the dump stays byte-identical on re-run.
    """
    chosen = prefix_candidates(base_iri)
    names = set(iris)
    while True:
        by_namespace = {ns: name for name, ns in chosen.items()}
        dropped = set()
        for iri in names:
            if found := _longest_namespace(iri, by_namespace):
                if not _PLAIN_LOCAL.fullmatch(iri[len(found) :]):
                    dropped.add(by_namespace[found])
        if not dropped:
            return chosen
        chosen = {name: ns for name, ns in chosen.items() if name not in dropped}


def _longest_namespace(iri: str, namespaces: dict[str, str]) -> str | None:
    for cut in range(len(iri), 0, -1):
        if iri[cut - 1] in "/#" and iri[:cut] in namespaces:
            return iri[:cut]
    return None


def _iris(items: Iterable[ox.Quad | ox.Triple]) -> set[str]:
    out: set[str] = set()
    for q in items:
        for term in (q.subject, q.predicate, q.object, getattr(q, "graph_name", None)):
            if isinstance(term, ox.NamedNode):
                out.add(term.value)
            elif isinstance(term, ox.Literal):
                out.add(term.datatype.value)
    return out


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
        pfx = dump_prefixes(base_iri, _iris(items)) if fmt in ("ttl", "trig") else None
        ox.serialize(items, f, rdf_format, prefixes=pfx)
    tmp.replace(out)
    return len(items)


def description_path(out: Path) -> Path:
    return out.with_name(out.name + ".void.ttl")


def write_description(store: ox.Store, out: Path, fmt: str, base_iri: str) -> Path:
    """Write the dump's VoID and DCAT description beside it (``FILE.void.ttl``); no timestamps, so it is stable."""
    import hashlib

    from rdflib import Literal, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

    from kg.iris import Minter
    from kg.void import compute_void_stats, void_graph

    minter: Minter[URIRef] = Minter(base_iri)
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
        ox.serialize(items, f, ox.RdfFormat.TURTLE, prefixes=dump_prefixes(base_iri, _iris(items)))
    return path
