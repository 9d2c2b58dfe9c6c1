"""Who reports, for which year: the claims a report makes about its author, its year, dates, 索引号, own 文号.

The text says who reports in many places, not only in a title line (``X2016年政府信息公开工作年度报告``, also when it
is quoted in the body or broken over lines): the opening sentence (``2015年,眉山市按照…``), who compiled it
(``由海南省地震局办公室编制``), the contact office, the publisher field and breadcrumbs of the page, the portal's and
accounts' names, the page's host, a 索引号 that begins with a unified social credit code, local documents it cites,
and how it calls itself (我省, 我区). They are collected here as printed, as :class:`Evidence`; which region they
name, and whether they agree, is decided by :func:`kg.resolve.identity.attribute`.

The year covered is the title's, else the statistics period's (统计期限自2015年1月1日), else the year of the
report's own name (2009年年报), else the year that opens the first paragraph (2014年,全市…).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kg.extract.docnumbers import find_numbers
from kg.extract.facts import Identity
from kg.resolve.identity import Evidence, is_spam
from kg.resolve.names import RegionParse, parse_name, region_suffix

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
_FROM_YEAR = _seq(r"(?P<year>(?:19|20)\d\d)", "年?", "度?", "的?", r"(?P<tail>[\u4e00-\u9fff]{0,8}?)", _REPORT_WORDS)
TITLE_RE = re.compile(
    _seq(r"(?P<name>(?:[\u4e00-\u9fff·（）()]|[ \t]*\n[ \t]*(?=[\u4e00-\u9fff])){0,40}?)", r"(?:关于)?", _FROM_YEAR)
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


def extract_identity(norm: str, url: str | None = None) -> Identity:
    """The report's claims about its author (``Identity.claims``), year, dates, 索引号 and own 文号. The region,
    level and body are left for :func:`kg.resolve.identity.attribute` to decide from the claims."""
    ident = Identity()
    head = norm[:3000]
    best = _best_title(norm)
    if best:
        name, name_start, m = best
        ident.year = int(m.group("year"))
        ident.spans["year"] = (m.start("year"), m.end("year"))
        ident.year_evidence = Evidence("title", ident.spans["year"], m.group("year"))
        ident.title = re.sub(r"\s+", "", norm[min(name_start, m.start("year")) : m.end()]).lstrip('》”"')
        if name:
            span = (_start_of_last(norm, m.end("name"), len(name)), m.end("name"))
            ident.spans["region"] = span
            ident.claims.append(Evidence("title", span, name))
    ident.claims += _claims(norm)
    if url:
        ident.claims.append(Evidence("url", (0, 0), url))
    ident.compiled = bool(_COMPILED.search(norm[:4000]))
    if ident.year is None:
        _year(ident, norm)
    _dates(ident, norm)
    if im := INDEX_RE.search(head) or INDEX_LINE_RE.search(head[:800]):
        ident.index_number = im.group(1)
        ident.spans["index_number"] = im.span(1)
        if cm := _CREDIT_CODE.match(im.group(1)):
            ident.claims.append(Evidence("index_number", (im.start(1) + 2, im.start(1) + 8), cm.group(1)))
    _own_number(ident, norm)
    return ident


# what may stand between the start of a TITLE_RE match and its year: the name, 关于, whitespace and table pipes
_TITLE_LEAD = re.compile(r"[\u4e00-\u9fff·（）()\s|]+")
_YEAR_AT = re.compile(r"(?=(?:19|20)\d\d)")
# a title from its year on: a match that starts in the run before a year has that year (no name character is a
# digit), so where this does not match at the year, no title does
_FROM_YEAR_RX = re.compile(_FROM_YEAR)


def _title_matches(text: str) -> list[re.Match[str]]:
    """The matches of ``TITLE_RE.finditer(text)``, tried only where one can start: in the run of name characters
    that ends at a year the title's words follow, or at the year. The pattern's lazy name is otherwise tried at
    every character (a third of the identity's time); same matches, tested on whole corpora."""
    run_start = {m.end(): m.start() for m in _TITLE_LEAD.finditer(text)}
    out: list[re.Match[str]] = []
    end = 0
    for y in _YEAR_AT.finditer(text):
        at = y.start()
        if at < end or not _FROM_YEAR_RX.match(text, at):  # no title has its year here
            continue
        for p in range(max(run_start.get(at, at), end), at + 1):
            if m := TITLE_RE.match(text, p):
                out.append(m)
                end = m.end()
                break
    return out


def _best_title(norm: str) -> tuple[str, int, re.Match[str]] | None:
    """The title line: among the title-shaped matches, the first that names a region (or a central body) and ends
    in 报告; else the best-scoring one."""
    best: tuple[float, str, int, re.Match[str]] | None = None
    matches = sorted(_title_matches(norm[:8000]) + list(TITLE_YEAR_FIRST_RE.finditer(norm[:8000])), key=lambda m: m.start())
    for m in matches:
        name, name_start, parse = _title_name(m)
        tail = m.groupdict().get("tail")
        if tail and not re.fullmatch(r"(?:本级|全市|全县|全区|全省)?", tail):
            continue
        if re.search(
            r".关于|做好|印发|转发", name
        ):  # a notice about the reports (…办公室关于做好2020年度…年度报告编制…)
            continue
        central = bool(_CENTRAL_BODY.match(name)) and not parse.regions
        is_report = m.group("end").startswith("报")
        score = (2 if (parse.regions and not is_spam(parse.rest)) or central else (1 if name else 0)) + (
            0.5 if is_report else 0
        )
        if best is None or score > best[0]:
            best = (score, name, name_start, m)
        if score >= 2.5:
            break
    return best[1:] if best else None


def _clean_name(raw: str, inner: bool = False) -> tuple[str, RegionParse]:
    """The name without lead words (现公布…, 关于), and its parse. When what is left starts with no region, the
    regions inside it are taken from where they start (现公开锡山区云林街道 → 锡山区云林街道)."""
    raw_name = re.sub(r"\s+", "", raw)
    name = _ABOUT.sub("", _NAME_LEAD.sub("", raw_name))
    parse = parse_name(name)
    if (
        name
        and not parse.regions
        and "\n" not in raw
        and (whole_parse := parse_name(whole := _ABOUT.sub("", raw_name))).regions
    ):
        return whole, whole_parse  # 犍为县: its 为 is not "本报告为"
    if inner and name and not parse.regions and not _CENTRAL_BODY.match(name):
        if found := region_suffix(name, whole=False):
            at = name.find(found.regions[0][0])
            if at > 0 and _LEAD_VERB.search(name[:at]):
                return name[at:], found
    return name, parse


def _title_name(m: re.Match[str]) -> tuple[str, int, RegionParse]:
    """The issuer's name in a title match, where it starts, and its parse. The match may run over a line break: a
    title broken inside its name (淮北市烈|山区人民政府…) is read whole; a line caught before the title
    (政府信息公开|贵阳市人民政府…) is left out when only what follows the break names a region."""
    raw, start = m.group("name"), m.start("name")
    name, parse = _clean_name(raw, inner="\n" not in raw)
    if "\n" not in raw or parse.regions or _CENTRAL_BODY.match(name):
        return name, start, parse
    start_here = start
    for i, ch in enumerate(raw):
        if ch == "\n":
            name, parse = _clean_name(raw[i + 1 :], inner=True)
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


_LEAD_VERB = re.compile(r"(?:公开|公布|发布|印发|报送|编制|现将|特将|为)$|^现")
_BODY_END = r"(?:人民政府|政府|办公厅|办公室|委员会|局|委|办|厅|院|中心|站|所|队|处|馆|街道办事处|街道|镇|乡)"
# the subject of a paragraph that opens with its year: 2015年,眉山市按照… / 2021年,我局按照县委、县政府…
_OPENING = re.compile(
    r"(?m)^[\s?？•·*]*(?P<year>(?:19|20)\d\d)\s*年(?:度)?(?:以来|全年)?\s*[,，、]?\s*"
    r"(?P<name>[\u4e00-\u9fff()（）]{2,40}?)"
    r"(?=坚持|按照|认真|紧紧|深入|以|在|始终|严格|围绕|全面|继续|进一步|高度|切实|积极|持续|着力|不断|根据|依据|贯彻|"
    r"把|对|共|全年|主动|扎实|立足|聚焦|结合|紧扣|落实|通过|牢牢|重视|进行|强化|注重|加强|大力|稳步|努力|秉持|严|各|遵循)"
)
# who compiled the report: 由海南省地震局办公室编制 / 昭苏县人民政府办公室编制了本报告
_COMPILER = re.compile(
    r"由\s*(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff\n]{1,40}?)\s*(?:[(（][^()（）]{0,30}[)）])?\s*(?:、[^,，。]{0,30}?)?"
    r"(?:结合[^。\n]{0,30}?|根据[^。\n]{0,30}?|汇总[^。\n]{0,20}?|综合[^。\n]{0,20}?)?(?:负责)?(?:编制|编写|撰写|起草)"
    r"|(?:^|[。\n,，:：;；])\s*(?:本报告)?(?:由)?(?P<name2>[\u4e00-\u9fff]{2,30}?"
    + _BODY_END
    + r")(?:负责)?(?:编制|编写)"
    r"(?:了|完成)?(?:本|此|(?:19|20)\d\d)"
)
_CONTACT_RE = re.compile(r"请(?:与|联系)([\u4e00-\u9fff]{2,40}?)(?:联系|\(|（)")
# the page's publisher and source lines: 发布机构: 乌恰县人民政府 / 来源：昭苏县人民政府
_PUBLISHER = re.compile(r"(?:发布机构|发文机关|发布单位|信息来源|来源)\s*[:：|]?\s*[|]?\s*([\u4e00-\u9fff]{2,30})")
_BREADCRUMB = re.compile(r"(?:当前位置|所在位置|您的位置|您当前的位置|当前的位置)\s*[:：]?\s*([^\n]{0,160})")
_CRUMB_SPLIT = re.compile(r"\s*(?:>>|>|›|»|→|/|＞)\s*")
_HEADING_LINE = re.compile(r"(?m)^[ \t]*([\u4e00-\u9fff]{3,24})[ \t]*$")
# the government's portal: 眉山市人民政府门户网站, 乌兰浩特市政务公开网, “中国·兰州”门户网, 新疆政府网
_PORTAL_NAMED = (
    r"([\u4e00-\u9fff]{2,20}?)(?:人民政府|政府)(?:门户)?(?:网站|网)(?!格)"
    r"|([\u4e00-\u9fff]{2,20}?)(?:政务公开网|政府信息公开网|政务网|门户网站)"
)
_PORTAL_QUOTED = r"[“\"]([\u4e00-\u9fff·]{2,12})[”\"]\s*(?:门户网站|门户网|政府网站|网站|政务网)"
_PORTAL = re.compile(_PORTAL_NAMED + "|" + _PORTAL_QUOTED)
_PORTAL_NAMED_RX, _PORTAL_QUOTED_RX = re.compile(_PORTAL_NAMED), re.compile(_PORTAL_QUOTED)
_PORTAL_REACH = 26  # a named portal's 网 is at most 26 characters after its start (20 + 政府信息公开网), its end 2
# accounts and columns named for their region: “今日晋安”, “连云港发布”, “西青之窗”, 门户网站晋安动态
_BRAND = re.compile(
    r"[“\"](?:今日|魅力|掌上|微|爱|i)?([\u4e00-\u9fff·]{2,10}?)(?:发布|之窗|在线|政务|动态|微政务)?[”\"]"
    r"|网站([\u4e00-\u9fff]{2,6})动态"
)
_BRAND_LEAD = re.compile(r"^(?:中国·?|中国)")
_OUR = re.compile(r"我(省|市|区|县|州|盟|旗)")
_LOCAL_TITLE = re.compile(
    r"《(?:(?:19|20)\d\d年(?:度)?)?([\u4e00-\u9fff]{2,16}?)(?=[\u4e00-\u9fff]{2})[^《》\n]{0,60}》"
)
# 索引号 that begins with a unified social credit code: its characters 3–8 are the registering region's code
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}(\d{6})[0-9A-HJ-NPQRTUWXY]{10}(?:[/\-]|$)")
_REPORT_YEAR = re.compile(r"((?:19|20)\d\d)\s*年(?:度)?\s*(?:年报|年度报告|工作报告)")


def _portal_matches(text: str) -> Iterator[re.Match[str]]:
    """``_PORTAL.finditer(text)``, searched only from where a match may start: the next quoted portal, or a 网
    with a named portal around it (a named portal lies between 26 characters before its 网 and 2 after). Scanned
    over the whole text, the named portal's lazy ``{2,20}?`` is tried at every Han character."""
    start = k = 0  # where the next match may start; the next 网 to look at
    quoted = _PORTAL_QUOTED_RX.search(text)
    while True:
        while (k := text.find("网", k)) >= 0 and not _PORTAL_NAMED_RX.search(text, max(start, k - _PORTAL_REACH), k + 3):
            k += 1
        if quoted is not None and quoted.start() < start:
            quoted = _PORTAL_QUOTED_RX.search(text, start)
        starts = ([max(start, k - _PORTAL_REACH)] if k >= 0 else []) + ([quoted.start()] if quoted else [])
        if not starts or not (m := _PORTAL.search(text, min(starts))):
            return
        yield m
        start = k = m.end()


def _claims(norm: str) -> list[Evidence]:
    """Every claim the text makes about its author other than the title, in the order of the text's kinds."""
    text = norm[:6000]
    out: list[Evidence] = []
    for m in _HEADING_LINE.finditer(norm[:400]):
        name = m.group(1)
        if re.search(_BODY_END + "$", name) and not re.search(r"公开|报告|年度|情况|目录|指南", name):
            out.append(Evidence("heading", m.span(1), name))
    for m in _OPENING.finditer(text):
        out.append(Evidence("opening", m.span("name"), m.group("name")))
        break
    for m in _COMPILER.finditer(text):
        key = "name" if m.group("name") else "name2"
        printed = m.group(key).split("、")[0]
        if len(name := printed.replace("\n", "")) >= 2:
            out.append(Evidence("compiler", (m.start(key), m.start(key) + len(printed)), name))
    for m in _PUBLISHER.finditer(norm[:2500]):
        out.append(Evidence("publisher", m.span(1), m.group(1)))
    for m in _CONTACT_RE.finditer(text):
        out.append(Evidence("contact", m.span(1), m.group(1)))
    for m in _BREADCRUMB.finditer(norm[:1500]):
        at = m.start(1)
        for part in _CRUMB_SPLIT.split(m.group(1)):
            s = m.group(1).find(part, at - m.start(1)) + m.start(1) if part else at
            at = s + len(part)
            part = part.strip(" |:：")
            if (
                len(part) >= 3
                and re.fullmatch(r"[\u4e00-\u9fff]+", part)
                and not re.search(r"首页|公开|年报|报告", part)
            ):
                out.append(Evidence("breadcrumb", (s, s + len(part)), part))
    for m in _portal_matches(text):
        g = next(i for i in (1, 2, 3) if m.group(i))
        name = _BRAND_LEAD.sub("", m.group(g).replace("·", ""))
        parse = region_suffix(name, whole=True)
        if parse is not None:
            first = parse.regions[0][0]
            at = m.start(g) + m.group(g).find(first)
            out.append(
                Evidence(
                    "portal",
                    (at, at + len("".join(r for r, _ in parse.regions))),
                    first if len(parse.regions) == 1 else name[name.find(first) :],
                )
            )
    for m in _BRAND.finditer(text):
        g = 1 if m.group(1) else 2
        name = _BRAND_LEAD.sub("", m.group(g).replace("·", ""))
        parse = parse_name(name)
        if parse.regions and not parse.rest:
            out.append(Evidence("account", m.span(g), name))
    if om := _OUR.search(text):
        out.append(Evidence("our_region", om.span(), om.group(0)))
    for m in _LOCAL_TITLE.finditer(text):
        parse = parse_name(m.group(1) + norm[m.end(1) : m.end(1) + 4])
        if parse.regions:
            name = "".join(r for r, _ in parse.regions)
            out.append(Evidence("local_title", (m.start(1), m.start(1) + len(name)), name))
    for n in find_numbers(text):
        out.append(Evidence("issuer_code", (n.start, n.start + len(n.code)), n.code))
    return out


def _year(ident: Identity, norm: str) -> None:
    """The year covered when no title gives it: the statistics period, the report's own name, the first paragraph."""
    for kind, rx, group in (("period", PERIOD_RE, 1), ("report_name", _REPORT_YEAR, 1), ("opening", _OPENING, 1)):
        if m := rx.search(norm[:6000]):
            ident.year = int(m.group(group))
            ident.spans["year"] = m.span(group)
            ident.year_evidence = Evidence(kind, m.span(group), m.group(group))
            return


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
