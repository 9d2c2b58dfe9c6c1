"""``kg serve``: a read-only, bounded SPARQL 1.1 endpoint over the store.

A gateway of ours checks every request — no updates, ``LOAD``, ``SERVICE`` or ``FROM``; limits on query size,
running and queued queries, time and result rows, connections and request heads; one JSON error shape — and hands
accepted queries to ``oxigraph serve-read-only`` running on a snapshot of the store under a memory limit, on a
loopback port. One path from request to answer: ``http`` → ``app`` → ``policy`` → ``execute`` → ``results``, with
``engine`` and ``live`` behind. A dead engine is replaced and the query that killed it quarantined; when an ingest
completes, the endpoint moves to a fresh snapshot without dropping a query. See ``docs/endpoint.md``.
"""

from kg.serve.errors import Refusal, ServeError
from kg.serve.server import Endpoint, serve_endpoint
from kg.serve.settings import ServeSettings

__all__ = ["Endpoint", "Refusal", "ServeError", "ServeSettings", "serve_endpoint"]
