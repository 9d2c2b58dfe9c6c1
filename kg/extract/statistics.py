"""Yearly figures: the canonical indicators, from the national template tables (flattened) and from prose.

Table rows of the 2008–2018 template (``(一)收到申请数`` then ``337`` on the next line or cell) and of the
2019/2021 templates (``本年新收政府信息公开申请数量`` … ``总计``) take precedence; prose figures
(``主动公开政府信息106144条``, ``受理依申请公开53件``) fill the rest. The first figure of a kind is taken: reports
give the whole area's figure before its parts (全市…, 其中市本级…). Cumulative figures (截至…累计) and single-channel
counts (通过政府网站公开…) are not the year's total. 余/多/近/约 mark a figure approximate.
"""

from __future__ import annotations

import re

from kg.extract.facts import Identity, Statistic

# a figure: digits (3,000 / 3.5万 / 20余万) or a small number in Chinese numerals (三件, 十二次)
_NUM = (
    r"(?P<num>\d[\d,]*(?:\.\d+)?|[零一二两三四五六七八九十]{1,3}(?=[件起次场篇条项个宗]))"
    r"\s*(?P<a1>余|多)?\s*(?P<wan>万)?\s*(?P<a2>余|多)?"
)
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_APPROX_BEFORE = re.compile(r"(?:近|约|大约|超过)\s*$")

# table labels of the national templates → indicator (value on the same row or the next line)
_TABLE_ROWS: list[tuple[str, re.Pattern[str]]] = [
    ("info_disclosed_total", re.compile(r"主动公开政府信息数")),
    (
        "requests_received",
        re.compile(r"(?:^|[\s(（)）一二三四五六七八九十、.])(?:收到申请数|本年新收政府信息公开申请数量)"),
    ),
    ("requests_completed", re.compile(r"申请办结数")),
    ("reconsiderations", re.compile(r"行政复议数量")),
    ("lawsuits", re.compile(r"行政诉讼数量")),
    ("press_conferences", re.compile(r"参加或举办新闻发布会总次数")),
    ("policy_interpretations", re.compile(r"政策解读稿件发布数")),
]
_ROW_VALUE = re.compile(r"^[\s|:：]*(?:\([^)\n]*\)|（[^）\n]*）)?[\s|]*(?:万元\s*)?(\d[\d,]*)\s*(?:\n|\||$)")

_CLAUSE_END = "。;；\n"
_PROSE: list[tuple[str, re.Pattern[str]]] = [
    (
        "info_disclosed_total",
        re.compile(
            # 依申请公开政府信息17条 is disclosed on request, not the year's proactive total
            r"(?:主动公开|发布|(?<!依申请)公开)(?:各类|各项)?(?:政府|政务)?信息(?:总数|总量|数量|数)?(?:共计|总计|共|合计|累计)?"
            r"(?:为|达到|达)?(?:约|近|超过)?\s*" + _NUM + r"\s*(?:条|件)"
        ),
    ),
    (
        "requests_received",
        re.compile(
            r"(?:收到|受理|接收|接到|新收)[^。;；\n\d]{0,24}?(?:申请|依申请公开)(?:件|事项)?(?:共计|共|总计)?\s*"
            + _NUM
            + r"\s*(?:件|项|条|个|宗|份)"
        ),
    ),
    (
        "requests_received",
        re.compile(r"(?:收到|受理)\s*" + _NUM + r"\s*(?:件|项)(?:依申请公开|政府信息公开申请|信息公开申请)"),
    ),
    (
        "requests_received",
        re.compile(
            r"(?:政府信息公开|依申请公开|信息公开)申请(?:数量|数|总数)?(?:共计|总计|合计|共|为)\s*"
            + _NUM
            + r"\s*(?:件|项|宗|份)"
        ),
    ),
    (
        "requests_completed",
        re.compile(
            r"(?:办结|完成答复|答复办结)(?:依申请公开(?:事项|申请)?|政府信息公开申请|申请)?(?:共计|共)?\s*"
            + _NUM
            + r"\s*件"
        ),
    ),
    (
        "reconsiderations",
        re.compile(r"行政复议(?:申请|案件)?(?:共|共计)?\s*" + _NUM + r"\s*(?:件|起|宗|次)"),
    ),
    ("lawsuits", re.compile(r"行政诉讼(?:案件)?(?:共|共计)?\s*" + _NUM + r"\s*(?:件|起|宗|次)")),
    (
        "press_conferences",
        re.compile(r"新闻发布会(?:共|共计)?\s*" + _NUM + r"\s*(?:次|场)(?!次)"),
    ),
    (
        "policy_interpretations",
        re.compile(r"(?:政策解读|解读)(?:稿件|信息|材料|文章)?(?:共|共计)?\s*" + _NUM + r"\s*(?:篇|件|条|期)"),
    ),
]
_CUMULATIVE = re.compile(r"截至|截止|以来|累计[^。]{0,6}(?:至今|以来)")
# one channel's count (通过政府网站公开…, 政务微博发布信息…), not the year's total across channels
_ONE_CHANNEL = re.compile(
    r"(?:网站|微博|微信|公众号|公报|新媒体|客户端|平台|专栏|栏目)[^。,，;；等、]{0,8}(?:主动)?(?:公开|发布|推送)[^。,，;；等、]{0,8}$"
)
_ZERO = re.compile(
    r"(?:行政复议|行政诉讼)(?:[、和及与]?(?:行政复议|行政诉讼))?[^。\d]{0,12}?(?:均为|都为|为|均是)\s*(?:0|零)"
)
_NONE = re.compile(r"(?:未发生|没有发生|无|未出现|没有|未收到|未有)[^。]{0,30}?(?:行政复议|行政诉讼)[^。\d]{0,20}")


def _value(num: str, wan: str | None) -> float:
    if num[0] in _CN_DIGITS or num[0] == "十":
        v = float(_cn_small(num))
    else:
        v = float(num.replace(",", ""))
    return v * 10000 if wan else v


def _cn_small(s: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 三十五 → 35."""
    if "十" not in s:
        return _CN_DIGITS[s[-1]]
    tens, _, units = s.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


_INT = re.compile(r"\d[\d,]*")
_NEW_REQUESTS = re.compile(r"本年新收政府信息公开申请数量")
_RESULTS_TOTAL = re.compile(r"本年度办理结果[\s\S]{0,3000}?[(（]七[)）]\s*总计")
_ROW15 = re.compile(r"(?<![\d.])(?:\d+[ \t|\n]+){14}\d+(?![\d.])")
_REVIEW_SECTION = re.compile(r"政府信息公开行政复议[、和及]?行政诉讼情况")


def _row_numbers(norm: str, start: int, count: int) -> list[tuple[int, int, int]]:
    """The integers of a flattened table row that starts at ``start`` (value, start, end), up to ``count``."""
    out: list[tuple[int, int, int]] = []
    for m in _INT.finditer(norm, start):
        between = norm[out[-1][2] if out else start : m.start()]
        if re.search(r"[\u4e00-\u9fff]", between):  # the next row's label
            break
        out.append((int(m.group(0).replace(",", "")), m.start(), m.end()))
        if len(out) == count:
            break
    return out


def _national_tables(norm: str, found: dict[str, Statistic]) -> None:
    """2019/2021 template: 新收 row (its 总计 is the last of 7 cells), 办理结果 (七)总计, the 15-cell review row."""
    if m := _NEW_REQUESTS.search(norm):
        cells = _row_numbers(norm, m.end(), 7)
        if len(cells) == 7:
            v, s, e = cells[-1]
            found.setdefault("requests_received", Statistic("requests_received", float(v), False, (s, e)))
    if m := _RESULTS_TOTAL.search(norm):
        cells = _row_numbers(norm, m.end(), 7)
        if len(cells) == 7:
            v, s, e = cells[-1]
            found.setdefault("requests_completed", Statistic("requests_completed", float(v), False, (s, e)))
    if m := _REVIEW_SECTION.search(norm):
        # the first row of 15 cells after the heading (header labels may be there, or dropped by the scraper)
        if row := _ROW15.search(norm, m.end(), m.end() + 1500):
            cells = [(int(c.group(0)), c.start(), c.end()) for c in _INT.finditer(norm, row.start(), row.end())]
            rv, rs, re_ = cells[4]
            found.setdefault("reconsiderations", Statistic("reconsiderations", float(rv), False, (rs, re_)))
            lawsuits = cells[9][0] + cells[14][0]
            found.setdefault("lawsuits", Statistic("lawsuits", float(lawsuits), False, (cells[5][1], cells[14][2])))


def extract_statistics(norm: str, identity: Identity) -> list[Statistic]:
    found: dict[str, Statistic] = {}
    _national_tables(norm, found)
    for key, rx in _TABLE_ROWS:
        for m in rx.finditer(norm):
            after = norm[m.end() : m.end() + 80]
            vm = _ROW_VALUE.match(after)
            if vm:
                s = m.end() + vm.start(1)
                found.setdefault(
                    key, Statistic(key, float(vm.group(1).replace(",", "")), False, (s, m.end() + vm.end(1)))
                )
                break
    for key, rx in _PROSE:
        if key in found:
            continue
        for m in rx.finditer(norm):
            clause_start = max(norm.rfind(c, 0, m.start()) for c in _CLAUSE_END) + 1
            clause = norm[clause_start : m.end()]
            before = norm[clause_start : m.start("num")]
            if key == "info_disclosed_total" and (_CUMULATIVE.search(clause) or _ONE_CHANNEL.search(before)):
                continue
            if key in ("reconsiderations", "lawsuits") and "举报" in norm[m.start() : m.start("num")]:
                continue
            approx = bool(m.group("a1") or m.group("a2")) or bool(
                _APPROX_BEFORE.search(norm[max(0, m.start("num") - 3) : m.start("num")])
            )
            value = _value(m.group("num"), m.group("wan"))
            found[key] = Statistic(key, value, approx, (m.start("num"), m.end()))
            break
    for m in _ZERO.finditer(norm):
        for key, word in (("reconsiderations", "行政复议"), ("lawsuits", "行政诉讼")):
            if key not in found and word in m.group(0):
                found[key] = Statistic(key, 0.0, False, m.span())
    for m in _NONE.finditer(norm):
        for key, word in (("reconsiderations", "行政复议"), ("lawsuits", "行政诉讼")):
            if key not in found and word in m.group(0):
                found[key] = Statistic(key, 0.0, False, m.span())
    return [found[k] for k in sorted(found)]
