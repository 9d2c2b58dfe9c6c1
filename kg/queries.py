"""Named SPARQL queries: one question per ``queries/**/*.rq`` file, loaded by name, run with bindings.

Each file starts with a comment header::

    # title: Most-cited directives
    # purpose: which documents are cited by the most reports
    # param: level  IRI of a vocab/level concept (optional)

Parameters are bound with SEP-0007 substitutions (never pasted into the query text); Oxigraph requires a bound
parameter to appear in the SELECT projection, so parameterized queries project their parameters.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import QueryError


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


def bind_params(
    query: NamedQuery, params: dict[str, str]
) -> dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
    unknown = sorted(set(params) - set(query.params))
    if unknown:
        declared = ", ".join(query.params) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)}", hint=f"its parameters: {declared}"
        )
    return {ox.Variable(k): parse_term(v) for k, v in params.items()}


@dataclass
class Table:
    """A SELECT result: variable names and rows of plain string values (IRIs as IRIs, literals as lexical forms)."""

    columns: list[str]
    rows: list[list[str]]

    def to_csv(self, delimiter: str = ",") -> str:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        w.writerow(self.columns)
        w.writerows(self.rows)
        return buf.getvalue()

    def to_json(self) -> str:
        return json.dumps([dict(zip(self.columns, r, strict=True)) for r in self.rows], ensure_ascii=False, indent=1)

    def to_text(self, max_width: int = 60) -> str:
        def cut(s: str) -> str:
            s = s.replace("\r", "").replace("\n", "⏎")
            return s if len(s) <= max_width else s[: max_width - 1] + "…"

        cells = [[cut(c) for c in r] for r in self.rows]
        widths = (
            [
                max([_width(c) for c in col] + [_width(h)])
                for h, col in zip(self.columns, zip(*cells, strict=True), strict=True)
            ]
            if cells
            else [_width(h) for h in self.columns]
        )
        line = lambda r: "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True))  # noqa: E731
        out = [line(self.columns), "  ".join("-" * w for w in widths)] + [line(r) for r in cells]
        return "\n".join(out) + f"\n({len(self.rows)} rows)\n"


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def term_value(term: object) -> str:
    if term is None:
        return ""
    return str(getattr(term, "value", term))


def run_select(store: ox.Store, query: NamedQuery, params: dict[str, str] | None = None) -> Table:
    """Run the named SELECT on ``store``. On a store opened read-only (``kg query``, ``kg view``, ``kg validate``) it
    runs in a child process, so that an Oxigraph panic (its release build aborts) is a QueryError (exit 2) rather
    than the end of this process (see kg.isolated). A store open for writing is queried here: its RocksDB threads
    may hold locks at the moment of a fork, and the child then waits for them for ever (seen in the test suite)."""
    from kg.isolated import EngineFailure, run_isolated

    subs = bind_params(query, params or {})
    try:
        if _read_only(store):
            columns, rows = run_isolated(_select_rows, store, query.text, subs or None)
        else:
            columns, rows = _select_rows(store, query.text, subs or None)
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
    return Table(columns, rows)


def _read_only(store: ox.Store) -> bool:
    """Whether ``store`` was opened read-only (pyoxigraph refuses to flush those; a flush is harmless otherwise)."""
    try:
        store.flush()
    except RuntimeError:
        return True
    return False


def _select_rows(
    store: ox.Store, text: str, subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None
) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of a SELECT (in the child of run_select)."""
    result = store.query(text, use_default_graph_as_union=True, substitutions=subs)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("not a SELECT query")
    columns = [v.value for v in result.variables]
    return columns, [[term_value(sol[c]) for c in columns] for sol in result]
