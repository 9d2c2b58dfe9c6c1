"""The typed facts extractors produce. Spans are offsets into ``Text.norm``."""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]


@dataclass
class Identity:
    region_code: str | None = None
    region_name: str | None = None
    level: str | None = None  # national | province | city | county | township
    body: str = "government"  # government | department
    body_name: str | None = None  # 兴化市人民政府, 张家港市教育局
    body_suffix: str | None = None  # what follows the region in the body name: 人民政府办公室, 教育局
    year: int | None = None
    published: str | None = None  # ISO date
    index_number: str | None = None
    report_number: str | None = None
    title: str | None = None
    spans: dict[str, Span] = field(default_factory=dict)  # field name -> where it was read


@dataclass
class Issuer:
    code: str  # 机关代字: 国办发, 苏政办发
    level: str  # national | province | city | county | unknown
    adcode: str | None
    organ: str | None  # 国务院办公厅, 江苏省人民政府办公厅


@dataclass
class Citation:
    number: str | None  # canonical 文号; None for a title-only citation
    raw: str | None  # as printed
    title: str | None
    issuer: Issuer | None
    span: Span
    year: int | None = None
    alias: str | None = None
    title_span: Span | None = None


@dataclass
class Platform:
    type: str
    name: str | None
    url: str | None
    span: Span
    suspicious: bool = False


@dataclass
class Initiative:
    notation: str | None  # concept of the shipped scheme, or None for a candidate
    label: str  # as printed (without quotes)
    span: Span


@dataclass
class Statistic:
    key: str
    value: float
    approximate: bool
    span: Span


@dataclass
class Agency:
    name: str  # as printed: 市发改委
    full_name: str  # 连云港市发展和改革委员会
    span: Span


@dataclass
class Facts:
    identity: Identity
    citations: list[Citation] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    statistics: list[Statistic] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
