"""Documents cited by title only: the key their titles are compared by, and the table of foundational documents.

The table (``data/foundational_documents.csv``) holds the few national documents that reports cite by title and
seldom or never by number — the 条例 first — each with its number, issuer, date and the public source the facts come
from. A document issued in several versions (the 条例 of 2007, 国务院令第492号, and its 2019 revision, 第711号) has a
row per version; the year a citing report covers chooses one (:func:`foundational_versions`). :mod:`kg.titles`
resolves title-only citations with it.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("data")
FOUNDATIONAL = _DATA / "foundational_documents.csv"
COLUMNS = ("number", "title", "issuer", "date", "source")
# the regulations' deadline for a year's reports: 31 March of the next year (2007 条例, 第三十一条), 31 January from the
# reports on 2019 (2019 条例, 第四十九条)
_DEADLINE_CHANGE = 2019
_MARKS = str.maketrans({**dict.fromkeys("《》〈〉<>「」『』“”\"'‘’ \t\n\u3000"), "（": "(", "）": ")"})


def title_key(title: str) -> str:
    """What two printings of one title share: the title without inner title marks, quotes and spaces, with ASCII
    brackets (《…印发〈…格式〉的通知》 and 《…印发<…格式>的通知》 are one title)."""
    return title.translate(_MARKS)


def report_deadline(year: int) -> datetime.date:
    """The day by which the reports covering ``year`` were due."""
    return datetime.date(year + 1, 3, 31) if year < _DEADLINE_CHANGE else datetime.date(year + 1, 1, 31)


def first_citing_year(issued: datetime.date) -> int:
    """The first year covered whose reports could cite a document issued on ``issued``: its own year, or the year
    before when the previous year's reports were still due."""
    return issued.year - 1 if issued <= report_deadline(issued.year - 1) else issued.year


def applies(from_year: int | None, until_year: int | None, year: int | None) -> bool:
    """Whether a resolution bounded by these years covered (None: open) applies to a report covering ``year``
    (None: unknown, to which only an unbounded resolution applies). The queries say the same in SPARQL."""
    if from_year is not None and (year is None or year < from_year):
        return False
    return until_year is None or (year is not None and year <= until_year)


@dataclass(frozen=True)
class Foundational:
    number: str  # canonical 文号
    title: str
    issuer: str
    date: datetime.date  # issued
    source: str  # a public page giving these facts


@dataclass(frozen=True)
class Version:
    """One version of a foundational document and the years covered whose reports it applies to (None: open)."""

    document: Foundational
    from_year: int
    until_year: int | None


def load_foundational(path: Path = FOUNDATIONAL) -> tuple[Foundational, ...]:
    """The rows of the table; a malformed row raises ValueError naming the file, the line and what is wrong."""
    rows: list[Foundational] = []
    with path.open(encoding="utf-8", newline="") as f:
        lines = [(i, line) for i, line in enumerate(f, 1) if line.strip() and not line.startswith("#")]
    reader = csv.reader(line for _, line in lines)
    header = next(reader, None)
    if tuple(header or ()) != COLUMNS:
        raise ValueError(f"{path}: the header must be {','.join(COLUMNS)}, not {','.join(header or [])}")
    for (lineno, _), row in zip(lines[1:], reader, strict=True):
        if len(row) != len(COLUMNS) or not all(cell.strip() for cell in row):
            raise ValueError(f"{path}:{lineno}: {len(COLUMNS)} non-empty columns ({','.join(COLUMNS)}) expected")
        number, title, issuer, date, source = (cell.strip() for cell in row)
        try:
            issued = datetime.date.fromisoformat(date)
        except ValueError as exc:
            raise ValueError(f"{path}:{lineno}: date {date!r} is not YYYY-MM-DD") from exc
        rows.append(Foundational(number, title, issuer, issued, source))
    return tuple(rows)


@lru_cache(maxsize=1)
def foundational_versions() -> dict[str, tuple[Version, ...]]:
    """Title key → the versions of the document of that title, oldest first. A version applies to the reports
    covering its first citing year (:func:`first_citing_year`) up to the year before the next version's."""
    by_title: dict[str, list[Foundational]] = {}
    for row in load_foundational():
        by_title.setdefault(title_key(row.title), []).append(row)
    out: dict[str, tuple[Version, ...]] = {}
    for key, docs in sorted(by_title.items()):
        docs.sort(key=lambda d: (d.date, d.number))
        starts = [first_citing_year(d.date) for d in docs]
        out[key] = tuple(
            Version(d, starts[i], starts[i + 1] - 1 if i + 1 < len(docs) else None) for i, d in enumerate(docs)
        )
    return out
