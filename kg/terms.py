"""Terms and graphs between rdflib and pyoxigraph: for the validator's and the tests' rdflib graphs, the dumps and
the parameters of remote queries.

Kept apart from :mod:`kg.store` so that what only queries the store (``kg query``, ``kg serve``) does not import
rdflib, a tenth of a second at every start.
"""

from __future__ import annotations

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


def export_graph(store: ox.Store, name: str) -> Graph:
    """One named graph of the store as an rdflib graph (for validation and dumps)."""
    g = Graph(identifier=URIRef(name))
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g
