"""What the endpoint runs: every query is parsed and checked before it reaches Oxigraph, and refused when in doubt.

Refused: anything rdflib's SPARQL 1.1 parser cannot parse (fail closed), updates of any kind (``LOAD`` among
them), ``SERVICE`` (it would make the server fetch URLs), ``FROM``/``FROM NAMED`` and the protocol's
``default-graph-uri``/``named-graph-uri`` (Oxigraph reads the union of all graphs and would silently ignore
them), and queries longer than the configured limit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from pyparsing import ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kg.serve.errors import refuse

FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})

_GRAPH_HINT = "the default graph is already the union of all graphs; to read one graph, use GRAPH <iri> { … }"


@dataclass(frozen=True)
class QueryPlan:
    """A query that passed the policy: its text, unchanged, and its form."""

    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE

    @property
    def returns_graph(self) -> bool:
        return self.form in GRAPH_FORMS


def _node_names(node: object, out: set[str], depth: int = 0) -> None:
    if depth > 400:
        raise RecursionError("query nested too deeply")
    if isinstance(node, CompValue):
        out.add(node.name)
        for value in node.values():
            _node_names(value, out, depth + 1)
    elif isinstance(node, ParseResults | list | tuple):
        for value in node:
            _node_names(value, out, depth + 1)
    elif isinstance(node, dict):
        for value in node.values():
            _node_names(value, out, depth + 1)


def _refuse_update(text: str) -> None:
    """Raise ``update_refused`` / ``load_refused`` when ``text`` is a SPARQL update."""
    try:
        update = parseUpdate(text)
    except Exception:  # noqa: BLE001 - not an update either: the caller reports it as unparseable
        return
    names: set[str] = set()
    _node_names(update, names)
    if "Load" in names:
        raise refuse(
            "load_refused",
            "LOAD is refused: this endpoint is read-only and fetches nothing",
            "load data with `kg ingest` on the store; the endpoint picks it up by itself",
        )
    raise refuse(
        "update_refused",
        "SPARQL Update is refused: this endpoint is read-only",
        "change the data with `kg ingest` on the store; the endpoint picks it up by itself",
    )


def plan_query(text: str, max_bytes: int) -> QueryPlan:
    """Parse ``text`` and apply the policy; raises a :class:`~kg.serve.errors.Refusal` or returns the plan."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise refuse(
            "query_too_large",
            f"the query is {size} bytes; this endpoint accepts at most {max_bytes}",
            "shorten the query (e.g. move long VALUES lists into several queries), or ask the operator to raise "
            "--max-query-bytes",
        )
    if not text.strip():
        raise refuse("missing_query", "the query is empty", "send a SPARQL query in the 'query' parameter")
    try:
        parsed = parseQuery(text)
        names: set[str] = set()
        _node_names(parsed, names)
        form = FORMS.get(parsed[1].name)
    except RecursionError:
        raise refuse("unparseable", "the query is nested too deeply to be checked", "flatten the query") from None
    except Exception as exc:  # noqa: BLE001 - whatever the parser cannot read is refused
        _refuse_update(text)
        message = " ".join(str(exc).split())[:300]
        raise refuse(
            "unparseable",
            f"the query does not parse as SPARQL 1.1: {message}",
            "check the syntax; a query the checker cannot read is refused, even when other engines accept it",
        ) from None
    if form is None:
        raise refuse("unparseable", "not a SELECT, ASK, CONSTRUCT or DESCRIBE query", "send a SPARQL 1.1 query")
    if "ServiceGraphPattern" in names:
        raise refuse(
            "service_refused",
            "SERVICE is refused: this endpoint makes no requests to other servers",
            "run the federated part against the other endpoint yourself and join the results locally",
        )
    if "DatasetClause" in names:
        raise refuse("dataset_refused", "FROM and FROM NAMED are refused", _GRAPH_HINT)
    return QueryPlan(text=text, form=form)


class PlanCache:
    """A small LRU of accepted queries: a query asked again is not parsed again (refusals are not cached)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._plans: OrderedDict[str, QueryPlan] = OrderedDict()
        self._lock = Lock()

    def get(self, text: str) -> QueryPlan | None:
        with self._lock:
            plan = self._plans.get(text)
            if plan is not None:
                self._plans.move_to_end(text)
            return plan

    def put(self, plan: QueryPlan) -> None:
        with self._lock:
            self._plans[plan.text] = plan
            self._plans.move_to_end(plan.text)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)


def refuse_dataset_parameters(names: list[str]) -> None:
    """The protocol's ``default-graph-uri`` / ``named-graph-uri`` are FROM / FROM NAMED in disguise."""
    if names:
        raise refuse("dataset_refused", f"the {' and '.join(sorted(set(names)))} parameters are refused", _GRAPH_HINT)
