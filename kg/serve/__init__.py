"""``kg serve``: a read-only, bounded SPARQL 1.1 endpoint over the store.

A gateway of ours (Starlette on uvicorn) checks every request — no updates, ``LOAD``, ``SERVICE`` or
``FROM``; limits on query size, running and queued queries, time and result rows; one JSON error shape — and hands
accepted queries to ``oxigraph serve-read-only`` running on a snapshot of the store, on a loopback port. When an
ingest completes, the endpoint moves to a fresh snapshot without dropping a query. See ``docs/endpoint.md``.
"""

from kg.serve.errors import Refusal, ServeError
from kg.serve.server import Endpoint, serve_endpoint
from kg.serve.settings import ServeSettings

__all__ = ["Endpoint", "Refusal", "ServeError", "ServeSettings", "serve_endpoint"]
