"""Terms and graphs between rdflib and pyoxigraph: for the validator's and the tests' rdflib graphs, and the dumps.

Kept apart from :mod:`kg.store` so that what only queries the store (``kg query``, ``kg serve``) does not import
rdflib, a tenth of a second at every start.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.graph import Graph
from rdflib.term import Node


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"cannot store {term!r}")


def from_ox(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"cannot convert {term!r}")


def graph_quads(graph: Graph) -> Iterator[ox.Quad]:
    """The triples of an rdflib graph as quads in the named graph of its identifier."""
    gname = ox.NamedNode(str(graph.identifier))
    for s, p, o in graph:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), gname)  # type: ignore[arg-type]


def replace_graphs(store: ox.Store, graphs: Iterable[Graph]) -> int:
    """Replace each graph (by its identifier) in ``store`` with its new content (bulk load). Returns quads loaded."""
    graphs = list(graphs)
    for name in sorted({str(g.identifier) for g in graphs}):
        store.remove_graph(ox.NamedNode(name))
    quads = [q for g in graphs for q in graph_quads(g)]
    store.bulk_extend(quads)
    return len(quads)


def export_graph(store: ox.Store, name: str) -> Graph:
    """One named graph of the store as an rdflib graph (for validation and dumps)."""
    g = Graph(identifier=URIRef(name))
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g
