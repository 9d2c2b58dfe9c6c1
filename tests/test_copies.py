"""Copies of one report (scraped from several sites) are one report: every count counts it once.

The three copies of one example report — byte-identical, defaced by a mirror's menus and spam, and in traditional
script — plus one different report: every named query and evaluation query counts two reports, ``eval/reports``
gives one row per source (four), and no triple is in two graphs.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Config
from kg.pipeline import ingest
from kg.queries import list_queries, load_query, run_select
from kg.store import open_store
from kg.validate import validate_store

from .conftest import EXAMPLES

SPAM = "allsport365bet官网 皇冠体育注册送彩金"
MENU = "首页 | 政务公开 | 政务服务 | 互动交流\n当前位置：首页 > 政府信息公开 > 年度报告"


def _defaced(text: str) -> str:
    lines = text.split("\n")
    lines.insert(12, SPAM)
    lines.insert(30, f"{SPAM}  最新网址")
    return MENU + "\n" + "\n".join(lines) + "\n【打印本页】 【关闭窗口】"


def _traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("copies")
    original = (EXAMPLES / "seed-000.txt").read_text(encoding="utf-8")
    for site, text in (
        ("gov", original),
        ("mirror-a", original),
        ("mirror-b", _defaced(original)),
        ("mirror-c", _traditional(original)),
    ):
        (root / site).mkdir()
        (root / site / "seed-000.txt").write_text(text, encoding="utf-8")
    (root / "gov" / "seed-003.txt").write_text((EXAMPLES / "seed-003.txt").read_text(encoding="utf-8"))
    store = root / "store"
    summary = ingest([root / "gov", root / "mirror-a", root / "mirror-b", root / "mirror-c"], store, Config())
    assert summary.sources == 5 and summary.reports == 2 and not summary.conflicts
    return store


def _rows(store: Path, name: str, params: dict[str, str] | None = None) -> list[dict[str, str]]:
    table = run_select(open_store(store, read_only=True), load_query(name, Config().queries_dir), params)
    return [dict(zip(table.columns, r, strict=True)) for r in table.rows]


def test_one_row_per_source_and_two_reports(copies: Path) -> None:
    rows = _rows(copies, "eval/reports")
    assert len(rows) == 5  # the four copies of seed-000 and seed-003
    assert Counter((r["adcode"], r["year"]) for r in rows) == {("321281", "2016"): 4, ("331083", "2020"): 1}
    reports = _rows(copies, "views/reports")
    assert len(reports) == 2


def test_counts_count_each_report_once(copies: Path) -> None:
    cited = {r["number"]: r for r in _rows(copies, "most-cited") if r["number"]}
    assert cited["国办发〔2016〕19号"]["reports"] == "1" and cited["国办发〔2016〕19号"]["regions"] == "1"
    # both cite the 条例 by title only: the 2016 report (four copies) counts once under its 2007 version, the 2020
    # report under its 2019 revision
    for number in ("国务院令第492号", "国务院令第711号"):
        assert (cited[number]["reports"], cited[number]["by_title"], cited[number]["title_only"]) == ("1", "1", "false")
    for row in _rows(copies, "citing-regions"):
        assert row["reports"] == "1", row
    diffusion = _rows(copies, "directive-diffusion", {"number": "国办发〔2016〕19号"})
    assert [(r["adcode"], r["year"]) for r in diffusion] == [("321281", "2016")]
    for row in _rows(copies, "platform-adoption"):
        assert row["reports"] == "1", row


def test_each_copy_keeps_its_own_spans(copies: Path) -> None:
    """The copies' quotes point into their own texts: the defaced copy's offsets differ from the original's."""
    rows = _rows(copies, "eval/citations")
    by_source = Counter(r["source"] for r in rows)
    assert by_source["seed-000.txt"] == 4 * len({r["number"] for r in rows if r["source"] == "seed-000.txt"})
    store = open_store(copies, read_only=True)
    starts = {
        r["start"].value
        for r in store.query(  # type: ignore[union-attr]
            """PREFIX gk: <https://w3id.org/govkg/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#>
            SELECT DISTINCT ?src ?start WHERE { ?src gk:citation ?c . ?c gk:citedNumber "国办发〔2016〕19号" ;
              gk:mention/oa:start ?start }""",
            use_default_graph_as_union=True,
        )
    }
    assert len(starts) == 2  # the original and its identical and traditional copies at one offset, the defaced at another


def test_figures_of_agreeing_copies_are_one_observation(copies: Path) -> None:
    store = open_store(copies, read_only=True)
    rows = list(
        store.query(  # type: ignore[union-attr]
            """PREFIX gk: <https://w3id.org/govkg/ontology#> PREFIX qb: <http://purl.org/linked-data/cube#>
            SELECT ?obs (COUNT(?r) AS ?readings) WHERE {
              ?obs a qb:Observation ; gk:report <https://w3id.org/govkg/id/report/321281/government/2016> ;
                   gk:reading ?r } GROUP BY ?obs""",
            use_default_graph_as_union=True,
        )
    )
    assert rows and all(int(r["readings"].value) == 4 for r in rows)


def test_every_query_runs_and_no_triple_is_in_two_graphs(copies: Path) -> None:
    store = open_store(copies, read_only=True)
    for q in list_queries(Config().queries_dir):
        if not q.params:
            run_select(store, q)
    result = validate_store(store, Config(), full=True)
    assert result.conforms, result.violations
    assert not [v for v in result.violations if "one-graph" in v.source]


def test_copies_that_disagree_give_no_figure_and_are_reported(tmp_path: Path) -> None:
    original = (EXAMPLES / "seed-000.txt").read_text(encoding="utf-8")
    said = "申请公开53件,办结53件"
    assert said in original
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "r.txt").write_text(original, encoding="utf-8")
    (tmp_path / "b" / "r.txt").write_text(original.replace(said, "申请公开35件,办结53件"), encoding="utf-8")
    summary = ingest([tmp_path / "a", tmp_path / "b"], tmp_path / "store", Config())
    assert summary.reports == 1
    conflict = "https://w3id.org/govkg/id/report/321281/government/2016/conflict/requests_received"
    assert conflict in summary.conflicts
    store = open_store(tmp_path / "store", read_only=True)
    report = ox.NamedNode("https://w3id.org/govkg/id/report/321281/government/2016")
    indicator = ox.NamedNode("https://w3id.org/govkg/vocab/indicator/requests_received")
    obs = list(store.quads_for_pattern(None, ox.NamedNode("https://w3id.org/govkg/ontology#indicator"), indicator, None))
    assert all(q.subject.value.startswith(report.value + "/conflict/") or "/fact/" in q.subject.value for q in obs)
    rows = _rows(tmp_path / "store", "rules/copies-disagree")
    assert sorted((r["focus"], r["value"]) for r in rows) == [
        (report.value, "requests_received: 35"), (report.value, "requests_received: 53"),
    ]  # fmt: skip
