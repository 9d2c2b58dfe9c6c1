"""Documents cited by title only, resolved across the corpus (kg.titles): each rule on small reports written here,
order independence, incrementality, the versions of the 条例 by year, and the foundational table itself."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kg.config import Config
from kg.explain import explain_fact
from kg.export import export_store
from kg.extract.docnumbers import canonical_number
from kg.extract.report import extract_facts
from kg.iris import Minter
from kg.pipeline import ingest
from kg.queries import load_query, run_select
from kg.resolve.documents import (
    COLUMNS,
    FOUNDATIONAL,
    applies,
    first_citing_year,
    foundational_versions,
    load_foundational,
    title_key,
)
from kg.store import open_store
from kg.text import normalize
from kg.validate import validate_store

M = Minter(Config().base_iri)
NOTICE = "国务院办公厅关于印发2016年政务公开工作要点的通知"  # 国办发〔2016〕19号
REGULATION = "中华人民共和国政府信息公开条例"


def report(name: str, year: int, body: str) -> str:
    return f"{name}人民政府{year}年政府信息公开工作年度报告\n本报告统计期限自{year}年1月1日起至{year}年12月31日止。\n{body}\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def ingested(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    """The reports written into ``tmp_path/in`` and ingested into ``tmp_path/store``: (folder, store)."""
    src = write(tmp_path / "in", files)
    ingest([src], tmp_path / "store", Config())
    return src, tmp_path / "store"


def rows(store: Path, name: str, params: dict[str, str] | None = None) -> list[dict[str, str]]:
    table = run_select(open_store(store, read_only=True), load_query(name, Config().queries_dir), params)
    return [dict(zip(table.columns, r, strict=True)) for r in table.rows]


def cited(store: Path) -> dict[str, dict[str, str]]:
    """most-cited by number, or by 《title》 for the documents cited by title only."""
    return {r["number"] or f"《{r['title']}》": r for r in rows(store, "most-cited")}


def dump(store: Path, out: Path) -> bytes:
    export_store(open_store(store, read_only=True), out, "nq", Config().base_iri)
    return out.read_bytes()


# the reports: one cites the notice by title only, one prints its number, one a shorter form, one an earlier year
TITLE_ONLY = report("兴化市", 2016, f"认真落实《{NOTICE}》要求。")
NUMBERED = report("连云港市", 2016, f"按照《{NOTICE}》（国办发〔2016〕19号）要求。")
SHORTER = report("宁波市", 2016, "按照《2016年政务公开工作要点》要求。")
TOO_EARLY = report("南京市", 2014, f"依据《{NOTICE}》。")


def test_a_later_report_that_prints_the_number_resolves_an_earlier_title_only_citation(tmp_path: Path) -> None:
    src = write(tmp_path / "in", {"a.txt": TITLE_ONLY, "s.txt": SHORTER, "e.txt": TOO_EARLY})
    store = tmp_path / "store"
    ingest([src], store, Config())
    before = cited(store)
    assert before[f"《{NOTICE}》"]["title_only"] == "true" and before[f"《{NOTICE}》"]["reports"] == "2"
    assert "国办发〔2016〕19号" not in before

    write(src, {"b.txt": NUMBERED})
    ingest([src], store, Config())
    after = cited(store)
    notice = after["国办发〔2016〕19号"]
    # the number's report, the same title's and the shorter title's: three reports, two by title only
    assert (notice["reports"], notice["regions"], notice["by_title"], notice["title_only"]) == ("3", "3", "2", "false")
    # a report on 2014 cannot cite a document of 2016: it stays title-only
    assert after[f"《{NOTICE}》"]["reports"] == "1" and after[f"《{NOTICE}》"]["title_only"] == "true"
    assert "《2016年政务公开工作要点》" not in after
    spread = rows(store, "directive-diffusion", {"number": "国办发〔2016〕19号"})
    assert sorted(r["adcode"] for r in spread) == ["320700", "321281", "330200"]
    assert validate_store(open_store(store, read_only=True), Config()).conforms

    # how it was resolved, and the sentence that printed the number
    shown = explain_fact(open_store(store, read_only=True), str(M.titled_document(NOTICE)), Config())
    assert f"resolved 《{NOTICE}》 → 国办发〔2016〕19号" in shown and "by the same title" in shown
    assert "for the reports covering 2015 or later" in shown
    assert re.search(r"number printed by 1 report\(s\), e\.g\. <[^>]+/report/320700/government/2016> in b\.txt", shown)
    assert "国办发〔2016〕19号" in shown.rsplit("【", 1)[1]
    shorter = explain_fact(open_store(store, read_only=True), str(M.titled_document("2016年政务公开工作要点")), Config())
    assert "by a shorter title" in shorter

    # the report with the number no longer prints it: the title-only citations are title-only again, as if it never had
    write(src, {"b.txt": report("连云港市", 2016, "按照《连云港市政务公开规定》要求。")})
    ingest([src], store, Config())
    assert cited(store)[f"《{NOTICE}》"]["reports"] == "2" and "国办发〔2016〕19号" not in cited(store)
    ingest([src], tmp_path / "fresh", Config())
    assert dump(store, tmp_path / "s.nq") == dump(tmp_path / "fresh", tmp_path / "f.nq")


def test_two_ingest_orders_give_byte_identical_dumps(tmp_path: Path) -> None:
    files = {
        "a.txt": TITLE_ONLY,
        "b.txt": NUMBERED,
        "c.txt": report("泰州市", 2018, f"根据《{REGULATION}》和《政府网站发展指引》。"),
        "d.txt": report("宜兴市", 2019, f"根据《{REGULATION}》（国务院令第711号）。"),
        "e.txt": SHORTER,
    }
    one, two = tmp_path / "one", tmp_path / "two"
    for store, order in ((one, sorted(files)), (two, sorted(files, reverse=True))):
        src = tmp_path / f"in-{store.name}"
        for name in order:  # one file per ingest, so each order is an incremental history of its own
            write(src, {name: files[name]})
            ingest([src], store, Config(source_root=src))
    assert dump(one, tmp_path / "one.nq") == dump(two, tmp_path / "two.nq")
    # and both are what indexing everything afresh gives
    from kg.ledger import Ledger
    from kg.titles import INDEX
    from kg.writer import StoreWriter

    store = open_store(one)
    ledger = Ledger(one)
    ledger.set_meta(INDEX, "0")
    StoreWriter(store, ledger, Config().base_iri).refresh_summaries()
    ledger.close()
    store.flush()
    del store
    assert dump(one, tmp_path / "again.nq") == dump(two, tmp_path / "two.nq")


def test_the_version_of_the_regulation_is_chosen_by_the_year_covered(tmp_path: Path) -> None:
    _, store = ingested(
        tmp_path,
        {
            f"{name}-{year}.txt": report(name, year, f"根据《{REGULATION}》（以下简称《条例》）。")
            for name, year in (("兴化市", 2008), ("兴化市", 2018), ("泰州市", 2019), ("泰州市", 2023))
        },
    )
    by = cited(store)
    assert (by["国务院令第492号"]["reports"], by["国务院令第492号"]["by_title"]) == ("2", "2")
    assert (by["国务院令第711号"]["reports"], by["国务院令第711号"]["by_title"]) == ("2", "2")
    assert f"《{REGULATION}》" not in by  # every report resolved: nothing is left title-only
    # diffusion: each region once, its first year under each version and how many of its reports
    spread = {r["number"]: sorted((r["region"], r["year"], r["reports"]) for r in rows(store, "directive-diffusion", {"number": r["number"]}))
              for r in rows(store, "most-cited")}  # fmt: skip
    assert spread == {"国务院令第492号": [("兴化市", "2008", "2")], "国务院令第711号": [("泰州市", "2019", "2")]}
    lags = {r["year"]: r["lag"] for r in rows(store, "directive-diffusion", {"number": "国务院令第711号"})}
    assert lags == {"2019": "0"}  # the table gives the decree its year
    shown = explain_fact(open_store(store, read_only=True), str(M.titled_document(REGULATION)), Config())
    assert "→ 国务院令第492号" in shown and "for the reports covering 2007–2018" in shown
    assert "→ 国务院令第711号" in shown and "for the reports covering 2019 or later" in shown
    assert "source: http://www.gov.cn/zhengce/content/2019-04/15/content_5382991.htm" in shown
    assert validate_store(open_store(store, read_only=True), Config()).conforms


def test_a_local_document_resolves_only_the_reports_of_its_region(tmp_path: Path) -> None:
    title = "江苏省人民政府办公厅关于做好政务公开工作的通知"
    src, store = ingested(
        tmp_path,
        {
            "n.txt": report("南京市", 2017, f"按照《{title}》（苏政办发〔2017〕12号）要求。"),
            "t.txt": report("兴化市", 2017, f"按照《{title}》要求。"),
        },
    )
    assert cited(store)["苏政办发〔2017〕12号"]["reports"] == "2"
    # a report of another province cites the same title: the province's document is not its document
    write(src, {"z.txt": report("宁波市", 2017, f"按照《{title}》要求。")})
    ingest([src], store, Config())
    by = cited(store)
    assert by["苏政办发〔2017〕12号"]["reports"] == "1"
    assert (by[f"《{title}》"]["reports"], by[f"《{title}》"]["title_only"]) == ("2", "true")


def test_the_number_most_reports_print_a_title_with_wins_whatever_the_order(tmp_path: Path) -> None:
    title = "国务院办公厅关于做好政府信息公开工作的通知"
    files = {
        "x1.txt": report("南京市", 2017, f"按照《{title}》（国办发〔2017〕30号）要求。"),
        "x2.txt": report("无锡市", 2017, f"按照《{title}》（国办发〔2017〕30号）要求。"),
        "y.txt": report("苏州市", 2017, f"按照《{title}》（国办发〔2017〕31号）要求。"),
        "t.txt": report("兴化市", 2017, f"按照《{title}》要求。"),
    }
    for order in (sorted(files), sorted(files, reverse=True)):
        store = tmp_path / f"store-{order[0]}"
        src = tmp_path / f"in-{order[0]}"
        for name in order:
            write(src, {name: files[name]})
            ingest([src], store, Config())
        by = cited(store)
        assert (by["国办发〔2017〕30号"]["reports"], by["国办发〔2017〕31号"]["reports"]) == ("3", "1")
        assert f"《{title}》" not in by


def test_a_short_form_a_report_defines_with_the_number_resolves_across_reports(tmp_path: Path) -> None:
    """A report prints the number and defines a short form (以下简称《…》); another cites the short form alone.
    Extraction does not attach such short forms to numbered citations yet, so the test adds the one it would."""
    import pyoxigraph as ox

    from kg.ledger import Ledger
    from kg.namespaces import X
    from kg.writer import StoreWriter

    title, alias = "国务院办公厅关于全面推进基层政务公开标准化规范化工作的指导意见", "基层政务公开指导意见"
    _, store_dir = ingested(
        tmp_path,
        {
            "n.txt": report("连云港市", 2019, f"按照《{title}》（国办发〔2019〕54号，以下简称《{alias}》）要求。"),
            "t.txt": report("兴化市", 2019, f"按照《{alias}》要求。"),
        },
    )
    assert cited(store_dir)[f"《{alias}》"]["reports"] == "2"  # the short form is no part of the title
    store = open_store(store_dir)
    [citation] = [q for q in store.quads_for_pattern(None, X.gk.citedNumber, ox.Literal("国办发〔2019〕54号"), None)]
    store.add(ox.Quad(citation.subject, X.gk.alias, ox.Literal(alias), citation.graph_name))
    ledger = Ledger(store_dir)
    ledger.mark_done([ledger.source_graphs()[citation.graph_name.value]])  # as ingest marks a source it wrote
    StoreWriter(store, ledger, Config().base_iri).refresh_summaries()
    ledger.close()
    store.flush()
    del store
    by = cited(store_dir)
    assert (by["国办发〔2019〕54号"]["reports"], by["国办发〔2019〕54号"]["by_title"]) == ("2", "1")
    assert f"《{alias}》" not in by  # both reports citing the short form count under the number
    shown = explain_fact(open_store(store_dir, read_only=True), str(M.titled_document(alias)), Config())
    assert f"resolved 《{alias}》 → 国办发〔2019〕54号" in shown and "by a short form (以下简称)" in shown


def test_title_keys_and_years() -> None:
    assert title_key("关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知") == title_key(
        "关于印发<中华人民共和国政府信息公开工作年度报告格式>的通知"
    )
    assert title_key("信息公开社会监督评议制度（试行）") == "信息公开社会监督评议制度(试行)"
    # a report on year y was due by 31 March of y+1 until the reports on 2018, by 31 January since
    assert first_citing_year(datetime.date(2016, 2, 17)) == 2015
    assert first_citing_year(datetime.date(2017, 5, 15)) == 2017
    assert first_citing_year(datetime.date(2019, 4, 3)) == 2019
    assert first_citing_year(datetime.date(2020, 1, 20)) == 2019
    assert first_citing_year(datetime.date(2020, 2, 20)) == 2020
    assert applies(None, None, None) and applies(2015, None, 2015) and not applies(2015, None, 2014)
    assert not applies(2015, None, None) and not applies(None, 2018, None) and applies(None, 2018, 2018)


def test_the_foundational_table_holds_sourced_facts_in_canonical_form() -> None:
    text = FOUNDATIONAL.read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if not line.startswith("#"))
    assert tuple(header.split(",")) == COLUMNS
    table = load_foundational()
    assert len(table) == len({r.number for r in table}) >= 5
    for row in table:
        assert canonical_number(row.number) == row.number, row.number
        year = re.search(r"〔(\d{4})〕", row.number)
        assert year is None or int(year.group(1)) == row.date.year, row.number  # a number's year is its date's
        assert datetime.date(2000, 1, 1) < row.date <= datetime.date.today()
        url = urlparse(row.source)
        assert url.scheme in ("http", "https") and url.hostname and url.hostname.endswith("gov.cn"), row.source
        assert row.title and row.issuer and "《" not in row.issuer
        # extraction reads the number, with the title, as a national document's, which is how the table resolves it
        facts = extract_facts(normalize(f"《{row.title}》（{row.number}）").norm)
        [c] = facts.citations
        assert (c.number, c.title, c.issuer.level if c.issuer else None) == (row.number, row.title, "national")
    versions = foundational_versions()[title_key(REGULATION)]
    assert [(v.document.number, v.from_year, v.until_year) for v in versions] == [
        ("国务院令第492号", 2007, 2018),
        ("国务院令第711号", 2019, None),
    ]


def test_a_malformed_table_is_refused_with_where_and_why(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("# x\nnumber,title,issuer,date,source\n国发〔2019〕1号,某条例,国务院,2019-13-01,http://www.gov.cn/\n",
                   encoding="utf-8")  # fmt: skip
    with pytest.raises(ValueError, match=r"t\.csv:3: date '2019-13-01' is not YYYY-MM-DD"):
        load_foundational(bad)
    bad.write_text("number,title\n", encoding="utf-8")
    with pytest.raises(ValueError, match="the header must be number,title,issuer,date,source"):
        load_foundational(bad)


def test_the_views_draw_a_resolved_document_as_its_issuer_s_and_give_it_a_diffusion_page(tmp_path: Path) -> None:
    from kg.views import diffusion as df
    from kg.views.citation import build_citation_graph
    from kg.views.data import first_citations, read_view_data
    from kg.views.style import LEVEL_COLORS

    _, store_dir = ingested(
        tmp_path,
        {
            f"{name}.txt": report(name, year, f"根据《{REGULATION}》（以下简称《条例》）。")
            for name, year in (("兴化市", 2016), ("泰州市", 2017), ("宁波市", 2018), ("南京市", 2020))
        },
    )
    store = open_store(store_dir, read_only=True)
    data = read_view_data(store, Config())
    old, new = str(M.document("国务院令第492号", "100000")), str(M.document("国务院令第711号", "100000"))
    assert str(M.titled_document(REGULATION)) not in data.directives  # every citation of it is resolved
    assert {c.doc for c in data.citations} == {old, new}
    graph = build_citation_graph(data)
    node = graph.nodes[old]
    assert (node["level"], node["color"], node["cited_by"], node["year"]) == ("national", LEVEL_COLORS["national"], 3, 2007)
    assert "仅以标题引用的报告 reports citing it by title only: 3" in node["title"]
    [top] = df.top_directives(data, graph, 5)
    firsts = first_citations(data, top)
    assert top == old and [f.year for f in firsts] == [2016, 2017, 2018]
    assert all("中华人民共和国政府信息公开条例" in f.evidence.quote for f in firsts)  # the title-only citation's sentence
    summary = df.summarize(1, data, top, firsts)
    [page] = df.diffusion_pages(df.build_diffusion_graph(data, top, firsts), top, summary, 500)
    assert "国家 national · 2007 · 3 regions · median lag 10 years" in page.subtitle


def test_removing_the_source_that_printed_the_number_un_resolves_the_title(tmp_path: Path) -> None:
    from kg.ledger import Ledger
    from kg.writer import StoreWriter

    src, store_dir = ingested(tmp_path, {"a.txt": TITLE_ONLY, "b.txt": NUMBERED})
    assert cited(store_dir)["国办发〔2016〕19号"]["reports"] == "2"
    store = open_store(store_dir)
    ledger = Ledger(store_dir)
    writer = StoreWriter(store, ledger, Config().base_iri)
    [record] = [r for r in ledger.sources(ledger.source_graphs().values()).values() if r.file and r.file.endswith("b.txt")]
    writer.remove_sources([record])
    writer.refresh_summaries()
    ledger.close()
    store.flush()
    del writer, store  # closed before it is opened again to read
    by = cited(store_dir)
    assert "国办发〔2016〕19号" not in by and by[f"《{NOTICE}》"]["title_only"] == "true"
    (src / "b.txt").unlink()
    ingest([src], tmp_path / "fresh", Config())
    assert dump(store_dir, tmp_path / "s.nq") == dump(tmp_path / "fresh", tmp_path / "f.nq")


def test_summaries_written_as_they_come_and_in_steps_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summaries (numbered, title-only, resolved, unknown region) are the same whether they are written at once
    or a quad at a time, in one ingest or in two steps with the title index built source by source."""
    from kg import summary
    from kg import titles as titles_module

    files = {
        "a.txt": TITLE_ONLY,
        "b.txt": NUMBERED,
        "c.txt": SHORTER,
        "d.txt": report("南京市", 2020, f"根据《{REGULATION}》和国办发〔2016〕80号、苏政办发〔2017〕3号文件。"),
        "e.txt": "2019年度工作报告\n根据国办发〔2016〕80号文件要求。\n",
    }
    src = write(tmp_path / "in", files)
    at_once, one_by_one = tmp_path / "one", tmp_path / "bulk"
    ingest([src], at_once, Config())
    monkeypatch.setattr(summary, "_FLUSH", 1)
    ingest([src], one_by_one, Config())
    assert dump(at_once, tmp_path / "1.nq") == dump(one_by_one, tmp_path / "2.nq")
    monkeypatch.setattr(titles_module, "_HASHED_UP_TO", 0)
    stepwise = tmp_path / "steps"
    ingest([src / "a.txt", src / "e.txt"], stepwise, Config())
    ingest([src], stepwise, Config())
    assert dump(at_once, tmp_path / "1.nq") == dump(stepwise, tmp_path / "3.nq")


def test_a_store_whose_ledger_did_not_count_citations_is_counted_from_its_graphs(tmp_path: Path) -> None:
    """The summaries are refreshed from the ledger's counts (kg.ledger.Counted) and written against the figures it
    keeps of them; a store written before the ledger kept either has them read from its graphs on its next ingest,
    and then summarizes as a store built at once."""
    import sqlite3

    from kg.ledger import LEDGER_FILE

    files = {"a.txt": TITLE_ONLY, "b.txt": NUMBERED, "c.txt": SHORTER, "e.txt": "2019年度工作报告\n根据国办发〔2016〕80号文件要求。\n"}
    src = write(tmp_path / "in", files)
    ingest([src / "a.txt", src / "e.txt"], tmp_path / "old", Config())
    db = sqlite3.connect(tmp_path / "old" / LEDGER_FILE, isolation_level=None)
    assert db.execute("SELECT COUNT(*) FROM citing").fetchone()[0] == 2  # what ingest counted: two reports, a document each
    db.executescript(  # as a ledger written before it kept them
        "DELETE FROM citing; DELETE FROM cited_titles; DELETE FROM summarized; DELETE FROM terms; "
        "DELETE FROM meta WHERE key IN ('counted', 'summaries')"
    )
    db.close()
    ingest([src], tmp_path / "old", Config())
    ingest([src], tmp_path / "fresh", Config())
    assert cited(tmp_path / "old")["国办发〔2016〕19号"]["reports"] == "3"  # by number, by title, by its short form
    assert dump(tmp_path / "old", tmp_path / "o.nq") == dump(tmp_path / "fresh", tmp_path / "f.nq")


def test_a_summary_refresh_cut_short_is_repaired_from_the_graphs(tmp_path: Path) -> None:
    """A refresh writes the regions whose figures changed, against the figures the ledger keeps of the graphs; one
    cut short (meta ``summaries`` left at ``writing``, its documents still dirty) may leave those figures wrong, so
    the next refresh reads the graphs instead, records them again, and later refreshes trust them."""
    import sqlite3

    import pyoxigraph as ox

    from kg.ledger import LEDGER_FILE, Ledger
    from kg.namespaces import X
    from kg.writer import StoreWriter

    files = {"a.txt": TITLE_ONLY, "b.txt": NUMBERED, "c.txt": SHORTER, "e.txt": "2019年度工作报告\n根据国办发〔2016〕80号文件要求。\n"}
    src = write(tmp_path / "in", files)
    store_dir = tmp_path / "store"
    ingest([src / "a.txt", src / "b.txt"], store_dir, Config())
    expected = dump(store_dir, tmp_path / "e.nq")
    db = sqlite3.connect(store_dir / LEDGER_FILE, isolation_level=None)
    assert db.execute("SELECT value FROM meta WHERE key = 'summaries'").fetchone() == ("kept",)
    db.executescript(  # the refresh that was cut short began, and its documents are still dirty
        "UPDATE meta SET value = 'writing' WHERE key = 'summaries'; "
        "INSERT OR IGNORE INTO dirty (doc) SELECT term FROM terms WHERE id IN (SELECT doc FROM summarized)"
    )
    db.close()
    store, ledger = open_store(store_dir), Ledger(store_dir)
    # ... and had written region figures the ledger never recorded
    changed = list(store.quads_for_pattern(None, X.gk.reports, None, None))
    assert changed
    for q in changed:
        store.remove(q)
        store.add(ox.Quad(q.subject, q.predicate, ox.Literal(str(int(q.object.value) + 5), datatype=q.object.datatype), q.graph_name))
    StoreWriter(store, ledger, Config().base_iri).refresh_summaries()
    assert ledger.summaries_kept()
    ledger.close()
    store.flush()
    del store
    assert dump(store_dir, tmp_path / "r.nq") == expected
    ingest([src], store_dir, Config())  # trusted again: only the changed regions written
    ingest([src], tmp_path / "fresh", Config())
    assert dump(store_dir, tmp_path / "s.nq") == dump(tmp_path / "fresh", tmp_path / "f.nq")
