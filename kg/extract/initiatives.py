"""Initiatives: named reform campaigns and working methods.

Known ones are the concepts of the ``initiative`` scheme (labels and variants in ``ontology/vocabularies.ttl``),
listed once per report, with the mention that names them by their own label when there is one. Concepts whose name
is also the ordinary name of a field of work (collection ``v:initiative-work-areas``: 重点领域信息公开, 营商环境 …)
count only where the report marks the words as a name: in quotes, or followed by 工作, 改革, 制度 ….
New ones are discovered from how reports name campaigns: a quoted name followed by 改革, 工作机制, 行动, 工程, 制度 …
(“3550”改革, “两明确、一落实、一确保”工作机制), a quoted list reform (“程序清单”), and a quoted numbered formula that
the report spells out (“四个落实”，即落实责任机构…), kept as candidates (``notation`` None).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from kg.extract.facts import Initiative
from kg.resolve.vocab import collection_members, labels

_KINDS = r"改革|工作机制|机制|专项行动|行动|工程|模式|工作法|试点|制度"
_CAMPAIGN = re.compile(r"[“\"]([^“”\"\n]{2,24})[”\"](" + _KINDS + ")")
# a quoted list reform (“程序清单”), and a quoted numbered formula the report spells out (“四个落实”，即落实…)
_LIST = re.compile(r"[“\"]([^“”\"《》\n]{1,12}清单)[”\"]")
_FORMULA = re.compile(r"[“\"]([一二三四五六七八九十两双][个项张大]?[^“”\"《》\n]{1,10})[”\"][,，]?即")
_NOT_CAMPAIGN = re.compile(r"[《》]|^[\u4e00-\u9fff]{1}$|^(?:网上办|不见面)$")
_POLITICAL = re.compile(r"两个确立|四个意识|四个自信|两个维护|不忘初心")
# how a report marks a field of work as a named undertaking: “权力清单”, 重点领域政府信息公开工作, …改革
_MARKED_AFTER = re.compile(
    r"^[”\"]|^(?:工作(?!(?:推进)?情况|标准化|规范化|要点)|改革|制度|机制|行动|专项|试点|建设工作)"
)
# a section heading (一、做好重点领域信息公开工作): it names a field of the report, not an undertaking
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}[、.]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、.])[^\n]{0,30}$"
)
_MARKED_BEFORE = re.compile(r"[“\"]$")


@lru_cache(maxsize=1)
def _words() -> list[tuple[str, str]]:
    pairs = [(w, n) for n, ws in labels("initiative", ("prefLabel", "altLabel")).items() for w in ws]
    return sorted(pairs, key=lambda p: (-len(p[0]), p[0]))


@lru_cache(maxsize=1)
def _pref() -> dict[str, str]:
    return {n: ws[0] for n, ws in labels("initiative", ("prefLabel",)).items() if ws}


def _marked(norm: str, s: int, e: int) -> bool:
    if norm[s - 1 : s] in '“"' and norm[e : e + 1] in '”"':
        return True
    line_start, line_end = norm.rfind("\n", 0, s) + 1, norm.find("\n", e)
    if _HEADING.match(norm[line_start : line_end if line_end >= 0 else len(norm)]):
        return False
    return bool(_MARKED_BEFORE.search(norm[max(0, s - 1) : s]) and norm[e : e + 1] in '”"') or bool(
        _MARKED_AFTER.match(norm[e : e + 8])
    )


def _occurrences(text: str, word: str) -> Iterator[int]:
    """Where ``word`` starts in ``text``, left to right and not overlapping (``re.finditer`` of the word, without
    compiling a pattern for each of the scheme's words in each report)."""
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + len(word))


def extract_initiatives(norm: str) -> list[Initiative]:
    work_areas = collection_members("initiative-work-areas")
    mentions: dict[str, list[Initiative]] = {}
    taken = [False] * len(norm)
    for word, notation in _words():
        for s in _occurrences(norm, word):
            e = s + len(word)
            if any(taken[s:e]):
                continue
            for i in range(s, e):
                taken[i] = True
            if notation in work_areas and not _marked(norm, s, e):
                continue
            mentions.setdefault(notation, []).append(Initiative(notation, word, (s, e)))
    out: list[Initiative] = []
    for notation, found in mentions.items():
        # once per concept: where the report names it by its own label, else where it first names it
        by_label = [i for i in found if i.label == _pref().get(notation)]
        out.append(min(by_label or found, key=lambda i: i.span))
    out.sort(key=lambda i: i.span)
    known = {w for w, _ in _words()}
    seen: set[str] = set()
    named = [(m, m.group(1) + m.group(2) if m.group(2) == "改革" and len(m.group(1)) <= 6 else m.group(1))
             for m in _CAMPAIGN.finditer(norm)]  # fmt: skip
    named += [(m, m.group(1)) for rx in (_LIST, _FORMULA) for m in rx.finditer(norm)]
    spans: set[tuple[int, int]] = set()
    for m, label in sorted(named, key=lambda n: n[0].start(1)):  # stable: a campaign's own label first
        name = m.group(1)
        if name in known or _NOT_CAMPAIGN.search(name) or _POLITICAL.search(name) or any(taken[m.start(1) : m.end(1)]):
            continue
        if label not in seen and m.span(1) not in spans:
            seen.add(label)
            spans.add(m.span(1))
            out.append(Initiative(None, label, m.span(1)))
    return out
