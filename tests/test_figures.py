"""Figures that are never wrong, and initiatives that are named as such: one test per rule, on sentences written
for the tests."""

from __future__ import annotations

import pytest

from kg.extract.report import extract_facts
from kg.extract.statistics import CANONICAL, _prose
from kg.resolve.vocab import labels
from kg.text import normalize

GOVERNMENT = "某某县人民政府2019年政府信息公开工作年度报告\n\n"
DEPARTMENT = "宜兴市教育局2019年政府信息公开工作年度报告\n\n"


def figures(text: str, head: str = GOVERNMENT) -> dict[str, float]:
    return {s.key: s.value for s in extract_facts(normalize(head + text).norm).statistics}


def test_indicator_phrases_are_the_concepts_hidden_labels() -> None:
    words = labels("indicator", ("hiddenLabel",))
    for key, rx in _prose():
        assert key in CANONICAL and words[key], key
        for phrase in words[key]:  # every hidden label is part of its indicator's pattern
            assert phrase.replace("…", "").replace("#", "")[:2] in rx.pattern, (key, phrase)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # zeros said in words
        ("全年未收到政府信息公开申请。", {"requests_received": 0.0}),
        ("本年度没有收到要求公开政府信息的申请。", {"requests_received": 0.0}),
        ("全年未收到有关投诉、举报和复议、诉讼请求。", {"reconsiderations": 0.0, "lawsuits": 0.0}),
        ("全年无政府信息公开行政复议、诉讼和申诉情况。", {"reconsiderations": 0.0, "lawsuits": 0.0}),
        ("未收到因政府信息公开申请提起的行政复议。", {"reconsiderations": 0.0}),  # not a request count
        # a figure written before its noun
        ("本年度共举办15次新闻发布会。", {"press_conferences": 15.0}),
        ("2019年，我局收到2项依申请公开事项。", {"requests_received": 2.0}),
        ("全年接受办理政府信息公开申请62件。", {"requests_received": 62.0}),
        ("全年办理答复政府信息公开申请 7 件。", {"requests_completed": 7.0}),
        # a reconsideration request is not a disclosure request
        ("共收到有关政府信息公开的行政复议申请4件。", {"reconsiderations": 4.0}),
    ],
)
def test_prose_figures_and_zeros(sentence: str, expected: dict[str, float]) -> None:
    assert figures(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # parts of a figure, categories, a lower tier's figure
        ("全年共发布政策解读96件，其中图解31件。", {"policy_interpretations": 96.0}),
        ("发布政策文件34件，配套政策解读35件、媒体解读政策文件97件、部门解读政策文件23件。", {}),
        ("发布信息300条，其中工作动态91条，法规文件及解读7条。", {}),
        ("全县主动公开政府信息500条，其中：财政公开信息8条。", {"info_disclosed_total": 500.0}),
        ("县直单位主动公开信息1.2万条；各乡镇主动公开信息3万条。", {}),
        ("全年受理行政复议12件；其中县本级受理行政复议9件。", {"reconsiderations": 12.0}),
        # the same indicator given twice with different values: neither
        ("受理依申请公开办件1件。今年共受理依申请公开2件。", {}),
        # the running total since the start, after the year's
        ("全区主动公开政府信息1952件，累计公开政府信息8479件。", {"info_disclosed_total": 1952.0}),
        # one office's figure in a government's report
        ("县政府办公室组织新闻发布会2场。", {}),
    ],
)
def test_parts_categories_and_conflicts_are_not_the_indicator(sentence: str, expected: dict[str, float]) -> None:
    assert figures(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "head", "expected"),
    [
        # what one channel published is not the year's proactive disclosure
        ("县政府门户网站、微信公众号发布各类信息2.96万条。", GOVERNMENT, {}),
        ("(一)政府门户网站。全年发布政府信息1万多条，公开平台公开信息1897条。", GOVERNMENT, {}),
        ("共发行《某某政报》12期，发布政府信息662条。", GOVERNMENT, {}),
        # disclosed through several channels: the total
        (
            "通过门户网站及政务新媒体主动公开907条，其中通过政府网站公开86条。",
            GOVERNMENT,
            {"info_disclosed_total": 907.0},
        ),
        ("通过政府网站、信息查阅场所等公开信息3582条。", GOVERNMENT, {"info_disclosed_total": 3582.0}),
        # one portal's count: the total for a department, not for a government
        ("通过局政府网站主动公开各类信息578条。", DEPARTMENT, {"info_disclosed_total": 578.0}),
        ("本年度通过政府网站主动公开信息4109条。", GOVERNMENT, {}),
        ("通过局网站主动公开信息57条，微信公众号推送信息130条。", DEPARTMENT, {}),
    ],
)
def test_channel_counts(sentence: str, head: str, expected: dict[str, float]) -> None:
    assert figures(sentence, head) == expected


def initiatives(text: str) -> set[tuple[str | None, str]]:
    return {(i.notation, i.label) for i in extract_facts(normalize(GOVERNMENT + text).norm).initiatives}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a field of work named in passing is not an initiative; named as an undertaking, it is
        ("持续深化重点领域信息公开，不断优化公开平台。", set()),
        ("将重点领域政府信息公开工作纳入年度考核。", {("key-areas", "重点领域政府信息公开")}),
        ("一、做好重点领域信息公开工作\n（一）推进财政信息公开", set()),  # a section heading
        ("市直部门“权力清单”“责任清单”已全部公布。", {("quanli-qingdan", "权力清单"), ("zeren-qingdan", "责任清单")}),
        ("全面推行权力清单、责任清单公开。", set()),
        # once per concept, where the report uses its own label
        ("推进决策、执行、管理、服务、结果公开（以下简称“五公开”）。", {("wugongkai", "五公开")}),
        # a quoted name with the word for a working method is a candidate
        ("实行“周巡查、季通报”制度，每周开展网上巡查。", {(None, "周巡查、季通报")}),
        ("坚持“谁公开、谁审查、谁负责”的原则。", set()),  # a review principle
        # a quoted list reform, and a quoted numbered formula the report spells out, are candidates
        ("市级“程序清单”已全部上网公布。", {(None, "程序清单")}),
        ("推进“证明清单”改革。", {(None, "证明清单改革")}),  # one mention, one candidate
        ("做到了“四个落实”，即落实责任机构、落实责任人员。", {(None, "四个落实")}),
        ("增强“四个意识”，即政治意识、大局意识。", set()),  # a political formula
        ("提高“三公”经费公开的质量。", set()),  # a numbered word, not spelled out as a formula
    ],
)
def test_initiatives_named_as_such(sentence: str, expected: set[tuple[str | None, str]]) -> None:
    assert initiatives(sentence) == expected
