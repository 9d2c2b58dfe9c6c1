"""Named SPARQL queries: one question per ``queries/**/*.rq`` file, loaded by name, run with bindings.

Each file starts with a comment header::

    # title: Most-cited directives
    # purpose: which documents are cited by the most reports
    # param: level  IRI of a vocab/level concept (optional)

Parameters are bound as a one-row VALUES block at the start of the WHERE clause (each value written as an RDF term
by rdflib, and the bound query parsed again: a value never changes the query's shape), locally as for a remote
endpoint. Not with Oxigraph's substitutions: its planner does not see them, so the query is evaluated for every value
and then filtered (``directive-diffusion`` at 100k reports: 8.9 s substituted, 0.31 s with VALUES). Parameterized
queries project their parameters.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO, TypeVar

import pyoxigraph as ox

from kg.errors import QueryError

T = TypeVar("T")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    text: str
    title: str = ""
    purpose: str = ""
    params: dict[str, str] = field(default_factory=dict)  # name -> description


_HEADER = re.compile(r"^#\s*(title|purpose|param):\s*(.*)$")


def parse_header(text: str) -> tuple[str, str, dict[str, str]]:
    title = purpose = ""
    params: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line.strip())
        if not m:
            continue
        key, value = m.groups()
        if key == "title":
            title = value.strip()
        elif key == "purpose":
            purpose = value.strip()
        else:
            pname, _, desc = value.strip().partition(" ")
            params[pname.lstrip("?$")] = desc.strip()
    return title, purpose, params


def list_queries(queries_dir: Path) -> list[NamedQuery]:
    return [load_query(str(p), queries_dir) for p in sorted(queries_dir.rglob("*.rq"))]


def load_query(name_or_file: str, queries_dir: Path) -> NamedQuery:
    """A query by name (``most-cited``, ``eval/reports``) or by path to any ``.rq`` file."""
    candidate = Path(name_or_file)
    if candidate.suffix == ".rq" and candidate.is_file():
        path = candidate
    else:
        stem = name_or_file.removesuffix(".rq")
        path = queries_dir / f"{stem}.rq"
        if not path.is_file():
            matches = sorted(queries_dir.rglob(f"{Path(stem).name}.rq"))
            if len(matches) != 1:
                known = ", ".join(q.name for q in list_queries(queries_dir))
                raise QueryError(f"no query named {name_or_file!r}", hint=f"known queries: {known}")
            path = matches[0]
    text = path.read_text(encoding="utf-8")
    title, purpose, params = parse_header(text)
    try:
        name = path.resolve().relative_to(queries_dir.resolve()).with_suffix("").as_posix()
    except ValueError:
        name = path.stem
    return NamedQuery(name=name, path=path, text=text, title=title, purpose=purpose, params=params)


def parse_term(value: str) -> ox.NamedNode | ox.Literal:
    """A parameter value: ``<iri>`` or an http(s) IRI is an IRI; an integer is xsd:integer; otherwise a string."""
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    if re.match(r"^https?://\S+$", value):
        return ox.NamedNode(value)
    if re.fullmatch(r"-?\d+", value):
        return ox.Literal(value, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    return ox.Literal(value)


def _canonical_number(value: str) -> str:
    from kg.extract.docnumbers import canonical_number

    return canonical_number(value) or value


def _file_name(value: str) -> str:
    return PurePath(value.replace("\\", "/")).name or value


# parameters whose values are normalized the way extraction writes them (by the name the queries give them)
NORMALIZERS: dict[str, Callable[[str], str]] = {
    "number": _canonical_number,  # 国办发[2016]80号, 国办发（2016）80 → 国办发〔2016〕80号
    "source": _file_name,  # examples/reports/seed-000.txt → seed-000.txt
}


def normalize_params(params: dict[str, str]) -> dict[str, str]:
    """Parameter values as the data holds them: surrounding spaces dropped, 文号 canonical, a path as its file name."""
    out = {}
    for key, value in params.items():
        value = value.strip()
        if (normalize := NORMALIZERS.get(key)) and not value.startswith("<"):
            value = normalize(value)
        out[key] = value
    return out


def bind_params(
    query: NamedQuery, params: dict[str, str]
) -> dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
    unknown = sorted(set(params) - set(query.params))
    if unknown:
        declared = ", ".join(query.params) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)}", hint=f"its parameters: {declared}"
        )
    out: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {}
    for key, value in normalize_params(params).items():
        try:
            out[ox.Variable(key)] = parse_term(value)
        except ValueError as exc:  # pyoxigraph refuses what is not an IRI
            raise QueryError(f"parameter {key}: {value!r} is not an IRI ({exc})", hint="give <iri> or a plain value") from exc
    return out


def nearest_values(
    store: ox.Store, query: NamedQuery, params: dict[str, str], limit: int = 5, max_solutions: int = 100_000
) -> dict[str, list[str]]:
    """For each bound parameter, the values it could take that come nearest the one given (for a hint when a
    query returns no rows): the values of the predicates the query binds it with (``?src gk:fileName ?source``:
    every file name), at most ``max_solutions`` of them. Read by one scan per predicate, never by running the query
    unbound: at 10k reports, ``report-facts`` unbound takes minutes."""
    import difflib

    given = normalize_params(params)
    out: dict[str, list[str]] = {}
    for key, value in given.items():
        seen: set[str] = set()
        for predicate, position in _binding_predicates(query.text, key):
            pattern = f"?v <{predicate}> ?o" if position == "subject" else f"?s <{predicate}> ?v"
            scan = f"SELECT DISTINCT ?v WHERE {{ {pattern} }} LIMIT {max_solutions}"
            result = store.query(scan, use_default_graph_as_union=True)
            assert isinstance(result, ox.QuerySolutions)
            seen.update(term_value(sol["v"]) for sol in result)
        seen.discard("")
        if not seen:
            continue
        near = difflib.get_close_matches(value, sorted(seen), n=limit, cutoff=0.4)
        out[key] = near or sorted(seen)[:limit]
    return out


def _binding_predicates(text: str, name: str) -> list[tuple[str, str]]:
    """The constant predicates of the triple patterns in which ``?name`` is the subject or the object."""
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql import prepareQuery

    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # noqa: BLE001 - a query rdflib cannot parse gets no hint, not an error
        return []
    found: set[tuple[str, str]] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):  # rdflib's CompValue is a dict
            for triple in (node.get("triples") or ()) if getattr(node, "name", "") == "BGP" else ():
                s, p, o = triple
                if isinstance(p, URIRef):
                    if s == Variable(name):
                        found.add((str(p), "subject"))
                    if o == Variable(name):
                        found.add((str(p), "object"))
            for child in node.values():
                walk(child)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)

    walk(algebra)
    return sorted(found)


XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {
    XSD + t
    for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
        "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    )
}  # fmt: skip
_REALS = {XSD + "decimal", XSD + "double", XSD + "float"}
IRI, BNODE, UNBOUND = "iri", "bnode", ""


def term_kind(term: object) -> str:
    """What a result cell holds: ``iri``, ``bnode``, ``""`` (unbound) or, for a literal, its datatype IRI."""
    if term is None:
        return UNBOUND
    if isinstance(term, ox.NamedNode):
        return IRI
    if isinstance(term, ox.BlankNode):
        return BNODE
    if isinstance(term, ox.Literal):
        return term.datatype.value
    return UNBOUND


def binding_kind(term: dict[str, str] | None) -> str:
    """:func:`term_kind` of a term in SPARQL 1.1 JSON results (``{"type": "literal", "datatype": …}``)."""
    if not term:
        return UNBOUND
    kind = term.get("type")
    if kind == "uri":
        return IRI
    if kind == "bnode":
        return BNODE
    if "datatype" in term:
        return term["datatype"]
    return "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString" if "xml:lang" in term else XSD + "string"


def typed_value(value: str, kind: str) -> object:
    """A cell as JSON wants it: numbers as numbers, booleans as booleans, unbound as null, the rest as text."""
    try:
        if kind in _INTEGERS:
            return int(value)
        if kind in _REALS:
            number = float(value)
            return number if math.isfinite(number) else value  # JSON has no NaN or INF
    except ValueError:
        return value
    if kind == XSD + "boolean" and value in ("true", "false", "1", "0"):
        return value in ("true", "1")
    if kind == UNBOUND and value == "":
        return None
    return value


@dataclass
class Table:
    """A SELECT result: variable names and rows of plain string values (IRIs as IRIs, literals as lexical forms).

    ``kinds`` says, per cell, what the value is (:func:`term_kind`), so JSON can be typed and IRIs printed whole.
    """

    columns: list[str]
    rows: list[list[str]]
    kinds: list[list[str]] | None = None

    @classmethod
    def from_solutions(cls, columns: list[str], solutions: Iterable[ox.QuerySolution]) -> Table:
        terms = [[sol[c] for c in columns] for sol in solutions]
        return cls(columns, [[term_value(t) for t in r] for r in terms], [[term_kind(t) for t in r] for r in terms])

    def _kinds(self) -> list[list[str]]:
        if self.kinds is not None:
            return self.kinds
        return [[IRI if re.match(r"^https?://\S+$", c) else XSD + "string" for c in r] for r in self.rows]

    def to_csv(self, delimiter: str = ",") -> str:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        w.writerow(self.columns)
        w.writerows(self.rows)
        return buf.getvalue()

    def to_json(self) -> str:
        records = [
            {c: typed_value(v, k) for c, v, k in zip(self.columns, r, ks, strict=True)}
            for r, ks in zip(self.rows, self._kinds(), strict=True)
        ]
        return json.dumps(records, ensure_ascii=False, indent=1)

    def to_text(self, max_width: int = 60) -> str:
        """An aligned table; long text is cut with "…", IRIs never are (so ``kg explain`` takes them as printed)."""

        def cut(s: str, kind: str) -> str:
            s = s.replace("\r", "").replace("\n", "⏎")
            return s if kind in (IRI, BNODE) or len(s) <= max_width else s[: max_width - 1] + "…"

        cells = [
            [cut(c, k) for c, k in zip(r, ks, strict=True)] for r, ks in zip(self.rows, self._kinds(), strict=True)
        ]
        widths = (
            [
                max([_width(c) for c in col] + [_width(h)])
                for h, col in zip(self.columns, zip(*cells, strict=True), strict=True)
            ]
            if cells
            else [_width(h) for h in self.columns]
        )
        line = lambda r: "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
        out = [line(self.columns), "  ".join("-" * w for w in widths)] + [line(r) for r in cells]
        return "\n".join(out) + f"\n({len(self.rows)} rows)\n"


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def term_value(term: object) -> str:
    if term is None:
        return ""
    return str(getattr(term, "value", term))


# -- binding parameters ---------------------------------------------------------------------------------------
# The one place where the project lexes SPARQL text itself: finding the WHERE clause's "{" to put the VALUES row in.
# The grammar's own place for appended data, a trailing VALUES clause after the query, needs no lexing, but
# Virtuoso 7.2.5 answers it wrongly: directive-diffusion gave 12 rows against the local store's 1 (measured with
# tests/test_remote_virtuoso.py), so the row goes at the start of the WHERE clause, where every store tried agrees.
def _skip_token(text: str, i: int) -> int:
    """If a string, IRI or comment starts at ``i``, the index after it; else ``i``."""
    ch = text[i]
    if ch == "#":
        end = text.find("\n", i)
        return len(text) if end < 0 else end + 1
    if ch in "\"'":
        quote = ch * 3 if text.startswith(ch * 3, i) else ch
        j = i + len(quote)
        while j < len(text):
            if text[j] == "\\":
                j += 2
                continue
            if text.startswith(quote, j):
                return j + len(quote)
            j += 1
        return len(text)
    if ch == "<":
        j = i + 1
        while j < len(text) and text[j] not in '<>"{}|^`\\' and not text[j].isspace():
            j += 1
        if j < len(text) and text[j] == ">":
            return j + 1
    return i


def where_clause_start(text: str) -> int:
    """Index just inside the ``{`` that opens the query's WHERE clause (strings, IRIs and comments skipped)."""
    depth_paren = depth_brace = 0
    after_where = False
    first_group = -1
    i = 0
    while i < len(text):
        nxt = _skip_token(text, i)
        if nxt != i:
            i = nxt
            continue
        ch = text[i]
        if ch == "(":
            depth_paren += 1
        elif ch == ")":
            depth_paren -= 1
        elif ch == "{":
            if depth_brace == 0 and depth_paren == 0:
                if after_where:
                    return i + 1
                if first_group < 0:
                    first_group = i + 1
            depth_brace += 1
        elif ch == "}":
            depth_brace -= 1
        elif (
            depth_brace == 0
            and depth_paren == 0
            and text[i : i + 5].upper() == "WHERE"
            and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:?$-"))
            and (i + 5 >= len(text) or not (text[i + 5].isalnum() or text[i + 5] in "_:-"))
        ):
            after_where = True
            i += 5
            continue
        i += 1
    if first_group < 0:
        raise QueryError("the query has no WHERE clause to bind parameters in", hint="check the query file")
    return first_group


def with_values(text: str, names: list[str], rows: list[list[str]]) -> str:
    """``text`` with a VALUES block of ``rows`` (terms already written in SPARQL) for the variables ``names``
    (``?x``) at the start of its WHERE clause."""
    at = where_clause_start(text)
    block = " ".join(f"({' '.join(row)})" for row in rows)
    return text[:at] + f" VALUES ({' '.join(names)}) {{ {block} }} " + text[at:]


def bind_values(query: NamedQuery, params: dict[str, str]) -> str:
    """``query.text`` with a ``VALUES`` row for ``params`` at the start of its WHERE clause."""
    subs = bind_params(query, params)  # refuses parameters the query does not declare
    if not subs:
        return query.text
    names, values = [], []
    for variable, term in sorted(subs.items(), key=lambda item: item[0].value):
        names.append(f"?{variable.value}")
        values.append(str(term))  # N-Triples syntax, which SPARQL reads (pyoxigraph checked the IRI when it made it)
    text = with_values(query.text, names, [values])
    try:
        ox.Store().query(text)  # parse check on an empty store: the bound query must still be one query
    except SyntaxError as exc:
        raise QueryError(f"{query.name}: the query does not parse once parameters are bound ({exc})") from exc
    return text


def run_select(store: ox.Store, query: NamedQuery, params: dict[str, str] | None = None) -> Table:
    """Run the named SELECT on ``store``. On a store opened read-only (``kg query``, ``kg view``, ``kg validate``) it
    runs in a child process, so that an Oxigraph panic (its release build aborts) is a QueryError (exit 2) rather
    than the end of this process (see kg.isolated). A store open for writing is queried here: its RocksDB threads
    may hold locks at the moment of a fork, and the child then waits for them for ever (seen in the test suite)."""
    return _run(_select_table, store, query, params)


@contextmanager
def select_csv(store: ox.Store, query: NamedQuery, params: dict[str, str] | None = None) -> Iterator[IO[bytes]]:
    """The answer of a SELECT as SPARQL CSV in a temporary file, open for reading at its start and removed on exit.
    Oxigraph writes it row by row as it evaluates (no Python object per value: at tens of thousands of rows, half the
    time of building a :class:`Table`), and no process holds the whole answer: returned as bytes from the isolated
    child, a copy in the child, its pickle and a copy here added 2-3 times the answer to the engine's memory (110 MB
    for ``views/platforms`` at 100k reports). Isolated as :func:`run_select` is."""
    with tempfile.NamedTemporaryFile(prefix="govkg-answer-", suffix=".csv") as f:
        _run(functools.partial(_select_csv, f.name), store, query, params)
        f.seek(0)
        yield f


def _run(fn: Callable[[ox.Store, str], T], store: ox.Store, query: NamedQuery, params: dict[str, str] | None) -> T:
    """``fn(store, text)`` with the parameters bound, isolated on a read-only store; engine errors as QueryError."""
    from kg.isolated import EngineFailure, run_isolated

    text = bind_values(query, params or {})
    try:
        return run_isolated(fn, store, text) if _read_only(store) else fn(store, text)
    except EngineFailure as exc:
        hint = "change the query; if it should work, it is an Oxigraph bug worth reporting"
        if "total order" in exc.death.detail:
            hint = (
                "Oxigraph cannot ORDER BY a mix of numbers and other values (a known bug): sort by a key that "
                "separates them first, e.g. ORDER BY (isNumeric(?x)) ?x"
            )
        raise QueryError(f"{query.name}: the query engine crashed on this query ({exc.death.detail})", hint=hint) from exc
    except SyntaxError as exc:
        raise QueryError(f"{query.path}: does not parse: {exc}") from exc
    except RuntimeError as exc:  # e.g. a bound parameter the query does not project
        raise QueryError(f"{query.name}: {exc}", hint="a parameter must appear in the query's SELECT") from exc
    except TypeError as exc:
        raise QueryError(f"{query.name}: not a SELECT query", hint="kg query prints SELECT results") from exc


def _select_csv(path: str, store: ox.Store, text: str) -> None:
    result = store.query(text, use_default_graph_as_union=True)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("not a SELECT query")
    result.serialize(path, format=ox.QueryResultsFormat.CSV)


def _read_only(store: ox.Store) -> bool:
    """Whether ``store`` was opened read-only (pyoxigraph refuses to flush those; a flush is harmless otherwise)."""
    try:
        store.flush()
    except RuntimeError:
        return True
    return False


def _select_table(store: ox.Store, text: str) -> Table:
    """The answer of a SELECT (in the child of run_select)."""
    result = store.query(text, use_default_graph_as_union=True)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("not a SELECT query")
    columns = [v.value for v in result.variables]
    return Table.from_solutions(columns, result)
