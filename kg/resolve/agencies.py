"""Agency names a report writes short (市发改委) → the full name of that agency of the reporting government.

Short forms come from ``data/agency_short_forms.csv``. A name written with the tier only (市…, 县…, 区…) is the
reporting government's agency when the tier is the government's own (a county-level 市 writes 市 too).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from kg.resolve.regions import gazetteer

_DATA = Path(__file__).with_name("data") / "agency_short_forms.csv"
_TIER = {"province": ("省",), "city": ("市",), "county": ("县", "区", "市"), "township": ("镇", "乡")}


@lru_cache(maxsize=1)
def agency_short_forms() -> dict[str, str]:
    """short form → long form without the region: 发改委 → 发展和改革委员会."""
    out: dict[str, str] = {}
    with _DATA.open(encoding="utf-8") as f:
        for row in csv.reader(f):
            if row and not row[0].startswith("#"):
                out[row[0]] = row[1]
    return out


def agency_full_name(tier: str, short: str, region_code: str | None, level: str | None) -> str | None:
    """连云港市 + 市发改委 → 连云港市发展和改革委员会; None when the tier is not the reporting government's."""
    if not region_code or not level or tier not in _TIER.get(level, ()):
        return None
    long_form = agency_short_forms().get(short)
    return gazetteer().name(region_code) + long_form if long_form else None
