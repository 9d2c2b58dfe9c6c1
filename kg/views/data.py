"""What the views read from the store: named SPARQL queries (``queries/views/*.rq``) turned into plain records.

Nothing below this module sees RDF: the graph builders take these records, and pyvis only ever sees networkx
graphs. Every collection is sorted, so the same store always gives the same records in the same order.
"""

from __future__ import annotations

import csv
import heapq
import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import pyoxigraph as ox

from kg.config import Config
from kg.queries import NamedQuery, load_query, select_csv, with_values
from kg.resolve.documents import applies

_Fact = TypeVar("_Fact", "Citation", "PlatformUse")

LEVELS = ("national", "province", "city", "county", "township", "unknown")
_YEAR_IN_NUMBER = re.compile(r"[〔\[［(（]\s*((?:19|20)\d{2})\s*[〕\]］)）]")
_YEAR = re.compile(r"^\s*((?:19|20)\d{2})")


@dataclass(frozen=True)
class Evidence:
    """Where a fact was read: the report (title, year) and the quoted sentence (``oa:exact``)."""

    report: str
    report_title: str
    year: int | None
    quote: str


@dataclass(frozen=True)
class Region:
    iri: str
    adcode: str
    label: str
    level: str
    province: str  # IRI of the province region ("" for the State or when unknown)
    parent: str  # IRI of the containing region ("" when unknown)
    lat: float | None
    lon: float | None

    @property
    def province_code(self) -> str:
        """Two-digit province prefix of the adcode ("10" for the State, "" when there is no adcode)."""
        return self.adcode[:2] if len(self.adcode) >= 2 else ""


@dataclass(frozen=True)
class Report:
    iri: str
    title: str
    region: str
    year: int | None  # the year covered, else the year of publication
    level: str
    body: str
    covered: int | None = None  # the year covered only (what a resolution of a title-only citation applies by)


MAX_EVIDENCE = 4  # reports listed per tooltip (the rest are counted), so the reports whose quotes the views read


def evidence_key(e: Evidence) -> tuple[int, str, str]:
    """The order in which evidence is listed: earliest year first (unknown last), then the report's IRI."""
    return (e.year if e.year is not None else 9999, e.report, e.quote)


@dataclass(frozen=True)
class Directive:
    iri: str
    number: str
    title: str
    issuer: str
    level: str
    year: int | None
    by_title: int = 0  # reports citing it by title only (resolved to it)

    @property
    def display(self) -> str:
        """The 文号 when there is one, else the title, else the IRI's last segment."""
        return self.number or (f"《{self.title}》" if self.title else self.iri.rsplit("/", 1)[-1])


@dataclass(frozen=True)
class Citation:
    """A report citing a document (once, whatever its copies): from the report's graph (``gk:cites``)."""

    iri: str  # the document as the report cites it (the title-only document, for a resolved one)
    report: str
    doc: str  # the document cited; for a title-only citation resolved to a numbered document, that document
    quote: str  # the sentence of the report's earliest citation of it; read for the evidence the views show only
    titled: str = ""  # the title-only document it was cited as, when it was resolved


@dataclass(frozen=True)
class PlatformUse:
    iri: str
    report: str
    type: str
    name: str
    url: str
    quote: str


@dataclass(frozen=True)
class PlatformType:
    notation: str
    zh: str
    en: str

    @property
    def label(self) -> str:
        return self.zh or self.en or self.notation


@dataclass
class ViewData:
    """Everything the views draw, read once from the store."""

    regions: dict[str, Region] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    directives: dict[str, Directive] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    platforms: list[PlatformUse] = field(default_factory=list)
    platform_types: dict[str, PlatformType] = field(default_factory=dict)

    def region_of(self, report: str) -> Region | None:
        rep = self.reports.get(report)
        return self.regions.get(rep.region) if rep else None

    def evidence(self, report: str, quote: str) -> Evidence:
        rep = self.reports.get(report)
        if rep is None:
            return Evidence(report, "", None, quote)
        return Evidence(report, rep.title, rep.year, quote)

    def province_label(self, region: Region) -> str:
        prov = self.regions.get(region.province)
        if prov is not None:
            return prov.label
        return region.label if region.level == "province" else ""

    def province_key(self, region: Region) -> str:
        """A stable key of the region's province: its two-digit code ("10" for the State)."""
        prov = self.regions.get(region.province)
        return (prov.province_code if prov else "") or region.province_code or "00"


def year_of(text: str) -> int | None:
    """The year of an xsd:gYear / xsd:date lexical form ("2016", "2017-02-28"), or None."""
    m = _YEAR.match(text or "")
    return int(m.group(1)) if m else None


def year_in_number(number: str) -> int | None:
    """The year printed inside a 文号: 国办发〔2016〕19号 → 2016."""
    m = _YEAR_IN_NUMBER.search(number or "")
    return int(m.group(1)) if m else None


def _float(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _rows(store: ox.Store, config: Config, name: str, params: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The query's rows, sorted here (a sort by the engine costs far more at scale: it compares stored strings)."""
    return _rows_of(store, load_query(f"views/{name}", config.queries_dir), params)


def _rows_of(store: ox.Store, query: NamedQuery, params: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Rows as the engine writes them in SPARQL CSV (no Python term per value), each repeated IRI one string."""
    with select_csv(store, query, params) as answer:
        text = io.TextIOWrapper(answer, encoding="utf-8", newline="")
        reader = csv.reader(text)
        columns = next(reader, [])
        strings: dict[str, str] = {}
        rows = sorted(tuple(strings.setdefault(v, v) for v in row) for row in reader)
        text.detach()  # the temporary file is closed (and removed) by select_csv
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _level(text: str) -> str:
    return text if text in LEVELS else "unknown"


def _first_per(rows: list[dict[str, str]], key: str) -> list[dict[str, str]]:
    """The first row for each value of ``key`` (a fact appears once per quote in the query's rows)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        if row[key] not in seen:
            seen.add(row[key])
            out.append(row)
    return out


def _once_per(items: list, key) -> list:  # type: ignore[no-untyped-def,type-arg]
    """One item per key (the one with the smallest IRI): the same fact read from several copies of a report."""
    best: dict = {}  # type: ignore[type-arg]
    for it in items:
        k = key(it)
        if k not in best or it.iri < best[k].iri:
            best[k] = it
    return list(best.values())


def read_view_data(store: ox.Store, config: Config) -> ViewData:
    """Read regions, reports, directives, citations and platforms through ``queries/views/*.rq``."""
    data = ViewData()
    for row in _rows(store, config, "regions"):
        data.regions[row["region"]] = Region(
            iri=row["region"],
            adcode=row["adcode"],
            label=row["label"] or row["adcode"] or row["region"].rsplit("/", 1)[-1],
            level=_level(row["level"]),
            province=row["province"],
            parent=row["parent"],
            lat=_float(row["lat"]),
            lon=_float(row["lon"]),
        )
    for row in _rows(store, config, "reports"):
        year = year_of(row["year"]) or year_of(row["issued"])
        data.reports[row["report"]] = Report(
            iri=row["report"],
            title=row["title"],
            region=row["region"],
            year=year,
            level=_level(row["level"]),
            body=row["body"],
            covered=year_of(row["year"]),
        )
    for row in _rows(store, config, "directives"):
        number = row["number"]
        data.directives[row["doc"]] = Directive(
            iri=row["doc"],
            number=number,
            title=row["title"] or row["citedTitle"],
            issuer=row["issuer"] or row["issuerCode"],
            level=_level(row["level"]),
            year=year_of(row["date"]) or year_in_number(number),
            by_title=int(row["byTitle"]) if row["byTitle"].isdigit() else 0,
        )
    data.citations = [
        Citation(iri=row["doc"], report=row["report"], doc=row["doc"], quote="")
        for row in _rows(store, config, "citations")
    ]
    data.citations = _resolved(store, config, data)
    data.citations = _once_per(data.citations, lambda c: (c.report, c.doc))  # cited by number and by title: once
    data.citations.sort(key=lambda c: (c.report, c.doc, c.iri))
    data.citations = _with_citation_quotes(store, config, data)
    data.platforms = [
        PlatformUse(
            iri=row["platform"], report=row["report"], type=row["type"] or "other", name=row["name"], url=row["url"],
            quote="",
        )
        for row in _first_per(_rows(store, config, "platforms"), "platform")
    ]  # fmt: skip
    data.platforms = _once_per(data.platforms, lambda p: (p.report, p.type, p.name, p.url))
    data.platforms.sort(key=lambda p: (p.report, p.type, p.iri))
    data.platforms = _with_platform_quotes(store, config, data)
    for row in _rows(store, config, "platform-types"):
        if row["notation"]:
            data.platform_types[row["notation"]] = PlatformType(row["notation"], row["zh"], row["en"])
    for use in data.platforms:  # a type the vocabulary graph lacks still gets a node
        data.platform_types.setdefault(use.type, PlatformType(use.type, "", ""))
    return data


def shown(data: ViewData, items: list[_Fact], kind: Callable[[_Fact], str]) -> set[_Fact]:
    """The facts whose evidence a page shows: on each edge (the citing region, ``kind(fact)``), the first
    :data:`~kg.views.tooltips.MAX_EVIDENCE` reports in the order the tooltips list them (earliest year first, then
    the report's IRI). Only these need their quoted sentence, so the views read a few quotes per edge, not one per
    citation of every report (at 100k reports, millions of index lookups)."""
    per_edge: dict[tuple[str, str], list[tuple[tuple[int, str, str], _Fact]]] = defaultdict(list)
    for fact in items:
        region = data.region_of(fact.report)
        if region is not None:
            per_edge[(region.iri, kind(fact))].append((evidence_key(data.evidence(fact.report, "")), fact))
    return {fact for hits in per_edge.values() for _, fact in heapq.nsmallest(MAX_EVIDENCE, hits, key=lambda h: h[0])}


_VALUES_CHUNK = 500  # reports per query: a VALUES block of their IRIs, each report a few dozen index lookups


def _quotes(store: ox.Store, config: Config, name: str, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The earliest quoted sentence of each wanted (report, fact) pair, from ``queries/views/NAME.rq``, which
    projects ``?report``, the fact, ``?quote`` and ``?start`` and is given the reports as a VALUES block.

    Looked up report by report (about 2 ms each at 10k reports), not joined over the whole store on hashes: that
    takes a third of the time but its hash tables grow with the store (150 MB at 10k reports, over 1 GB at 100k)."""
    query = load_query(f"views/{name}", config.queries_dir)
    reports = sorted({report for report, _ in wanted})
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for i in range(0, len(reports), _VALUES_CHUNK):
        rows = [[str(ox.NamedNode(iri))] for iri in reports[i : i + _VALUES_CHUNK]]
        text = with_values(query.text, ["?report"], rows)
        for row in _rows_of(store, replace(query, text=text)):
            key = (row["report"], row[_FACT_COLUMN[name]])
            if key not in wanted or not row["quote"]:
                continue
            start = int(row["start"]) if row["start"].lstrip("-").isdigit() else 1 << 62
            if key not in best or (start, row["quote"]) < best[key]:
                best[key] = (start, row["quote"])
    return {k: v[1] for k, v in best.items()}


_FACT_COLUMN = {"citation-quotes": "doc", "platform-quotes": "platform"}


def _with_citation_quotes(store: ox.Store, config: Config, data: ViewData) -> list[Citation]:
    chosen = shown(data, data.citations, lambda c: c.doc)
    quotes = _quotes(store, config, "citation-quotes", {(c.report, c.iri) for c in chosen})
    return [replace(c, quote=quotes.get((c.report, c.iri), "")) if c in chosen else c for c in data.citations]


def _with_platform_quotes(store: ox.Store, config: Config, data: ViewData) -> list[PlatformUse]:
    chosen = shown(data, data.platforms, lambda p: p.type)
    quotes = _quotes(store, config, "platform-quotes", {(p.report, p.iri) for p in chosen})
    return [replace(p, quote=quotes.get((p.report, p.iri), "")) if p in chosen else p for p in data.platforms]


def _resolved(store: ox.Store, config: Config, data: ViewData) -> list[Citation]:
    """The citations, those of a title-only document resolved to a numbered one (for the year the report covers)
    under that one (:mod:`kg.titles`)."""
    links: dict[str, list[tuple[str, int | None, int | None]]] = defaultdict(list)
    for row in _rows(store, config, "resolutions"):
        bound = [int(row[k]) if row[k].lstrip("-").isdigit() else None for k in ("from", "until")]
        links[row["titled"]].append((row["doc"], bound[0], bound[1]))
    out = []
    for c in data.citations:
        report = data.reports.get(c.report)
        year = report.covered if report else None
        target = next((doc for doc, f, u in links.get(c.doc, ()) if applies(f, u, year)), None)
        out.append(replace(c, doc=target, titled=c.doc) if target else c)
    return out


@dataclass(frozen=True)
class FirstCitation:
    """A region's first citation of one directive (the diffusion view)."""

    region: str
    year: int
    evidence: Evidence


def first_citations(data: ViewData, doc: str) -> list[FirstCitation]:
    """For one directive, each citing region's earliest report year and its evidence (from the records read)."""
    by_region: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for c in data.citations:
        if c.doc != doc:
            continue
        rep = data.reports.get(c.report)
        if rep is None or rep.year is None or rep.region not in data.regions:
            continue
        by_region[rep.region].append((rep.year, c.report, c.quote))
    firsts = []
    for region, hits in sorted(by_region.items()):
        year, report, quote = min(hits)
        firsts.append(FirstCitation(region, year, data.evidence(report, quote)))
    return sorted(firsts, key=lambda f: (f.year, f.region))
