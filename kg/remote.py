"""Remote stores: named queries run against any SPARQL endpoint, and the store pushed into any SPARQL 1.1 store.

- :func:`run_select_remote` runs a named query through SPARQLWrapper. Parameters are bound by a ``VALUES`` row
  placed at the start of the WHERE clause (the variables keep their values in the results, as with the local
  store's SEP-0007 substitutions); values are written by rdflib (``.n3()``), only declared parameters are
  accepted, and the bound query is parsed again before it is sent.
- :func:`push_store` loads every named graph with the Graph Store HTTP Protocol, one ``PUT`` per graph (which
  replaces the graph, so pushing again duplicates nothing), from a snapshot of the store, then checks the remote's
  triple counts. Credentials go by HTTP Basic or Digest, whichever the store asks for (Virtuoso: Digest).
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
import tempfile
import urllib.error
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    EndPointNotFound,
    QueryBadFormed,
    SPARQLWrapperException,
    Unauthorized,
    URITooLong,
)

from kg import __version__
from kg.errors import KgError, QueryError
from kg.queries import NamedQuery, Table, bind_values, binding_kind
from kg.snapshots import make_snapshot
from kg.terms import from_ox

USER_AGENT = f"govkg/{__version__}"


class RemoteError(KgError):
    """A remote endpoint or graph store is unreachable, refuses the request, or fails."""


# -- querying a remote endpoint -------------------------------------------------------------------------------
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_HTML_PAGE = re.compile(r"<(?:!doctype\s+html|html)\b", re.IGNORECASE)


def _error_text(body: bytes | str | None) -> str:
    """The message of a failed response: our gateway's JSON error shape when it is one, the text of an HTML error
    page (Virtuoso answers with one), else the text."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    body = (body or "").strip()
    try:
        error = json.loads(body)["error"]
        return f"{error['message']}" + (f" ({error['hint']})" if error.get("hint") else "")
    except (ValueError, KeyError, TypeError):
        pass
    if _HTML_PAGE.match(body):
        body = re.sub(r"<head\b.*?</head>", " ", body, flags=re.IGNORECASE | re.DOTALL)
        body = html.unescape(re.sub(r"<[^>]*>", " ", body))
    return " ".join(body.split())[:400]


def _value(term: dict[str, str]) -> str:
    """A result term's value; an ``xsd:boolean`` in canonical form (Virtuoso answers ``1``/``0`` for true/false)."""
    value = term.get("value", "")
    if term.get("datatype") == XSD_BOOLEAN and value in ("1", "0"):
        return "true" if value == "1" else "false"
    return value


def _wrapper_body(exc: SPARQLWrapperException) -> str:
    message = str(exc.args[0]) if exc.args else ""
    raw = message.partition("Response:\n")[2]
    try:
        return _error_text(ast.literal_eval(raw)) if raw else ""
    except (ValueError, SyntaxError):
        return _error_text(raw)


def _unreachable(url: str, reason: object) -> RemoteError:
    return RemoteError(
        f"{url}: cannot reach the endpoint ({reason})",
        hint="check the URL, and that the server runs and is reachable from here",
    )


def run_select_remote(
    endpoint_url: str, query: NamedQuery, params: dict[str, str], *, timeout_s: float = 60.0
) -> Table:
    """Run the named SELECT ``query`` on a remote SPARQL endpoint; the same :class:`Table` as the local store."""
    text = bind_values(query, params)
    sparql = SPARQLWrapper(endpoint_url, agent=USER_AGENT)
    sparql.setQuery(text)
    sparql.setMethod(POST)
    sparql.setReturnFormat(JSON)
    sparql.setOnlyConneg(True)
    sparql.setTimeout(int(max(1, timeout_s)))
    where = f"{endpoint_url} ({query.name})"
    try:
        result = sparql.query()
        data = result.convert()
        max_rows = result.info().get("x-sparql-maxrows")
    except QueryBadFormed as exc:
        raise RemoteError(f"{where}: the endpoint rejected the query: {_wrapper_body(exc)}") from exc
    except Unauthorized as exc:
        raise RemoteError(f"{where}: the endpoint wants credentials", hint="this endpoint needs a login") from exc
    except EndPointNotFound as exc:
        raise RemoteError(f"{where}: no SPARQL endpoint at this URL (404)", hint="check the URL's path") from exc
    except URITooLong as exc:
        raise RemoteError(f"{where}: the endpoint found the request too long (414)") from exc
    except EndPointInternalError as exc:
        raise RemoteError(f"{where}: the endpoint failed (500): {_wrapper_body(exc)}", hint="retry later") from exc
    except urllib.error.HTTPError as exc:
        raise RemoteError(f"{where}: HTTP {exc.code}: {_error_text(exc.read())}") from exc
    except urllib.error.URLError as exc:
        raise _unreachable(endpoint_url, exc.reason) from exc
    except TimeoutError as exc:
        raise RemoteError(
            f"{where}: no answer within {timeout_s:g} s", hint="retry, or make the query cheaper"
        ) from exc
    except ValueError as exc:  # the body was not SPARQL JSON results
        raise RemoteError(
            f"{where}: the answer is not SPARQL JSON results ({exc})", hint="is this a SPARQL endpoint?"
        ) from exc
    if not isinstance(data, dict) or "results" not in data:
        raise QueryError(f"{query.name}: not a SELECT query", hint="kg query prints SELECT results")
    columns = list(data.get("head", {}).get("vars", []))
    rows = [[_value(b.get(c, {})) for c in columns] for b in data["results"].get("bindings", [])]
    if max_rows and max_rows.strip().isdigit() and len(rows) >= int(max_rows):
        # Virtuoso cuts a result at its ResultSetMaxRows and says so only in this header
        raise RemoteError(
            f"{where}: the endpoint stopped at its limit of {int(max_rows)} rows (X-SPARQL-MaxRows), "
            "so the result may be cut",
            hint="narrow the query (--param), or raise the limit (Virtuoso: ResultSetMaxRows in [SPARQL] of virtuoso.ini)",
        )
    return Table(
        columns, rows, [[binding_kind(b.get(c)) for c in columns] for b in data["results"].get("bindings", [])]
    )


# -- pushing the store ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PushReport:
    graph_store: str
    graphs: int  # named graphs pushed
    triples: int  # triples pushed, default graph included
    default_graph_triples: int
    verified: bool  # the remote endpoint was asked and holds exactly the pushed triples in each pushed graph
    union_default_graph: bool | None = None  # does the remote answer pushed triples without GRAPH? (None: not asked)


def graph_store_url_for(endpoint_url: str) -> str:
    """Oxigraph's layout: the Graph Store endpoint ``/store`` beside the query endpoint ``/query`` or ``/sparql``."""
    parts = urlsplit(endpoint_url)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    if last not in ("query", "sparql"):
        raise RemoteError(
            f"cannot tell the Graph Store URL of {endpoint_url}",
            hint="give --graph-store URL (Oxigraph: …/store; Fuseki: …/<dataset>/data; "
            "GraphDB: …/repositories/<id>/rdf-graphs/service)",
        )
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/store", "", ""))


class _AnyAuth(httpx.Auth):
    """HTTP Basic or Digest, whichever the server asks for (Virtuoso: Digest; Fuseki, GraphDB: Basic).

    The first request goes without credentials; the scheme of its 401 challenge answers it and every later request
    (Digest then reuses the server's nonce), so a password is never sent in the clear to a server that asked for
    Digest, nor at all to one that asked for nothing."""

    requires_request_body = True  # a challenged request is sent again, body included

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self.scheme: str | None = None  # "basic" or "digest" once a server has asked

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        if self.scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = {
            scheme.lower()
            for header in response.headers.get_list("www-authenticate")
            for scheme in re.findall(r"(?:^|,)\s*([A-Za-z][\w-]*)(?=\s|$)", header)
        }
        if "digest" in offered:
            self.scheme = "digest"
            flow = self._digest.auth_flow(request)
            next(flow)  # its first request, without credentials, is the one answered above
            while True:
                try:
                    request = flow.send(response)
                except StopIteration:
                    return
                response = yield request
        elif "basic" in offered:
            self.scheme = "basic"
            yield from self._basic.auth_flow(request)


def _virtuoso_graph_store(response: httpx.Response) -> str | None:
    """Virtuoso's authenticated Graph Store endpoint, when ``response`` came from a Virtuoso server."""
    if not response.headers.get("server", "").lower().startswith("virtuoso"):
        return None
    url = response.request.url
    return f"{url.scheme}://{url.netloc.decode('ascii')}/sparql-graph-crud-auth"


def _check_response(response: httpx.Response, what: str, *, credentials: bool, graph_store: bool = True) -> None:
    """Raise a RemoteError for a failed answer of the Graph Store (``graph_store``) or of the query endpoint."""
    if response.status_code < 400:
        return
    status = response.status_code
    text = _error_text(response.content) or response.reason_phrase
    virtuoso = _virtuoso_graph_store(response) if graph_store else None
    hint = None
    if status == 401 and credentials:
        text, hint = "the store refused the user name or password", "check --user and --password (KG_REMOTE_PASSWORD)"
    elif status == 401:
        text = "the store wants credentials"
        hint = "give --user, and --password or KG_REMOTE_PASSWORD (Basic or Digest, as the store asks)"
    elif status == 403 and virtuoso and not str(response.request.url).startswith(virtuoso):
        hint = f"Virtuoso: push to --graph-store {virtuoso} with --user (e.g. dba) and its password"
    elif status == 403 and graph_store:
        hint = "give --user and --password, or check that this store accepts writes (kg serve is read-only)"
    elif status in (404, 405, 501) and virtuoso:
        hint = f"this is Virtuoso: give --graph-store {virtuoso}, with --user (e.g. dba) and its password"
    elif status in (404, 405):
        hint = (
            "check --graph-store: it must be the store's Graph Store Protocol endpoint"
            if graph_store
            else "check --endpoint: it must be the store's SPARQL query endpoint"
        )
    raise RemoteError(f"{what}: HTTP {status}: {text}", hint=hint)


def _ask_remote(client: httpx.Client, endpoint_url: str, query: str) -> dict:  # type: ignore[type-arg]
    headers = {"Accept": "application/sparql-results+json"}
    try:
        response = client.post(endpoint_url, data={"query": query}, headers=headers)
    except httpx.TransportError as exc:
        raise _unreachable(endpoint_url, exc) from exc
    what = f"{endpoint_url}: checking the pushed triples"
    _check_response(response, what, credentials=client.auth is not None, graph_store=False)
    try:
        data = response.json()
    except ValueError as exc:
        raise RemoteError(f"{endpoint_url}: the answer is not SPARQL JSON results ({exc})") from exc
    if not isinstance(data, dict):
        raise RemoteError(f"{endpoint_url}: the answer is not SPARQL JSON results", hint="is this a SPARQL endpoint?")
    return data


COUNT_BATCH = 500  # graphs counted per query: far below any row limit (Virtuoso answers at most 10,000 rows)


def _remote_counts(client: httpx.Client, endpoint_url: str, graphs: list[str]) -> dict[str, int]:
    """Triples per graph on the remote, for the given graphs (in batches, so no row limit can cut the answer)."""
    counts: dict[str, int] = {}
    for start in range(0, len(graphs), COUNT_BATCH):
        names = " ".join(f"<{g}>" for g in graphs[start : start + COUNT_BATCH])
        query = f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
        data = _ask_remote(client, endpoint_url, query)
        for b in data["results"]["bindings"]:
            if "g" in b:
                counts[b["g"]["value"]] = int(b["n"]["value"])
    return counts


def _sees_without_graph(client: httpx.Client, endpoint_url: str, triple: ox.Triple) -> bool:
    """Whether the remote's default graph shows a pushed triple (it does when it is the union of all graphs)."""
    terms = " ".join(from_ox(t).n3() for t in (triple.subject, triple.predicate, triple.object))
    return bool(_ask_remote(client, endpoint_url, f"ASK {{ {terms} }}").get("boolean"))


def push_store(
    store_dir: Path,
    graph_store_url: str,
    *,
    endpoint_url: str | None = None,
    auth: tuple[str, str] | None = None,
    timeout_s: float = 120.0,
    on_graph: Callable[[str, int], None] | None = None,
) -> PushReport:
    """PUT every graph of the store to ``graph_store_url``; when ``endpoint_url`` is given, verify the counts there.

    Works on a snapshot, so a running ingest is neither disturbed nor half-pushed (it raises StoreBusyError).
    """
    auth_flow = _AnyAuth(*auth) if auth else None
    with httpx.Client(auth=auth_flow, timeout=timeout_s, headers={"User-Agent": USER_AGENT}) as client:
        workdir = Path(tempfile.mkdtemp(prefix="kg-push-"))
        try:
            snapshot = make_snapshot(Path(store_dir), workdir / "snapshot")
            store = ox.Store.read_only(str(snapshot.data))
            try:
                counts, default_triples, sample = _put_graphs(store, client, graph_store_url, on_graph)
            finally:
                del store
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return _verify(client, graph_store_url, endpoint_url, counts, default_triples, sample)


def _verify(
    client: httpx.Client,
    graph_store_url: str,
    endpoint_url: str | None,
    counts: dict[str, int],
    default_triples: int,
    sample: ox.Triple | None,
) -> PushReport:
    verified = False
    union = None
    if endpoint_url:
        remote = _remote_counts(client, endpoint_url, sorted(counts))
        wrong = {g: (n, remote.get(g, 0)) for g, n in counts.items() if remote.get(g, 0) != n}
        if wrong:
            some = "; ".join(f"{g}: pushed {n}, remote has {m}" for g, (n, m) in sorted(wrong.items())[:3])
            raise RemoteError(
                f"{endpoint_url}: {len(wrong)} pushed graphs differ on the remote ({some})",
                hint="is --endpoint the query endpoint of the same store as --graph-store?",
            )
        verified = True
        if sample is not None:
            union = _sees_without_graph(client, endpoint_url, sample)
    return PushReport(
        graph_store=graph_store_url,
        graphs=len(counts),
        triples=sum(counts.values()) + default_triples,
        default_graph_triples=default_triples,
        verified=verified,
        union_default_graph=union,
    )


def _put_graphs(
    store: ox.Store,
    client: httpx.Client,
    url: str,
    on_graph: Callable[[str, int], None] | None,
) -> tuple[dict[str, int], int, ox.Triple | None]:
    """PUT each graph; returns triples per named graph, default-graph triples, and one pushed triple without
    blank nodes (to check how the remote reads its default graph)."""
    counts: dict[str, int] = {}
    sample: ox.Triple | None = None
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    graphs: list[tuple[dict[str, str], ox.NamedNode | ox.DefaultGraph]] = [
        ({"graph": name}, ox.NamedNode(name)) for name in names
    ]
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        graphs.append(({"default": ""}, ox.DefaultGraph()))
    default_triples = 0
    headers = {"Content-Type": "application/n-triples"}
    for params, graph in graphs:
        triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        label = params.get("graph", "the default graph")
        try:
            response = client.put(url, params=params, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise _unreachable(url, exc) from exc
        _check_response(response, f"{url}: PUT {label}", credentials=client.auth is not None)
        if isinstance(graph, ox.DefaultGraph):
            default_triples = len(triples)
        else:
            counts[graph.value] = len(triples)
            if sample is None:
                sample = next((t for t in triples if not _has_blank(t)), None)
        if on_graph:
            on_graph(label, len(triples))
    return counts, default_triples, sample


def _has_blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)
