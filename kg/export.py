"""Deterministic dumps of the store: Turtle (union of all graphs), TriG and N-Quads (graphs kept).

Quads are sorted by their N-Quads form before serialization — graph first for TriG and N-Quads, subject first for
Turtle — so the same data gives byte-identical files whatever order the reports were ingested in. Prefixes are the
project's, sorted, and only those under which no local name needs an escape (:func:`dump_prefixes`): an IRI that
would need one is written whole.

Memory stays bounded whatever the store's size: Oxigraph writes the store as N-Quads to a temporary file, the
system's ``sort`` (an external merge sort, ``LC_ALL=C``: byte order, which is code-point order) orders the lines,
and the sorted lines are read back and serialized as a stream.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError
from kg.namespaces import prefix_candidates
from kg.terms import to_ox

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
    depends on the data only, so the dump stays byte-identical on re-run. ``iris`` is read once, as a stream: what
    is kept of each IRI is only which candidate namespaces it falls under and whether its local name there is plain.
    """
    chosen = prefix_candidates(base_iri)
    by_namespace = {ns: name for name, ns in chosen.items()}
    signatures: set[tuple[tuple[str, bool], ...]] = set()
    for iri in iris:
        sig = tuple(
            (by_namespace[iri[:cut]], bool(_PLAIN_LOCAL.fullmatch(iri[cut:])))
            for cut in range(len(iri), 0, -1)
            if iri[cut - 1] in "/#" and iri[:cut] in by_namespace
        )  # the namespaces it falls under, longest first
        if sig:
            signatures.add(sig)
    while True:
        dropped = set()
        for sig in signatures:
            for name, plain in sig:
                if name in chosen:  # the longest prefix still declared is the one it would be written with
                    if not plain:
                        dropped.add(name)
                    break
        if not dropped:
            return chosen
        chosen = {name: ns for name, ns in chosen.items() if name not in dropped}


def _longest_namespace(iri: str, namespaces: dict[str, str]) -> str | None:
    for cut in range(len(iri), 0, -1):
        if iri[cut - 1] in "/#" and iri[:cut] in namespaces:
            return iri[:cut]
    return None


def _iris(items: Iterable[ox.Quad | ox.Triple]) -> Iterator[str]:
    for q in items:
        for term in (q.subject, q.predicate, q.object, getattr(q, "graph_name", None)):
            if isinstance(term, ox.NamedNode):
                yield term.value
            elif isinstance(term, ox.Literal):
                yield term.datatype.value


MEDIA_TYPES = {
    "ttl": "text/turtle",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "nt": "application/n-triples",
}


def export_store(store: ox.Store, out: Path, fmt: str, base_iri: str) -> int:
    """Write the store to ``out`` in ``fmt``; returns the number of statements written."""
    if fmt not in FORMATS:
        raise KgError(f"unknown export format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")
    if shutil.which("sort") is None:
        raise KgError("the system's sort command is missing", hint="install coreutils")
    rdf_format = FORMATS[fmt]
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kg-export-", dir=out.parent) as tmp:
        raw, ordered = Path(tmp) / "raw.nq", Path(tmp) / "sorted.nq"
        store.dump(str(raw), format=ox.RdfFormat.N_QUADS)
        by_graph = rdf_format.supports_datasets
        if by_graph:  # graph first: each line keyed by its graph's IRI, the last term of the line
            keyed = Path(tmp) / "keyed.nq"
            with raw.open("rb") as src, keyed.open("wb") as dst:
                for line in src:
                    dst.write(line[line.rindex(b" <", 0, len(line) - 3) + 1 :].rstrip(b" .\n") + b"\t" + line)
            raw.unlink()
            raw = keyed
        subprocess.run(
            ["sort", "-S", "256M", "-T", tmp, "-o", str(ordered), str(raw)],
            env={**os.environ, "LC_ALL": "C"}, check=True,
        )  # fmt: skip
        raw.unlink()

        def items() -> Iterator[ox.Quad | ox.Triple]:
            with ordered.open("rb") as f:
                source = _Unkeyed(f) if by_graph else f
                for q in ox.parse(source, format=ox.RdfFormat.N_QUADS, lenient=True):  # type: ignore[arg-type]
                    yield q if by_graph else ox.Triple(q.subject, q.predicate, q.object)

        pfx = dump_prefixes(base_iri, _iris(items())) if fmt in ("ttl", "trig") else None
        tmp_out = out.with_name(out.name + ".part")
        count = 0

        def counted() -> Iterator[ox.Quad | ox.Triple]:
            nonlocal count
            for it in items():
                count += 1
                yield it

        with tmp_out.open("wb") as f:
            ox.serialize(counted(), f, rdf_format, prefixes=pfx)  # type: ignore[arg-type]
        tmp_out.replace(out)
    return count


class _Unkeyed:
    """A binary reader of sorted lines that drops each line's sort key (up to its first tab); ``read(n)`` gives at
    most ``n`` bytes, as the parser asks."""

    def __init__(self, f) -> None:  # type: ignore[no-untyped-def]
        self.f = f
        self.buffer = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.buffer) < n:
            lines = self.f.readlines(1 << 16)
            if not lines:
                break
            self.buffer += b"".join(line[line.index(b"\t") + 1 :] for line in lines)
        if n < 0:
            out, self.buffer = self.buffer, b""
        else:
            out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


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
