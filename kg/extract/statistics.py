"""Yearly figures: the canonical indicators, from the national template tables (flattened) and from prose.

Table rows of the 2008–2018 template (``(一)收到申请数`` then ``337`` on the next line or cell) and of the
2019/2021 templates (``本年新收政府信息公开申请数量`` … ``总计``) take precedence; prose figures
(``主动公开政府信息106144条``, ``受理依申请公开53件``) fill the rest. The first figure of a kind is taken: reports
give the whole area's figure before its parts (全市…, 其中市本级…). Cumulative figures (截至…累计) and single-channel
counts (通过政府网站公开…) are not the year's total. 余/多/近/约 mark a figure approximate.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.extract.facts import Identity, Statistic
from kg.resolve.vocab import labels

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
# what may stand between an indicator's phrase and its figure, and what a figure of it is counted in
_CONNECT = r"(?:办件|件|事项)?(?:总数|总量|数量|数)?(?:共计|总计|合计|累计|共)?(?:为|达到|达)?(?:约|近|超过)?\s*"
_GAP = r"[^。;；\n\d]{0,24}?"
_UNITS = {
    "info_disclosed_total": "条|件",
    "requests_received": "件|项|条|个|宗|份",
    "requests_completed": "件",
    "reconsiderations": "件|起|宗|次",
    "lawsuits": "件|起|宗|次",
    "press_conferences": "次|场",
    "policy_interpretations": "篇|件|条|期",
}
CANONICAL = tuple(_UNITS)


def _phrase_pattern(key: str, phrase: str) -> str:
    """An indicator's hidden label as a pattern: "…" a short gap in the clause, "#" the figure (else it follows)."""
    parts = [re.escape(p) for p in phrase.split("…")]
    body = _GAP.join(parts)
    if "\\#" in body or "#" in body:
        head, _, tail = body.replace("\\#", "#").partition("#")
        return head + r"\s*" + _NUM + r"\s*" + tail
    return body + _CONNECT + _NUM + rf"\s*(?:{_UNITS[key]})" + ("(?!次)" if key == "press_conferences" else "")


@lru_cache(maxsize=1)
def _prose() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(indicator, pattern) for each canonical indicator, from its concept's hidden labels (longest first)."""
    words = labels("indicator", ("hiddenLabel",))
    out = []
    for key in CANONICAL:
        phrases = sorted(words.get(key, []), key=lambda w: (-len(w), w))
        alts = "|".join(f"(?:{_phrase_pattern(key, p)})" for p in phrases)
        # the figure's groups may appear once per alternative: named groups are made unique by position
        out.append((key, re.compile(_unique_groups(alts))))
    return tuple(out)


def _unique_groups(pattern: str) -> str:
    counter = iter(range(10_000))
    return re.sub(r"\(\?P<(num|a1|wan|a2)>", lambda m: f"(?P<{m.group(1)}_{next(counter)}>", pattern)


def _group(m: re.Match[str], name: str) -> tuple[str | None, int]:
    for k, v in m.groupdict().items():
        if v is not None and k.startswith(name + "_"):
            return v, m.start(k)
    return None, -1


_CUMULATIVE = re.compile(r"截至|截止|以来|累计[^。]{0,6}(?:至今|以来)")
# two channels or more named together count the year's total: 通过门户网站及政务新媒体方式主动公开907条
_CHANNELS = re.compile(r"(?:网站|网|微博|微信|公众号|新媒体|客户端|平台)[^。,，;；]{0,12}(?:及|和|、|与|以及)[^。,，;；]{0,20}"
                       r"(?:网站|网|微博|微信|公众号|新媒体|客户端|平台|公报|栏|媒体|屏|场所|查阅点)")  # fmt: skip
_PORTAL_CHANNEL = re.compile(r"(?:网站|门户网|政府网|政务网|信息公开网|公开专栏|信息公开平台)")
# a count said of a channel other than the portal: 微信公众号推送信息1363条, 公开平台公开信息1897条
_OTHER_CHANNEL_COUNT = re.compile(
    r"(?:微信|微博|公众号|客户端|APP|新媒体|抖音|头条|(?<!信息)(?<!政务)公开平台|《[^《》]{2,12}》)[^。;；,，\n]{0,12}?"
    r"(?:发布|推送|公开|刊登|编发|刊发|发)[^。;；,，\n\d]{0,10}?\d[\d,.]*\s*(?:万)?\s*(?:余|多)?\s*(?:条|篇|期)"
)
# a category of what was published (财政公开信息8条, 政策法规及解读8条), not a total of the kind
_PART = re.compile(r"其中|包括|含")
_COMBINED = re.compile(r"[及和与]$")
# a lower tier's or one part's figure (市本级…, 县(市、区)共受理…, 省政府及省直单位…), not the whole area's
_TIER_PART = re.compile(
    r"(?:^|[,，;；:：\s])(?:其中)?(?:市本级|县本级|区本级|省本级|本级|各县|各区|各市|县[(（]市、区[)）]|县[(（]市[)）]|县区|各乡|乡镇|"
    r"各部门|(?:市直|县直|区直|省直)(?:单位|部门|各部门)?)|(?:市直|县直|区直|省直)(?:单位|部门)"
)
# the heading a paragraph starts with: (一)政府门户网站。
_HEADING = re.compile(r"\s*[(（]?[一二三四五六七八九十\d]{1,2}[)）、.]\s*([^。\n]{2,20})。")
_CHANNEL_WORDS = re.compile(r"网站|网|微博|微信|公众号|公报|政报|新媒体|客户端|平台|专栏|栏目|媒介|渠道")
_OFFICE_SUBJECT = re.compile(r"(?:政府)?办公(?:室|厅)(?!.{0,4}(?:全年|共))")
_ZERO = re.compile(
    r"(?:行政复议|行政诉讼)(?:[、和及与]?(?:行政复议|行政诉讼))?[^。\d]{0,12}?(?:均为|都为|为|均是)\s*(?:0|零)"
)
_NONE = re.compile(
    r"(?:未发生|没有发生|无|未出现|没有|未收到|未有|未接到|未发现)[^。\d]{0,30}?(?:(?:行政)?复议|(?:行政)?诉讼)[^。\d]{0,20}"
)
# no request received, said in words: 全年未收到政府信息公开申请 / 没有收到要求公开政府信息的申请
_NO_REQUESTS = re.compile(
    r"(?:未收到|没有收到|未接到|没有接到|未受理|无)[^。;；\d]{0,16}?(?:政府信息公开|信息公开|公开政府信息的?|依申请公开)?申请"
)


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
    prose = _prose_figures(norm, identity)
    for key, stat in prose.items():
        found.setdefault(key, stat)
    _zeros(norm, found)
    return [found[k] for k in sorted(found)]


def _prose_figures(norm: str, identity: Identity) -> dict[str, Statistic]:
    """The year's figure of each indicator written in prose. A figure that is a part (其中…, one category, one
    office of the government) or cumulative is not the indicator's; when the text gives two different figures for
    one indicator, neither is taken: a wrong number is worse than none."""
    out: dict[str, Statistic] = {}
    for key, rx in _prose():
        values: list[Statistic] = []
        channel: list[Statistic] = []
        for m in rx.finditer(norm):
            stat = _figure(norm, key, m, identity)
            if stat is None:
                continue
            if stat is _CHANNEL:
                channel.append(_as_stat(key, m))
                continue
            values.append(stat)
        if values:
            if len({v.value for v in values}) == 1:
                out[key] = values[0]
        elif key == "info_disclosed_total" and len({c.value for c in channel}) == 1:
            # only the portal's count is given, and no other channel's: the portal is where the body discloses
            if not _OTHER_CHANNEL_COUNT.search(norm):
                out[key] = channel[0]
    return out


_CHANNEL = Statistic("", 0.0, False, (0, 0))


def _as_stat(key: str, m: re.Match[str]) -> Statistic:
    num, num_start = _group(m, "num")
    wan, _ = _group(m, "wan")
    assert num is not None
    approx = bool(_group(m, "a1")[0] or _group(m, "a2")[0])
    return Statistic(key, _value(num, wan), approx, (num_start, m.end()))


def _figure(norm: str, key: str, m: re.Match[str], identity: Identity) -> Statistic | None:
    """The match as a figure of the indicator, ``_CHANNEL`` for one portal's count, or None when it is not one."""
    num, num_start = _group(m, "num")
    if num is None:
        return None
    clause_start = max(norm.rfind(c, 0, m.start()) for c in _CLAUSE_END) + 1
    sentence_start = norm.rfind("。", 0, m.start()) + 1
    clause = norm[clause_start : m.end()]
    before = norm[clause_start : m.start()]
    sentence_before = norm[sentence_start : m.start()]
    lead = norm[m.start() : num_start]
    rx = dict(_prose())[key]
    earlier = any(e.end() <= m.start() for e in rx.finditer(norm, sentence_start, m.start()))
    if _TIER_PART.search(before):
        return None
    if key in ("reconsiderations", "lawsuits"):
        if earlier and _PART.search(sentence_before):
            return None  # 其中市本级受理行政复议36件, after the whole area's 43件
    elif _PART.search(before) and not (key == "info_disclosed_total" and _CHANNELS.search(before + lead)):
        return None  # 其中…: a part of a figure given before
    if key == "info_disclosed_total":
        if _CUMULATIVE.search(clause) or "依申请" in norm[max(0, m.start() - 3) : m.start()]:
            return None
        if earlier and "累计" in norm[max(0, m.start() - 3) : m.start()]:
            return None  # 全区主动公开政府信息1952件,累计公开政府信息8479件: the running total since the start
        if lead.startswith("公开") and m.start() > 0 and re.match(r"[\u4e00-\u9fff]", norm[m.start() - 1]):
            if norm[m.start() - 1] not in "共计年度府务等":  # 财政公开信息8条: a category; 政府公开信息: the whole
                return None
        line_start = norm.rfind("\n", 0, m.start()) + 1
        heading = _HEADING.match(norm, line_start, m.start())
        said_of = (heading.group(1) if heading else "") + before + lead
        if _CHANNEL_WORDS.search(said_of):
            if lead.startswith("发布"):
                return None  # what a channel published (发布各类信息2.96万条), not what was disclosed
            if not _CHANNELS.search(said_of):
                # one channel's count: the total only for a department, which discloses through its website
                portal = _PORTAL_CHANNEL.search(said_of)
                return _CHANNEL if portal and identity.body == "department" else None
    if key == "requests_received" and re.search(r"复议|诉讼|举报|投诉", lead):
        return None
    if key in ("reconsiderations", "lawsuits") and "举报" in lead:
        return None
    if key == "policy_interpretations":
        if _COMBINED.search(norm[max(0, m.start() - 1) : m.start()]):
            return None  # 政策法规及解读8条: a category that is not only interpretations
        if re.match(r"、[^。;；,，]{0,16}?解读[^。;；,，]{0,8}?\d", norm[m.end() : m.end() + 30]):
            return None  # 配套政策解读35件、媒体解读政策文件97件…: one kind of interpretation among several
    if key in ("press_conferences", "policy_interpretations") and identity.body == "government":
        if _OFFICE_SUBJECT.search(before):
            return None  # 市政府办公室组织新闻发布会2场: one office's, not the government's
    stat = _as_stat(key, m)
    if _APPROX_BEFORE.search(norm[max(0, num_start - 3) : num_start]):
        stat.approximate = True
    return stat


def _zeros(norm: str, found: dict[str, Statistic]) -> None:
    """Zeros said in words: 行政复议、行政诉讼均为0, 未发生…行政复议, 全年未收到政府信息公开申请."""
    for rx in (_ZERO, _NONE):
        for m in rx.finditer(norm):
            for key, word in (("reconsiderations", "复议"), ("lawsuits", "诉讼")):
                if key not in found and word in m.group(0):
                    found[key] = Statistic(key, 0.0, False, m.span())
    if "requests_received" not in found:
        for m in _NO_REQUESTS.finditer(norm):
            ends = _CLAUSE_END + ",，"
            clause_end = min((i for c in ends if (i := norm.find(c, m.end())) >= 0), default=len(norm))
            clause_start = max(norm.rfind(c, 0, m.start()) for c in ends) + 1
            if not re.search(r"复议|诉讼|举报|投诉", norm[clause_start:clause_end]):
                found["requests_received"] = Statistic("requests_received", 0.0, False, m.span())
                break
