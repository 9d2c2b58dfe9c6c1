"""The typed facts extractors produce, and what resolution adds to them. Spans are offsets into ``Text.norm``.

Extractors fill in what the text says (names as printed, 机关代字, claims about the author); the resolver
(:mod:`kg.resolve`) fills in what it refers to (region codes, issuers, full agency names) and the evidence that
decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.resolve.identity import Evidence
from kg.resolve.issuers import Issuer

__all__ = [
    "Agency", "Citation", "Evidence", "Facts", "Identity", "Initiative", "Issuer", "Platform", "Span", "Statistic",
]  # fmt: skip

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
    # what the text says about its author (every claim, as printed), for the resolver
    claims: list[Evidence] = field(default_factory=list)
    # the claims that decided the region, each with the code it names (leading claim first); empty when unknown
    evidence: list[Evidence] = field(default_factory=list)
    # claims that named another region: when they weigh as much as the leading claim, the region is left unknown
    conflicting: list[Evidence] = field(default_factory=list)
    year_evidence: Evidence | None = None  # where the year covered was read (kind: title, period, report_name, opening)
    compiled: bool = False  # the report says it was compiled from its departments' and lower governments' reports


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
    issuer_code: str | None = None  # the 机关代字 as printed (trimmed), which the resolver turns into ``issuer``


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
    full_name: str  # 连云港市发展和改革委员会 (set by the resolver)
    span: Span
    tier: str | None = None  # 市
    short: str | None = None  # 发改委


@dataclass
class Facts:
    identity: Identity
    citations: list[Citation] = field(default_factory=list)
    platforms: list[Platform] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    statistics: list[Statistic] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
