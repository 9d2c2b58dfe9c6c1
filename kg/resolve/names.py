"""Region names inside a string, and which codes they denote.

``parse_name("淮北市烈山区人民政府")`` splits a name into the regions it begins with (each with its candidate codes,
outermost first) and the rest (``人民政府``); :func:`choose_code` picks, among the candidates, the most specific code
consistent with the outer regions and with how often the report names each province and city.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from kg.resolve.regions import STATE, Gazetteer, gazetteer


@dataclass(frozen=True)
class RegionParse:
    """A name split into regions and the body after them."""

    regions: tuple[tuple[str, tuple[str, ...]], ...]  # (matched name, candidate codes), outermost first
    rest: str


def parse_name(name: str, g: Gazetteer | None = None) -> RegionParse:
    """The regions a name starts with (longest names first) and what follows them."""
    g = g or gazetteer()
    regions: list[tuple[str, tuple[str, ...]]] = []
    i = 0
    while i < len(name):
        for j in range(min(len(name), i + 12), i + 1, -1):
            cands = g.candidates(name[i:j])
            if cands:
                regions.append((name[i:j], tuple(cands)))
                i = j
                break
        else:
            break
    return RegionParse(tuple(regions), name[i:])


def region_suffix(s: str, whole: bool = True) -> RegionParse | None:
    """The region names inside ``s``: the earliest start from which they parse (the rest must be empty if whole)."""
    for i in range(len(s) - 1):
        parse = parse_name(s[i:])
        if parse.regions and (not whole or not parse.rest):
            return parse
    return None


def choose_code(parse: RegionParse, mentions: Counter[str], g: Gazetteer | None = None) -> str | None:
    """The most specific region of a parsed name, consistent with its outer regions and the text's mentions."""
    g = g or gazetteer()
    chosen: str | None = None
    for _, cands in parse.regions:
        cur = [c for c in cands if c in g.current] or list(cands)
        if chosen:
            inside = [c for c in cur if c.startswith(chosen[:2] if chosen.endswith("0000") else chosen[:4])]
            cur = inside or cur
        if len(cur) > 1:  # retired codes of one division count once (玉环县 331021 and its older code → 玉环市)
            cur = list({g.successor(c) or c: c for c in reversed(cur)}.values())[::-1]
        if len(cur) > 1:
            score = {c: sum(mentions.get(a, 0) for a in [c, *g.ancestors(c)]) for c in cur}
            cur.sort(key=lambda c: (-score[c], c not in g.current, c))
            if not chosen and score[cur[0]] == score[cur[1]] and (cur[1] in g.current) == (cur[0] in g.current):
                return None  # 鼓楼区 with nothing to tell 南京's from 福州's: no guess
        chosen = g.successor(cur[0]) or cur[0]
    return chosen


@lru_cache(maxsize=1)
def _upper_regions() -> tuple[tuple[str, str], ...]:
    """(code, name) of every current province and city: the names counted in each report, listed once."""
    g = gazetteer()
    return tuple((c, r.name) for c, r in sorted(g.current.items()) if r.level in ("province", "city") and c != STATE)


@lru_cache(maxsize=1)
def _upper_region_pattern() -> tuple[re.Pattern[str], dict[str, tuple[tuple[str, int], ...]]]:
    """All those names in one pattern, longest first, and for each name the codes of the names it holds (马鞍山市
    holds 鞍山市), each with how many times. Counting the pattern's matches so is counting each name on its own
    (``str.count``) when no name's end is another's start (``tests/test_resolve.py`` checks the gazetteer's)."""
    regions = _upper_regions()
    names = sorted({n for _, n in regions}, key=lambda n: (-len(n), n))
    held = {m: tuple((c, m.count(n)) for c, n in regions if n in m) for m in names}
    return re.compile("|".join(map(re.escape, names))), held


def count_mentions(text: str) -> Counter[str]:
    """How often the text names each province and city (by full name), for disambiguation; in the order of their
    codes, which :meth:`Counter.most_common` keeps among equal counts."""
    pattern, held = _upper_region_pattern()
    counts: Counter[str] = Counter()
    for name in pattern.findall(text):
        for code, n in held[name]:
            counts[code] += n
    return Counter({c: counts[c] for c in sorted(counts)})
