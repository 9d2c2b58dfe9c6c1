"""Extractors on small reports written for the tests (the rules, not any one document)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kg.extract.report import extract_facts
from kg.resolve.issuers import resolve_issuer
from kg.resolve.regions import gazetteer
from kg.text import normalize

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def facts_of(text: str):  # type: ignore[no-untyped-def]
    return extract_facts(normalize(text).norm)


@pytest.fixture(scope="module")
def county():  # type: ignore[no-untyped-def]
    return facts_of((FIXTURES / "county_report.txt").read_text(encoding="utf-8"))


def test_identity(county) -> None:  # type: ignore[no-untyped-def]
    i = county.identity
    assert (i.region_code, i.level, i.body, i.year) == ("320282", "county", "government", 2018)
    assert i.published == "2019-03-15" and i.index_number == "011234567/2019-00012"


def test_citations_with_titles_and_issuers(county) -> None:  # type: ignore[no-untyped-def]
    got = {c.number: (c.issuer.level, c.issuer.adcode, c.title) for c in county.citations if c.number}
    assert got == {
        "锡政办发〔2018〕12号": ("city", "320200", "无锡市人民政府办公室关于做好2018年政务公开工作的通知"),
        "国办发〔2018〕23号": ("national", "100000", "国务院办公厅关于印发2018年政务公开工作要点的通知"),
        "苏政办发〔2018〕40号": ("province", "320000", "江苏省人民政府办公厅关于印发2018年全省政务公开工作要点的通知"),
    }
    title_only = [c for c in county.citations if c.number is None]
    assert [(c.title, c.alias) for c in title_only] == [("中华人民共和国政府信息公开条例", "条例")]


def test_platforms(county) -> None:  # type: ignore[no-untyped-def]
    types = {p.type for p in county.platforms}
    assert types >= {
        "portal",
        "wechat",
        "weibo",
        "gazette",
        "press_conference",
        "hotline",
        "mailbox",
        "service_platform",
        "reading_room",
        "bulletin_board",
    }
    named = {(p.type, p.name) for p in county.platforms if p.name}
    assert ("wechat", "宜兴发布") in named and ("weibo", "宜兴发布") in named
    (portal,) = [p for p in county.platforms if p.url]
    assert portal.url == "www.yixing.gov.cn" and not portal.suspicious


def test_statistics(county) -> None:  # type: ignore[no-untyped-def]
    got = {s.key: s.value for s in county.statistics}
    assert got == {
        "info_disclosed_total": 12345,
        "requests_received": 86,
        "requests_completed": 84,
        "reconsiderations": 3,
        "lawsuits": 2,
        "press_conferences": 15,
        "policy_interpretations": 120,
    }


def test_initiatives_and_agencies(county) -> None:  # type: ignore[no-untyped-def]
    assert {i.notation for i in county.initiatives} >= {"fangguanfu", "bujianmian", "wugongkai"}
    assert {(a.name, a.full_name) for a in county.agencies} == {
        ("市发改委", "宜兴市发展和改革委员会"),
        ("市人社局", "宜兴市人力资源和社会保障局"),
    }


@pytest.mark.parametrize(
    ("code", "context", "adcode"),
    [
        ("厅字", "321281", "100000"),  # 中共中央办公厅 and 国务院办公厅 jointly
        ("赣府厅字", "360100", "360000"),  # a province's 厅字 keeps its province
        ("中办发", "321281", "100000"),
        ("人社部发", "320000", "100000"),
        ("深府办", "440305", "440300"),
        ("宁政办发", "640100", "640000"),  # 宁夏 for a report from Yinchuan, 南京 for one from Nanjing
        ("宁政办发", "320100", "320100"),
    ],
)
def test_issuers_central_provincial_and_city(code: str, context: str, adcode: str) -> None:
    assert resolve_issuer(code, context).adcode == adcode


def test_same_prefix_resolved_by_reporting_region() -> None:
    assert resolve_issuer("泰政办发", "321281").adcode == "321200"  # a report from 兴化 (泰州)
    assert resolve_issuer("泰政办发", "370982").adcode == "370900"  # a report from 新泰 (泰安)
    assert resolve_issuer("宁政发", "320102").adcode == "320100"  # 南京 in Jiangsu
    assert resolve_issuer("宁政发", "640100").adcode == "640000"  # 宁夏 in Ningxia
    assert resolve_issuer("苏办发", "320700").organ == "中共江苏省委办公厅"
    assert resolve_issuer("琼府办", "460100").adcode == "460000"
    assert resolve_issuer("内政发", "150100").adcode == "150000"


def test_unknown_code_is_unknown_not_guessed() -> None:
    assert resolve_issuer("稀字", "320282").level == "unknown"


def test_historical_region_resolves_to_successor() -> None:
    facts = facts_of("玉环县人民政府2012年政府信息公开工作年度报告\n全年主动公开政府信息100条。")
    assert facts.identity.region_code == "331083" and gazetteer().successor("331021") == "331083"


def test_central_department_is_national() -> None:
    facts = facts_of((FIXTURES / "central_big5.txt").read_bytes().decode("big5"))
    i = facts.identity
    assert (i.region_code, i.level, i.body, i.year) == ("100000", "national", "department", 2015)
    assert [c.number for c in facts.citations if c.number] == ["国办发〔2015〕22号"]


def test_department_report_carries_its_government_region() -> None:
    i = facts_of("郑州市教育局2020年政府信息公开工作年度报告\n一、总体情况").identity
    assert (i.region_code, i.level, i.body, i.body_name) == ("410100", "city", "department", "郑州市教育局")


def test_township_report() -> None:
    i = facts_of("兴化市戴窑镇人民政府2019年政府信息公开工作年度报告").identity
    assert (i.region_code, i.level, i.body) == ("321281", "township", "government")


def test_own_number_is_not_a_citation() -> None:
    text = "苏州市吴江区卫生局\n吴卫〔2015〕3号\n吴江区卫生局2014年政府信息公开工作年度报告\n依据吴政办〔2014〕8号。"
    facts = facts_of(text)
    assert facts.identity.report_number == "吴卫〔2015〕3号"
    assert [c.number for c in facts.citations if c.number] == ["吴政办〔2014〕8号"]


def test_defaced_names_are_not_agencies_or_accounts() -> None:
    text = (
        "连云港市2017年政府信息公开工作年度报告\n请与allsport365bet办公室联系。"
        "“allsport365bet”微信公众号发布信息。市发改委公开信息。"
    )
    facts = facts_of(text)
    assert all("allsport" not in (p.name or "") for p in facts.platforms)
    assert [a.full_name for a in facts.agencies] == ["连云港市发展和改革委员会"]
    assert facts.identity.body == "government"


def test_mirror_rewritten_url_is_flagged() -> None:
    facts = facts_of(
        "四川省2016年政府信息公开工作年度报告\n本报告电子版可从四川省人民政府网站(m.pouringspot.com)下载。"
    )
    (portal,) = [p for p in facts.platforms if p.url]
    assert portal.url == "m.pouringspot.com" and portal.suspicious


def test_two_weibo_one_app_is_three_types() -> None:
    facts = facts_of("某县2018年政府信息公开工作年度报告\n统筹做好“两微一端”运行维护。")
    assert {p.type for p in facts.platforms} == {"wechat", "weibo", "app"}


def test_approximate_cumulative_and_single_channel_figures() -> None:
    text = (
        "银川市2022年政府信息公开工作年度报告\n通过政府网站主动公开信息4109条。主动公开政府信息20余万条。"
        "截至2022年底,累计主动公开政府信息64627条。"
    )
    (s,) = [s for s in facts_of(text).statistics if s.key == "info_disclosed_total"]
    assert (s.value, s.approximate) == (200000, True)


def test_none_happened_is_zero() -> None:
    got = {
        s.key: s.value
        for s in facts_of(
            "张家港市2022年政府信息公开工作年度报告\n未发生政府信息公开的行政复议、行政诉讼案件。"
        ).statistics
    }
    assert got == {"reconsiderations": 0, "lawsuits": 0}


def test_template_table_wins_over_prose() -> None:
    text = "某市2017年政府信息公开工作年度报告\n全年组织新闻发布会80余场次。\n1.参加或举办新闻发布会总次数\n117\n"
    got = {s.key: s.value for s in facts_of(text).statistics}
    assert got["press_conferences"] == 117


def test_new_campaign_names_are_candidates() -> None:
    facts = facts_of("某市2017年政府信息公开工作年度报告\n推进“3550”改革,完善“两明确、一落实、一确保”工作机制。")
    assert {(i.notation, i.label) for i in facts.initiatives} >= {(None, "3550改革"), (None, "两明确、一落实、一确保")}


@settings(max_examples=80, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list(
                "国办发〔2016〕19号《》“”省市县人民政府2018年信息公开工作年度报告微信公众号收到申请件@()（）|\n 0123456789"
            )
        ),
        max_size=300,
    )
)
def test_extractors_never_raise_and_spans_are_in_range(text: str) -> None:
    t = normalize(text)
    facts = extract_facts(t.norm)
    spans = [c.span for c in facts.citations] + [p.span for p in facts.platforms] + [s.span for s in facts.statistics]
    spans += (
        [i.span for i in facts.initiatives] + [a.span for a in facts.agencies] + list(facts.identity.spans.values())
    )
    for s, e in spans:
        assert 0 <= s <= e <= len(t.norm)
        os_, oe = t.span(s, e)
        assert t.original[os_:oe] == t.quote(s, e)


def test_national_template_tables_2021() -> None:
    facts = facts_of((FIXTURES / "table_2021.txt").read_text(encoding="utf-8"))
    got = {s.key: s.value for s in facts.statistics}
    # 新收 row: the 总计 cell; 办理结果 (七)总计; review row: 复议 总计, 诉讼 = direct + after review
    assert got == {"requests_received": 49, "requests_completed": 48, "reconsiderations": 4, "lawsuits": 2}
    assert (facts.identity.region_code, facts.identity.year) == ("320724", 2022)


@pytest.mark.parametrize(
    ("title", "want"),
    [
        ("兴化市2016年政务公开工作年度报告", ("321281", "government", 2016)),
        ("2016年度兴化市政府信息公开工作年度报告", ("321281", "government", 2016)),
        ("通化县人民政府\n2025年度政府信息公开工作报告", ("220521", "government", 2025)),
        (
            "市教育局2020年政府信息公开工作年度报告\n报告可在郑州市人民政府门户网站下载。",
            ("410100", "department", 2020),
        ),
    ],
)
def test_title_forms(title: str, want: tuple[str, str, int]) -> None:
    i = facts_of(title).identity
    assert (i.region_code, i.body, i.year) == want


def test_county_code_of_the_reporting_county() -> None:
    assert resolve_issuer("兴政发", "321281").adcode == "321281"  # 兴化 cites its own government
    assert resolve_issuer("通政办发", "220521").adcode == "220500"  # 通化县 cites its city 通化市


def test_township_naming_only_itself() -> None:
    i = facts_of("戴窑镇人民政府2019年政府信息公开工作年度报告\n本报告电子版可在兴化市人民政府门户网站下载。").identity
    assert (i.region_code, i.level, i.body) == ("321281", "township", "government")


def test_vertical_agency_branch_reports_for_its_region() -> None:
    i = facts_of("国家税务总局江苏省税务局2019年政府信息公开工作年度报告").identity
    assert (i.region_code, i.level, i.body) == ("320000", "province", "department")


def test_organ_name_before_its_code() -> None:
    from kg.extract.docnumbers import find_numbers

    assert [n.canonical for n in find_numbers("江苏省政府办公厅苏政办发〔2017〕64号")] == ["苏政办发〔2017〕64号"]
    assert resolve_issuer("人社部发", "320000").level == "national"
    assert resolve_issuer("环办", "320000").adcode == "100000"


@pytest.mark.parametrize(
    ("sentence", "want"),
    [
        ("全年收到政府信息公开申请三件,办结三件。", {"requests_received": 3, "requests_completed": 3}),
        ("本年度政府信息公开申请共计12件。", {"requests_received": 12}),
        ("因政府信息公开引起的行政复议、行政诉讼均为零。", {"reconsiderations": 0, "lawsuits": 0}),
        ("政务微博发布信息900条。全年主动公开政府信息4500条。", {"info_disclosed_total": 4500}),
        ("全年发布解读材料十二篇。", {"policy_interpretations": 12}),
        ("全区主动公开政府信息3.5万条。", {"info_disclosed_total": 35000}),
    ],
)
def test_prose_figures(sentence: str, want: dict[str, float]) -> None:
    got = {s.key: s.value for s in facts_of("某县2019年政府信息公开工作年度报告\n" + sentence).statistics}
    assert got == want


def test_account_named_in_book_title_marks() -> None:
    facts = facts_of("某市2019年政府信息公开工作年度报告\n通过《掌上某市》客户端和“某市发布”微信公众号发布信息。")
    assert {(p.type, p.name) for p in facts.platforms if p.name} == {("app", "掌上某市"), ("wechat", "某市发布")}


def test_review_row_without_its_header_labels() -> None:
    text = (
        "某市2025年政府信息公开工作年度报告\n四、政府信息公开行政复议、行政诉讼情况\n行政复议行政诉讼\n"
        "| 119 | 25 | 91 | 24 | 259 | 7 | 0 | 15 | 6 | 28 | 21 | 1 | 7 | 9 | 38 |\n五、存在的主要问题及改进情况"
    )
    got = {s.key: s.value for s in facts_of(text).statistics}
    assert got == {"reconsiderations": 259, "lawsuits": 66}


def test_short_title_of_a_numbered_document_is_that_document() -> None:
    text = (
        "某市2017年政府信息公开工作年度报告\n落实《省政府办公厅关于印发江苏省2017年政务公开工作要点的通知》(苏政办发〔2017〕64号)。"
        "根据《江苏省2017年政务公开工作要点的通知》要求,出台《某市政务公开实施方案》。"
    )
    cits = facts_of(text).citations
    assert [(c.number, c.title) for c in cits] == [
        ("苏政办发〔2017〕64号", "省政府办公厅关于印发江苏省2017年政务公开工作要点的通知"),
        (None, "某市政务公开实施方案"),
    ]


@pytest.mark.parametrize(
    ("county", "code"),
    [("乾县", "610424"), ("和县", "340523"), ("和政县", "622925"), ("将乐县", "350428")],
)
def test_county_whose_name_looks_like_a_word_or_a_traditional_character(county: str, code: str) -> None:
    """乾 is also the traditional form of 干; 和 and 将 are also words: the report and its own 文号 keep them."""
    text = (
        f"{county}人民政府2019年政府信息公开工作年度报告\n\n根据《{county}人民政府办公室关于印发〈{county}2019年"
        f"政务公开工作要点〉的通知》（{county[0]}政办发〔2019〕5号）要求，编制本报告。"
    )
    facts = extract_facts(normalize(text).norm)
    assert facts.identity.region_code == code
    (citation,) = facts.citations
    assert citation.number == f"{county[0]}政办发〔2019〕5号"
    assert citation.issuer is not None and citation.issuer.adcode == code


@pytest.mark.parametrize(
    ("text", "code", "level", "body"),
    [
        ("关于昭苏县2020年政府信息公开工作的年度报告\n昭苏县人民政府办公室", "654026", "county", "government"),
        ("关于犍为县2016年政府信息公开工作的年度报告\n犍为县人民政府办公室", "511123", "county", "government"),
        # untitled pages: the page's source line, or who compiled the report
        (
            "2018年度政府信息公开工作年度报告\n\n来源：永济市人民政府  发布时间：2019-03-30\n\n根据《中华人民共和国"
            "政府信息公开条例》，编制本报告。",
            "140881",
            "county",
            "government",
        ),
        (
            "政府信息公开工作年度报告\n\n根据《中华人民共和国政府信息公开条例》规定，涿州市人民政府办公室编制了"
            "2019年政府信息公开工作年度报告。",
            "130681",
            "county",
            "government",
        ),
    ],
)
def test_titles_with_guanyu_and_untitled_pages(text: str, code: str, level: str, body: str) -> None:
    ident = extract_facts(normalize(text).norm).identity
    assert (ident.region_code, ident.level, ident.body) == (code, level, body)


@pytest.mark.parametrize(
    ("sentence", "types"),
    [
        ("通过《某某县人民政府公报》刊登规范性文件12件。", {"gazette"}),  # a 公报 is not a newspaper
        ("全年共发行《某某政报》12期，刊登规范性文件30件。", {"gazette"}),  # nor is a city's 政报
        ("《本年报》中所列数据的统计期限自2019年1月1日起至12月31日止。", set()),  # the report itself
        ("在《某某日报》开设政策解读专栏。", {"mass_media"}),
        ("县融媒体中心开设专栏进行政策解读。", {"mass_media"}),
        ("依托“两微一端”发布政策解读。", {"wechat", "weibo", "app"}),
        ("在村务公开栏和电子显示屏公开惠民资金发放情况。", {"bulletin_board"}),
        ("在县档案馆、图书馆设立政府信息公开查阅点。", {"reading_room"}),
        ("二是公共查阅服务中心。位于区行政许可服务中心一楼。", {"reading_room"}),
        ("如有疑问，请联系县政府办公室（电话：0851-12345678）。", set()),  # 12345 inside a telephone number
        ("开通12345政务服务便民热线。", {"hotline"}),
    ],
)
def test_platform_types_of_single_sentences(sentence: str, types: set[str]) -> None:
    facts = extract_facts(normalize("某某县人民政府2019年政府信息公开工作年度报告\n\n" + sentence).norm)
    assert {p.type for p in facts.platforms} == types


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("收到公民、法人或其他组织提出的政府信息公开申请8件。", {"requests_received": 8.0}),
        ("本年度新收政府信息公开申请56件。", {"requests_received": 56.0}),
        ("共接到政府信息公开申请56件。", {"requests_received": 56.0}),
        ("政府信息公开申请数量为56件。", {"requests_received": 56.0}),
        ("全年受理信息公开申请56宗。", {"requests_received": 56.0}),
        ("收到申请后，工作人员在5个工作日内答复。", {}),
        ("全年共办结依申请公开事项48件。", {"requests_completed": 48.0}),
        ("2019年共依申请公开政府信息17条。", {}),  # disclosed on request: not the proactive total
        ("2019年，全县共主动公开政府信息12345条。", {"info_disclosed_total": 12345.0}),
        ("全年主动公开政府信息总数为3456条。", {"info_disclosed_total": 3456.0}),
        ("主动公开政府信息累计3456条。", {"info_disclosed_total": 3456.0}),  # the year's, not since the start
        ("截至2019年底，累计主动公开政府信息3456条。", {}),  # since the start: not the year's figure
    ],
)
def test_statistics_of_single_sentences(sentence: str, expected: dict[str, float]) -> None:
    facts = extract_facts(normalize("某某县人民政府2019年政府信息公开工作年度报告\n\n" + sentence).norm)
    assert {s.key: s.value for s in facts.statistics} == expected


def test_initiatives_of_the_wider_scheme() -> None:
    text = "深入推进接诉即办和“只进一扇门”改革，落实马上办网上办就近办一次办，开展政府开放日活动，推行林长制。"
    facts = extract_facts(normalize("某某县人民政府2019年政府信息公开工作年度报告\n\n" + text).norm)
    assert {i.notation for i in facts.initiatives} >= {
        "jiesu-jiban", "zhijin-yishanmen", "mashangban", "open-day", "linzhangzhi"
    }  # fmt: skip


@pytest.mark.parametrize(
    "head",
    [
        "淮北市烈\n山区人民政府2017年政府信息公开年度报告",  # broken inside the name
        "淮北市烈山区人民政府\n2017年政府信息公开年度报告",
        "政府信息公开\n淮北市烈山区人民政府2017年政府信息公开年度报告",  # a line before the title is not its name
        "信息公开年报\n\n淮北市烈山区\n人民政府2017年政府信息公开年度报告",
    ],
)
def test_titles_broken_over_lines(head: str) -> None:
    facts = extract_facts(normalize(head + "\n\n根据《中华人民共和国政府信息公开条例》，编制本报告。").norm)
    ident = facts.identity
    assert (ident.region_code, ident.year, ident.body) == ("340604", 2017, "government")
    assert ident.title == "淮北市烈山区人民政府2017年政府信息公开年度报告"
    start, end = ident.spans["region"]
    assert re.sub(r"\s+", "", normalize(head).norm[start:end]) in ("淮北市烈山区人民政府", "淮北市烈山区")


@pytest.mark.parametrize(
    ("page", "published"),
    [
        ("【发布日期】2019-03-29\n", "2019-03-29"),
        ("成文日期：2019-03-28  发布日期：2019-03-29\n", "2019-03-29"),  # published, not written
        ("[ 2019-03-29 ]\n正文", "2019-03-29"),
        ("作者：办公室 2019-03-29 16:40:12 来源：本站\n", "2019-03-29"),
        ("截至2019-03-29 止，共公开信息12条。", None),  # a date in a sentence is not the page's
    ],
)
def test_publication_dates_as_pages_print_them(page: str, published: str | None) -> None:
    text = "某某县人民政府2018年政府信息公开工作年度报告\n" + page
    assert extract_facts(normalize(text).norm).identity.published == published


@pytest.mark.parametrize(
    ("sentence", "portals"),
    [
        ("“某某县人民政府”门户网站全年发布信息。", [("某某县人民政府", None)]),
        ("在中国某某网(http://mmx.gov.cn)发布。", [("中国某某网", "mmx.gov.cn")]),
        ("转载自新华网（www.xinhuanet.com）。", []),  # a news site, not the government's portal
    ],
)
def test_named_portals(sentence: str, portals: list[tuple[str, str | None]]) -> None:
    facts = extract_facts(normalize("某某县人民政府2019年政府信息公开工作年度报告\n\n" + sentence).norm)
    assert [(p.name, p.url) for p in facts.platforms if p.type == "portal"] == portals


@pytest.mark.parametrize(
    ("sentence", "accounts"),
    [
        # an unquoted name opening a clause of counts: the account of that name
        ("通知公告19条，人事信息3条，某某新韵微信公众号发布信息224条。", [("wechat", "某某新韵")]),
        ("重大民生信息410某某政府网微信公众号推送信息1363微博发布信息1155", [("wechat", "某某政府网")]),
        ("某某发布政务微博共发布信息560条。", [("weibo", "某某发布")]),
        # the clause's own words, a provider, or no count: no name
        ("2016年通过微信公众号发布信息1300多条。", []),
        ("新浪微博共发布信息3660条，关注人数13万人。", []),
        ("本局微信公众号发布信息36条。", []),
        ("某某新韵微信公众号正在建设中。", []),
    ],
)
def test_accounts_named_in_counts(sentence: str, accounts: list[tuple[str, str]]) -> None:
    facts = extract_facts(normalize("某某县人民政府2019年政府信息公开工作年度报告\n\n" + sentence).norm)
    found = [(p.type, p.name) for p in facts.platforms if p.type in ("wechat", "weibo", "app") and p.name]
    assert found == accounts


# the title pattern tried only where a match can start (kg.extract.identity._title_matches): the same matches as
# the pattern's own finditer, on texts of titles (broken by spaces, line breaks and pipes) among other text
_FILLER = ["兴化市", "人民政府", "关于", "2016", "1998", "年", "度", "的", "公开", "报告", "·", "（", "）", "(", " ",
           "\n", "\t", "|", "\u3000", "本级", "12", "20", "x", "。"]  # fmt: skip
_TITLES = ["兴化市人民政府2016年政府信息公开工作年度报告", "关于昭苏县2020年政府信息公开工作的年度报告",
           "2018年黄石市政务公开工作年度报告", "国务院办公厅2019年度信息公开工作报告", "某镇1999年政府信息公开工作情况",
           "淮北市烈山区人民政府(本级)2021年度政府信息公开工作年度报告"]  # fmt: skip


@st.composite
def _title_text(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            title = draw(st.sampled_from(_TITLES))
            cut = draw(st.lists(st.tuples(st.integers(0, len(title)), st.sampled_from([" ", "\n", " | ", "\n\t"])), max_size=3))
            for at, sep in sorted(cut, reverse=True):
                title = title[:at] + sep + title[at:]
            parts.append(title)
        else:
            parts += draw(st.lists(st.sampled_from(_FILLER), max_size=12))
    return "".join(parts)


@settings(max_examples=500, deadline=None)
@given(_title_text())
def test_title_matches_are_the_patterns_own(text: str) -> None:
    from kg.extract.identity import TITLE_RE, _title_matches

    expected = [(m.span(), m.groupdict()) for m in TITLE_RE.finditer(text)]
    assert [(m.span(), m.groupdict()) for m in _title_matches(text)] == expected


# the portal and …网 patterns tried only near a 网 with its word and tail (kg.extract.anchored.matches_near): the
# same matches as the patterns' own finditer, on texts of site names (quoted or not, up to 20 Han characters before
# the word), separators and addresses among other text
_SITE_HAN = "某县人民政府中国兴化门户务·网站"
_SITE_WORDS = ["门户网站", "门户网", "政府网站", "网站", "政府网", "政务网", "网", "网站网"]
_SITE_NOISE = ["", "·", "“", "”", "\"", "(", "（", "：", ":", " ", "\n", "@", "。", "在", "访问", "12", "x"]
_SITE_URLS = ["www.xinghua.gov.cn", "http://mmx.gov.cn/info", "www . lyg . gov . cn", "xinhuanet.com", "www.", "a.b"]
_SITE_LENGTHS = st.integers(0, 22) | st.sampled_from([18, 19, 20, 21])  # names near the patterns' limits, often


@st.composite
def _site_text(draw: st.DrawFn) -> str:
    han = lambda n, chars=_SITE_HAN[:-2]: "".join(draw(st.lists(st.sampled_from(chars), min_size=n, max_size=n)))  # noqa: E731
    quote = lambda: "“" + han(draw(_SITE_LENGTHS), _SITE_HAN) + "”" if draw(st.booleans()) else ""  # noqa: E731
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        parts += [draw(st.sampled_from(_SITE_NOISE)), quote(), han(draw(_SITE_LENGTHS)), draw(st.sampled_from(_SITE_WORDS)),
                  draw(st.sampled_from(["", "”", "\""])), quote(), draw(st.sampled_from(["", " ", "（", "(", "：", " : ", "\n"])),
                  draw(st.sampled_from(_SITE_URLS)), draw(st.sampled_from(_SITE_NOISE))]  # fmt: skip
    return "".join(parts)


@settings(max_examples=1000, deadline=None)
@given(_site_text())
def test_site_matches_are_the_patterns_own(text: str) -> None:
    from kg.extract import platforms as p
    from kg.extract.anchored import matches_near

    for rx, tail, words, reach in (
        (p._PORTAL_URL, p._PORTAL_TAIL_RX, p._portal_words, p._PORTAL_REACH),
        (p._NET_URL, p._NET_TAIL_RX, p._net_words, p._NET_REACH),
    ):
        expected = [(m.span(), m.groups()) for m in rx.finditer(text)]
        assert [(m.span(), m.groups()) for m in matches_near(text, rx, "网", tail, words, reach)] == expected


# the portal pattern of the identity, searched only from a quoted portal or near a 网 with a named portal around it
# (kg.extract.identity._portal_matches): the same matches as the pattern's own finditer, on texts of portal names
_PORTAL_WORDS = ["人民政府网站", "政府门户网", "政府网格", "政府网", "政务公开网", "政府信息公开网", "政务网", "门户网站",
                 "网站", "门户网", "政府网站", "网", "网站格"]  # fmt: skip


@st.composite
def _portal_text(draw: st.DrawFn) -> str:
    han = lambda n: "".join(draw(st.lists(st.sampled_from(_SITE_HAN[:-2]), min_size=n, max_size=n)))  # noqa: E731
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        quoted = draw(st.booleans())
        noise = st.just("") | st.sampled_from(_SITE_NOISE)  # portals side by side, often
        parts += [draw(noise), "“" if quoted else "", han(draw(_SITE_LENGTHS)),
                  draw(st.sampled_from(["”", "\"", "” ", "”\n ", "”" + " " * 30])) if quoted else "",
                  draw(st.sampled_from(_PORTAL_WORDS)), draw(noise)]  # fmt: skip
    return "".join(parts)


@settings(max_examples=1000, deadline=None)
@given(_portal_text())
@example("“某县”网站“兴化”网站")  # a quoted portal right where the last match ends
def test_identity_portal_matches_are_the_patterns_own(text: str) -> None:
    from kg.extract.identity import _PORTAL, _portal_matches

    assert [(m.span(), m.groups()) for m in _portal_matches(text)] == [(m.span(), m.groups()) for m in _PORTAL.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.text("ab工作", max_size=30), st.text("ab工作", min_size=1, max_size=4))
def test_word_occurrences_are_the_words_own_matches(text: str, word: str) -> None:
    from kg.extract.initiatives import _occurrences

    assert list(_occurrences(text, word)) == [m.start() for m in re.finditer(re.escape(word), text)]
