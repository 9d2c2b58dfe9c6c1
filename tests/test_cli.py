"""The CLI, in-process: its words are pinned, errors go to stderr with the documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.main import cli

from .conftest import EXAMPLES, FIXTURES, ROOT


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_ingest_reports_counts_and_skips(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["ingest", str(FIXTURES), "--store", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("ingested 7 reports, ") and lines[0].endswith("0 violations; 4 files skipped")
    assert f"  skipped {FIXTURES / 'binary.txt'}: binary data, not text" in lines
    assert f"  skipped {FIXTURES / 'empty.txt'}: empty file" in lines


def test_query_formats(runner: CliRunner, example_store: Path) -> None:
    res = runner.invoke(cli, ["query", "eval/reports", "--store", str(example_store), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {
        "source": "seed-003.txt",
        "adcode": "331083",
        "level": "county",
        "year": "2020",
        "body": "government",
    } in rows
    csv_out = runner.invoke(cli, ["query", "most-cited", "--store", str(example_store), "--format", "csv"]).stdout
    assert csv_out.splitlines()[0] == "number,title,issuer,issuer_level,reports,regions"


def test_query_with_param(runner: CliRunner, example_store: Path) -> None:
    res = runner.invoke(
        cli,
        [
            "query",
            "directive-diffusion",
            "--store",
            str(example_store),
            "--format",
            "csv",
            "--param",
            "number=国办发〔2016〕80号",
        ],
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1:] == ["国办发〔2016〕80号,city,2017,320700,连云港市,1"]


def test_unknown_query_and_param_are_bad_input(runner: CliRunner, example_store: Path) -> None:
    res = runner.invoke(cli, ["query", "no-such-query", "--store", str(example_store)])
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: no query named 'no-such-query'\nHint: known queries: ")
    res = runner.invoke(cli, ["query", "most-cited", "--store", str(example_store), "--param", "year=2017"])
    assert res.exit_code == 2
    assert res.stderr == "Error: query 'most-cited' has no parameter year\nHint: its parameters: none\n"


def test_missing_store_is_bad_input(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["validate", "--store", str(tmp_path / "nothing")])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"Error: {tmp_path / 'nothing'}: no store here\nHint: create one with `kg ingest")


def test_validate_exit_codes(runner: CliRunner, example_store: Path, store_copy: Path) -> None:
    res = runner.invoke(cli, ["validate", "--store", str(example_store)])
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == "conforms"
    import pyoxigraph as ox

    store = ox.Store(str(store_copy))
    g = ox.NamedNode("https://w3id.org/govkg/id/graph/broken")
    r = ox.NamedNode("https://w3id.org/govkg/id/report/broken")
    store.add(
        ox.Quad(
            r,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("https://w3id.org/govkg/ontology#AnnualReport"),
            g,
        )
    )
    del store
    res = runner.invoke(cli, ["validate", "--store", str(store_copy), "--format", "turtle"])
    assert res.exit_code == 1
    assert "sh:conforms false" in res.stdout and "A report has at least one source document" in res.stdout


def test_export_and_explain(runner: CliRunner, example_store: Path, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["export", "--store", str(example_store), "--format", "nq", "-o", str(tmp_path / "d.nq")])
    assert res.exit_code == 0 and res.stderr.startswith("wrote ") and (tmp_path / "d.nq").stat().st_size > 0
    from rdflib import Graph
    from rdflib.namespace import DCAT, VOID

    void = Graph().parse(tmp_path / "d.nq.void.ttl", format="turtle")
    n_quads = sum(1 for line in (tmp_path / "d.nq").read_text(encoding="utf-8").splitlines() if line.strip())
    (dataset,) = set(void.subjects(DCAT.distribution, None))
    assert int(void.value(dataset, VOID.triples)) == n_quads
    dist = void.value(dataset, DCAT.distribution)
    assert str(void.value(dist, DCAT.mediaType)) == "application/n-quads"
    iri = "https://w3id.org/govkg/id/report/321281/government/2016"
    res = runner.invoke(cli, ["explain", iri, "--store", str(example_store)])
    assert res.exit_code == 0
    assert "read from seed-000.txt [" in res.stdout and "【2016】" in res.stdout


def test_every_command_has_help_with_an_example_and_is_in_the_readme(runner: CliRunner) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        res = runner.invoke(cli, [name, "--help"])
        assert res.exit_code == 0, name
        assert "Example:" in res.stdout, name
        assert f"kg {name}" in readme, f"`kg {name}` is not documented in README.md"


def test_examples_are_bundled() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.txt")) == [f"seed-00{i}.txt" for i in range(5)]


def test_ingest_creates_missing_parent_directories(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["ingest", str(FIXTURES / "county_report.txt"), "--store", str(tmp_path / "a" / "b" / "s")])
    assert res.exit_code == 0, res.output
