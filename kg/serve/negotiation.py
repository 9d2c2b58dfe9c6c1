"""Content negotiation: which serialization answers a request, from its ``Accept`` header.

SELECT and ASK results: SPARQL JSON, XML, CSV and TSV. CONSTRUCT and DESCRIBE results, the service description
and the VoID description: Turtle, N-Triples, JSON-LD and RDF/XML. An ``Accept`` header none of these satisfies
gets 406.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.serve.errors import refuse


@dataclass(frozen=True)
class Format:
    media_type: str  # what the response says it is
    accepts: tuple[str, ...]  # media types a client may ask for it by
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None
    rdflib: str | None = None  # rdflib serializer name, for graphs built in Python

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if not self.media_type.endswith("+xml") else self.media_type


RESULT_FORMATS = (
    Format(
        "application/sparql-results+json",
        ("application/sparql-results+json", "application/json", "text/javascript", "application/javascript"),
        results=ox.QueryResultsFormat.JSON,
    ),
    Format(
        "application/sparql-results+xml",
        ("application/sparql-results+xml", "application/xml", "text/xml"),
        results=ox.QueryResultsFormat.XML,
    ),
    Format("text/csv", ("text/csv",), results=ox.QueryResultsFormat.CSV),
    Format("text/tab-separated-values", ("text/tab-separated-values",), results=ox.QueryResultsFormat.TSV),
)

GRAPH_FORMATS = (
    Format(
        "text/turtle",
        ("text/turtle", "application/turtle", "application/x-turtle"),
        rdf=ox.RdfFormat.TURTLE,
        rdflib="turtle",
    ),
    Format("application/n-triples", ("application/n-triples", "text/plain"), rdf=ox.RdfFormat.N_TRIPLES, rdflib="nt"),
    Format(
        "application/ld+json",
        ("application/ld+json", "application/x-json+ld"),
        rdf=ox.RdfFormat.JSON_LD,
        rdflib="json-ld",
    ),
    Format("application/rdf+xml", ("application/rdf+xml",), rdf=ox.RdfFormat.RDF_XML, rdflib="xml"),
)


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    position: int

    def specificity(self, media_type: str) -> int:
        """0 when the range does not match ``media_type``; else 1 (*/*), 2 (type/*) or 3 (exact)."""
        mtype, _, msub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != mtype:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == msub else 0


def parse_accept(header: str | None) -> list[_Range]:
    if not header or not header.strip():
        return [_Range("*", "*", 1.0, 0)]
    ranges = []
    for position, item in enumerate(header.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        if "/" not in media:
            continue
        mtype, _, msub = media.lower().partition("/")
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(_Range(mtype.strip(), msub.strip(), q, position))
    return ranges


_CHOSEN: dict[tuple[str | None, bool], Format] = {}  # (Accept header, graph formats?) -> format
_CHOSEN_MAX = 256


def negotiate(header: str | None, formats: tuple[Format, ...], what: str) -> Format:
    """The format ``header`` prefers among ``formats``; ties go to the client's order, then to ours.

    Clients send the same few ``Accept`` headers again and again: the choice among the endpoint's own format lists
    is remembered (a few hundred headers at most; a refusal is not remembered).
    """
    known = formats is RESULT_FORMATS or formats is GRAPH_FORMATS
    if known:
        key = (header, formats is GRAPH_FORMATS)
        chosen = _CHOSEN.get(key)
        if chosen is None:
            chosen = _negotiate(header, formats, what)
            if len(_CHOSEN) >= _CHOSEN_MAX:
                _CHOSEN.clear()
            _CHOSEN[key] = chosen
        return chosen
    return _negotiate(header, formats, what)


def _negotiate(header: str | None, formats: tuple[Format, ...], what: str) -> Format:
    ranges = parse_accept(header)
    best: tuple[float, int, int, int] | None = None
    chosen: Format | None = None
    for rank, fmt in enumerate(formats):
        for alias in fmt.accepts:
            matches = [(r.specificity(alias), r) for r in ranges]
            matches = [(s, r) for s, r in matches if s]
            if not matches:
                continue
            spec, rng = max(matches, key=lambda m: (m[0], -m[1].position))
            if rng.q <= 0:
                continue
            key = (rng.q, spec, -rng.position, -rank)
            if best is None or key > best:
                best, chosen = key, fmt
    if chosen is None:
        offered = ", ".join(f.media_type for f in formats)
        raise refuse(
            "not_acceptable",
            f"cannot serve {what} as {header!r}",
            f"ask for one of: {offered} (or send no Accept header)",
        )
    return chosen


def prefers_html(header: str | None) -> bool:
    """A browser asking for a page (``text/html`` before any RDF format)."""
    ranges = [r for r in parse_accept(header) if r.q > 0]
    html = [r for r in ranges if r.type == "text" and r.subtype == "html"]
    return bool(html) and not any(
        r.specificity(alias) == 3 and r.position < html[0].position
        for f in GRAPH_FORMATS
        for alias in f.accepts
        for r in ranges
    )
