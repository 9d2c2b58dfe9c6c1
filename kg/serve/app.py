"""The gateway: a Starlette app speaking the SPARQL 1.1 Protocol in front of a read-only Oxigraph.

Routes: ``/sparql`` and ``/query`` (queries; with no query, the service description), ``/service-description``,
``/.well-known/void``, ``/`` (the query page) and its assets, ``/queries`` (the example queries as JSON),
``/prefixes.json``, ``/status``. ``/update`` and ``/store`` are refused; anything else is 404. Every refusal has the
JSON shape of :mod:`kg.serve.errors`.

Queries are the hot path: :class:`SparqlHandler` answers them as a plain ASGI app, without a Request object or the
framework's middleware (a request with an ``Origin`` header goes through Starlette when CORS is on, so the CORS
middleware sees it). Everything else is an ordinary Starlette route.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from kg import __version__
from kg.serve.cache import CachedAnswer, ResultCache
from kg.serve.description import endpoint_void, serialize_graph, service_description
from kg.serve.errors import Refusal, refuse
from kg.serve.execute import run_query, turtle_prefixes
from kg.serve.forms import parse_form
from kg.serve.live import LiveStore
from kg.serve.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format, negotiate, prefers_html
from kg.serve.policy import PlanCache, QueryPlan, plan_query, refuse_dataset_parameters
from kg.serve.protocol import is_query_request
from kg.serve.settings import ServeSettings
from kg.serve.ui import ASSETS, PAGE, example_queries

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
_DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")
_PARSE_IN_THREAD_CHARS = 2048


class Admission:
    """At most ``running`` queries at once; up to ``queued`` more wait (at most ``wait_s``); the rest get 503."""

    def __init__(self, running: int, queued: int, wait_s: float) -> None:
        self.queued = queued
        self.wait_s = wait_s
        self.waiting = 0
        self._slots = asyncio.Semaphore(running)

    def _busy(self, why: str) -> Refusal:
        return refuse(
            "busy",
            f"the endpoint is busy: {why}",
            "retry after a moment; run heavy queries one at a time",
            headers={"Retry-After": "2"},
        )

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if there is room in it; :meth:`release` it afterwards."""
        if not self._slots.locked():
            await self._slots.acquire()  # does not wait
            return
        if self.waiting >= self.queued:
            raise self._busy("every query slot is taken and the queue is full")
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise self._busy(f"no query slot became free within {self.wait_s:g} s") from None
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self._slots.release()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise refuse("missing_query", "the client went away before sending the whole query", "retry")
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise refuse(
                    "query_too_large",
                    f"the request body is larger than {limit} bytes",
                    "shorten the query, or ask the operator to raise --max-query-bytes",
                )
        if not message.get("more_body", False):
            return b"".join(chunks)


def _single(values: list[str], name: str) -> str | None:
    if not values:
        return None
    if len(values) > 1:
        raise refuse("missing_query", f"{len(values)} '{name}' parameters; the protocol allows one", "send one query")
    return values[0]


def _refuse_update_request() -> Refusal:
    return refuse(
        "update_refused",
        "SPARQL Update is refused: this endpoint is read-only",
        "change the data with `kg ingest` on the store; the endpoint picks the new data up by itself",
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


Reply = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body: what the hot path writes


class RawResponse:
    """A :data:`Reply` as an ASGI app (for the requests that go through the framework)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status = status
        self.body = body
        self.headers = [*headers, (b"content-length", str(len(body)).encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def _answer_response(answer: CachedAnswer, cache: str | None) -> Reply:
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"x-kg-generation", str(answer.generation).encode()),
        (b"x-kg-rows", str(answer.rows).encode()),
        (b"vary", b"Accept"),
    ]
    if cache is not None:
        headers.append((b"x-kg-cache", cache.encode()))
    return 200, headers, answer.body


def _refusal_answer(refusal: Refusal) -> Reply:
    """A refusal in the one JSON shape, for the hot path."""
    headers = [(b"content-type", b"application/json")]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in refusal.headers.items()]
    return refusal.status, headers, refusal.payload()


class Gateway:
    """The request handlers, bound to one :class:`LiveStore` and one :class:`ServeSettings`."""

    def __init__(self, live: LiveStore, settings: ServeSettings) -> None:
        self.live = live
        self.settings = settings
        self.plans = PlanCache()
        self.results = ResultCache(settings.cache_bytes, settings.cache_entry_bytes)
        self.admission = Admission(settings.max_concurrent, settings.max_queued, settings.timeout_s)
        self.assets: dict[str, bytes] = {}
        self.rendered: dict[tuple[str, int, str, str], bytes] = {}

    # -- the protocol ------------------------------------------------------------------------------------------
    async def answer(self, scope: Scope, receive: Receive) -> Reply | Response:
        """The answer to one request to /sparql or /query; refusals and errors in the one JSON shape."""
        try:
            return await self.sparql(scope, receive)
        except Refusal as refusal:
            return _refusal_answer(refusal)
        except Exception as exc:  # noqa: BLE001 - answered as 500 in the one shape, and logged
            log.exception("internal error on %s", scope["path"], exc_info=exc)
            return _refusal_answer(
                refuse(
                    "internal_error",
                    f"internal error ({type(exc).__name__})",
                    "retry; if it persists, tell the operator",
                )
            )

    async def sparql(self, scope: Scope, receive: Receive) -> Reply | Response:
        """Answer one request to /sparql or /query (raises a Refusal for anything refused)."""
        url_params = parse_form(scope["query_string"].decode("latin-1"))
        if "update" in url_params:
            raise _refuse_update_request()
        if scope["method"] in ("GET", "HEAD"):
            query = _single(url_params.get("query", []), "query")
            if query is None:
                return await self.description(Request(scope, receive))
            refuse_dataset_parameters([p for p in _DATASET_PARAMS if p in url_params])
        else:
            query = await self._query_from_post(scope, receive, url_params)
        plan = await self._plan(query)
        fmt = negotiate(
            _header(scope, b"accept"),
            GRAPH_FORMATS if plan.returns_graph else RESULT_FORMATS,
            f"{plan.form} results",
        )
        return await self.run(plan, fmt)

    async def run(self, plan: QueryPlan, fmt: Format) -> Reply:
        """The answer to an accepted query: from the cache, else from Oxigraph within the limits."""
        cache = self.results if self.results.enabled else None
        if cache is not None:
            snapshot = self.live.current.snapshot.path  # one cache per snapshot: a new one empties it
            cached = cache.get(snapshot, plan.text, fmt.media_type)
            if cached is not None:
                return _answer_response(cached, "hit")
        await self.admission.acquire()
        try:
            upstream = self.live.acquire()
            try:
                answer = await run_query(upstream.client, plan, fmt, self.settings)
            except Refusal as refusal:
                if refusal.code == "timeout":  # Oxigraph may still be computing it: replace the process
                    self.live.recycle_soon(upstream)
                raise
            finally:
                self.live.release(upstream)
        finally:
            self.admission.release()
        result = CachedAnswer(answer.body, answer.media_type, answer.rows, upstream.generation)
        if cache is not None:
            cache.put(upstream.snapshot.path, plan.text, fmt.media_type, result)
            return _answer_response(result, "miss")
        return _answer_response(result, None)

    async def _query_from_post(self, scope: Scope, receive: Receive, url_params: dict[str, list[str]]) -> str:
        ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-update":
            raise _refuse_update_request()
        if ctype not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise refuse(
                "unsupported_media_type",
                f"cannot read a POST body of type {ctype or '(none)'!r}",
                "POST application/x-www-form-urlencoded (query=…) or application/sparql-query",
            )
        body = await _read_body(receive, self.settings.max_query_bytes * 3 + 4096)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise refuse("unparseable", "the request body is not UTF-8", "send the query encoded as UTF-8") from None
        if ctype == "application/sparql-query":
            refuse_dataset_parameters([p for p in _DATASET_PARAMS if p in url_params])
            return text
        form = parse_form(text)
        if "update" in form:
            raise _refuse_update_request()
        refuse_dataset_parameters([p for p in _DATASET_PARAMS if p in form or p in url_params])
        query = _single(form.get("query", []), "query")
        if query is None:
            raise refuse("missing_query", "no 'query' in the form", "send query=<SPARQL query>")
        return query

    async def _plan(self, text: str) -> QueryPlan:
        limit = self.settings.max_query_bytes
        plan = self.plans.check(text, limit)
        if plan is None:
            if len(text) < _PARSE_IN_THREAD_CHARS:
                plan = plan_query(text, limit)
            else:
                plan = await asyncio.to_thread(plan_query, text, limit)
            self.plans.put(plan)
        return plan

    # -- descriptions ------------------------------------------------------------------------------------------
    async def description(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if prefers_html(accept):
            return RedirectResponse("/", status_code=303)
        fmt = negotiate(accept, GRAPH_FORMATS, "the service description")
        origin = _origin(request)
        key = ("sd", 0, origin, fmt.media_type)
        if key not in self.rendered:
            self.rendered[key] = serialize_graph(service_description(origin, self.settings), fmt)
        return Response(self.rendered[key], headers={"Content-Type": fmt.content_type, "Vary": "Accept"})

    async def void(self, request: Request) -> Response:
        fmt = negotiate(request.headers.get("accept"), GRAPH_FORMATS, "the VoID description")
        origin = _origin(request)
        async with self.live.use() as upstream:
            key = ("void", upstream.generation, origin, fmt.media_type)
            if key not in self.rendered:
                stats = await upstream.void_stats()
                graph = endpoint_void(origin, stats, self.settings, modified=upstream.snapshot.created)
                self.rendered = {k: v for k, v in self.rendered.items() if k[0] != "void" or k[1] == key[1]}
                self.rendered[key] = await asyncio.to_thread(serialize_graph, graph, fmt)
            return Response(self.rendered[key], headers={"Content-Type": fmt.content_type, "Vary": "Accept"})

    # -- the page ----------------------------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def asset(self, request: Request) -> Response:
        path = request.url.path
        if path == "/favicon.ico":
            path = "/logo.svg"
        if path not in self.assets:
            async with self.live.use() as upstream:
                status, content = await upstream.client.get(path)
            if status != 200:
                raise refuse("upstream_error", f"the query engine has no {path}", "tell the operator")
            self.assets[path] = content
        headers = {"Content-Type": ASSETS[path], "Cache-Control": "public, max-age=86400"}
        return Response(self.assets[path], headers=headers)

    async def queries(self, request: Request) -> Response:
        records = await asyncio.to_thread(example_queries, self.settings.queries_dir)
        return JSONResponse(records)

    async def prefixes(self, request: Request) -> Response:
        return JSONResponse(turtle_prefixes(self.settings.base_iri))

    async def status(self, request: Request) -> Response:
        upstream = self.live.current
        s = self.settings
        return JSONResponse(
            {
                "version": __version__,
                "generation": upstream.generation,
                "snapshot_created": upstream.snapshot.created.isoformat(timespec="seconds"),
                "running_queries": upstream.in_flight,
                "queued_queries": self.admission.waiting,
                "oxigraph_recycled": self.live.recycled,
                "last_refresh_error": self.live.last_error,
                "queries_parsed": self.plans.parsed,
                "result_cache": {
                    "entries": len(self.results),
                    "bytes": self.results.size,
                    "max_bytes": self.results.max_bytes,
                    "hits": self.results.hits,
                    "misses": self.results.misses,
                },
                "limits": {
                    "timeout_s": s.timeout_s,
                    "max_rows": s.max_rows,
                    "max_concurrent": s.max_concurrent,
                    "max_queued": s.max_queued,
                    "max_query_bytes": s.max_query_bytes,
                },
            }
        )

    # -- refusals ----------------------------------------------------------------------------------------------
    async def update(self, request: Request) -> Response:
        raise _refuse_update_request()

    async def graph_store(self, request: Request) -> Response:
        raise refuse(
            "graph_store_refused",
            "the Graph Store Protocol is not served here",
            "read a graph with SPARQL: CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <iri> { ?s ?p ?o } }",
        )


async def _on_refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return exc.response()


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        refusal = refuse(
            "method_not_allowed", f"{request.method} is not allowed on {request.url.path}", "use GET or POST"
        )
    elif exc.status_code == 404:
        refusal = refuse(
            "not_found", f"nothing at {request.url.path}", "the SPARQL endpoint is /sparql; the query page is /"
        )
    else:
        refusal = Refusal(exc.status_code, "http_error", str(exc.detail))
    return refusal.response()


async def _on_error(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s", request.url.path, exc_info=exc)
    return refuse(
        "internal_error", f"internal error ({type(exc).__name__})", "retry; if it persists, tell the operator"
    ).response()


class SparqlHandler:
    """``/sparql`` and ``/query`` as a plain ASGI app; refusals and errors are answered here, in the one JSON shape."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.gateway.answer(scope, receive)
        response = RawResponse(answer[0], answer[2], answer[1]) if isinstance(answer, tuple) else answer
        await response(scope, receive, send)


class GatewayApp:
    """The ASGI app uvicorn runs: queries straight to :class:`SparqlHandler`, the rest through Starlette."""

    def __init__(self, sparql: SparqlHandler, app: Starlette, cors: bool) -> None:
        self.sparql = sparql
        self.app = app
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_query_request(scope, self.cors):
            await self.sparql(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def build_app(live: LiveStore, settings: ServeSettings) -> GatewayApp:
    gw = Gateway(live, settings)
    sparql = SparqlHandler(gw)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        live.start_watching()
        try:
            yield
        finally:
            await live.close()

    routes: list[BaseRoute] = [
        Route("/", gw.page, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/query", sparql, methods=["GET", "POST"]),
        Route("/service-description", gw.description, methods=["GET"]),
        Route("/.well-known/void", gw.void, methods=["GET"]),
        Route("/queries", gw.queries, methods=["GET"]),
        Route("/prefixes.json", gw.prefixes, methods=["GET"]),
        Route("/status", gw.status, methods=["GET"]),
        Route("/update", gw.update, methods=_ALL_METHODS),
        Route("/store", gw.graph_store, methods=_ALL_METHODS),
        *(Route(path, gw.asset, methods=["GET"]) for path in [*ASSETS, "/favicon.ico"]),
    ]
    if settings.views_dir is not None:  # the static pages of `kg view`: offline, relative links only
        routes.append(Mount("/views", app=StaticFiles(directory=settings.views_dir, html=True), name="views"))
    middleware = []
    if settings.cors_origin:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=[settings.cors_origin],
                allow_methods=["GET", "POST"],
                allow_headers=["Accept", "Content-Type"],
                expose_headers=["X-Kg-Generation", "X-Kg-Rows", "X-Kg-Cache"],
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={Refusal: _on_refusal, HTTPException: _on_http_error, Exception: _on_error},
    )
    return GatewayApp(sparql, app, cors=bool(settings.cors_origin))
