"""A government page's host → the region whose government runs it.

A ``*.gov.cn`` host spells its government's name in pinyin, whole or by initials, sometimes with 政府 (zf) after it:
``www.lanzhou.gov.cn`` (兰州), ``www.lyg.gov.cn`` (连云港), ``bbwb.gxzf.gov.cn`` (广西政府). Each label of the host
before ``gov.cn`` is looked up among the pinyin spellings of every current division's name stem. A label that
spells several divisions gives all of them: the caller decides with the rest of its evidence. Hosts of other
domains (mirror sites) name no government.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.resolve.regions import STATE, gazetteer, stem

_GOV_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*[a-z0-9-]+\.gov\.cn$")
_GENERIC = {"www", "gov", "cn", "zwgk", "xxgk", "gk", "zw", "wap", "m", "english", "en", "zfxxgk", "xxgkml"}


def _spellings(name: str) -> set[str]:
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(name))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    out = {full, full + "zf", initials + "zf"}
    if len(initials) >= 3:  # two letters spell too many places
        out.add(initials)
    return out


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, ...]]:
    g = gazetteer()
    out: dict[str, list[str]] = {}
    for code, r in sorted(g.current.items()):
        if code == STATE:
            continue
        for key in _spellings(stem(r.name)):
            out.setdefault(key, []).append(code)
    return {k: tuple(v) for k, v in out.items()}


def host_of(url: str) -> str | None:
    """The lower-case host of a URL or bare address (``http://www.x.gov.cn/a`` → ``www.x.gov.cn``)."""
    m = re.match(r"^(?:[a-z][a-z0-9+.-]*://)?([^/:?#\s]+)", url.strip().lower())
    return m.group(1) if m else None


def host_regions(url: str) -> tuple[str, tuple[str, ...]] | None:
    """(the host label that names a government, the current codes it may denote), for a government host only."""
    host = host_of(url)
    if not host or not _GOV_HOST.match(host):
        return None
    labels = host.split(".")[:-2]
    for label in reversed(labels):  # the label nearest gov.cn names the government (bbwb.gxzf.gov.cn → gxzf)
        if label in _GENERIC:
            continue
        if codes := _index().get(label):
            return label, codes
    return None
