"""Text lines of paged documents → one text with paragraphs rejoined and each page's start offset.

A PDF's text layer has no paragraphs, only lines placed on pages. A Chinese paragraph wraps wherever the line is
full, even inside a 文号 (``国办发〔2016〕`` / ``19号``), so the lines of one paragraph are joined again, without a
space (Chinese has none between words). A line ends its paragraph when it stops short of the text column's right
edge, or when the next line starts indented (首行缩进); a paragraph that goes on over a page break is joined the same
way. A step down of more than a line and a half is a blank line. Page numbers printed alone at the top or bottom of a page (``— 3 —``,
``第 3 页 共 9 页``) are running matter, not report text, and are dropped. Lines that share a row but stand apart
(table cells, fields of a header block) become one row ``| a | b |``, the form the HTML reader gives tables.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－_·•]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—–－_·•]*$"
)
_FULL_TOLERANCE = 1.0  # in character heights: a wrapped line ends less than one character short of the edge
_INDENT = 0.8  # in character heights: a first line set in by about two characters or more is a new paragraph
_BLANK = 1.6  # in usual row pitches: a wider step down means a blank line


@dataclass(frozen=True)
class Line:
    """One line of text as laid out on its page (PDF user space: y grows upwards)."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def size(self) -> float:
        return max(self.y1 - self.y0, 1.0)


@dataclass(frozen=True)
class _Row(Line):
    """The lines of a page that share a row, as one: a single line, or table cells ``| a | b |``."""

    cells: int = 1


def table_row(cells: Sequence[str]) -> str:
    """``| a | b |`` (an empty cell ``| |``), the form the HTML reader gives a table's row."""
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def _rows(lines: Sequence[Line]) -> list[_Row]:
    """Lines of one page grouped into rows (top to bottom), the lines of a row left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (-ln.y1, ln.x0)):
        mid = (line.y0 + line.y1) / 2
        if rows and min(ln.y0 for ln in rows[-1]) <= mid <= max(ln.y1 for ln in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    out = []
    for group in rows:
        group.sort(key=lambda ln: ln.x0)
        texts = [ln.text.strip() if len(group) > 1 else ln.text.rstrip("\r\n") for ln in group]
        text = texts[0] if len(group) == 1 else table_row(texts)
        out.append(
            _Row(
                text,
                group[0].x0,
                max(ln.x1 for ln in group),
                min(ln.y0 for ln in group),
                max(ln.y1 for ln in group),
                len(group),
            )
        )
    return out


def _page_number(row: _Row) -> int | None:
    m = _PAGE_NUMBER.match(row.text) if row.cells == 1 else None
    return int(re.search(r"\d+", row.text).group()) if m else None  # type: ignore[union-attr]


def _running_matter(pages: list[list[_Row]]) -> list[list[_Row]]:
    """The rows of each page without the page number printed alone as its first or last row.

    At most one row a page is its number: an ornamented one (``— 12 —``, ``第12页``) first. A bare number (``12``)
    can be a table's figure too, so it counts only when it goes up with the pages (the page's index plus the offset
    most pages share) and the page has no ornamented number.
    """
    candidates: dict[tuple[int, int], int] = {}  # (page, 0 first row | -1 last row) -> number
    for n, rows in enumerate(pages):
        for end in (-1, 0):
            if rows and (number := _page_number(rows[end])) is not None:
                candidates[(n, end % len(rows))] = number
    offsets = Counter(number - n for (n, _), number in candidates.items())
    usual, seen = offsets.most_common(1)[0] if offsets else (None, 0)
    out = []
    for n, rows in enumerate(pages):
        mine = [(i, number) for (m, i), number in candidates.items() if m == n]
        ornamented = [i for i, _ in mine if not rows[i].text.strip().isdigit()]
        bare = [i for i, number in mine if number - n == usual and (seen > 1 or len(pages) == 1)]
        drop = ornamented[:1] or bare[:1]
        out.append([r for i, r in enumerate(rows) if i not in drop])
    return out


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _column(pages: list[list[_Row]]) -> tuple[float, float]:
    """Left and right edges of the text column, from the document's single-cell rows of some length."""
    body = [r for rows in pages for r in rows if r.cells == 1 and len(r.text.strip()) >= 5]
    if not body:
        body = [r for rows in pages for r in rows]
    if not body:
        return 0.0, 0.0
    return _percentile([r.x0 for r in body], 0.1), _percentile([r.x1 for r in body], 0.9)


def _pitch(pages: list[list[_Row]]) -> float:
    """The usual distance from one row to the next (the median over the document)."""
    steps = sorted(a.y0 - b.y0 for rows in pages for a, b in zip(rows, rows[1:], strict=False) if a.y0 > b.y0)
    return steps[len(steps) // 2] if steps else 0.0


def join_pages(pages: Sequence[Sequence[Line]]) -> tuple[str, tuple[int, ...]]:
    """(text, start offset of each page in the text) from the lines of each page."""
    rows_by_page = _running_matter([_rows(lines) for lines in pages])
    left, right = _column(rows_by_page)
    pitch = _pitch(rows_by_page)
    parts: list[str] = []
    length = 0
    starts: list[int] = []
    prev: _Row | None = None
    prev_page = -1
    for page_no, rows in enumerate(rows_by_page):
        starts.append(length)
        for row in rows:
            if prev is not None:
                same_page = prev_page == page_no
                if same_page and pitch and prev.y0 - row.y0 > _BLANK * pitch:
                    sep = "\n\n"  # a blank line's worth of space or more: the text had a blank line
                else:
                    sep = "" if _continues(prev, row, left, right) else "\n"
                parts.append(sep)
                length += len(sep)
                if not same_page:
                    starts[page_no] = length
            parts.append(row.text)
            length += len(row.text)
            prev, prev_page = row, page_no
    return "".join(parts), tuple(starts)


def _continues(prev: _Row, row: _Row, left: float, right: float) -> bool:
    """Does ``row`` go on with the paragraph that ``prev`` ends?"""
    if prev.cells > 1 or row.cells > 1 or not prev.text.strip():
        return False
    size = max(prev.size, row.size)
    if prev.x1 < right - _FULL_TOLERANCE * size:
        return False  # stopped short of the edge: the paragraph ended
    return row.x0 <= left + _INDENT * size  # indented: a new paragraph
