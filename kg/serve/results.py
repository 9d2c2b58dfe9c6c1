"""Writing the engine's answer in the client's format, piece by piece, with pyoxigraph's parsers and serializers.

The gateway asks Oxigraph for formats with one line per row — TSV for SELECT, N-Triples for CONSTRUCT/DESCRIBE —
so that rows are counted as they stream (a newline count) and a piece of complete lines is a document of its own
(with the TSV header line in front). Each piece is parsed and written again in the client's format, and the pieces
are joined where the format allows it: what lies between the ``[`` and ``]`` of SPARQL JSON's bindings, between
``<results>`` and ``</results>`` of SPARQL XML, after the header of CSV, between the brackets of JSON-LD, inside
``rdf:RDF``, after the ``@prefix`` lines of Turtle. The frame comes from the serializer itself (an empty answer, or the
first piece) and every piece is checked to sit in it, so a serializer that wrote otherwise would be an error, not a
broken document. TSV and N-Triples go to the client as Oxigraph wrote them; ASK answers are one small JSON object.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.serve.negotiation import Format

_TSV = ox.QueryResultsFormat.TSV


class ConversionError(ValueError):
    """The engine's answer did not parse, or a piece did not fit the format's frame."""


def _inside(out: bytes, head: bytes, tail: bytes) -> bytes:
    if not (out.startswith(head) and out.endswith(tail)) or len(out) < len(head) + len(tail):
        raise ConversionError("a piece of the answer does not fit the format's frame")
    return out[len(head) : len(out) - len(tail)]


class Converter:
    """Feed it pieces of complete lines of the engine's answer (:meth:`feed`); it returns the client's bytes."""

    def __init__(self, form: str, fmt: Format, prefixes: dict[str, str]) -> None:
        self.form = form
        self.fmt = fmt
        self.prefixes = prefixes
        self.pieces = 0  # non-empty pieces written so far
        self._header: bytes | None = None  # the TSV header line, with its newline
        self._tail = b""  # what ends the document (written by finish)
        self._head = b""  # the frame's opening, as the serializer writes it
        self._ask: list[bytes] = []
        self._turtle_prefixes: dict[str, str] | None = None
        self._passthrough = (form == "SELECT" and fmt.results == _TSV) or (
            form in ("CONSTRUCT", "DESCRIBE") and fmt.rdf == ox.RdfFormat.N_TRIPLES
        )

    def feed(self, lines: bytes) -> bytes:
        if not lines:
            return b""
        try:
            if self.form == "ASK":
                self._ask.append(lines)
                return b""
            if self._passthrough:
                return lines
            if self.form == "SELECT":
                return self._select(lines)
            return self._graph(lines)
        except (SyntaxError, ValueError) as exc:
            raise ConversionError(f"the engine's answer does not parse ({exc})") from None

    def finish(self) -> bytes:
        """What ends the document (for an answer with no rows: the whole document)."""
        try:
            if self.form == "ASK":
                body = b"".join(self._ask)
                if self.fmt.results == ox.QueryResultsFormat.JSON:
                    return body
                return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(format=self.fmt.results) or b""
            if self._passthrough:
                return b""
            if self.form == "SELECT" and self._header is None:
                raise ConversionError("the engine's answer has no header line")
            if self.form != "SELECT" and not self.pieces:
                return ox.serialize([], format=self.fmt.rdf) or b""
            return self._tail
        except (SyntaxError, ValueError) as exc:
            raise ConversionError(f"the engine's answer does not parse ({exc})") from None

    # -- SELECT ------------------------------------------------------------------------------------------------
    def _select(self, lines: bytes) -> bytes:
        out = b""
        if self._header is None:
            end = lines.index(b"\n") + 1
            self._header, lines = lines[:end], lines[end:]
            empty = self._results(b"")
            if self.fmt.results == ox.QueryResultsFormat.JSON:
                at = empty.rindex(b"[") + 1
            elif self.fmt.results == ox.QueryResultsFormat.XML:
                at = empty.rindex(b"<results>") + len(b"<results>")
            else:  # CSV: the header line, then rows
                at = len(empty)
            self._head, self._tail = empty[:at], empty[at:]
            out = self._head
            if not lines:
                return out
        inner = _inside(self._results(lines), self._head, self._tail)
        if inner and self.pieces and self.fmt.results == ox.QueryResultsFormat.JSON:
            inner = b"," + inner
        self.pieces += bool(inner)
        return out + inner

    def _results(self, rows: bytes) -> bytes:
        assert self._header is not None
        parsed = ox.parse_query_results(self._header + rows, format=_TSV)
        return parsed.serialize(format=self.fmt.results) or b""

    # -- CONSTRUCT, DESCRIBE -----------------------------------------------------------------------------------
    def _graph(self, lines: bytes) -> bytes:
        triples = list(ox.parse(lines, format=ox.RdfFormat.N_TRIPLES))
        rdf = self.fmt.rdf
        if rdf == ox.RdfFormat.TURTLE:
            if self._turtle_prefixes is None:  # the prefixes the first piece uses, for every piece
                self._turtle_prefixes = {p: ns for p, ns in self.prefixes.items() if ns.encode("utf-8") in lines}
            out = ox.serialize(triples, format=rdf, prefixes=self._turtle_prefixes) or b""
            if self.pieces:
                out = b"".join(line for line in out.splitlines(keepends=True) if not line.startswith(b"@prefix "))
            self.pieces += 1
            return out
        out = ox.serialize(triples, format=rdf) or b""
        if not self.pieces:
            empty = ox.serialize([], format=rdf) or b""
            at = empty.rindex(b"</rdf:RDF>") if rdf == ox.RdfFormat.RDF_XML else empty.rindex(b"]")
            self._head, self._tail = empty[:at], empty[at:]
            self.pieces = 1
            return self._head + _inside(out, self._head, self._tail)
        inner = _inside(out, self._head, self._tail)
        return (b"," + inner) if inner and rdf == ox.RdfFormat.JSON_LD else inner
