"""A pattern's matches found only near the character every match holds.

Some patterns start with a lazy run of Han characters (``[\\u4e00-\\u9fff]{2,20}?网``, ``…{1,12}?令``): scanned
over a whole report, they try every run length at every Han character, and took most of their extractor's time.
Each such match holds one character (网, 令) at most ``reach`` characters after its start, and ends with a word
holding it and a tail. :func:`matches_near` tries the pattern only where that character stands, its word and its
tail are there, and from ``reach`` characters before it: there, the pattern is sure to match. The matches are the
pattern's own ``finditer`` (property tests in ``tests/`` compare them on generated texts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


def matches_near(
    text: str,
    rx: re.Pattern[str],
    anchor: str,
    tail: re.Pattern[str],
    words: Callable[[str, int], Iterator[int]],
    reach: int,
) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)``, for a pattern whose matches are a name ending in a word that holds ``anchor``,
    then ``tail``, and start at most ``reach`` characters before the anchor; ``words(text, k)`` gives where each
    word holding the anchor at ``k`` ends (where ``rx`` is then sure to match a tail)."""
    start = k = 0  # where the next match may start; the next anchor to look at
    while (k := text.find(anchor, k)) >= 0:
        if not any(tail.match(text, e) for e in words(text, k)):
            k += 1
            continue
        if not (m := rx.search(text, max(start, k - reach))):
            return
        yield m
        start = k = m.end()
