"""Every IRI of the data is minted here, and only here.

IRIs are deterministic: the same input gives the same IRI on any machine. Path segments that carry Chinese text
(document numbers, names) are percent-encoded UTF-8, so every IRI is plain ASCII and safe for any client.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from rdflib import URIRef

from kg.namespaces import VOCAB


def _seg(text: str) -> str:
    return quote(text, safe="-._~")


def short_hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


class Minter:
    """Mints data IRIs under one base (``Config.base_iri``)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def _iri(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(parts))

    # shared entities
    def region(self, adcode: str) -> URIRef:
        return self._iri("region", adcode)

    def government(self, adcode: str) -> URIRef:
        return self._iri("org", adcode, "government")

    def agency(self, adcode: str, name: str) -> URIRef:
        return self._iri("org", adcode, _seg(name))

    def issuer(self, code: str, adcode: str | None) -> URIRef:
        return self._iri("issuer", adcode or "unknown", _seg(code))

    def document(self, number: str, issuer_adcode: str | None) -> URIRef:
        """A document cited by 文号. Same-looking numbers of different regions (泰政办发 of 泰州 and 泰安) differ."""
        return self._iri("doc", issuer_adcode or "unknown", _seg(number))

    def titled_document(self, title: str) -> URIRef:
        """A document cited by title only."""
        return self._iri("doc", "title", short_hash(title))

    def initiative(self, label: str) -> URIRef:
        return self._iri("initiative", "candidate", short_hash(label))

    def dataset(self, name: str) -> URIRef:
        return self._iri("dataset", name)

    def distribution(self, dataset: str, fmt: str) -> URIRef:
        return self._iri("dataset", dataset, "distribution", fmt)

    # per source document (each its own named graph)
    def source(self, source_id: str) -> URIRef:
        return self._iri("source", short_hash(source_id, 16))

    def graph(self, source_id: str) -> URIRef:
        return self._iri("graph", short_hash(source_id, 16))

    def shared_graph(self, name: str) -> URIRef:
        return self._iri("graph", name)

    def report(self, adcode: str | None, body: str, year: int | None, source_id: str) -> URIRef:
        """A report by region + body + year; when any is unknown, by its source so reports never merge by accident."""
        if adcode and year:
            return self._iri("report", adcode, _seg(body), str(year))
        return self._iri("report", "source", short_hash(source_id, 16))

    def fact(self, source_id: str, kind: str, key: str) -> URIRef:
        return self._iri("fact", short_hash(source_id, 16), kind, _seg(key))

    def mention(self, source_id: str, start: int, end: int) -> URIRef:
        return self._iri("span", short_hash(source_id, 16), f"{start}-{end}")

    def selector(self, mention: URIRef, kind: str) -> URIRef:
        return URIRef(f"{mention}/{kind}")


def concept(scheme: str, notation: str) -> URIRef:
    """A concept of a shipped SKOS scheme (levels, body kinds, platform types, indicators, initiatives)."""
    return VOCAB[f"{scheme}/{notation}"]


def scheme(name: str) -> URIRef:
    return VOCAB[name]
