"""Agencies a report names: normalized full names (市发改委 → 连云港市发展和改革委员会), short form kept.

Short forms come from ``gazetteer/data/agency_short_forms.csv``. A name written with the tier only (市…, 县…, 区…)
belongs to the reporting government when the tier matches its level. Spam put in place of a name by a defaced mirror
(``allsport365bet办公室``) is not an agency.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from kg.extract.facts import Agency, Identity
from kg.gazetteer.regions import gazetteer

_DATA = Path(__file__).resolve().parent.parent / "gazetteer" / "data" / "agency_short_forms.csv"
_TIER = {"province": "省", "city": "市", "county": ("县", "区", "市"), "township": ("镇", "乡")}


@lru_cache(maxsize=1)
def _short_forms() -> dict[str, str]:
    out: dict[str, str] = {}
    with _DATA.open(encoding="utf-8") as f:
        for row in csv.reader(f):
            if row and not row[0].startswith("#"):
                out[row[0]] = row[1]
    return out


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alts = "|".join(sorted(map(re.escape, _short_forms()), key=len, reverse=True))
    return re.compile(rf"(?<![\u4e00-\u9fffA-Za-z0-9])([省市县区])({alts})")


def extract_agencies(norm: str, identity: Identity) -> list[Agency]:
    if not identity.region_code or not identity.level:
        return []
    tiers = _TIER.get(identity.level, ())
    region = gazetteer().name(identity.region_code)
    out: dict[str, Agency] = {}
    for m in _pattern().finditer(norm):
        tier, short = m.group(1), m.group(2)
        if tier not in tiers:
            continue
        full = region + _short_forms()[short]
        if full not in out:
            out[full] = Agency(m.group(0), full, m.span())
    return list(out.values())
