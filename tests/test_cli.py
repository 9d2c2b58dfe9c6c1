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
    assert lines[0].startswith("ingested 7 sources of 6 reports, ")
    assert lines[0].endswith("0 violations; 2 files skipped; 2 records skipped")
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
    assert csv_out.splitlines()[0] == "number,title,issuer,issuer_level,reports,regions,by_title,title_only"


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
    assert res.stdout.splitlines()[1:] == ["国办发〔2016〕80号,city,2017,320700,连云港市,1,1"]


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
    res = runner.invoke(
        cli, ["ingest", str(FIXTURES / "county_report.txt"), "--store", str(tmp_path / "a" / "b" / "s")]
    )
    assert res.exit_code == 0, res.output


# -- what a new user trips over ---------------------------------------------------------------------------------
REPORT = "https://w3id.org/govkg/id/report/321281/government/2016"


def test_explain_of_something_that_is_not_an_iri_is_bad_input(runner: CliRunner, example_store: Path) -> None:
    hint = "Hint: give a whole IRI as `kg query` prints it, <…>, or a prefixed name such as id:report/321281/government/2016\n"
    for given in ["not-an-iri", "<>", "id", "https:"]:
        res = runner.invoke(cli, ["explain", given, "--store", str(example_store)])
        assert res.exit_code == 2, given
        assert res.stderr == f"Error: not an IRI: {given!r}\n{hint}", given
    res = runner.invoke(cli, ["explain", "<https://…>", "--store", str(example_store)])
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: nothing is known about <https://%E2%80%A6>\nHint: copy an IRI from `kg query`")


def test_explain_takes_an_iri_in_brackets_or_prefixed(runner: CliRunner, example_store: Path) -> None:
    whole = runner.invoke(cli, ["explain", REPORT, "--store", str(example_store)])
    assert whole.exit_code == 0 and "read from seed-000.txt [" in whole.stdout
    for given in [f"<{REPORT}>", " id:report/321281/government/2016 ", "id:report\\/321281\\/government\\/2016"]:
        res = runner.invoke(cli, ["explain", given, "--store", str(example_store)])
        assert res.exit_code == 0, (given, res.output)
        assert res.stdout == whole.stdout, given
    # a name with Chinese in it finds the node minted with percent-encoding
    res = runner.invoke(cli, ["explain", "id:doc/100000/国办发〔2016〕80号", "--store", str(example_store)])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("<https://w3id.org/govkg/id/doc/100000/%E5%9B%BD%E5%8A%9E%E5%8F%91%E3%80%942016")


def test_every_iri_in_table_output_is_whole_and_explainable(runner: CliRunner, example_store: Path) -> None:
    res = runner.invoke(cli, ["query", "report-facts", "--store", str(example_store), "--param", "source=seed-001.txt"])
    assert res.exit_code == 0, res.output
    header, rule, *rows, count = res.stdout.splitlines()
    assert header.split() == ["source", "fact", "kind", "start", "end", "quote"]
    facts = {row.split()[1] for row in rows}
    assert facts and all(f.startswith("https://w3id.org/govkg/id/") and "…" not in f for f in facts)
    assert any(len(f) > 60 for f in facts)  # longer than a cell may be, and not cut
    for fact in sorted(facts):
        res = runner.invoke(cli, ["explain", fact, "--store", str(example_store)])
        assert res.exit_code == 0 and "read from seed-001.txt [" in res.stdout, fact


def test_table_output_cuts_long_text_never_iris() -> None:
    from kg.queries import IRI, XSD, Table

    iri = "https://w3id.org/govkg/id/fact/0123456789abcdef/citation/" + "%E5%9B%BD" * 10
    table = Table(["fact", "quote"], [[iri, "长" * 80]], [[IRI, XSD + "string"]])
    row = table.to_text(max_width=20).splitlines()[2]
    assert row == f"{iri}  {'长' * 19}…"


def test_json_output_is_typed(runner: CliRunner, example_store: Path) -> None:
    res = runner.invoke(cli, ["query", "most-cited", "--store", str(example_store), "--format", "json"])
    rows = json.loads(res.stdout)
    assert rows and all(isinstance(r["reports"], int) and isinstance(r["regions"], int) for r in rows)
    res = runner.invoke(cli, ["query", "eval/statistics", "--store", str(example_store), "--format", "json"])
    rows = json.loads(res.stdout)
    assert rows and all(isinstance(r["value"], float) and isinstance(r["approximate"], bool) for r in rows)
    assert {"source": "seed-000.txt", "key": "requests_received", "value": 53.0, "approximate": False} in rows
    res = runner.invoke(
        cli,
        ["query", "directive-diffusion", "--store", str(example_store), "--format", "json"]
        + ["--param", "number=国办发〔2016〕80号"],
    )
    assert json.loads(res.stdout) == [
        {
            "number": "国办发〔2016〕80号",
            "level": "city",
            "year": 2017,
            "adcode": "320700",
            "region": "连云港市",
            "reports": 1,
            "lag": 1,
        }
    ]


def _csv(runner: CliRunner, store: Path, name: str, *params: str) -> tuple[list[str], str]:
    args = ["query", name, "--store", str(store), "--format", "csv"]
    for p in params:
        args += ["--param", p]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    return res.stdout.splitlines()[1:], res.stderr


def test_parameters_are_read_the_way_extraction_writes_them(runner: CliRunner, example_store: Path) -> None:
    canonical, said = _csv(runner, example_store, "directive-diffusion", "number=国办发〔2016〕80号")
    assert canonical and said == ""
    for printed in ["国办发[2016]80号", "国办发（2016）80号", " 国办发【2016】80 ", "國辦發〔2016〕80號"]:
        assert _csv(runner, example_store, "directive-diffusion", f"number={printed}")[0] == canonical, printed
    by_name, _ = _csv(runner, example_store, "report-facts", "source=seed-000.txt")
    assert by_name
    for path in [str(EXAMPLES / "seed-000.txt"), "examples/reports/seed-000.txt", "examples\\reports\\seed-000.txt"]:
        assert _csv(runner, example_store, "report-facts", f"source={path}")[0] == by_name, path


def test_an_empty_result_hints_at_the_nearest_values(runner: CliRunner, example_store: Path) -> None:
    rows, said = _csv(runner, example_store, "directive-diffusion", "number=国办发[2016]81号")
    assert rows == []
    lines = said.splitlines()
    assert lines[0] == "note: --param number=国办发[2016]81号 was read as 国办发〔2016〕81号"
    assert lines[1].startswith("no rows for number=国办发〔2016〕81号; nearest values: 国办发〔2016〕80号, ")
    rows, said = _csv(runner, example_store, "report-facts", "source=seed-0001.txt")
    assert rows == [] and said.startswith("no rows for source=seed-0001.txt; nearest values: seed-001.txt, ")


def test_readme_runs_kg_the_way_a_fresh_clone_has_it() -> None:
    """After scripts/example.sh, `kg` is in .venv/bin, not on PATH: each README block that runs a bare `kg`
    activates the venv first."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```")[0].strip().splitlines() for b in readme.split("```sh")[1:]]
    runs_kg = [b for b in blocks if any(ln.startswith("kg ") for ln in b)]
    assert runs_kg
    for block in runs_kg:
        first_kg = next(i for i, ln in enumerate(block) if ln.startswith("kg "))
        assert any(ln.startswith(". .venv/bin/activate") for ln in block[:first_kg]), block


def test_ingest_of_nothing_readable_says_so_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(cli, ["ingest", str(empty), "--store", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert f"Error: {empty}: no readable report found" in res.stderr
    (empty / "scan.png").write_bytes(b"\x89PNG\r\n")
    (empty / "notes.xlsx").write_bytes(b"PK")
    res = runner.invoke(cli, ["ingest", str(empty), "--store", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert "2 unsupported files" in res.stderr and "unsupported (not read): notes.xlsx, scan.png" in res.stderr


def test_unsupported_files_in_a_directory_are_counted_and_named(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "r.txt").write_text((EXAMPLES / "seed-000.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (src / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (src / ".hidden").write_text("x")
    res = runner.invoke(cli, ["ingest", str(src), "--store", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    first, *rest = res.stderr.splitlines()
    assert first.endswith("0 files skipped; 1 unsupported files") and "  unsupported (not read): photo.jpg" in rest


def test_a_bad_jsonl_line_is_one_record_skipped_not_a_file(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["ingest", str(FIXTURES / "records.jsonl"), "--store", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    first, *rest = res.stderr.splitlines()
    assert first.startswith("ingested 2 sources of 2 reports") and first.endswith("0 files skipped; 2 records skipped")
    assert any(line.startswith(f"  record skipped {FIXTURES / 'records.jsonl'}:2: not JSON") for line in rest)
