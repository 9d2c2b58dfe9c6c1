"""Every .rq parses, declares a title, and answers on the example store."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.main import cli
from kg.config import Config
from kg.errors import QueryError
from kg.queries import list_queries, load_query, run_select, select_csv
from kg.store import open_store
from tests.endpoint_support import crashing

QUERIES = list_queries(Config().queries_dir)
ARGS = {
    "directive-diffusion": {"number": "国办发〔2016〕80号"},
    "report-facts": {"source": "seed-000.txt"},
    "views/citation-quotes": {"report": "https://w3id.org/govkg/id/report/321281/government/2016"},
    "views/platform-quotes": {"report": "https://w3id.org/govkg/id/report/321281/government/2016"},
}
# queries that find problems: on conforming example data they return no rows
EMPTY_ON_EXAMPLES = {
    "rules/citation-after-report", "rules/copies-disagree", "rules/one-graph", "rules/published-before-year-end",
    "rules/cube-ic01-one-dataset", "rules/cube-ic02-one-structure", "rules/cube-ic03-measure",
    "rules/cube-ic04-dimension-range", "rules/cube-ic05-code-list", "rules/cube-ic06-optional-attributes",
    "rules/cube-ic11-dimensions-present", "rules/cube-ic12-duplicates", "rules/cube-ic13-required-attributes",
    "rules/cube-ic14-measures-present", "rules/cube-ic19-codes",
}  # fmt: skip


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_query_answers(query, example_store: Path) -> None:  # type: ignore[no-untyped-def]
    assert query.title, f"{query.path} has no '# title:' header"
    assert set(ARGS.get(query.name, {})) == set(query.params)
    table = run_select(open_store(example_store, read_only=True), query, ARGS.get(query.name))
    if query.name in EMPTY_ON_EXAMPLES:
        assert table.rows == []
    else:
        assert table.rows, f"{query.name} returned no rows on the examples"


def test_eval_queries_have_the_scored_columns(example_store: Path) -> None:
    want = {
        "eval/reports": {"source", "adcode", "level", "year"},
        "eval/citations": {"source", "number", "issuer_level", "issuer_adcode", "title"},
        "eval/platforms": {"source", "type", "name", "url"},
        "eval/initiatives": {"source", "label"},
        "eval/statistics": {"source", "key", "value"},
    }
    store = open_store(example_store, read_only=True)
    for q in QUERIES:
        if q.name in want:
            assert want[q.name] <= set(run_select(store, q).columns)


def test_published_before_year_rule_flags_inconsistent_dates(store_copy: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(store_copy))
    r = ox.NamedNode("https://w3id.org/govkg/id/report/321281/government/2016")
    store.add(
        ox.Quad(
            r,
            ox.NamedNode("http://purl.org/dc/terms/issued"),
            ox.Literal("2016-02-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
            ox.NamedNode("https://w3id.org/govkg/id/graph/extra"),
        )
    )
    q = next(q for q in QUERIES if q.name == "rules/published-before-year-end")
    rows = run_select(store, q).rows
    assert any(row[0] == r.value for row in rows)


def test_one_graph_rule_flags_a_triple_in_a_second_graph(store_copy: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(store_copy))
    report = ox.NamedNode("https://w3id.org/govkg/id/report/321281/government/2016")
    level = next(store.quads_for_pattern(report, ox.NamedNode("https://w3id.org/govkg/ontology#level"), None, None))
    stray = ox.NamedNode("https://w3id.org/govkg/id/graph/extra")
    store.add(ox.Quad(level.subject, level.predicate, level.object, stray))
    q = next(q for q in QUERIES if q.name == "rules/one-graph")
    rows = [dict(zip(run_select(store, q).columns, row, strict=True)) for row in run_select(store, q).rows]
    assert [(r["focus"], r["path"]) for r in rows] == [(report.value, level.predicate.value)]
    assert stray.value in rows[0]["value"]


def test_a_csv_answer_is_streamed_through_a_file_that_is_removed(
    example_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine writes the answer into a temporary file (no process holds it whole); the reader gets the same rows
    as the table, and the file is gone afterwards, also when the engine dies on the query."""
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    store = open_store(example_store, read_only=True)
    q = next(q for q in QUERIES if q.name == "eval/citations")
    with select_csv(store, q) as answer:
        assert [p.name for p in spool.iterdir()] == [Path(answer.name).name]
        rows = list(csv.reader(io.TextIOWrapper(answer, encoding="utf-8", newline="")))
    table = run_select(store, q)
    assert rows[0] == table.columns and len(rows) - 1 == len(table.rows) > 10
    assert list(spool.iterdir()) == []
    crash = tmp_path / "crash.rq"
    crash.write_text(f"# title: crash\n{crashing(0)}\n", encoding="utf-8")
    with pytest.raises(QueryError, match="crashed"), select_csv(store, load_query(str(crash), Config().queries_dir)):
        pass
    assert list(spool.iterdir()) == []
    result = CliRunner().invoke(cli, ["query", "eval/citations", "--store", str(example_store), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output, newline=""))) == rows
    assert list(spool.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [["most-cited"], ["most-cited", "--format", "csv"], ["directive-diffusion", "--param", "number=国办发[2016]80号"]],
    ids=["table", "csv", "parameter"],
)
def test_kg_query_answers_without_importing_rdflib(example_store: Path, args: list[str]) -> None:
    """rdflib costs a tenth of a second to import, more than a small query takes: `kg query` does without it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from kg.cli.main import cli\n"
        "try:\n"
        f"    cli(['query', *{args!r}, '--store', {str(example_store)!r}])\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        "print('rdflib imported:', sorted(m for m in sys.modules if m.split('.')[0] == 'rdflib')[:3])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "国办发〔2016〕80号" in out.stdout  # the answer was written (for the parameter: read in canonical form)
    assert out.stdout.rstrip().endswith("rdflib imported: []"), out.stdout[-300:]


def test_a_parameter_is_bound_as_the_term_it_is_whatever_it_holds(example_store: Path) -> None:
    runner = CliRunner()
    value = 'number=x"y\\z'  # a quote and a backslash: one literal (its SPARQL form escapes both), no rows
    quoted = runner.invoke(cli, ["query", "directive-diffusion", "--store", str(example_store), "--param", value])
    assert quoted.exit_code == 0 and "(0 rows)" in quoted.output, quoted.output
    bad = runner.invoke(cli, ["query", "report-facts", "--store", str(example_store), "--param", "source=<http://a b>"])
    assert bad.exit_code == 2 and "is not an IRI" in bad.output, bad.output
