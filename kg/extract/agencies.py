"""Agencies a report names by a short form with its tier (市发改委, 县人社局), as printed.

Which agency that is (连云港市发展和改革委员会) is for :mod:`kg.resolve.agencies` to say. Spam put in place of a name
by a defaced mirror (``allsport365bet办公室``) is not an agency.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.extract.facts import Agency
from kg.resolve.agencies import agency_short_forms


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alts = "|".join(sorted(map(re.escape, agency_short_forms()), key=len, reverse=True))
    return re.compile(rf"(?<![\u4e00-\u9fffA-Za-z0-9])([省市县区镇乡])({alts})")


def extract_agencies(norm: str) -> list[Agency]:
    """Every short-form agency name, once per name as printed (full name not yet known)."""
    out: dict[str, Agency] = {}
    for m in _pattern().finditer(norm):
        if m.group(0) not in out:
            out[m.group(0)] = Agency(m.group(0), "", m.span(), tier=m.group(1), short=m.group(2))
    return list(out.values())
