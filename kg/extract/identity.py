"""Who reports, for which year: region (GB/T 2260), level, government or department, dates, 索引号, own 文号.

The reporting body is read from the report's title (``X2016年政府信息公开工作年度报告``, also when it is quoted in
the body or broken over lines); without a title, from how the text names its own portal and contact office. A
department's report carries its government's region; a central department is the State (100000, national).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from kg.extract.docnumbers import find_numbers
from kg.extract.facts import Identity
from kg.gazetteer.regions import STATE, Gazetteer, gazetteer

_WS = r"[\s|]*"


def _spaced(word: str) -> str:
    return _WS.join(map(re.escape, word))


def _seq(*parts: str) -> str:
    """Regex parts that may each be separated by whitespace or table pipes (titles broken over lines)."""
    return _WS.join(parts)


# the words after the year: 政府信息公开工作年度报告, 信息公开工作报告, 政务公开工作年度报告, …工作情况
_REPORT_WORDS = _seq(
    r"(?:" + _seq("政", "府", "信", "息") + "|" + _seq("信", "息") + "|" + _seq("政", "务") + ")",
    "公", "开", r"(?:" + _seq("工", "作") + ")?", "的?", r"(?:" + _seq("年", "度") + ")?",
    r"(?:" + _seq("工", "作") + ")?", r"(?P<end>" + _seq("报", "告") + "|情况)",
)  # fmt: skip
# name, year, and the words of a report title: 兴化市人民政府2016年政府信息公开工作年度报告
TITLE_RE = re.compile(
    _seq(r"(?P<name>(?:[\u4e00-\u9fff·（）()]|[ \t]*\n[ \t]*(?=[\u4e00-\u9fff])){0,40}?)", r"(?:关于)?", r"(?P<year>(?:19|20)\d\d)", "年?", "度?", "的?",
         r"(?P<tail>[\u4e00-\u9fff]{0,8}?)", _REPORT_WORDS)
)  # fmt: skip
# year first: 2016兴化市政府信息公开工作年度报告, 2018年黄石市政务公开工作年度报告
TITLE_YEAR_FIRST_RE = re.compile(
    r"(?:^|[\s》”\"])" + _seq(r"(?P<year>(?:19|20)\d\d)", "年?", "度?", r"(?P<name>[\u4e00-\u9fff·]{2,30}?)", _REPORT_WORDS)
)  # fmt: skip
_NAME_LEAD = re.compile(
    r"^.*?(?:现予公布|予以公布|现向社会公布|现公布|特公布|向社会公布|关于公布|公布|现发布|发布|编制了|编制|特编制|根据|本报告内容主要为|本报告为|内容主要为|主要为|是|为)"
)
_ABOUT = re.compile(r"^关于")  # 关于昭苏县2020年政府信息公开工作的年度报告
_CENTRAL_BODY = re.compile(
    r"^(?:国家|国务院|中华人民共和国|中国)[\u4e00-\u9fff]{1,20}|^[\u4e00-\u9fff]{1,10}(?:部|总署|总局)$"
)
_GOV_BODY = re.compile(r"^(?:人民政府|政府)?$")
_OFFICE_BODY = re.compile(r"^(?:人民政府|政府)(?:办公厅|办公室)$")
_TOWNSHIP = re.compile(r"^([\u4e00-\u9fff]{1,8}?(?:镇|乡|街道办事处|街道))(?:人民政府|政府|办事处)?$")
_COMPILED = re.compile(
    r"(?:综合|汇总|根据)[^。]{0,60}?(?:各县|各区|各市|各乡|各部门|各委|各级|市政府各|省政府各|县政府各|区政府各)[^。]{0,80}?(?:年度报告|工作情况|报告)[^。]{0,10}?编制"
)

_DATE_LABELS = r"(?:发布日期|发文日期|发布时间|成文日期|生成日期|公开日期|印发日期|时间|日期)"
_ISO = r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
LABELED_DATE_RE = re.compile(_DATE_LABELS + r"[\s|:：】\]]*" + _ISO)
_PUBLISHED_LABEL = re.compile(r"发布|公开")  # 发布日期 over 成文日期 when a page shows both
LINE_DATE_RE = re.compile(
    r"^[\s•·\-*\[【(（]*" + _ISO + r"(?:[\s\]】)）]*$|\s+\d{1,2}:\d\d)|\s" + _ISO + r"[ \t]*$"
    r"|\s" + _ISO + r"\s+\d{1,2}:\d\d",  # a page's timestamp inside a line: 作者：办公室 2019-03-29 16:40:12 来源：…
    re.M,
)
LOST_SEPARATOR_RE = re.compile(r"^\s*((?:19|20)\d\d)(\d{2,4})\s*$", re.M)
_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
CN_DATE_RE = re.compile(
    r"^\s*([〇零○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日\s*$", re.M
)
INDEX_RE = re.compile(r"索\s*引\s*号\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\-/_.]{5,40})")
INDEX_LINE_RE = re.compile(r"^[\s•·\-*|]*([A-Za-z0-9]{6,12}/(?:19|20)\d\d-\d{3,6})\s*\|?\s*$", re.M)
PERIOD_RE = re.compile(r"(?:统计|期限|时限|时间|期间|数据)[^。]{0,20}?((?:19|20)\d\d)\s*年\s*1\s*月\s*1\s*日")
FIELD_NUMBER_RE = re.compile(r"文\s*号\s*[:：|]?\s*([^\n|]{0,40})")


def _cn_number(s: str) -> int:
    if len(s) == 1:
        return _CN_DIGITS[s]
    if s.startswith("十"):
        return 10 + (_CN_DIGITS[s[1]] if len(s) > 1 else 0)
    if len(s) == 2 and s.endswith("十"):
        return _CN_DIGITS[s[0]] * 10
    return _CN_DIGITS[s[0]] * 10 + _CN_DIGITS[s[-1]]


def _valid_date(y: int, m: int, d: int) -> str | None:
    import datetime

    try:
        return datetime.date(y, m, d).isoformat()
    except ValueError:
        return None


class _RegionParse:
    """A name like 淮北市烈山区人民政府 split into regions and the body after them."""

    def __init__(self, regions: list[tuple[str, list[str]]], rest: str) -> None:
        self.regions = regions  # (matched name, candidate codes), outermost first
        self.rest = rest


def _parse_name(g: Gazetteer, name: str) -> _RegionParse:
    regions: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(name):
        for j in range(min(len(name), i + 12), i + 1, -1):
            cands = g.candidates(name[i:j])
            if cands:
                regions.append((name[i:j], cands))
                i = j
                break
        else:
            break
    return _RegionParse(regions, name[i:])


def _choose(g: Gazetteer, parse: _RegionParse, mentions: Counter[str]) -> str | None:
    """The most specific region of a parsed name, consistent with its outer regions and the text's mentions."""
    chosen: str | None = None
    for _, cands in parse.regions:
        cur = [c for c in cands if c in g.current] or cands
        if chosen:
            inside = [c for c in cur if c.startswith(chosen[:2] if chosen.endswith("0000") else chosen[:4])]
            cur = inside or cur
        if len(cur) > 1:
            cur.sort(key=lambda c: (-sum(mentions.get(a, 0) for a in g.ancestors(c)), c not in g.current, c))
        chosen = g.successor(cur[0]) or cur[0]
    return chosen


@lru_cache(maxsize=1)
def _upper_regions() -> tuple[tuple[str, str], ...]:
    """(code, name) of every current province and city: the names counted in each report, listed once."""
    g = gazetteer()
    return tuple((c, r.name) for c, r in sorted(g.current.items()) if r.level in ("province", "city") and c != STATE)


def _mentions(text: str) -> Counter[str]:
    """How often the text names each province and city, for disambiguation."""
    counts: Counter[str] = Counter()
    for code, name in _upper_regions():
        if n := text.count(name):
            counts[code] += n
    return counts


def extract_identity(norm: str) -> Identity:
    g = gazetteer()
    ident = Identity()
    head = norm[:3000]
    mentions = _mentions(norm[:6000])

    # --- title
    best = None
    matches = sorted(
        list(TITLE_RE.finditer(norm[:8000])) + list(TITLE_YEAR_FIRST_RE.finditer(norm[:8000])), key=lambda m: m.start()
    )
    for m in matches:
        name, name_start, parse = _title_name(g, m)
        tail = m.groupdict().get("tail")
        if tail and not re.fullmatch(r"(?:本级|全市|全县|全区|全省)?", tail):
            continue
        year = int(m.group("year"))
        central = bool(_CENTRAL_BODY.match(name)) and not parse.regions
        if central and (branch := _region_suffix(g, name, whole=False)) is not None:
            # a vertical agency's local branch: 国家税务总局江苏省税务局 reports for 江苏省
            parse, central = _RegionParse(branch.regions, name), False
        is_report = m.group("end").startswith("报")
        score = (2 if (parse.regions and not _is_spam(parse.rest)) or central else (1 if name else 0)) + (
            0.5 if is_report else 0
        )
        if best is None or score > best[0]:
            best = (score, m, name, year, parse, central, name_start)
        if score >= 2.5:
            break
    if best:
        _, m, name, year, parse, central, name_start = best
        ident.year = year
        ident.spans["year"] = (m.start("year"), m.end("year"))
        ident.title = re.sub(r"\s+", "", norm[min(name_start, m.start("year")) : m.end()]).lstrip('》”"')
        if name:
            ident.spans["region"] = (_start_of_last(norm, m.end("name"), len(name)), m.end("name"))
        if central:
            ident.region_code, ident.level, ident.body, ident.body_name = STATE, "national", "department", name
        elif parse.regions:
            _set_body(g, ident, parse, mentions, name)

    if ident.region_code is None:
        _identity_from_mentions(g, ident, norm, mentions)
        if best and (dm := _TIER_DEPARTMENT.match(best[2])):
            ident.body, ident.body_name = "department", (ident.region_name or "") + dm.group(1)
        elif best and _TOWNSHIP.match(best[2]) and ident.region_code and ident.level == "county":
            # a township names only itself: its county comes from the rest of the text
            ident.level, ident.body, ident.body_name = "township", "government", best[2]
    if (
        ident.region_code
        and ident.body == "department"
        and _OFFICE_BODY.match(ident.body_suffix or "")
        and _COMPILED.search(norm[:4000])
    ):
        ident.body = "government"
    if ident.region_code and ident.level is None:
        r = g.get(ident.region_code)
        ident.level = r.level if r else None
        ident.region_name = r.name if r else None

    # --- year from the statistics period when the title gave none
    if ident.year is None and (pm := PERIOD_RE.search(norm[:6000])):
        ident.year = int(pm.group(1))
        ident.spans["year"] = pm.span(1)

    # --- dates, 索引号, own 文号
    _dates(ident, norm)
    if im := INDEX_RE.search(head) or INDEX_LINE_RE.search(head[:800]):
        ident.index_number = im.group(1)
        ident.spans["index_number"] = im.span(1)
    _own_number(ident, norm)
    return ident


def _clean_name(g: Gazetteer, raw: str) -> tuple[str, _RegionParse]:
    """The name without lead words (现公布…, 关于), and its parse."""
    raw_name = re.sub(r"\s+", "", raw)
    name = _ABOUT.sub("", _NAME_LEAD.sub("", raw_name))
    parse = _parse_name(g, name)
    if name and not parse.regions and (whole_parse := _parse_name(g, whole := _ABOUT.sub("", raw_name))).regions:
        return whole, whole_parse  # 犍为县: its 为 is not "本报告为"
    return name, parse


def _title_name(g: Gazetteer, m: re.Match[str]) -> tuple[str, int, _RegionParse]:
    """The issuer's name in a title match, where it starts, and its parse. The match may run over a line break: a
    title broken inside its name (淮北市烈|山区人民政府…) is read whole; a line caught before the title
    (政府信息公开|贵阳市人民政府…) is left out when only what follows the break names a region."""
    raw, start = m.group("name"), m.start("name")
    name, parse = _clean_name(g, raw)
    if "\n" not in raw or parse.regions or _CENTRAL_BODY.match(name):
        return name, start, parse
    for i, ch in enumerate(raw):
        if ch == "\n":
            name, parse = _clean_name(g, raw[i + 1 :])
            start_here = m.start("name") + i + 1
            if parse.regions or _CENTRAL_BODY.match(name):
                return name, start_here, parse
    return name, start_here, parse


def _start_of_last(text: str, end: int, count: int) -> int:
    """Where the last ``count`` non-whitespace characters before ``end`` start."""
    i = end
    while count and i > 0:
        i -= 1
        if not text[i].isspace():
            count -= 1
    return i


def _set_body(g: Gazetteer, ident: Identity, parse: _RegionParse, mentions: Counter[str], name: str) -> None:
    code = _choose(g, parse, mentions)
    if not code:
        return
    ident.region_code = code
    r = g.get(code)
    ident.region_name = r.name if r else None
    ident.level = r.level if r else None
    rest = parse.rest
    ident.body_suffix = rest
    if _TOWNSHIP.match(rest) and not rest.endswith(("局", "委", "办")):
        ident.level, ident.body = "township", "government"
        ident.body_name = name
    elif _GOV_BODY.match(rest):
        ident.body = "government"
        ident.body_name = (r.name if r else name) + "人民政府"
    else:
        ident.body = "department"
        ident.body_name = name


_PORTAL_RE = re.compile(r"([\u4e00-\u9fff]{2,20}?)(?:人民政府|政府)(?:门户)?网站")
_CONTACT_RE = re.compile(r"请(?:与|联系)([\u4e00-\u9fff]{2,40}?)(?:联系|\(|（)")
# the page's source line (来源：昭苏县人民政府) and who compiled the report (昭苏县人民政府办公室编制了本报告)
_SOURCE_RE = re.compile(r"(?:信息)?来源\s*[:：]\s*([\u4e00-\u9fff]{2,30}?)(?:人民政府|政府)")
_COMPILER_RE = re.compile(r"([\u4e00-\u9fff]{2,30}?)(?:人民政府|政府)(?:办公室|办公厅)?(?:负责)?编(?:制|写)")
_OUR_LEVEL = {"我省": "province", "我区": None, "我市": None, "我县": "county", "全省": "province"}


def _identity_from_mentions(g: Gazetteer, ident: Identity, norm: str, mentions: Counter[str]) -> None:
    """No title: the region whose portal and contact office the text names; the body from the contact office."""
    votes: Counter[str] = Counter()
    spans: dict[str, tuple[int, int]] = {}
    text = norm[:6000]
    for rx, weight in ((_PORTAL_RE, 3), (_SOURCE_RE, 3), (_CONTACT_RE, 2), (_COMPILER_RE, 2)):
        for m in rx.finditer(text):
            parse = _region_suffix(g, m.group(1), whole=rx is _PORTAL_RE or rx is _SOURCE_RE)
            if parse is None:
                continue
            code = _choose(g, parse, mentions)
            if code:
                votes[code] += weight
                spans.setdefault(code, (m.start(1), m.end(1)))
    if not votes:
        return
    # prefer the most specific region among those voted for, when it lies inside the others
    ranked = sorted(votes, key=lambda c: (-votes[c], c))
    top = ranked[0]
    for c in ranked[1:]:
        if top in g.ancestors(c) and votes[c] >= votes[top] / 3:
            top = c
    ident.region_code = top
    ident.spans["region"] = spans[top]
    r = g.get(top)
    ident.region_name = r.name if r else None
    ident.level = r.level if r else None
    ident.body = "government"
    ident.body_name = (ident.region_name or "") + "人民政府"
    cm = _CONTACT_RE.search(text)
    if cm and (parse := _region_suffix(g, cm.group(1), whole=False)) is not None:
        rest = re.sub(r"^(?:人民政府|政府)", "", parse.rest)
        if rest and not _GOV_OFFICE.match(rest) and not _is_spam(rest):
            ident.body = "department"
            ident.body_name = cm.group(1)[cm.group(1).find(parse.regions[0][0]) :]


# a department named by its tier only (市教育局, 县自然资源局): its region comes from the rest of the text
_TIER_DEPARTMENT = re.compile(r"^[省市县区]([\u4e00-\u9fff]{1,16}(?:局|委员会|委|办公室|办|厅|中心|院|站|所))$")
_GOV_OFFICE = re.compile(r"^(?:办公厅|办公室|政府信息公开|信息公开|政务公开|电子政务|新闻|法制)")
_SPAM = re.compile(r"[A-Za-z0-9]{4,}|赌|博彩|娱乐|官网|彩票|真人|棋牌|体育投注")


def _is_spam(s: str) -> bool:
    """Spam substituted for a name by a defaced mirror (allsport365bet办公室, 金沙城中心赌场_澳门金沙官网)."""
    return bool(_SPAM.search(s))


def _region_suffix(g: Gazetteer, s: str, whole: bool = True) -> _RegionParse | None:
    """The region names inside ``s`` (the earliest start from which they parse; the rest must be empty if whole)."""
    for i in range(len(s) - 1):
        parse = _parse_name(g, s[i:])
        if parse.regions and (not whole or not parse.rest):
            return parse
    return None


def _dates(ident: Identity, norm: str) -> None:
    head = norm[:2500]
    found: tuple[str, tuple[int, int]] | None = None
    for m in LABELED_DATE_RE.finditer(head):
        if d := _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            if found is None or _PUBLISHED_LABEL.search(m.group(0)):
                found = (d, m.span())
            if _PUBLISHED_LABEL.search(m.group(0)):
                break
    if found is None:
        for m in LINE_DATE_RE.finditer(head[:1200]):
            i = next(k for k in (1, 4, 7) if m.group(k))
            y, mo, d_ = m.group(i), m.group(i + 1), m.group(i + 2)
            if d := _valid_date(int(y), int(mo), int(d_)):
                found = (d, m.span())
                break
    if found is None:
        for m in CN_DATE_RE.finditer(norm):
            y = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
            if d := _valid_date(y, _cn_number(m.group(2)), _cn_number(m.group(3))):
                found = (d, m.span())
                break
    if found is None:
        for m in LOST_SEPARATOR_RE.finditer(norm):
            found = _lost_separators(m)
            if found:
                break
    if found and ident.year and int(found[0][:4]) < ident.year:
        found = None  # a report is published after the year it covers: this date is something else
    if found:
        ident.published, ident.spans["published"] = found


def _lost_separators(m: re.Match[str]) -> tuple[str, tuple[int, int]] | None:
    """A date printed without separators (2018228): taken only when exactly one reading is a valid date."""
    y, rest = int(m.group(1)), m.group(2)
    readings = {
        d
        for i in range(1, len(rest))
        if (d := _valid_date(y, int(rest[:i]), int(rest[i:]))) and len(rest[i:]) <= 2 and len(rest[:i]) <= 2
    }
    return (readings.pop(), m.span()) if len(readings) == 1 else None


def _own_number(ident: Identity, norm: str) -> None:
    head = norm[:2500]
    fm = FIELD_NUMBER_RE.search(head)
    if fm:
        nums = find_numbers(fm.group(1))
        if nums:
            n = nums[0]
            ident.report_number = n.canonical
            ident.spans["report_number"] = (fm.start(1) + n.start, fm.start(1) + n.end)
            return
    for line in re.finditer(r"^[ \t(（]*(.+?)[ \t)）]*$", norm[:400], re.M):
        nums = find_numbers(line.group(1))
        if len(nums) == 1 and nums[0].start == 0 and nums[0].end == len(line.group(1)):
            ident.report_number = nums[0].canonical
            ident.spans["report_number"] = (line.start(1), line.end(1))
            return
