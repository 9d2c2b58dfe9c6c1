"""Initiatives: named reform campaigns and working methods.

Known ones are the concepts of the ``initiative`` scheme (labels and variants in ``ontology/vocabularies.ttl``);
new ones are discovered from how reports name campaigns: a quoted name followed by 改革, 工作机制, 行动, 工程 …
(“3550”改革, “两明确、一落实、一确保”工作机制), kept as candidate concepts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kg.extract.facts import Initiative
from kg.resolve.vocab import labels

_CAMPAIGN = re.compile(r"[“\"]([^“”\"\n]{2,24})[”\"](改革|工作机制|机制|专项行动|行动|工程|模式|工作法|试点)")
_NOT_CAMPAIGN = re.compile(r"[《》]|^[\u4e00-\u9fff]{1}$|^(?:网上办|不见面)$")
_POLITICAL = re.compile(r"两个确立|四个意识|四个自信|两个维护|不忘初心")


@lru_cache(maxsize=1)
def _words() -> list[tuple[str, str]]:
    pairs = [(w, n) for n, ws in labels("initiative", ("prefLabel", "altLabel")).items() for w in ws]
    return sorted(pairs, key=lambda p: (-len(p[0]), p[0]))


def extract_initiatives(norm: str) -> list[Initiative]:
    out: list[Initiative] = []
    seen: set[tuple[str | None, str]] = set()
    taken = [False] * len(norm)
    for word, notation in _words():
        for m in re.finditer(re.escape(word), norm):
            s, e = m.span()
            if any(taken[s:e]):
                continue
            for i in range(s, e):
                taken[i] = True
            if (notation, word) not in seen:
                seen.add((notation, word))
                out.append(Initiative(notation, word, (s, e)))
    known = {w for w, _ in _words()}
    for m in _CAMPAIGN.finditer(norm):
        name, kind = m.group(1), m.group(2)
        if name in known or _NOT_CAMPAIGN.search(name) or _POLITICAL.search(name) or any(taken[m.start(1) : m.end(1)]):
            continue
        label = name + kind if kind == "改革" and len(name) <= 6 else name
        if (None, label) not in seen:
            seen.add((None, label))
            out.append(Initiative(None, label, m.span(1)))
    return out
