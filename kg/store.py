"""The embedded store: a pyoxigraph ``Store`` on disk.

Each report lives in its own named graph; loading a graph replaces it whole, so re-ingesting never duplicates.
Queries see the union of all graphs as their default graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.graph import Graph
from rdflib.term import Node

from kg.errors import StoreError


def open_store(path: Path, *, read_only: bool = False, must_exist: bool = False, wait_seconds: float = 0.0) -> ox.Store:
    """Open (or create) the on-disk store at ``path``; a locked store is retried for ``wait_seconds``.

    (``kg serve`` holds the store for a moment while it takes a snapshot.)
    """
    import time

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _open(path, read_only=read_only, must_exist=must_exist)
        except StoreError as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def _open(path: Path, *, read_only: bool, must_exist: bool) -> ox.Store:
    path = Path(path)
    if (read_only or must_exist) and not (path / "CURRENT").exists():
        raise StoreError(
            f"{path}: no store here",
            hint="create one with `kg ingest REPORTS --store DIR`, or point --store at an existing store",
        )
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: is a file, not a store directory", hint="give a directory for --store")
    try:
        if not read_only:
            path.mkdir(parents=True, exist_ok=True)
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        hint = "another process holds the store open for writing; stop it or use a copy"
        if "lock" not in str(exc).lower():
            hint = "is this directory an Oxigraph store?"
        raise StoreError(f"{path}: cannot open the store ({exc})", hint=hint) from exc


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


def remove_graphs(store: ox.Store, names: Iterable[str]) -> None:
    for name in names:
        store.remove_graph(ox.NamedNode(name))


def graph_names(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def count_quads(store: ox.Store) -> int:
    return len(store)


def export_graph(store: ox.Store, name: str) -> Graph:
    """One named graph of the store as an rdflib graph (for validation and dumps)."""
    g = Graph(identifier=URIRef(name))
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g
