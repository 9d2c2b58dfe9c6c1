"""Normalized text with an offset map back to the original.

Extractors work on ``Text.norm``; every span they find is mapped back to the original text, so the quote stored in
the graph is exactly ``original[start:end]``. Normalization:

* traditional script → simplified (OpenCC ``t2s``; character for character when a phrase rule would change length),
* full-width digits and Latin letters → ASCII,
* injected pinyin annotations (``發(fā)布``), zero-width characters and BOMs removed,
* runs of table pipes (``|||||``) and of spaces collapsed to one space, CR removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# a parenthesised pinyin syllable right after a Han character: 發(fā)布, 国(guó)家
_PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])(?:[(（]\s*[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[1-5]?\s*[)）])+")
_PIPES = re.compile(r"[ \t\u3000]*(?:\|[ \t\u3000]*){2,}")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(s: str) -> str:
    """Simplified script of ``s``, same length (character for character where phrase rules would not be)."""
    conv = _converter()
    out = conv.convert(s)
    if len(out) == len(s):
        return out
    return "".join(c2 if len(c2 := conv.convert(ch)) == 1 else ch for ch in s)


_WIDTH_TABLE = {o: o - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for o in range(r[0], r[1] + 1)}
_HAN = re.compile("[\u4e00-\u9fff]+")
_DROPPED = re.compile("[" + _ZERO_WIDTH + "\r]")


@dataclass(frozen=True)
class Text:
    original: str
    norm: str
    offsets: tuple[int, ...]  # offsets[i] = index in original of norm[i]; offsets[len(norm)] = len(original)
    traditional: bool

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalized span [start, end)."""
        if end <= start:
            o = self.offsets[start]
            return o, o
        return self.offsets[start], self.offsets[end - 1] + 1

    def quote(self, start: int, end: int) -> str:
        s, e = self.span(start, end)
        return self.original[s:e]


def _is_traditional(s: str) -> bool:
    sample = "".join(_HAN.findall(s, 0, 4000))
    if not sample:
        return False
    changed = [a for a, b in zip(sample, _converter().convert(sample), strict=False) if a != b]
    # a traditional text changes a third of its characters, and dozens of different ones; a simplified one changes
    # at most a place name's character that is also traditional (乾县, 乾安县: 乾 would become 干)
    return len(changed) / len(sample) > 0.05 and len(set(changed)) >= 4


def _apply(text: str, offsets: list[int], edits: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """Apply non-overlapping edits (longest first at a position); returns the new text and composed offsets.

    Works on the stretches between edits (slices), not character by character: a report has a few hundred edits
    and thousands of characters.
    """
    edits.sort(key=lambda e: (e[0], -e[1]))
    parts: list[str] = []
    new_offsets: list[int] = []
    i = 0
    for s, e, rep in edits:
        if s < i:  # overlaps an edit already applied
            continue
        parts.append(text[i:s])
        new_offsets.extend(offsets[i:s])
        parts.append(rep)
        new_offsets.extend([offsets[s]] * len(rep))
        i = e
    parts.append(text[i:])
    new_offsets.extend(offsets[i:])
    return "".join(parts), new_offsets


def _noise_edits(text: str) -> list[tuple[int, int, str]]:
    edits = [(m.start(), m.end(), "") for m in _PINYIN.finditer(text)]
    edits += [(m.start(), m.end(), " ") for m in _PIPES.finditer(text)]
    edits += [(m.start(), m.end(), " ") for m in _SPACES.finditer(text) if m.group(0) != " "]
    return edits


def normalize(original: str) -> Text:
    """Normalize ``original`` (already decoded), keeping the offset map."""
    traditional = _is_traditional(original)
    base = to_simplified(original) if traditional else original
    # pass 1: one character for one, or dropped (width, zero-width, CR)
    folded = base.translate(_WIDTH_TABLE)
    if _DROPPED.search(folded):
        kept = [i for i, ch in enumerate(folded) if ch not in _ZERO_WIDTH and ch != "\r"]
        text = "".join(folded[i] for i in kept)
        offsets = kept
    else:
        text, offsets = folded, list(range(len(folded)))
    # pass 2: noise removal and collapsing, repeated until nothing changes (so normalizing twice changes nothing)
    for _ in range(5):
        edits = _noise_edits(text)
        if not edits:
            break
        text, offsets = _apply(text, offsets, edits)
    return Text(original=original, norm=text, offsets=tuple(offsets) + (len(original),), traditional=traditional)
