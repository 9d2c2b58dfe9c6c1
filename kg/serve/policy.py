"""What the endpoint runs: every query is parsed and checked before it reaches Oxigraph, and refused when in doubt.

Refused: anything rdflib's SPARQL 1.1 parser cannot parse (fail closed), updates of any kind (``LOAD`` among
them), ``SERVICE`` (it would make the server fetch URLs), ``FROM``/``FROM NAMED`` and the protocol's
``default-graph-uri``/``named-graph-uri`` (Oxigraph reads the union of all graphs and would silently ignore
them), and queries longer than the configured limit.

The check parses the text with every carriage return read as a line feed: rdflib ends a ``#`` comment only at a line
feed, Oxigraph (as the grammar says) at either, so ``# …\\r SERVICE <…> { … }`` was a comment to the one and a
``SERVICE`` call to the other. Oxigraph still receives the text unchanged.

Parsing costs milliseconds (rdflib's parser is pyparsing), more than Oxigraph needs to answer a lookup, so accepted
queries are remembered twice: by their exact text, and by their *shape* (:func:`query_shape`): the text with the
IRIs written ``<…>`` outside any parenthesis and the contents of string literals left out. A query of a known shape
differs from an accepted one only inside such tokens, which the parser reads as single terminals whatever they hold,
so it gets the same decision without being parsed again. A query the shape lexer is not sure about has no shape and
is parsed. The shape lexer is the one piece of hand-written SPARQL lexing in the gateway, kept because the parser
alone cannot keep up (docs/decisions/0002-endpoint.md): it only ever saves a parse, it never accepts by itself.

rdflib's parser is not thread-safe: pyparsing keeps state in the grammar's objects, and concurrent parses corrupted
it for good (40 threads; afterwards every FILTER or COUNT failed with "postParse2() missing … 'tokenList'").
:class:`PlanChecker` therefore parses on one thread only, the same one for every query.

Each plan also carries its *family* (:func:`query_family`): the parse tree with variables renamed in order of
appearance, IRIs and literal values left out (literals keep their datatype; the values of a VALUES block are
reduced to the set of their kinds). Queries of one family do the same work up to constants, which is what the
quarantine of queries that took the engine down goes by.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock

from pyparsing import ParseResults
from rdflib import Literal, URIRef, Variable
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
    family: str = field(default="", compare=False)  # see query_family

    @property
    def returns_graph(self) -> bool:
        return self.form in GRAPH_FORMS


def _as_checked(text: str) -> str:
    """The text the parser checks: a carriage return ends a comment for Oxigraph, so it must for rdflib too."""
    return text.replace("\r", "\n")


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
        update = parseUpdate(_as_checked(text))
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


def _check_size(text: str, max_bytes: int) -> None:
    size = len(text.encode("utf-8")) if len(text) * 4 > max_bytes else len(text)  # UTF-8: at most 4 bytes a char
    if size > max_bytes:
        raise refuse(
            "query_too_large",
            f"the query is {size} bytes; this endpoint accepts at most {max_bytes}",
            "shorten the query (e.g. move long VALUES lists into several queries), or ask the operator to raise "
            "--max-query-bytes",
        )


def plan_query(text: str, max_bytes: int) -> QueryPlan:
    """Parse ``text`` and apply the policy; raises a :class:`~kg.serve.errors.Refusal` or returns the plan."""
    _check_size(text, max_bytes)
    if not text.strip():
        raise refuse("missing_query", "the query is empty", "send a SPARQL query in the 'query' parameter")
    try:
        parsed = parseQuery(_as_checked(text))
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
    return QueryPlan(text=text, form=form, family=query_family(parsed[1]))


def query_family(tree: object) -> str:
    """The parse tree of a query (its prologue left out) with constants abstracted: see the module's docstring."""
    names: dict[str, str] = {}
    out: list[str] = []

    def walk(node: object, depth: int = 0, values: bool = False) -> None:
        if depth > 400:
            raise RecursionError("query nested too deeply")
        if isinstance(node, Variable):
            out.append(names.setdefault(str(node), f"?v{len(names)}"))
        elif isinstance(node, Literal):
            out.append(f"L:{node.datatype or node.language or ''}")
        elif isinstance(node, URIRef):
            out.append("<>")
        elif isinstance(node, CompValue):
            if node.name == "pname":
                out.append("<>")
            elif node.name == "literal":
                out.append(f"L:{'@' if node.get('lang') else ''}")
            else:
                out.append(f"{node.name}(")
                for key, value in node.items():
                    out.append(f"{key}=")
                    walk(value, depth + 1, key == "value" and node.name in ("InlineData", "ValuesClause"))
                out.append(")")
        elif isinstance(node, ParseResults | list | tuple):
            if values:  # the rows of a VALUES block: only the kinds of their terms
                kinds: list[str] = []
                for value in node:
                    start = len(out)
                    walk(value, depth + 1)
                    kinds.append("".join(out[start:]))
                    del out[start:]
                out.append("{" + ",".join(sorted(set(kinds))) + "}")
                return
            out.append("[")
            for value in node:
                walk(value, depth + 1)
            out.append("]")
        elif isinstance(node, dict):
            for value in node.values():
                walk(value, depth + 1)
        elif node is not None:
            out.append(str(node))

    walk(tree)
    return " ".join(out)


class PlanChecker:
    """Plans for query texts: from the :class:`PlanCache`, else parsed on the checker's one thread."""

    def __init__(self) -> None:
        self.cache = PlanCache()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-sparql-parser")

    async def plan(self, text: str, max_bytes: int) -> QueryPlan:
        plan = self.cache.check(text, max_bytes)
        if plan is None:
            loop = asyncio.get_running_loop()
            plan = await loop.run_in_executor(self._thread, plan_query, text, max_bytes)
            self.cache.put(plan)
        return plan

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


# -- shapes -------------------------------------------------------------------------------------------------------
# rdflib's own terminals (rdflib/plugins/sparql/parser.py), tried in rdflib's order: the long string forms first.
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_STRING_FORMS = {
    "'": (
        ("'''", re.compile(r"'''((?:'|'')?(?:[^'\\]|\\['ntbrf\\]))*'''")),
        ("'", re.compile(r"'(?:[^'\n\r\\]|\\['ntbrf\\])*'(?!')")),
    ),
    '"': (
        ('"""', re.compile(r'"""(?:(?:"|"")?(?:[^"\\]|\\["ntbrf\\]))*"""')),
        ('"', re.compile(r'"(?:[^"\n\r\\]|\\["ntbrf\\])*"(?!")')),
    ),
}
_LEXEMES = re.compile(r"""["'<#()\\]""")
_UNICODE_ESCAPE = re.compile(r"\\u", re.IGNORECASE)
_UNSAFE_IN_NESTED_IRI = frozenset("()#'")


def _string_at(text: str, pos: int) -> tuple[str, int] | None:
    """The kind and end of the string literal opening at ``pos``, as rdflib's parser would read it."""
    for kind, form in _STRING_FORMS[text[pos]]:
        match = form.match(text, pos)
        if match is not None:
            return kind, match.end()
    return None


def query_shape(text: str) -> tuple[str, ...] | None:
    """The query with its IRIs and strings left out, or None when the lexer cannot be sure where they are.

    Left out: IRIs written ``<…>`` at parenthesis depth 0 and the contents of string literals. In SPARQL an
    expression (the only place for ``<`` as "less than") is always inside parentheses, so at depth 0 a ``<`` opens an
    IRI; a quote always opens a string. rdflib reads each of these as one terminal, whatever it holds, so two queries
    with the same shape parse into the same tree up to those terminals, and the policy (which looks at the tree's
    structure) decides the same for both. The shape keeps each terminal's kind (``"…"``, ``'''…'''``, IRI).

    No shape, so a full parse, for: any ``\\u`` escape (rdflib expands them before parsing: one may become a quote), a
    backslash outside a string (a prefixed name's escape), a ``<`` at depth 0 that does not open an IRI, unbalanced
    parentheses, and an IRI-looking span inside parentheses holding ``(``, ``)``, ``#`` or ``'`` (it may be
    ``?a<?b && (?c>?d``, whose brackets count). Comments (``#`` to the line feed) stay in the shape as they are.
    """
    if "\\" in text and _UNICODE_ESCAPE.search(text):
        return None
    parts: list[str] = []
    depth = 0
    start = pos = 0
    end = len(text)
    while (found := _LEXEMES.search(text, pos)) is not None:
        pos = found.start()
        char = text[pos]
        if char == "(":
            depth += 1
            pos += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
            pos += 1
        elif char == "#":
            newline = text.find("\n", pos)
            pos = end if newline < 0 else newline + 1
        elif char == "<":
            iri = _IRIREF.match(text, pos)
            if depth == 0:
                if iri is None:
                    return None
                parts += (text[start:pos], "<>")
                pos = start = iri.end()
            elif iri is None:
                pos += 1  # "<" or "<=" in an expression
            elif _UNSAFE_IN_NESTED_IRI.isdisjoint(iri.group()):
                pos = iri.end()  # an IRI or "?a<?b&&?c>?d": kept in the shape as it is
            else:
                return None
        elif char == "\\":
            return None
        else:
            string = _string_at(text, pos)
            if string is None:
                return None
            parts += (text[start:pos], string[0])
            pos = start = string[1]
    if depth:
        return None
    parts.append(text[start:])
    return tuple(parts)


class PlanCache:
    """Accepted queries, by exact text and by :func:`query_shape` (two LRUs; refusals are not remembered)."""

    def __init__(self, size: int = 512, shapes: int = 512) -> None:
        self.size = size
        self.shapes_size = shapes
        self._plans: OrderedDict[str, QueryPlan] = OrderedDict()
        self._shapes: OrderedDict[tuple[str, ...], tuple[str, str]] = OrderedDict()  # shape -> (form, family)
        self._lock = Lock()
        self.parsed = 0  # queries that had to be parsed

    def get(self, text: str) -> QueryPlan | None:
        """The plan for ``text`` when the same text, or a query of the same shape, was accepted before."""
        with self._lock:
            plan = self._plans.get(text)
            if plan is not None:
                self._plans.move_to_end(text)
                return plan
        shape = query_shape(_as_checked(text))
        if shape is None:
            return None
        with self._lock:
            known = self._shapes.get(shape)
            if known is None:
                return None
            self._shapes.move_to_end(shape)
        plan = QueryPlan(text=text, form=known[0], family=known[1])
        self._remember(plan)
        return plan

    def put(self, plan: QueryPlan) -> None:
        """Remember an accepted plan, by its text and by its shape when it has one."""
        self._remember(plan)
        shape = query_shape(_as_checked(plan.text))
        with self._lock:
            self.parsed += 1
            if shape is not None:
                self._shapes[shape] = (plan.form, plan.family)
                self._shapes.move_to_end(shape)
                while len(self._shapes) > self.shapes_size:
                    self._shapes.popitem(last=False)

    def _remember(self, plan: QueryPlan) -> None:
        with self._lock:
            self._plans[plan.text] = plan
            self._plans.move_to_end(plan.text)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)

    def check(self, text: str, max_bytes: int) -> QueryPlan | None:
        """The remembered plan for ``text`` (size checked first), or None: then :func:`plan_query` must decide."""
        _check_size(text, max_bytes)
        return self.get(text)


def refuse_dataset_parameters(names: list[str]) -> None:
    """The protocol's ``default-graph-uri`` / ``named-graph-uri`` are FROM / FROM NAMED in disguise."""
    if names:
        raise refuse("dataset_refused", f"the {' and '.join(sorted(set(names)))} parameters are refused", _GRAPH_HINT)
