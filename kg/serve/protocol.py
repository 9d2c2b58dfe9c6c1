"""uvicorn's HTTP/1.1 protocol, with queries answered without the ASGI round trip.

A query to ``/sparql`` or ``/query`` is the endpoint's hot path. uvicorn still reads the connection (httptools),
keeps it alive, times it out, queues pipelined requests and shuts it down gracefully; only the request's *answer* is
ours: instead of starting the ASGI app (uvicorn's exception wrapper, the app's dispatch, two ``send`` calls that
check every header against a regular expression and write the head and the body separately), the protocol starts
:meth:`Gateway.answer` on the request's cycle and writes the complete response with one ``write``. Per varied lookup
this was a third of the gateway's own CPU time (see docs/decisions/0002-endpoint.md). Everything else — the query
page, descriptions, views, refusals of other paths, and any query carrying an ``Origin`` when CORS is on (the CORS
middleware must see it) — goes to the ASGI app as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

if TYPE_CHECKING:
    from kg.serve.app import Gateway

log = logging.getLogger(__name__)

SPARQL_PATHS = frozenset({"/sparql", "/query"})
SPARQL_METHODS = frozenset({"GET", "HEAD", "POST"})


def is_query_request(scope: Any, cors: bool) -> bool:
    """Whether the hot path answers this request (else the ASGI app does)."""
    if scope["path"] not in SPARQL_PATHS or scope["method"] not in SPARQL_METHODS:
        return False
    if cors:
        for name, _ in scope["headers"]:
            if name == b"origin":
                return False
    return True


def response_bytes(
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    defaults: list[tuple[bytes, bytes]],
    keep_alive: bool,
    head: bool,
) -> bytes:
    """A whole HTTP/1.1 response: status line, uvicorn's default headers (date), ours, the length, the body.

    Only the gateway's own header names and values reach this (no client text), so they are not checked again.
    """
    parts = [STATUS_LINE[status]]
    for name, value in defaults:
        parts += (name, b": ", value, b"\r\n")
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts += (b"content-length: ", str(len(body)).encode(), b"\r\n")
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if not head:
        parts.append(body)
    return b"".join(parts)


def protocol_class(gateway: Gateway, cors: bool) -> type[HttpToolsProtocol]:
    """The protocol uvicorn runs (``uvicorn.Config(http=…)``), bound to ``gateway``."""

    class GatewayProtocol(HttpToolsProtocol):
        def _start_asgi_task(self, cycle: RequestResponseCycle, app: Callable[..., Any]) -> None:
            if not is_query_request(cycle.scope, cors):
                super()._start_asgi_task(cycle, app)
                return
            task = self.loop.create_task(self._answer(cycle))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

        async def _answer(self, cycle: RequestResponseCycle) -> None:
            scope: Any = cycle.scope  # uvicorn's TypedDicts, the framework's mappings: the same objects
            receive: Any = cycle.receive
            try:
                answer = await gateway.answer(scope, receive)
            except BaseException as exc:  # like uvicorn's own wrapper: a 500 if nothing was sent, then close
                log.exception("internal error on %s", cycle.scope["path"], exc_info=exc)
                if not cycle.response_started:
                    await cycle.send_500_response()
                else:
                    cycle.transport.close()
                cycle.on_response = lambda: None
                if not isinstance(exc, Exception):
                    raise
                return
            if cycle.disconnected or cycle.response_started:
                cycle.on_response = lambda: None
                return
            if isinstance(answer, tuple):
                status, headers, body = answer
                if cycle.access_log:
                    cycle.access_logger.info(
                        '%s - "%s %s HTTP/%s" %d', get_client_addr(scope), scope["method"],
                        get_path_with_query_string(scope), scope["http_version"], status,
                    )  # fmt: skip
                cycle.response_started = True
                cycle.waiting_for_100_continue = False
                cycle.transport.write(
                    response_bytes(
                        status,
                        headers,
                        body,
                        defaults=cycle.default_headers,
                        keep_alive=cycle.keep_alive,
                        head=cycle.scope["method"] == "HEAD",
                    )
                )
                cycle.response_complete = True
                cycle.message_event.set()
                if not cycle.keep_alive:
                    cycle.transport.close()
                on_response, cycle.on_response = cycle.on_response, lambda: None
                on_response()
            else:  # a framework response (the service description, a redirect): through ASGI's send
                try:
                    send: Any = cycle.send
                    await answer(scope, receive, send)
                finally:
                    cycle.on_response = lambda: None

    return GatewayProtocol
