"""Resolution: who reports, from the evidence a report gives when no title line says so; codes only from GB/T 2260.

Every text here is written for the tests: each sentence shows one way reports say who wrote them.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.extract.report import extract_facts
from kg.resolve.hosts import host_regions
from kg.resolve.identity import Evidence, attribute
from kg.resolve.issuers import province_of_code, resolve_issuer
from kg.resolve.regions import gazetteer, is_division_code
from kg.text import normalize

BODY = "\n一、总体情况\n（一）主动公开\n全年主动公开政府信息120条。\n"


def identity_of(text: str, url: str | None = None):  # type: ignore[no-untyped-def]
    return extract_facts(normalize(text).norm, url=url).identity


@pytest.mark.parametrize(
    ("text", "code", "level", "body", "kind"),
    [
        # the opening sentence names the reporting government, or a department of it
        ("一、概述\n2016年，宜兴市按照省政府的部署，扎实推进政务公开。", "320282", "county", "government", "opening"),
        ("一、总体情况\n2023年，江西省统计局坚持以人民为中心。", "360000", "province", "department", "opening"),
        # who compiled the report, written over a line break as PDFs print it
        ("本报告由徐州市自然资源和\n规划局编制。" + BODY, "320300", "city", "department", "compiler"),
        # the page's publisher field
        ("发布机构：铜山区人民政府  发布日期：2021-01-20\n" + BODY, "320312", "county", "government", "publisher"),
        # breadcrumbs of the page
        ("您当前的位置：首页 > 鼓楼区人民政府 > 信息公开年报\n" + BODY, None, None, "government", "breadcrumb"),
        # the portal's name and an account named for the region
        ("通过宜兴市政务公开网发布信息，开设“今日宜兴”微信公众号。" + BODY, "320282", "county", "government", "portal"),
        # a heading line naming the body, without a year
        (
            "宜兴市交通运输局\n现公布区2020年政府信息公开工作年度报告。" + BODY,
            "320282",
            "county",
            "department",
            "heading",
        ),
    ],
)
def test_who_reports_without_a_title(text: str, code: str | None, level: str | None, body: str, kind: str) -> None:
    ident = identity_of(text)
    assert (ident.region_code, ident.level, ident.body) == (code, level, body)
    if code:
        assert ident.evidence[0].kind == kind and ident.evidence[0].code == code
        start, end = ident.evidence[0].span
        assert normalize(text).norm[start:end].replace("\n", "") == ident.evidence[0].value


def test_breadcrumb_name_shared_by_several_regions_is_decided_by_the_province_named() -> None:
    text = "您当前的位置：首页 > 鼓楼区人民政府 > 信息公开年报\n根据《江苏省政府信息公开规定》，南京市……" + BODY
    ident = identity_of(text)
    assert ident.region_code == "320106" and ident.evidence[0].kind == "breadcrumb"


def test_our_district_and_its_own_directive() -> None:
    text = "一、概述\n2018年，我区认真贯彻天津市的部署，制定了《2018年和平区政务公开工作安排》。" + BODY
    ident = identity_of(text)
    assert (ident.region_code, ident.level) == ("120101", "county")
    assert {e.kind for e in ident.evidence} == {"local_title", "our_region"}


def test_our_province_and_the_codes_of_its_directives() -> None:
    text = "一、概述\n我省认真落实《关于做好政务公开工作的通知》（苏政办发〔2019〕8号）。" + BODY
    ident = identity_of(text)
    assert (ident.region_code, ident.level) == ("320000", "province")
    assert province_of_code("苏政办发") == "320000" and province_of_code("国办发") is None


def test_a_department_below_the_region_its_title_names() -> None:
    # the title names the city and a district's bureau; who compiled it names the district
    text = "大同市区自然资源局2021年政府信息公开工作年度报告\n本报告由平城区自然资源局编制。" + BODY
    ident = identity_of(text)
    assert (ident.region_code, ident.level, ident.body) == ("140213", "county", "department")


def test_a_township_carries_its_county() -> None:
    text = "当前位置：首页 > 羊尖镇 > 年度报告\n羊尖镇2019年度政府信息公开工作报告\n现公开锡山区羊尖镇2019年度政府信息公开工作报告。"
    ident = identity_of(text + BODY)
    assert (ident.region_code, ident.level, ident.body) == ("320205", "township", "government")


def test_a_government_office_compiling_works_for_the_government() -> None:
    text = "本报告由孟津县政府办公室编制。" + BODY
    assert identity_of(text).body == "government"


def test_conflicting_evidence_gives_no_region() -> None:
    claims = [
        Evidence("opening", (0, 3), "宜兴市"),
        Evidence("compiler", (5, 8), "兰州市"),
        Evidence("portal", (9, 12), "兰州市"),
    ]
    att = attribute(claims, Counter())
    assert att.region_code is None and att.evidence == []
    assert {e.code for e in att.conflicting} == {"320282", "620100"}


def test_a_page_host_names_its_government() -> None:
    assert host_regions("http://www.lanzhou.gov.cn/art/2012/3/1/art_1.html") == ("lanzhou", ("620100",))
    assert host_regions("www.lyg.gov.cn") == ("lyg", ("320700",))
    assert host_regions("www.mirror-site.com/lanzhou") is None  # not a government host
    ident = identity_of("一、总体情况\n本年度共收到申请3件。", url="http://www.lanzhou.gov.cn/a.html")
    assert ident.region_code == "620100" and ident.evidence[0].kind == "url"


def test_index_number_that_starts_with_a_credit_code() -> None:
    ident = identity_of("索引号：11320282014163034H/2019-00012\n一、总体情况\n本年度共收到申请3件。")
    assert ident.region_code == "320282" and ident.evidence[0].kind == "index_number"


@pytest.mark.parametrize(
    ("text", "year", "kind"),
    [
        ("一、概述\n2014年，全市认真贯彻《条例》。", 2014, "opening"),
        ("2009年年报根据《条例》编制。\n一、概述\n全省各级政府重视政务公开。", 2009, "report_name"),
        ("本报告所列数据的统计期限自2017年1月1日起至2017年12月31日止。\n2018年，全县……", 2017, "period"),
    ],
)
def test_year_covered_without_a_title(text: str, year: int, kind: str) -> None:
    ident = identity_of(text)
    assert ident.year == year and ident.year_evidence is not None and ident.year_evidence.kind == kind


def test_codes_that_are_no_division_are_not_in_the_gazetteer() -> None:
    g = gazetteer()
    assert "719008" not in g and "710100" not in g and "810101" not in g  # subdivisions of 台湾, 香港
    assert "710000" in g and "810000" in g and "320205" in g
    assert "320576" not in g  # a development zone's code (data/not_divisions.csv)
    assert g.candidates("云林") == []
    ident = identity_of("云林街道2019年度政府信息公开工作报告" + BODY)
    assert ident.region_code is None  # a street office whose county the text never names


def test_citations_are_resolved_after_the_region_is_known() -> None:
    facts = extract_facts(normalize("一、概述\n2018年，兴化市按照《通知》（泰政办发〔2018〕3号）要求。" + BODY).norm)
    (c,) = [c for c in facts.citations if c.number]
    assert c.issuer_code == "泰政办发" and c.issuer is not None and c.issuer.adcode == "321200"
    assert resolve_issuer("泰政办发", None).adcode is None  # without a region: unknown, not a guess


_NAMES = sorted({r.name for r in gazetteer().current.values()} | {r.name for r in gazetteer().historical.values()})
_PIECES = st.sampled_from(
    [
        "人民政府", "办公室", "教育局", "街道", "镇", "我区", "我省", "由", "编制", "2019年，", "请与", "联系",
        "门户网站", "“今日", "”", "发布", "《", "》", "（苏政办发〔2019〕1号）", "当前位置：首页 > ", "\n", "，", "。",
        "云林", "和平区", "自治区", "来源：", "发布机构：", "索引号：11719008014163034H/2019-00012",
    ]
)  # fmt: skip


@given(st.lists(st.one_of(st.sampled_from(_NAMES), _PIECES), min_size=1, max_size=25), st.sampled_from(
    [None, "http://www.yunlin.gov.cn/a.html", "https://www.lanzhou.gov.cn/", "http://heping.gov.cn/x"]
))  # fmt: skip
@settings(max_examples=150, deadline=None)
def test_attribution_never_yields_a_code_outside_the_gazetteer(parts: list[str], url: str | None) -> None:
    facts = extract_facts(normalize("".join(parts)).norm, url=url)
    g = gazetteer()
    ident = facts.identity
    if ident.region_code is not None:
        assert ident.region_code in g and is_division_code(ident.region_code)
        assert all(e.code in g for e in ident.evidence if e.code)
    for c in facts.citations:
        if c.issuer and c.issuer.adcode:
            assert c.issuer.adcode in g


def test_page_og_title_names_the_reporter_when_the_body_does_not() -> None:
    from kg.html import html_to_text

    page = (
        '<html><head><meta property="og:title" content="宜兴市人民政府2018年政府信息公开工作年度报告">'
        '<link rel="canonical" href="http://www.yixing.gov.cn/a.html"></head>'
        "<body><p>一、总体情况</p><p>全年主动公开政府信息120条。</p></body></html>"
    )
    text, url = html_to_text(page)
    ident = identity_of(text, url=url)
    assert (ident.region_code, ident.year) == ("320282", 2018)
    assert {e.kind for e in ident.evidence} == {"title", "url"}


def test_no_province_or_city_name_ends_where_another_begins() -> None:
    """What lets ``count_mentions`` count all the names with one pattern (one name may hold another: 马鞍山市)."""
    from kg.resolve.names import _upper_regions

    names = {n for _, n in _upper_regions()}
    assert len(names) > 300
    assert not [(a, b) for a in names for b in names for k in range(1, min(len(a), len(b))) if a[-k:] == b[:k]]


_UPPER = ["马鞍山市", "鞍山市", "江苏省", "南京市", "吉林省", "吉林市", "海南省", "海南藏族自治州", "福州市", "鼓楼区"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_UPPER, "马", "山", "市", "省", "的", "\n"]), max_size=30).map("".join))
def test_mentions_are_each_names_own_count_in_the_order_of_codes(text: str) -> None:
    from kg.resolve.names import _upper_regions, count_mentions

    expected = Counter({c: n for c, name in _upper_regions() if (n := text.count(name))})
    assert list(count_mentions(text).items()) == list(expected.items())
