"""Running one accepted query on the upstream Oxigraph, within the time, row and size limits.

The gateway asks Oxigraph for a format it can count cheaply while streaming (TSV for SELECT: one line per row;
N-Triples for CONSTRUCT/DESCRIBE: one line per triple), stops reading (and so closes the connection, which stops
Oxigraph) as soon as a limit is passed, and turns Oxigraph's in-band cancellation (HTTP 200, then a body cut short
by "The SPARQL operation has been cancelled") into a 504. A complete answer is parsed and written again in the
format the client asked for, so a truncated body can never pass for a result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import DEFAULT_BASE, ELI, OA, ONTOLOGY_IRI, SD, SDMX_DIM, VOCAB_IRI
from kg.serve.connection import UpstreamError, UpstreamPool
from kg.serve.errors import refuse
from kg.serve.negotiation import Format
from kg.serve.policy import QueryPlan
from kg.serve.settings import ServeSettings

CANCELLED = b"The SPARQL operation has been cancelled"
_SELECT_UPSTREAM = "text/tab-separated-values"
_ASK_UPSTREAM = "application/sparql-results+json"
_GRAPH_UPSTREAM = "application/n-triples"
_CONVERT_IN_THREAD_BYTES = 256 * 1024


def turtle_prefixes(base_iri: str = DEFAULT_BASE) -> dict[str, str]:
    """Prefixes for graph results written as Turtle (the project's, plus ``id:`` for the data)."""
    from rdflib.namespace import DCAT, DCTERMS, ORG, PROV, QB, RDF, RDFS, SDO, SKOS, VOID, XSD

    return {
        "dcat": str(DCAT), "dcterms": str(DCTERMS), "eli": str(ELI), "gk": ONTOLOGY_IRI, "id": base_iri,
        "oa": str(OA), "org": str(ORG), "prov": str(PROV), "qb": str(QB), "rdf": str(RDF), "rdfs": str(RDFS),
        "schema": str(SDO), "sd": str(SD), "sdmx-dimension": str(SDMX_DIM), "skos": str(SKOS), "v": VOCAB_IRI,
        "void": str(VOID), "xsd": str(XSD),
    }  # fmt: skip


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    rows: int  # solutions of a SELECT, triples of a CONSTRUCT/DESCRIBE, 1 for ASK


def _too_many_rows(plan: QueryPlan, max_rows: int) -> Exception:
    what = "triples" if plan.returns_graph else "rows"
    return refuse(
        "too_many_rows",
        f"the result has more than {max_rows} {what}; this endpoint returns at most {max_rows}",
        f"add LIMIT {max_rows} (and OFFSET to page through the rest), or ask the operator to raise --max-rows",
    )


def _timeout(timeout_s: float) -> Exception:
    return refuse(
        "timeout",
        f"the query ran longer than the {timeout_s:g} s limit and was cancelled",
        "make the query more selective (bind a subject, a region or a year; avoid cross products), add LIMIT, "
        "or ask the operator to raise --timeout",
    )


def _upstream_failure(status: int, text: str) -> Exception:
    message = " ".join(text.split())[:500] or f"HTTP {status}"
    if 400 <= status < 500:
        return refuse("query_rejected", f"the query engine rejected the query: {message}", "fix the query and retry")
    return refuse(
        "upstream_error",
        f"the query engine failed (HTTP {status}): {message}",
        "retry; if it persists, tell the operator",
    )


async def run_query(pool: UpstreamPool, plan: QueryPlan, fmt: Format, settings: ServeSettings) -> Answer:
    """Run ``plan`` on the Oxigraph behind ``pool``; the answer in ``fmt``, or a Refusal."""
    if plan.form == "SELECT":
        accept, header_lines = _SELECT_UPSTREAM, 1
    elif plan.form == "ASK":
        accept, header_lines = _ASK_UPSTREAM, 0
    else:
        accept, header_lines = _GRAPH_UPSTREAM, 0
    counting = plan.form != "ASK"
    head = pool.head("POST", "/query", "application/sparql-query", accept)
    try:
        async with asyncio.timeout(settings.timeout_s):
            ex = await pool.exchange(
                head,
                plan.text.encode("utf-8"),
                settings.max_rows + header_lines if counting else None,
                settings.max_result_bytes,
            )
    except TimeoutError:
        raise _timeout(settings.timeout_s) from None
    except (UpstreamError, OSError) as exc:
        raise refuse(
            "upstream_error", f"the query engine did not answer ({type(exc).__name__}: {exc})", "retry in a moment"
        ) from None
    if ex.status != 200:
        raise _upstream_failure(ex.status, ex.body()[:65536].decode("utf-8", "replace"))
    if ex.over == "lines":
        raise _too_many_rows(plan, settings.max_rows)
    if ex.over == "bytes":
        raise refuse(
            "too_many_rows",
            f"the result is larger than {settings.max_result_bytes} bytes",
            "select fewer or shorter values, or add LIMIT",
        )
    body = ex.body()
    if body.rstrip().endswith(CANCELLED):
        raise _timeout(settings.timeout_s)
    rows = max(ex.newlines - header_lines, 0) if counting else 1
    if ex.size > _CONVERT_IN_THREAD_BYTES:
        out = await asyncio.to_thread(_convert, body, plan, fmt, settings.base_iri)
    else:
        out = _convert(body, plan, fmt, settings.base_iri)
    return Answer(out, fmt.content_type, rows)


def _convert(body: bytes, plan: QueryPlan, fmt: Format, base_iri: str) -> bytes:
    """Parse the complete upstream answer and write it in ``fmt``; a body that does not parse is an error."""
    try:
        if plan.returns_graph:
            triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            prefixes = None
            if fmt.rdf == ox.RdfFormat.TURTLE:  # only the prefixes the result uses
                prefixes = {p: ns for p, ns in turtle_prefixes(base_iri).items() if ns.encode("utf-8") in body}
            return ox.serialize(triples, format=fmt.rdf, prefixes=prefixes) or b""
        upstream = ox.QueryResultsFormat.TSV if plan.form == "SELECT" else ox.QueryResultsFormat.JSON
        results = ox.parse_query_results(body, format=upstream)
        return results.serialize(format=fmt.results) or b""
    except (SyntaxError, ValueError) as exc:
        raise refuse(
            "upstream_error",
            f"the query engine sent an incomplete or malformed answer ({exc})",
            "retry; if it persists, tell the operator",
        ) from None
