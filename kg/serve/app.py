"""The gateway's routes: one handler per URL, every answer a :class:`~kg.serve.http.Response`.

``/sparql`` and ``/query`` (queries by the SPARQL 1.1 Protocol; with no query, the service description),
``/service-description``, ``/.well-known/void``, ``/`` (the query page) and its assets, ``/queries`` (the example
queries as JSON), ``/prefixes.json``, ``/status``, and ``/views/…`` when ``--views`` is given. ``/update`` and
``/store`` are refused; anything else is 404. Every refusal has the JSON shape of :mod:`kg.serve.errors`.

From request to answer: :class:`~kg.serve.http.HttpServer` reads the request and calls :meth:`Gateway.handle`, which
picks the route; a query is decoded (:func:`Gateway.sparql`), checked (:class:`~kg.serve.policy.PlanChecker`),
negotiated (:mod:`kg.serve.negotiation`) and run (:class:`~kg.serve.execute.Runner`), and the response goes back
the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from kg import __version__
from kg.serve.description import endpoint_void, serialize_graph, service_description
from kg.serve.errors import Refusal, refuse
from kg.serve.execute import Runner
from kg.serve.forms import parse_form
from kg.serve.http import AnswerCut, ClientGone, HttpServer, Request, Response
from kg.serve.live import LiveStore
from kg.serve.negotiation import GRAPH_FORMATS, RESULT_FORMATS, negotiate, prefers_html
from kg.serve.policy import PlanChecker, refuse_dataset_parameters
from kg.serve.settings import ServeSettings
from kg.serve.ui import ASSETS, PAGE, example_queries

log = logging.getLogger(__name__)

Route = Callable[[Request], Awaitable[Response]]

_DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")
_GET = frozenset({"GET", "HEAD"})
_QUERY_METHODS = frozenset({"GET", "HEAD", "POST"})
_ANY = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_FILE_CHUNK = 64 * 1024


def _json(value: object, status: int = 200) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, [("content-type", "application/json")], body)


def _single(values: list[str], name: str) -> str | None:
    if not values:
        return None
    if len(values) > 1:
        raise refuse("missing_query", f"{len(values)} '{name}' parameters; the protocol allows one", "send one query")
    return values[0]


def _update_refused() -> Refusal:
    return refuse(
        "update_refused",
        "SPARQL Update is refused: this endpoint is read-only",
        "change the data with `kg ingest` on the store; the endpoint picks the new data up by itself",
    )


class Gateway:
    """The handlers, bound to one :class:`LiveStore` and one :class:`ServeSettings`."""

    def __init__(self, live: LiveStore, settings: ServeSettings) -> None:
        self.live = live
        self.settings = settings
        self.checker = PlanChecker()
        self.runner = Runner(live, settings)
        self.server: HttpServer | None = None  # set by the endpoint (for /status)
        self.assets: dict[str, bytes] = {}
        self.rendered: dict[tuple[str, int, str, str], bytes] = {}
        self.routes: dict[str, tuple[frozenset[str], Route]] = {
            "/": (_GET, self.page),
            "/sparql": (_QUERY_METHODS, self.sparql),
            "/query": (_QUERY_METHODS, self.sparql),
            "/service-description": (_GET, self.description),
            "/.well-known/void": (_GET, self.void),
            "/queries": (_GET, self.queries),
            "/prefixes.json": (_GET, self.prefixes),
            "/status": (_GET, self.status),
            "/update": (_ANY, self.update),
            "/store": (_ANY, self.graph_store),
            **{path: (_GET, self.asset) for path in [*ASSETS, "/favicon.ico"]},
        }

    # -- dispatch ----------------------------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        """The answer to any request; refusals and errors in the one JSON shape."""
        try:
            if request.method == "OPTIONS" and self._cors_origin(request) is not None:
                return self._preflight(request)
            response = await self._route(request)
        except Refusal as refusal:
            response = Response.of_refusal(refusal)
        except (ClientGone, AnswerCut, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - answered as 500 in the one shape, and logged
            log.exception("internal error on %s", request.path, exc_info=exc)
            response = Response.of_refusal(
                refuse("internal_error", f"internal error ({type(exc).__name__})", "retry; if it persists, tell the operator")
            )
        origin = self._cors_origin(request)
        if origin is not None:
            response.headers += [
                ("access-control-allow-origin", origin),
                ("access-control-expose-headers", "X-Kg-Generation, X-Kg-Rows, X-Kg-Cache"),
                ("vary", "Origin"),
            ]
        return response

    async def _route(self, request: Request) -> Response:
        found = self.routes.get(request.path)
        if found is None:
            if self.settings.views_dir is not None and (request.path + "/").startswith("/views/"):
                found = (_GET, self.views)
            else:
                raise refuse(
                    "not_found", f"nothing at {request.path}", "the SPARQL endpoint is /sparql; the query page is /"
                )
        methods, route = found
        if request.method not in methods:
            allowed = ", ".join(sorted(methods - {"HEAD"}))
            raise refuse(
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}",
                f"use {allowed}",
                headers={"Allow": allowed},
            )
        return await route(request)

    def _cors_origin(self, request: Request) -> str | None:
        allowed = self.settings.cors_origin
        if allowed is None:
            return None
        origin = request.header(b"origin")
        if origin is None or (allowed != "*" and origin != allowed):
            return None
        return "*" if allowed == "*" else origin

    def _preflight(self, request: Request) -> Response:
        headers = [
            ("access-control-allow-origin", self._cors_origin(request) or ""),
            ("access-control-allow-methods", "GET, POST"),
            ("access-control-allow-headers", "Accept, Content-Type"),
            ("access-control-max-age", "600"),
            ("vary", "Origin"),
        ]
        return Response(200, headers)

    # -- the protocol ------------------------------------------------------------------------------------------
    async def sparql(self, request: Request) -> Response:
        """A query by the SPARQL 1.1 Protocol (GET ``?query=``, POST form, POST ``application/sparql-query``)."""
        url_params = parse_form(request.query_string)
        if "update" in url_params:
            raise _update_refused()
        if request.method in _GET:
            query = _single(url_params.get("query", []), "query")
            if query is None:
                return await self.description(request)
            refuse_dataset_parameters([p for p in _DATASET_PARAMS if p in url_params])
        else:
            query = await self._query_from_post(request, url_params)
        plan = await self.checker.plan(query, self.settings.max_query_bytes)
        fmt = negotiate(request.header(b"accept"), GRAPH_FORMATS if plan.returns_graph else RESULT_FORMATS,
                        f"{plan.form} results")  # fmt: skip
        return await self.runner.run(plan, fmt)

    async def _query_from_post(self, request: Request, url_params: dict[str, list[str]]) -> str:
        ctype = (request.header(b"content-type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-update":
            raise _update_refused()
        if ctype not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise refuse(
                "unsupported_media_type",
                f"cannot read a POST body of type {ctype or '(none)'!r}",
                "POST application/x-www-form-urlencoded (query=…) or application/sparql-query",
            )
        body = await request.body(self.settings.max_query_bytes * 3 + 4096)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise refuse("unparseable", "the request body is not UTF-8", "send the query encoded as UTF-8") from None
        if ctype == "application/sparql-query":
            refuse_dataset_parameters([p for p in _DATASET_PARAMS if p in url_params])
            return text
        form = parse_form(text)
        if "update" in form:
            raise _update_refused()
        refuse_dataset_parameters([p for p in _DATASET_PARAMS if p in form or p in url_params])
        query = _single(form.get("query", []), "query")
        if query is None:
            raise refuse("missing_query", "no 'query' in the form", "send query=<SPARQL query>")
        return query

    # -- descriptions ------------------------------------------------------------------------------------------
    async def description(self, request: Request) -> Response:
        accept = request.header(b"accept")
        if prefers_html(accept):
            return Response(303, [("location", "/")])
        fmt = negotiate(accept, GRAPH_FORMATS, "the service description")
        key = ("sd", 0, request.origin, fmt.media_type)
        if key not in self.rendered:
            self.rendered[key] = serialize_graph(service_description(request.origin, self.settings), fmt)
        return Response(200, [("content-type", fmt.content_type), ("vary", "Accept")], self.rendered[key])

    async def void(self, request: Request) -> Response:
        fmt = negotiate(request.header(b"accept"), GRAPH_FORMATS, "the VoID description")
        stats, snapshot = await self.live.void_stats()
        key = ("void", snapshot.generation or 0, request.origin, fmt.media_type)
        if key not in self.rendered:
            graph = endpoint_void(request.origin, stats, self.settings, modified=snapshot.created)
            self.rendered = {k: v for k, v in self.rendered.items() if k[0] != "void" or k[1] == key[1]}
            self.rendered[key] = await asyncio.to_thread(serialize_graph, graph, fmt)
        return Response(200, [("content-type", fmt.content_type), ("vary", "Accept")], self.rendered[key])

    # -- the page ----------------------------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        return Response(200, [("content-type", "text/html; charset=utf-8")], PAGE.encode("utf-8"))

    async def asset(self, request: Request) -> Response:
        path = "/logo.svg" if request.path == "/favicon.ico" else request.path
        if path not in self.assets:
            try:
                status, content = await self.live.current.get(path)
            except ConnectionError as exc:
                raise refuse("upstream_error", f"the query engine did not answer ({exc})", "retry in a moment") from None
            if status != 200:
                raise refuse("upstream_error", f"the query engine has no {path}", "tell the operator")
            self.assets[path] = content
        headers = [("content-type", ASSETS[path]), ("cache-control", "public, max-age=86400")]
        return Response(200, headers, self.assets[path])

    async def queries(self, request: Request) -> Response:
        return _json(await asyncio.to_thread(example_queries, self.settings.queries_dir))

    async def prefixes(self, request: Request) -> Response:
        return _json(self.runner.prefixes)

    async def views(self, request: Request) -> Response:
        """A file of ``--views`` (``index.html`` for a directory); nothing outside that directory."""
        root = self.settings.views_dir
        assert root is not None
        relative = request.path.removeprefix("/views").lstrip("/")
        base = root.resolve()
        target = (base / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(base) or not target.is_file():
            raise refuse("not_found", f"nothing at {request.path}", "see /views/ for the network views")
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        return Response(200, [("content-type", ctype)], _file_chunks(target))

    async def status(self, request: Request) -> Response:
        s = self.settings
        runner = self.runner
        engine = self.live.current
        server = self.server
        return _json(
            {
                "version": __version__,
                "generation": self.live.generation_of(engine),
                "snapshot_created": self.live.snapshot_of(engine).created.isoformat(timespec="seconds"),
                "running_queries": engine.in_flight,
                "queued_queries": runner.admission.waiting,
                "engine": {"pid": engine.pid, "allocator": engine.allocator_name, "restarts": self.live.restarts,
                           "recycled": self.live.recycled, "deaths": [f"{d.kind}: {d.detail}" for d in self.live.deaths]},  # fmt: skip
                "oxigraph_recycled": self.live.recycled,
                "last_refresh_error": self.live.last_error,
                "queries_parsed": self.checker.cache.parsed,
                "queries_retried": runner.retried,
                "answers_cut": runner.cut,
                "quarantine": {"families": len(runner.quarantine), "refused": runner.quarantine.refused},
                "connections": {
                    "open": len(server.connections) if server else 0,
                    "refused": server.refused_connections if server else 0,
                    "dropped_slow_readers": server.dropped_readers if server else 0,
                    "buffered_bytes": server.budget.used if server else 0,
                    "buffered_bytes_peak": server.budget.peak if server else 0,
                },
                "result_cache": {
                    "entries": len(runner.results),
                    "bytes": runner.results.size,
                    "max_bytes": runner.results.max_bytes,
                    "hits": runner.results.hits,
                    "misses": runner.results.misses,
                },
                "limits": {
                    "timeout_s": s.timeout_s,
                    "max_rows": s.max_rows,
                    "max_concurrent": s.max_concurrent,
                    "max_queued": s.max_queued,
                    "max_query_bytes": s.max_query_bytes,
                    "max_engine_mb": s.max_engine_mb,
                    "max_connections": s.max_connections,
                    "max_request_line": s.max_request_line,
                    "max_header_bytes": s.max_header_bytes,
                    "header_timeout_s": s.header_timeout_s,
                    "send_timeout_s": s.send_timeout_s,
                    "max_buffer_mb": s.max_buffer_bytes // 2**20,
                },
            }
        )

    # -- refusals ----------------------------------------------------------------------------------------------
    async def update(self, request: Request) -> Response:
        raise _update_refused()

    async def graph_store(self, request: Request) -> Response:
        raise refuse(
            "graph_store_refused",
            "the Graph Store Protocol is not served here",
            "read a graph with SPARQL: CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <iri> { ?s ?p ?o } }",
        )

    def close(self) -> None:
        self.checker.close()


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_FILE_CHUNK):
            yield chunk
