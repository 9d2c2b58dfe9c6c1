"""Who reports: the evidence a report gives about its own author, combined into one region (or none).

The extractor (:mod:`kg.extract.identity`) collects *claims*, each an :class:`Evidence` of what the text says, as
printed: the name in the title line, the subject of the opening sentence (``2015年,眉山市按照…``), who compiled the
report (``由海南省地震局办公室编制``), the contact office, the publisher field, a breadcrumb, the portal's and the
accounts' names (``“今日晋安”``), the page host, the 索引号, local documents it cites (《2018年和平区…安排》), and how it
calls itself (我省, 我区). This module decides what they refer to:

* each claim is resolved to a region code (names through the gazetteer, hosts through their pinyin);
* the heaviest claim leads; claims whose region contains it or lies inside it agree with it, the others oppose it;
  when the opposing weight reaches the leading claim's weight the evidence conflicts, and the answer is no region
  rather than a guess;
* among the agreeing claims, a more specific region is taken when the leading claim itself says the body lies
  below what it names (大同市区自然资源局, a township without its county) or names no body (a portal, a host);
* a department's report carries its government's region; a township's report carries its county;
* the evidence that decided is returned with the answer (kind, span, value as printed, and the code it names).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from kg.resolve.hosts import host_regions
from kg.resolve.names import choose_code, parse_name, region_suffix
from kg.resolve.regions import STATE, gazetteer

Span = tuple[int, int]

# claims that name the reporting body (its region and what it is), and claims that name a region only
BODY_KINDS = ("title", "heading", "opening", "compiler", "publisher", "contact", "breadcrumb")
WEIGHTS = {
    "title": 6,
    "heading": 4,
    "opening": 4,
    "compiler": 4,
    "publisher": 3,
    "contact": 3,
    "portal": 3,
    "index_number": 3,
    "breadcrumb": 2,
    "account": 2,
    "url": 2,
}


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence about the report's author: what kind, where, what the text says, what it names."""

    kind: str  # title | heading | opening | compiler | publisher | contact | breadcrumb | portal | account | url |
    # index_number | local_title | our_region | issuer_code
    span: Span  # offsets in the normalized text ((0, 0) for the page URL, which is not in the text)
    value: str  # as printed: 海南省地震局办公室, 今日晋安, www.lanzhou.gov.cn, 我区, 苏政办发
    code: str | None = None  # the region it names, once resolved


@dataclass
class Attribution:
    region_code: str | None = None
    level: str | None = None  # national | province | city | county | township
    body: str = "government"
    body_name: str | None = None
    body_suffix: str | None = None
    evidence: list[Evidence] = field(default_factory=list)  # what decided, leading claim first
    conflicting: list[Evidence] = field(default_factory=list)  # claims naming another region


_CENTRAL_BODY = re.compile(
    r"^(?:国家|国务院|中华人民共和国|中国)[\u4e00-\u9fff]{1,20}|^[\u4e00-\u9fff]{1,10}(?:部|总署|总局)$"
)
_GOV_BODY = re.compile(r"^(?:人民政府|政府)?$")
_OFFICE_BODY = re.compile(r"^(?:人民政府|政府)(?:办公厅|办公室)$")
_TOWNSHIP = re.compile(r"^([\u4e00-\u9fff]{1,8}?(?:镇|乡|街道办事处|街道))(?:人民政府|政府|办事处)?$")
# a body named by its tier only: 自治区人民政府办公厅, 区政府国资局, 市教育局, 我局 (after 我区…)
_TIER_ONLY = re.compile(r"^(?:我|全|本)?(自治区|自治州|省|市|州|盟|县|区|旗)(?![\u4e00-\u9fff]{0,2}(?:以来|年))")
_TIER_LEVEL = {"自治区": "province", "省": "province", "自治州": "city", "市": "city", "州": "city", "盟": "city",
               "县": "county", "区": "county", "旗": "county"}  # fmt: skip
_RANK = {"national": 0, "province": 1, "city": 2, "county": 3, "township": 4}
_SPAM = re.compile(r"[A-Za-z0-9]{4,}|赌|博彩|娱乐|官网|彩票|真人|棋牌|体育投注")
_ORGAN_END = re.compile(r"(?:局|委|办|厅|院|室|所|站|队|会|中心|处|科|馆|组|部|署)$")
_PAREN = re.compile(r"[(（][^()（）]*[)）]")  # (以下简称县政府办公室)
_GOV_OFFICE = re.compile(r"^(?:办公厅|办公室|政府信息公开|信息公开|政务公开|电子政务|新闻|法制)")


def is_spam(s: str) -> bool:
    """Spam substituted for a name by a defaced mirror (allsport365bet办公室, 金沙城中心赌场_澳门金沙官网)."""
    return bool(_SPAM.search(s))


@dataclass
class _Claim:
    ev: Evidence
    weight: int
    rest: str | None = None  # what follows the region in a body's name (人民政府, 地震局办公室, 云林街道)
    below: bool = False  # the body lies below the region named (大同市 + 区自然资源局)
    tier: str | None = None  # level a tier-only name gives (自治区… → province)


def _resolve_body_name(ev: Evidence, mentions: Counter[str]) -> _Claim:
    """A body's name → its region, the rest of the name, and what the rest says about the level."""
    name, weight = _PAREN.sub("", ev.value), WEIGHTS.get(ev.kind, 1)
    if is_spam(name):
        return _Claim(ev, 0)
    parse = parse_name(name)
    if not parse.regions and _CENTRAL_BODY.match(name):
        branch = region_suffix(name, whole=False)
        if branch is None:  # a central department: the State
            return _Claim(replace(ev, code=STATE), weight, rest=name)
        parse = branch  # a vertical agency's local branch: 国家税务总局江苏省税务局 reports for 江苏省
    if not parse.regions:
        tm = _TIER_ONLY.match(name)
        township = _TOWNSHIP.match(name)
        if township and not name.endswith(("局", "委", "办")):
            return _Claim(ev, weight, rest=name, below=True, tier="township")
        return _Claim(ev, weight, rest=name[tm.end() :] if tm else name, tier=_TIER_LEVEL[tm.group(1)] if tm else None)
    code = choose_code(parse, mentions)
    if code is None:
        return _Claim(ev, weight)
    rest = parse.rest
    below = False
    r = gazetteer().get(code)
    if r and (tm := _TIER_ONLY.match(rest)) and _RANK[_TIER_LEVEL[tm.group(1)]] > _RANK[r.level]:
        below = True  # 大同市区自然资源局: a district's agency of 大同市, the district not named here
    if _TOWNSHIP.match(rest) and not rest.endswith(("局", "委", "办")):
        below = True
    return _Claim(replace(ev, code=code), weight, rest=rest, below=below)


def _resolve_region_name(ev: Evidence, mentions: Counter[str]) -> _Claim:
    """A name that denotes a region only (a portal's, an account's, a local document's title)."""
    if is_spam(ev.value):
        return _Claim(ev, 0)
    parse = parse_name(ev.value)
    code = choose_code(parse, mentions) if parse.regions else None
    return _Claim(replace(ev, code=code), WEIGHTS.get(ev.kind, 1))


def _resolve_host(ev: Evidence, context: set[str]) -> _Claim:
    found = host_regions(ev.value)
    if not found:
        return _Claim(ev, 0)
    _, codes = found
    if len(codes) > 1:  # several divisions share the spelling: only one that other evidence names or lies in
        g = gazetteer()
        codes = tuple(c for c in codes if c in context or any(a in context for a in g.ancestors(c)))
    return _Claim(replace(ev, code=codes[0]) if len(codes) == 1 else ev, WEIGHTS["url"])


def _comparable(a: str, b: str) -> bool:
    if a == b:
        return True
    g = gazetteer()
    return a in g.ancestors(b) or b in g.ancestors(a)


def _depth(code: str) -> int:
    r = gazetteer().get(code)
    return _RANK.get(r.level, 0) if r else 0


def attribute(claims: list[Evidence], mentions: Counter[str], compiled: bool = False) -> Attribution:
    """Combine the claims into one attribution (see the module's description). ``compiled``: the report says it was
    compiled from its departments' reports, so a government office writing it writes for the government."""
    resolved: list[_Claim] = []
    for ev in claims:
        if ev.kind in BODY_KINDS:
            resolved.append(_resolve_body_name(ev, mentions))
        elif ev.kind in ("portal", "account", "local_title"):
            resolved.append(_resolve_region_name(ev, mentions))
        elif ev.kind == "index_number" and ev.value in gazetteer():
            resolved.append(_Claim(replace(ev, code=gazetteer().successor(ev.value) or ev.value), WEIGHTS[ev.kind]))
    context = {c.ev.code for c in resolved if c.ev.code} | {c for c, _ in mentions.most_common(3)}
    resolved += [_resolve_host(ev, context) for ev in claims if ev.kind == "url"]
    coded = [c for c in resolved if c.ev.code and c.weight and c.ev.kind != "local_title"]
    out = Attribution()
    if coded:
        _decide(out, coded, resolved)
    else:
        _fallback(out, claims, resolved, mentions)
    if out.region_code:
        _set_body(out, resolved, compiled)
    return out


def _decide(out: Attribution, coded: list[_Claim], resolved: list[_Claim]) -> None:
    order = {k: i for i, k in enumerate((*BODY_KINDS, "portal", "index_number", "account", "url"))}
    coded.sort(key=lambda c: (-c.weight, order.get(c.ev.kind, 99), c.ev.span))
    lead = coded[0]
    assert lead.ev.code
    agree = [c for c in coded if c.ev.code and _comparable(c.ev.code, lead.ev.code)]
    oppose = [c for c in coded if c not in agree]
    if sum(c.weight for c in oppose) >= lead.weight:
        out.conflicting = [c.ev for c in coded]
        return
    code = lead.ev.code
    # a more specific region among the agreeing claims, when the lead does not name the body itself
    if lead.below or lead.ev.kind not in BODY_KINDS or lead.rest is None:
        deeper = [c for c in agree if c.ev.code and c.ev.code != code and code in gazetteer().ancestors(c.ev.code)]
        if deeper:
            deeper.sort(key=lambda c: (-c.weight, -_depth(c.ev.code or ""), c.ev.span))
            code = deeper[0].ev.code or code
    out.region_code = code
    out.evidence = [c.ev for c in agree if c.ev.code and _comparable(c.ev.code, code)]
    out.conflicting = [c.ev for c in oppose]
    r = gazetteer().get(code)
    out.level = r.level if r else None


def _fallback(out: Attribution, claims: list[Evidence], resolved: list[_Claim], mentions: Counter[str]) -> None:
    """No claim names a region: the local documents the report cites, when their tier is the one it calls its own
    (我区 + 《2018年和平区…安排》), else the province its 我省 and the codes of its provincial directives name."""
    tiers = {_TIER_LEVEL.get(ev.value[1:], None) for ev in claims if ev.kind == "our_region"}
    tiers |= {c.tier for c in resolved if c.tier}
    locals_ = [c for c in resolved if c.ev.kind == "local_title" and c.ev.code]
    fitting = [c for c in locals_ if c.ev.code and gazetteer().get(c.ev.code) and _tier_fits(c.ev.code, tiers)]
    codes = {c.ev.code for c in fitting}
    if len(codes) == 1:
        code = codes.pop()
        assert code
        out.region_code, out.evidence = code, [c.ev for c in fitting]
        out.evidence += [ev for ev in claims if ev.kind == "our_region"][:1]
        out.level = gazetteer().get(code).level  # type: ignore[union-attr]
        return
    if "province" in tiers:
        provinces = Counter(ev.code for ev in claims if ev.kind == "issuer_code" and ev.code)
        if len(provinces) == 1:
            code = next(iter(provinces))
            out.region_code, out.level = code, "province"
            out.evidence = [ev for ev in claims if ev.kind == "our_region"][:1]
            out.evidence += [ev for ev in claims if ev.kind == "issuer_code" and ev.code == code]


def _tier_fits(code: str, tiers: set[str | None]) -> bool:
    r = gazetteer().get(code)
    if r is None:
        return False
    return r.level in tiers or r.level == "county" and "township" in tiers


def _set_body(out: Attribution, resolved: list[_Claim], compiled: bool) -> None:
    """Government, department or township, from the body-naming claims that agree with the region."""
    g = gazetteer()
    code = out.region_code
    assert code
    if code == STATE:
        out.level = "national"
        lead = next((c for c in resolved if c.ev.code == STATE), None)
        out.body, out.body_name = ("department", lead.ev.value) if lead else ("government", None)
        return
    region_name = g.name(code)
    # claims naming the body: those resolved to this region or to a region containing it, then tier-only ones
    named = [c for c in resolved if c.ev.kind in BODY_KINDS and c.weight and c.rest is not None]
    here = [c for c in named if c.ev.code and (c.ev.code == code or c.ev.code in g.ancestors(code))]
    tiered = [c for c in named if not c.ev.code and c.tier]
    named_first = sorted(here, key=lambda c: (-c.weight, c.ev.span)) + sorted(tiered, key=lambda c: -c.weight)
    township = next((c for c in named_first if c.tier == "township" or _TOWNSHIP.match(c.rest or "")), None)
    if township and out.level == "county" and not (township.rest or "").endswith(("局", "委", "办")):
        out.level, out.body = "township", "government"
        out.body_name = township.ev.value
        out.body_suffix = township.rest
        return
    if not named_first:
        out.body, out.body_name = "government", region_name + "人民政府"
        return
    lead = named_first[0]
    rest = lead.rest or ""
    if not lead.ev.code:  # a tier-only name: 县政府办公室, 自治区人民政府办公厅, 区政府国资局
        rest = _TIER_ONLY.sub("", rest, count=1)
    out.body_suffix = rest
    organ = re.sub(r"^(?:人民政府|政府)", "", rest)
    if _GOV_BODY.match(rest) or re.match(r"^(?:各|全)", rest) or is_spam(rest) or not _ORGAN_END.search(organ):
        government = True  # 全市各级行政机关, 西城区政府信息公开工作: the whole government, or no organ named
    elif lead.ev.kind in ("compiler", "contact", "publisher"):
        # who compiled the report or answers for it: the government's own office works for the government
        government = bool(_GOV_OFFICE.match(organ))
    else:  # the body names itself: the office of a government reports as a department, unless it compiled the
        # government's report from its departments'
        government = bool(_OFFICE_BODY.match(rest)) and compiled
    if government:
        out.body, out.body_name = "government", region_name + "人民政府"
    else:
        out.body = "department"
        out.body_name = lead.ev.value if lead.ev.code else region_name + organ
