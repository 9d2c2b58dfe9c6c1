"""One JSON shape for every refusal and failure of the endpoint.

    {"error": {"status": 400, "code": "service_refused", "message": "...", "hint": "..."}}

``status`` repeats the HTTP status; ``code`` is stable and documented in ``docs/endpoint.md``; ``hint`` says what
to do instead (it may be null).
"""

from __future__ import annotations

import json

from kg.errors import KgError


class ServeError(KgError):
    """The endpoint cannot start: no usable oxigraph binary, the port is taken, the upstream server fails."""


class Refusal(Exception):
    """A request the gateway answers with an error; raised anywhere in request handling, rendered by the app."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        hint: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.headers = headers or {}

    def body(self) -> dict[str, dict[str, object]]:
        return {"error": {"status": self.status, "code": self.code, "message": self.message, "hint": self.hint}}

    def payload(self) -> bytes:
        """The body as sent: compact JSON, UTF-8 (the one rendering, for the framework and the hot path alike)."""
        return json.dumps(self.body(), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


# The codes, in one place (docs/endpoint.md lists them with their statuses).
CODES: dict[str, int] = {
    "missing_query": 400,
    "bad_request": 400,
    "unparseable": 400,
    "service_refused": 400,
    "dataset_refused": 400,
    "query_rejected": 400,
    "update_refused": 403,
    "load_refused": 403,
    "graph_store_refused": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "request_timeout": 408,
    "query_too_large": 413,
    "uri_too_long": 414,
    "unsupported_media_type": 415,
    "too_many_rows": 422,
    "memory_limit": 422,
    "engine_crash": 422,
    "header_too_large": 431,
    "internal_error": 500,
    "upstream_error": 502,
    "busy": 503,
    "too_many_connections": 503,
    "unavailable": 503,
    "timeout": 504,
}


def refuse(code: str, message: str, hint: str | None = None, *, headers: dict[str, str] | None = None) -> Refusal:
    """A :class:`Refusal` with the documented status of ``code``."""
    return Refusal(CODES[code], code, message, hint, headers=headers)
