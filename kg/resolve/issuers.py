"""机关代字 → issuing organ and region.

Central codes (国发, 国办发, 国办函, 国办公开办函, 中办发 …) resolve to the State. A province's 简称 (苏, 浙, 鄂 …,
``data/province_abbreviations.csv``) followed by 政/府/办/委 resolves to that province; city and county codes are
derived from the first character of the division's name (泰政办发 → 泰州), plus an exceptions table
(``data/issuer_aliases.csv``: 穗 → 广州, 宁 → 南京 …). Characters shared by several divisions (泰州/泰安) are decided by
the reporting region, then by the title the document is cited with. What stays ambiguous is ``unknown``, not a guess.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from kg.resolve.regions import STATE, Gazetteer, gazetteer, stem

_DATA = Path(__file__).with_name("data")


@dataclass
class Issuer:
    """What a 机关代字 refers to: the issuing organ and its region (None when unknown: never a guess)."""

    code: str  # 机关代字: 国办发, 苏政办发
    level: str  # national | province | city | county | unknown
    adcode: str | None
    organ: str | None  # 国务院办公厅, 江苏省人民政府办公厅


_CENTRAL = re.compile(r"^(国|中办|中发|中共中央|中华人民共和国|中央|厅字$)")  # 厅字: the two General Offices jointly
# codes of State Council departments: a ministry's abbreviation and no 政/府 (人社部发, 财预, 教基, 民发, 公通字 …)
_MINISTRY = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,3}部[发函令办]|财[预行办农社教建资税金库会]|教[基职高发办督]|民[发函办]|公通字|发改|工信|商[务建]"
    r"|农[办经]|水[办利]|审[办计]|统[计字]|署[发函]|环[办发]|建[城村法办]|交[规运公]|税总|证监|银保监|银监|保监|市监[总注]|科发|文旅)"
)
_GOV_TAIL = re.compile(r"^(?:政|府|人民政府)")
_PARTY_TAIL = re.compile(r"^(?:委|办[发函电字]?|党)")


@lru_cache(maxsize=1)
def _province_abbrs() -> dict[str, list[str]]:
    """abbreviation → province codes."""
    out: dict[str, list[str]] = {}
    for row in csv.reader((_DATA / "province_abbreviations.csv").open(encoding="utf-8")):
        if not row or row[0].startswith("#"):
            continue
        for ab in row[1].split("|"):
            out.setdefault(ab, []).append(row[0])
    return out


@lru_cache(maxsize=1)
def _aliases() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in csv.reader((_DATA / "issuer_aliases.csv").open(encoding="utf-8")):
        if not row or row[0].startswith("#"):
            continue
        out.setdefault(row[0], []).append(row[1])
    return out


_TITLE_ORGAN = re.compile(
    r"^((?:中共)?[\u4e00-\u9fff]{2,12}?(?:人民政府办公厅|人民政府办公室|人民政府|省委办公厅|市委办公室|县委办公室))"
)


def _organ(region_name: str, rest: str, level: str, title: str | None = None) -> str:
    """Organ name: as the cited title names it when it does, else from the code after the region prefix."""
    if title and (m := _TITLE_ORGAN.match(title)) and m.group(1).lstrip("中共").startswith(region_name[:2]):
        return m.group(1).split("、")[0]
    rest = rest.lstrip("县区市旗")
    if rest.startswith(("政办", "府办")):
        return f"{region_name}人民政府办公{'厅' if level == 'province' else '室'}"
    if rest.startswith(("政", "府")):
        return f"{region_name}人民政府"
    if rest.startswith("委办") or re.match(r"^办[发函电]?", rest):
        return f"中共{region_name}委办公{'厅' if level == 'province' else '室'}"
    if rest.startswith("委"):
        return f"中共{region_name}委"
    if "公开办" in rest:
        return f"{region_name}人民政府信息公开办公室"
    return f"{region_name}{rest}"


_CENTRAL_ORGANS = [
    ("国办公开办", "国务院办公厅政府信息与政务公开办公室"),
    ("厅字", "中共中央办公厅、国务院办公厅"),
    ("国办", "国务院办公厅"),
    ("国发", "国务院"),
    ("国函", "国务院"),
    ("国务院令", "国务院"),
    ("国令", "国务院"),
    ("中办", "中共中央办公厅"),
    ("中发", "中共中央"),
]


def resolve_issuer(code: str, context: str | None, title: str | None = None) -> Issuer:
    """Resolve a 机关代字 with the reporting region's code as context (and the cited title, when known)."""
    g = gazetteer()
    if _CENTRAL.match(code) or _MINISTRY.match(code) or code.endswith("令") and code.startswith(("国务院", "中华")):
        organ = next((o for p, o in _CENTRAL_ORGANS if code.startswith(p)), None)
        return Issuer(code, "national", STATE, organ)
    ctx = g.successor(context) if context else None
    found = _resolve_regional(g, code, ctx, title)
    if found is None:
        return Issuer(code, "unknown", None, None)
    adcode, prefix_len = found
    region = g.get(adcode)
    level = region.level if region else "unknown"
    name = region.name if region else adcode
    return Issuer(code, level, adcode, _organ(name, code[prefix_len:], level, title))


def _chain(g: Gazetteer, ctx: str | None) -> tuple[str | None, str | None, str | None]:
    """(province, city, county) of the reporting region."""
    if not ctx or ctx == STATE:
        return None, None, None
    r = g.get(ctx)
    if r is None:
        return None, None, None
    if r.level == "province":
        return ctx, None, None
    if r.level == "city":
        return ctx[:2] + "0000", ctx, None
    parent = g.parent(ctx)
    city = parent if parent and parent.endswith("00") and not parent.endswith("0000") else None
    return ctx[:2] + "0000", city, ctx


@cache
def _keys(code: str) -> tuple[str, ...]:
    """Prefixes by which a division is written in 机关代字: first one or two characters of its stem, aliases."""
    r = gazetteer().get(code)
    if r is None:
        return ()
    st = stem(r.name)
    keys = [st[:2], st[:1]] if len(st) >= 2 else [st]
    keys += [a for a, codes in _aliases().items() if code in codes]
    return tuple(keys)


@lru_cache(maxsize=64)
def _city_keys(province: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(city code, its prefixes) for every current city of a province, computed once per province."""
    g = gazetteer()
    return tuple(
        (c, _keys(c)) for c, r in sorted(g.current.items()) if c.startswith(province[:2]) and r.level == "city"
    )


def _title_region(g: Gazetteer, title: str | None) -> list[str]:
    if not title:
        return []
    for n in range(min(12, len(title)), 1, -1):
        cands = g.candidates(title[:n])
        if cands:
            return cands
    return []


def _resolve_regional(g: Gazetteer, code: str, ctx: str | None, title: str | None) -> tuple[str, int] | None:
    province, city, county = _chain(g, ctx)
    abbrs = _province_abbrs()
    # the cited title names its issuer: 天水市人民政府办公室关于… , 省人民政府办公厅关于…
    for cand in _title_region(g, title):
        cand = g.successor(cand) or cand
        for key in _keys(cand):
            if code.startswith(key):
                return cand, len(key)
        for ab, codes in abbrs.items():
            if cand in codes and code.startswith(ab):
                return cand, len(ab)
    if title and province and re.match(r"^(?:中共)?省", title):
        for ab, codes in abbrs.items():
            if province in codes and code.startswith(ab):
                return province, len(ab)
    # the reporting province's own abbreviation
    if province:
        for ab, codes in abbrs.items():
            if (
                province in codes
                and code.startswith(ab)
                and (_GOV_TAIL.match(code[len(ab) :]) or _PARTY_TAIL.match(code[len(ab) :]))
            ):
                return province, len(ab)
    # the reporting county, then its city
    if county:
        city_keys = _keys(city) if city else []
        for key in _keys(county):
            rest = code[len(key) :]
            if not code.startswith(key):
                continue
            if len(key) >= 2 or rest[:1] in ("县", "区", "市", "旗") or not any(code.startswith(k) for k in city_keys):
                return county, len(key)
    if city:
        for key in _keys(city):
            if code.startswith(key):
                return city, len(key)
    # another province by its abbreviation, with a government or Party tail
    for ab, codes in sorted(abbrs.items(), key=lambda kv: -len(kv[0])):
        rest = code[len(ab) :]
        if code.startswith(ab) and len(codes) == 1 and (_GOV_TAIL.match(rest) or _PARTY_TAIL.match(rest)):
            return codes[0], len(ab)
    # a unique city of the reporting province
    if province:
        hits: dict[str, int] = {}
        for c, keys in _city_keys(province):
            for key in keys:
                if code.startswith(key):
                    hits.setdefault(c, len(key))
        if len(hits) == 1:
            c, n = next(iter(hits.items()))
            return c, n
    return None


def province_of_code(code: str) -> str | None:
    """The province a 机关代字 names by its own abbreviation with a government or Party tail (苏政办发 → 江苏), with
    no reporting region to help: None for central codes and for abbreviations several provinces share."""
    if _CENTRAL.match(code) or _MINISTRY.match(code):
        return None
    for ab, codes in sorted(_province_abbrs().items(), key=lambda kv: -len(kv[0])):
        rest = code[len(ab) :]
        if code.startswith(ab) and len(codes) == 1 and (_GOV_TAIL.match(rest) or _PARTY_TAIL.match(rest)):
            return codes[0]
    return None
