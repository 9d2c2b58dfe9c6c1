"""Directive diffusion: for one directive, which regions cite it, at which level, and how many years after it.

The page is a grid: x = year of a region's first citation, y = the region's level (national → province → city →
county). Each region hangs from the nearest region above it (its city, its province) that cited the directive no
later than it did, else from the directive itself — the cascade the directive travelled down.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

import networkx as nx

from kg.views import tooltips as tt
from kg.views.citation import directive_node_attrs, node_box, region_node_attrs
from kg.views.data import Directive, FirstCitation, ViewData
from kg.views.layout import text_width
from kg.views.page import Filter, LegendItem, Page, facet_filter, slug_key
from kg.views.style import AXIS_FONT_SIZE, REGION_COLOR, level_color, level_name, level_rank

CELL_GAP = 40.0  # px between two (year, level) cells
CELL_ASPECT = 3.0  # a cell of many regions is about this much wider than tall: a level stays a thin band
AXIS_COLOR = "#333333"
MIN_REGIONS = 2  # a directive cited by fewer regions has no diffusion to draw


@dataclass
class DiffusionSummary:
    """One row of the index's diffusion table."""

    rank: int
    doc: str
    directive: Directive
    regions: int
    first_by_level: dict[str, int] = field(default_factory=dict)  # level -> year of its first citation
    median_lag: float | None = None
    pages: list[str] = field(default_factory=list)

    def lag(self, level: str) -> int | None:
        year = self.first_by_level.get(level)
        if year is None or self.directive.year is None:
            return None
        return year - self.directive.year


def top_directives(data: ViewData, citation_graph: nx.DiGraph, n: int) -> list[str]:
    """The ``n`` directives cited by the most regions (ties by IRI); at least two regions, or nothing diffused."""
    docs = [
        (a["cited_by"], d)
        for d, a in citation_graph.nodes(data=True)
        if a["kind"] == "directive" and a["cited_by"] >= MIN_REGIONS
    ]
    return [d for _, d in sorted(docs, key=lambda t: (-t[0], t[1]))[:n]]


def _upstream(data: ViewData, first: dict[str, int], region: str) -> str | None:
    """The nearest ancestor region that cited the directive no later than ``region`` did."""
    seen = {region}
    parent = data.regions[region].parent
    while parent and parent not in seen and parent in data.regions:
        if parent in first and first[parent] <= first[region]:
            return parent
        seen.add(parent)
        parent = data.regions[parent].parent
    return None


def build_diffusion_graph(data: ViewData, doc: str, firsts: list[FirstCitation]) -> nx.DiGraph:
    """Directive → regions (or region → region, down the cascade) with each region's first citation.

    Region nodes carry ``first_year`` and ``lag`` (years after the directive's own year, None when unknown).
    """
    d = data.directives[doc]
    first = {f.region: f.year for f in firsts}
    g = nx.DiGraph(name=f"diffusion {d.display}")
    g.add_node(doc, **directive_node_attrs(d, len(firsts)))
    for f in firsts:
        region = data.regions[f.region]
        lag = f.year - d.year if d.year is not None else None
        attrs = region_node_attrs(data, f.region)
        attrs.update(
            first_year=f.year,
            lag=lag,
            title=tt.tooltip(
                region.label,
                [
                    tt.line("层级 level", level_name(region.level)),
                    tt.line("省份 province", data.province_label(region)),
                    tt.line("首次引用 first cited", f.year),
                    tt.line("滞后 lag (years)", lag),
                ],
                [f.evidence],
            ),
        )
        g.add_node(f.region, **attrs)
    for f in firsts:
        source = _upstream(data, first, f.region) or doc
        src_label = data.regions[source].label if source in data.regions else d.display
        src_year = first.get(source, d.year)
        g.add_edge(
            source,
            f.region,
            years=(f.year,),
            title=tt.tooltip(f"{src_label} ({src_year or '?'}) → {data.regions[f.region].label} ({f.year})"),
        )
    return g


def summarize(rank: int, data: ViewData, doc: str, firsts: list[FirstCitation]) -> DiffusionSummary:
    d = data.directives[doc]
    by_level: dict[str, int] = {}
    for f in firsts:
        level = data.regions[f.region].level
        by_level[level] = min(by_level.get(level, f.year), f.year)
    lags = [f.year - d.year for f in firsts if d.year is not None]
    return DiffusionSummary(
        rank=rank,
        doc=doc,
        directive=d,
        regions=len(firsts),
        first_by_level=dict(sorted(by_level.items(), key=lambda kv: level_rank(kv[0]))),
        median_lag=float(statistics.median(lags)) if lags else None,
    )


Point = tuple[float, float]


def diffusion_positions(graph: nx.DiGraph, doc: str) -> tuple[dict[str, Point], list[tuple[str, str, Point]]]:
    """Grid positions of the nodes, and the axis labels (key, text, position) of years and levels.

    Columns are years, rows levels; inside a (year, level) cell, regions stand in a small grid whose columns are as
    wide as the widest label and whose rows are as tall as a node with its label, centred under the year. A
    directive of unknown year gets a column of its own, left of the first year.
    """
    d = graph.nodes[doc]
    regions = [n for n in graph.nodes if n != doc]
    years = [graph.nodes[n]["first_year"] for n in regions] + ([d["year"]] if d["year"] is not None else [])
    y0, y1 = (min(years), max(years)) if years else (0, 0)
    levels = sorted({graph.nodes[n]["level"] for n in regions} | {d["level"]}, key=level_rank)
    cells: dict[tuple[int | None, str], list[str]] = {(d["year"], d["level"]): [doc]}
    for n in sorted(regions, key=lambda n: (graph.nodes[n]["adcode"], n)):
        cells.setdefault((graph.nodes[n]["first_year"], graph.nodes[n]["level"]), []).append(n)
    boxes = {n: node_box(graph.nodes[n]) for n in graph.nodes}
    gridded = [n for members in cells.values() if len(members) > 1 for n in members] + regions
    col_w = max(boxes[n].width for n in gridded) if gridded else boxes[doc].width
    row_h = max(boxes[n].height for n in graph.nodes)
    biggest = max(len(v) for v in cells.values())
    per_row = max(1, min(biggest, math.ceil(math.sqrt(biggest * CELL_ASPECT * row_h / col_w))))
    rows = max(1, math.ceil(biggest / per_row))
    width = max(per_row * col_w, boxes[doc].width) + CELL_GAP
    height = rows * row_h + CELL_GAP
    pos: dict[str, tuple[float, float]] = {}
    for (year, level), members in cells.items():
        cx = (year - y0) * width if year is not None else -width
        cy = level_rank_in(levels, level) * height
        cols = min(len(members), per_row)
        for i, n in enumerate(members):
            r, c = divmod(i, per_row)
            pos[n] = (round(cx + (c - (cols - 1) / 2) * col_w, 1), round(cy + r * row_h, 1))
    left = min(boxes[n].at(p)[0] for n, p in pos.items())
    axis_y = -max(boxes[n].height for n in graph.nodes) / 2 - AXIS_FONT_SIZE
    axes = [(f"year:{y}", str(y), (round((y - y0) * width, 1), axis_y)) for y in range(y0, y1 + 1)]
    if d["year"] is None:
        axes.append(("year:?", "年份不详 year ?", (round(-width, 1), axis_y)))
    names = [level_name(lv) for lv in levels]
    axis_x = left - CELL_GAP / 2 - max(text_width(t, AXIS_FONT_SIZE) for t in names) / 2
    axes += [
        (f"level:{lv}", t, (round(axis_x, 1), round(i * height, 1)))
        for i, (lv, t) in enumerate(zip(levels, names, strict=True))
    ]
    return pos, axes


def level_rank_in(levels: list[str], level: str) -> int:
    return levels.index(level) if level in levels else len(levels)


def _legend(level: str) -> list[LegendItem]:
    """The page's directive (in the colour of its issuing level, unknown included), then the regions."""
    items = [LegendItem(f"{level_name(level)} directive", level_color(level))]
    return items + [LegendItem("地区 region (x = 首次引用年份 first cited, y = 层级 level)", REGION_COLOR, "square")]


def diffusion_pages(graph: nx.DiGraph, doc: str, summary: DiffusionSummary, max_nodes: int) -> list[Page]:
    """One page for the directive, or one per province when more regions cite it than ``max_nodes``."""
    d = summary.directive
    base = f"diffusion/d{summary.rank:03d}"
    if graph.number_of_nodes() <= max_nodes:
        parts = [(base + ".html", "", graph.copy())]
    else:
        by_province: dict[str, list[str]] = {}
        labels: dict[str, str] = {}
        for n, a in graph.nodes(data=True):
            if a["kind"] == "region":
                by_province.setdefault(a["province"], []).append(n)
                labels[a["province"]] = a["province_label"]
        parts = []
        for i, key in enumerate(sorted(by_province)):
            members = set(by_province[key])
            sub = graph.subgraph(sorted(members | {doc})).copy()
            for n in sorted(members):  # a region whose upstream is in another province hangs from the directive
                if sub.in_degree(n) == 0:
                    a = graph.nodes[n]
                    title = tt.tooltip(f"{d.display} ({d.year or '?'}) → {a['label']} ({a['first_year']})")
                    sub.add_edge(doc, n, years=(a["first_year"],), title=title)
            parts.append((f"{base}-p{slug_key(key, i)}.html", labels[key], sub))
    pages = []
    for slug, label, sub in parts:
        pos, axes = diffusion_positions(sub, doc)
        for n, (x, y) in pos.items():
            sub.nodes[n]["x"], sub.nodes[n]["y"] = x, y
        for key, text, (x, y) in axes:
            sub.add_node(key, kind="axis", label=text, x=x, y=y, shape="text", color=AXIS_COLOR, size=14, title="")
        for _, a in sub.nodes(data=True):
            if a["kind"] == "region":
                a["facets"] = {"province": [a["province"]], "rlevel": [a["level"]]}
        prov = {a["province"]: a["province_label"] for _, a in sub.nodes(data=True) if a["kind"] == "region"}
        filters = [
            f
            for f in (
                facet_filter("province", "省份 province", prov, names=prov),
                facet_filter(
                    "rlevel",
                    "地区层级 region level",
                    (a["level"] for _, a in sub.nodes(data=True) if a["kind"] == "region"),
                    level_name,
                    level_rank,
                ),
            )
            if isinstance(f, Filter)
        ]
        lag = f"median lag {summary.median_lag:g} years" if summary.median_lag is not None else "directive year unknown"
        pages.append(
            Page(
                view="diffusion",
                slug=slug,
                title=f"扩散 Diffusion · {d.display}{' · ' + label if label else ''}",
                subtitle=f"{('《' + d.title + '》 ') if d.title else ''}{level_name(d.level)} · {d.year or '?'} · "
                f"{summary.regions} regions · {lag}",
                graph=sub,
                filters=filters,
                legend=_legend(d.level),
                directed=True,
            )
        )
    summary.pages = [p.slug for p in pages]
    return pages
