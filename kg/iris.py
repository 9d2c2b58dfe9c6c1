"""Every IRI of the data is minted here, and only here.

IRIs are deterministic: the same input gives the same IRI on any machine. Path segments that carry Chinese text
(document numbers, names) are percent-encoded UTF-8, so every IRI is plain ASCII and safe for any client.

A :class:`Minter` makes rdflib ``URIRef`` terms by default; ``Minter(base, node=pyoxigraph.NamedNode)`` makes
pyoxigraph terms from the same rules (ingest builds pyoxigraph quads directly, without rdflib on the hot path).

Graphs: one per source (``graph/source/…``, what one file or record says), one per report (``graph/report/…``, what
its copies say together, derived), one per cited document (``graph/summary/…``) and per title-only document
(``graph/resolution/…``), both derived, the description of each data set (``graph/dataset/…``), and the shared
graphs (``graph/documents``, ``graph/regions`` …).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar
from urllib.parse import quote

from rdflib import URIRef

from kg.namespaces import VOCAB_IRI

N = TypeVar("N")

# the shared graphs: each shared entity is described in exactly one of them
SHARED_GRAPHS = ("documents", "regions", "agencies", "initiatives", "vocabularies")


def _seg(text: str) -> str:
    return quote(text, safe="-._~")


def short_hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


class Minter(Generic[N]):
    """Mints data IRIs under one base (``Config.base_iri``) as terms made by ``node``."""

    def __init__(self, base: str, node: Callable[[str], N] = URIRef) -> None:  # type: ignore[assignment]
        self.base = base
        self.node = node

    def _iri(self, *parts: str) -> N:
        return self.node(self.base + "/".join(parts))

    # shared entities
    def region(self, adcode: str) -> N:
        return self._iri("region", adcode)

    def government(self, adcode: str) -> N:
        return self._iri("org", adcode, "government")

    def agency(self, adcode: str, name: str) -> N:
        return self._iri("org", adcode, _seg(name))

    def issuer(self, code: str, adcode: str | None) -> N:
        return self._iri("issuer", adcode or "unknown", _seg(code))

    def document(self, number: str, issuer_adcode: str | None) -> N:
        """A document cited by 文号. Same-looking numbers of different regions (泰政办发 of 泰州 and 泰安) differ."""
        return self._iri("doc", issuer_adcode or "unknown", _seg(number))

    def titled_document(self, title: str) -> N:
        """A document cited by title only."""
        return self._iri("doc", "title", short_hash(title))

    def initiative(self, label: str) -> N:
        return self._iri("initiative", "candidate", short_hash(label))

    def dataset(self, name: str) -> N:
        return self._iri("dataset", name)

    def dataset_graph(self, name: str) -> N:
        """The graph of a data set's own description (``graph/dataset/…``), written at each ingest."""
        return self._iri("graph", "dataset", name)

    def distribution(self, dataset: str, fmt: str) -> N:
        return self._iri("dataset", dataset, "distribution", fmt)

    def shared_graph(self, name: str) -> N:
        return self._iri("graph", name)

    def summary_graph(self, doc: str) -> N:
        """The graph of one document's citation summary (``doc`` is the document's IRI)."""
        return self._iri("graph", "summary", short_hash(doc, 16))

    def citation_summary(self, doc: str, adcode: str | None) -> N:
        """The summary of one document's citations (``doc`` is its IRI): by all reports, or by one region's."""
        if adcode is None:
            return self._iri("summary", short_hash(doc, 16))
        return self._iri("summary", short_hash(doc, 16), adcode)

    # title-only documents resolved to numbered ones (kg.titles), one graph per title-only document
    def resolution_graph(self, doc: str) -> N:
        """The graph of one title-only document's resolution (``doc`` is the document's IRI)."""
        return self._iri("graph", "resolution", short_hash(doc, 16))

    def resolution(self, doc: str, target: str) -> N:
        """That the title-only document ``doc`` is the numbered document ``target`` (both IRIs), and why."""
        return self._iri("resolution", short_hash(doc, 16), short_hash(target, 12))

    # reports: the report as a work, by region + body + year; its derived graph
    def report(self, adcode: str | None, body: str, year: int | None, content_key: str) -> N:
        """A report by region + body + year; when either is unknown, by its content, so that only true copies merge."""
        if adcode and year:
            return self._iri("report", adcode, _seg(body), str(year))
        return self._iri("report", "text", short_hash(content_key, 16))

    def report_graph(self, report: str) -> N:
        """The graph derived from a report's copies (``report`` is the report's IRI under this base)."""
        return self._iri("graph", report[len(self.base) :])

    def observation(self, report: str, indicator: str) -> N:
        return self.node(f"{report}/obs/{indicator}")

    def conflict(self, report: str, what: str) -> N:
        return self.node(f"{report}/conflict/{what}")

    # per source (file or record), each its own named graph
    def source(self, source_key: str) -> N:
        return self._iri("source", short_hash(source_key, 16))

    def graph(self, source_key: str) -> N:
        return self._iri("graph", "source", short_hash(source_key, 16))

    def fact(self, source_key: str, kind: str, key: str) -> N:
        return self._iri("fact", short_hash(source_key, 16), kind, _seg(key))

    def mention(self, source_key: str, start: int, end: int) -> N:
        return self._iri("span", short_hash(source_key, 16), f"{start}-{end}")


_SHARED_HOME = {"doc": "documents", "issuer": "documents", "region": "regions", "initiative": "initiatives"}
LINKS = ("https://w3id.org/govkg/ontology#source", "https://w3id.org/govkg/ontology#mention")


def home_graph(base: str, subject: str) -> str | None:
    """The one graph where the triples about ``subject`` live (None: not a data IRI under ``base``).

    A source's own nodes (``source/H``, ``fact/H/…``, ``span/H/…``) live in its graph ``graph/source/H``; a report
    and its observations in ``graph/report/…``; a document's citation summaries in ``graph/summary/…``, a title-only
    document's resolution in ``graph/resolution/…``; a data set's description (``dataset/D``, and its distributions
    ``dataset/D/…``) in ``graph/dataset/D``; shared
    entities in their shared graph. The only triples elsewhere are links (:data:`LINKS`) from a node of another
    graph to a node of this one — a report's ``gk:source``, an organisation's ``gk:mention`` — which live with the
    node they point to. This is the rule ``kg validate`` checks: no triple in two graphs.
    """
    if not subject.startswith(base):
        return None
    parts = subject[len(base) :].split("/")
    kind = parts[0]
    if kind in ("source", "fact", "span") and len(parts) > 1:
        return f"{base}graph/source/{parts[1]}"
    if kind == "report":
        cut = next((i for i, part in enumerate(parts) if part in ("obs", "conflict")), len(parts))
        return f"{base}graph/" + "/".join(parts[:cut])
    if kind in ("summary", "resolution", "dataset") and len(parts) > 1:
        return f"{base}graph/{kind}/{parts[1]}"
    if kind == "org":
        return f"{base}graph/" + ("regions" if parts[-1] == "government" else "agencies")
    if kind in _SHARED_HOME:
        return f"{base}graph/{_SHARED_HOME[kind]}"
    return None


def concept(scheme: str, notation: str, node: Callable[[str], N] = URIRef) -> N:  # type: ignore[assignment]
    """A concept of a shipped SKOS scheme (levels, body kinds, platform types, indicators, initiatives)."""
    return node(f"{VOCAB_IRI}{scheme}/{notation}")


def scheme(name: str) -> URIRef:
    return URIRef(VOCAB_IRI + name)


def structure(name: str, node: Callable[[str], N] = URIRef) -> N:  # type: ignore[assignment]
    """A data structure definition of a shipped RDF Data Cube (``ontology/cube.ttl``): vocabulary, like the schemes."""
    return node(f"{VOCAB_IRI}structure/{name}")
