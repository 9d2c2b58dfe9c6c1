"""The embedded store: a pyoxigraph ``Store`` on disk, and its ingest ledger beside it.

Each source lives in its own named graph, each report in the graph derived from its copies, each shared entity in
one shared graph (see :mod:`kg.iris`); no triple is in two graphs, so the union default graph that queries see
counts every triple once. rdflib's terms are converted in :mod:`kg.terms` (this module does not import rdflib, so
that ``kg query`` starts without it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

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


def open_writer(path: Path, wait_seconds: float = 5.0):  # type: ignore[no-untyped-def]
    """The store opened for writing, with its ledger (a store of an earlier layout is refused with how to rebuild)."""
    from kg.ledger import Ledger

    had_data = (Path(path) / "CURRENT").exists()
    store = open_store(path, wait_seconds=wait_seconds)
    has_data = had_data and next(iter(store.named_graphs()), None) is not None
    try:
        ledger = Ledger.open_for_store(path, store_has_data=has_data)
    except StoreError:
        del store
        raise
    return store, ledger


def load_vocabularies(store: ox.Store, ledger, config) -> None:  # type: ignore[no-untyped-def]
    """The ontology and concept schemes in their graph, loaded again only when their files changed."""
    import hashlib

    from kg.iris import Minter

    files = sorted(Path(config.ontology_dir).glob("*.ttl"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    graph = Minter(config.base_iri, ox.NamedNode).shared_graph("vocabularies")
    if ledger.meta("vocabularies") == digest and store.contains_named_graph(graph):
        return
    store.remove_graph(graph)
    labels: dict[str, ox.BlankNode] = {}

    def stable(term):  # type: ignore[no-untyped-def]
        """A blank node (an RDF list's cells) labelled by where it first appears, so that every load is the same."""
        if isinstance(term, ox.BlankNode):
            return labels.setdefault(term.value, ox.BlankNode(f"vocab{len(labels)}"))
        return term

    quads = []
    for p in files:
        for t in ox.parse(path=str(p), format=ox.RdfFormat.TURTLE):
            quads.append(ox.Quad(stable(t.subject), t.predicate, stable(t.object), graph))
    store.bulk_extend(quads)
    ledger.set_meta("vocabularies", digest)


def remove_graphs(store: ox.Store, names: Iterable[str]) -> None:
    for name in names:
        store.remove_graph(ox.NamedNode(name))


def graph_names(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def count_quads(store: ox.Store) -> int:
    return len(store)
