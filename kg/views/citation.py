"""The citation network: regions ↔ the directives their reports cite.

Directives are coloured by issuing level and sized by how many regions cite them; regions are squares placed on a
map of China (their own coordinates, else grouped around their province's capital). Directives of the State stand in
columns left of the map (largest first); local directives sit amid the regions that cite them.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from kg.views import tooltips as tt
from kg.views.data import Directive, Evidence, ViewData, evidence_key
from kg.views.layout import (
    Box,
    Packer,
    extent,
    hub_height,
    label_box,
    label_columns,
    region_positions,
    spread_factor,
)
from kg.views.page import Filter, LegendItem, Page, facet_filter, province_groups, slug_key, toggle_filter, trim_to
from kg.views.style import (
    LEVEL_ORDER,
    REGION_COLOR,
    directive_size,
    level_color,
    level_name,
    level_rank,
    region_size,
    short_title,
)

HUB_LEVELS = ("national", "unknown")  # directives drawn in the left columns rather than on the map
HUB_GAP = 60.0  # px between the hub columns and the map
XWEIGHT = 0.6  # the packer moves nodes sideways more readily than up or down (labels are wide and flat)


def region_node_attrs(data: ViewData, iri: str) -> dict[str, object]:
    """The attributes every view gives a region node (label, level, province, map style)."""
    region = data.regions[iri]
    return {
        "kind": "region",
        "label": region.label,
        "level": region.level,
        "adcode": region.adcode,
        "province": data.province_key(region),
        "province_label": data.province_label(region) or region.label,
        "color": REGION_COLOR,
        "size": region_size(region.level),
        "shape": "square",
    }


def directive_label(d: Directive) -> str:
    """What a directive's node shows: its 文号, else its title shortened (the full title is in the tooltip)."""
    if d.number:
        return d.number
    return short_title(d.title) if d.title else d.display


def node_box(attrs: dict[str, object]) -> Box:
    """The box a node covers with its label below it."""
    return label_box(float(attrs.get("size", 8)), str(attrs.get("label", "")))  # type: ignore[arg-type]


def directive_node_attrs(d: Directive, cited_by: int) -> dict[str, object]:
    """The attributes every view gives a directive node (label, full label, level, style, tooltip)."""
    return {
        "kind": "directive",
        "label": directive_label(d),
        "full_label": d.display,
        "cited_as": "number" if d.number else "title",
        "level": d.level,
        "year": d.year,
        "cited_by": cited_by,
        "color": level_color(d.level),
        "size": directive_size(cited_by),
        "shape": "dot",
        "title": tt.tooltip(
            d.display,
            [
                tt.line("标题 title", f"《{d.title}》" if d.title and d.number else ""),  # else it is the heading
                tt.line("发文机关 issuer", d.issuer),
                tt.line("层级 level", level_name(d.level)),
                tt.line("年份 year", d.year),
                tt.line("引用地区 cited by regions", cited_by),
                tt.line("仅以标题引用的报告 reports citing it by title only", (d.by_title or "") if d.number else ""),
            ],
        ),
    }


def build_citation_graph(data: ViewData) -> nx.DiGraph:
    """Regions → directives, one edge per (region, directive) with every citing report as evidence.

    Node attributes: ``kind`` (region | directive), ``label``, ``level``, ``color``, ``size``, ``shape``, ``title``
    (tooltip HTML); directives also ``cited_by`` (regions), ``number``, ``doc_title``, ``issuer``, ``year``.
    Edge attributes: ``years`` (sorted report years), ``reports``, ``evidence`` and ``title``.
    """
    evidence: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for c in data.citations:
        citing = data.region_of(c.report)
        if citing is None or c.doc not in data.directives:
            continue
        evidence[(citing.iri, c.doc)].append(data.evidence(c.report, c.quote))
    g = nx.DiGraph(name="citation")
    region_docs: dict[str, set[str]] = defaultdict(set)
    region_reports: dict[str, set[str]] = defaultdict(set)
    doc_regions: dict[str, set[str]] = defaultdict(set)
    for (region_iri, doc), items in evidence.items():
        region_docs[region_iri].add(doc)
        region_reports[region_iri].update(e.report for e in items)
        doc_regions[doc].add(region_iri)
    for iri in sorted(region_docs):
        attrs = region_node_attrs(data, iri)
        region = data.regions[iri]
        attrs["title"] = tt.tooltip(
            region.label,
            [
                tt.line("行政区划代码 code", region.adcode),
                tt.line("层级 level", level_name(region.level)),
                tt.line("省份 province", data.province_label(region)),
                tt.line("引用文件 directives cited", len(region_docs[iri])),
                tt.line("报告 reports", len(region_reports[iri])),
            ],
        )
        g.add_node(iri, **attrs)
    for doc in sorted(doc_regions):
        d = data.directives[doc]
        n = len(doc_regions[doc])
        g.add_node(doc, **directive_node_attrs(d, n), number=d.number, doc_title=d.title, issuer=d.issuer)
    for (region_iri, doc), items in sorted(evidence.items()):
        ordered = tuple(sorted(set(items), key=evidence_key))
        years = tuple(sorted({e.year for e in ordered if e.year is not None}))
        r, d = data.regions[region_iri], data.directives[doc]
        g.add_edge(
            region_iri,
            doc,
            years=years,
            reports=len({e.report for e in ordered}),
            weight=len({e.report for e in ordered}),
            evidence=ordered,
            title=tt.tooltip(f"{r.label} 引用 cites {d.display}", [tt.line("标题 title", d.title)], ordered),
        )
    return g


def citation_positions(graph: nx.DiGraph, data: ViewData) -> dict[str, tuple[float, float]]:
    """Regions on the map, State (and unknown) directives in columns to its left, local directives amid the
    regions that cite them (around the region, when only one does). No two nodes or labels overlap."""
    regions = [data.regions[n] for n, a in graph.nodes(data=True) if a["kind"] == "region"]
    pos = region_positions(regions, data.regions)
    order = sorted(pos, key=lambda n: (level_rank(data.regions[n].level), data.regions[n].adcode, n))
    boxes = {n: node_box(a) for n, a in graph.nodes(data=True)}
    hubs: list[str] = []
    local: list[str] = []
    for n, a in graph.nodes(data=True):
        if a["kind"] != "directive":
            continue
        (hubs if a["level"] in HUB_LEVELS else local).append(n)
    factor = spread_factor([(pos[n], boxes[n].width * boxes[n].height) for n in order])
    packer = Packer(xweight=XWEIGHT)
    placed = {n: packer.place((pos[n][0] * factor, pos[n][1] * factor), boxes[n]) for n in order}
    for n in sorted(local, key=lambda n: (-graph.nodes[n]["cited_by"], n)):
        citing = [placed[r] for r in graph.predecessors(n) if r in placed]
        x = sum(p[0] for p in citing) / len(citing)
        y = sum(p[1] for p in citing) / len(citing)
        placed[n] = packer.place((x, y), boxes[n])
    if hubs:

        def citing_y(n: str) -> float:
            ys = [placed[r][1] for r in graph.predecessors(n) if r in placed]
            return sum(ys) / len(ys) if ys else 0.0

        # most-cited first; among equals, in the order of the regions citing them (top to bottom: fewer crossings)
        hubs.sort(
            key=lambda n: (
                level_rank(graph.nodes[n]["level"]),
                -graph.nodes[n]["cited_by"],
                round(citing_y(n), 1),
                str(graph.nodes[n]["label"]),
                n,
            )
        )
        left, top, bottom = extent(((placed[n], boxes[n]) for n in placed), 0.0)
        width = max((b.at(placed[n])[2] for n, b in boxes.items() if n in placed), default=left) - left
        height = hub_height(width, bottom - top, [boxes[n] for n in hubs])
        items = [(n, boxes[n], graph.nodes[n]["level"]) for n in hubs]
        placed.update(label_columns(items, left - HUB_GAP, top, top + height))
    return placed


def _legend(graph: nx.DiGraph) -> list[LegendItem]:
    """Regions, then the issuing levels present on the page."""
    levels = {a["level"] for _, a in graph.nodes(data=True) if a["kind"] == "directive"}
    items = [LegendItem("地区 region", REGION_COLOR, "square")]
    items += [LegendItem(f"{level_name(lv)} directive", level_color(lv)) for lv in LEVEL_ORDER if lv in levels]
    return items


def _add_facets(graph: nx.DiGraph) -> None:
    for _, a in graph.nodes(data=True):
        if a["kind"] == "region":
            a["facets"] = {"province": [a["province"]], "rlevel": [a["level"]]}
        else:
            a["facets"] = {"dlevel": [a["level"]], "cited_as": [a["cited_as"]]}
    for _, _, a in graph.edges(data=True):
        a["facets"] = {"year": [str(y) for y in a["years"]]}


def _filters(graph: nx.DiGraph, data: ViewData) -> list[Filter]:
    regions = [a for _, a in graph.nodes(data=True) if a["kind"] == "region"]
    docs = [a for _, a in graph.nodes(data=True) if a["kind"] == "directive"]
    prov_names = {a["province"]: a["province_label"] for a in regions}
    found = [
        facet_filter("province", "省份 province", prov_names, names=prov_names),
        facet_filter(
            "year", "报告年度 report year", (str(y) for _, _, e in graph.edges(data=True) for y in e["years"])
        ),
        facet_filter("rlevel", "地区层级 region level", (a["level"] for a in regions), level_name, level_rank),
        facet_filter("dlevel", "发文层级 issuing level", (a["level"] for a in docs), level_name, level_rank),
    ]
    titled = sum(1 for a in docs if a["cited_as"] == "title")
    if titled and titled < len(docs):
        found.append(toggle_filter("cited_as", "title", f"仅标题引用的文件 documents cited by title only ({titled})"))
    return [f for f in found if f is not None]


def citation_pages(graph: nx.DiGraph, data: ViewData, max_nodes: int) -> list[Page]:
    """One page when the graph fits in ``max_nodes``, else one page per province (its regions and their
    directives; the least-cited directives are left out of a province page that would still be too big)."""
    subtitle = "地区 ↔ 所引文件 · regions ↔ the directives their reports cite"
    if graph.number_of_nodes() <= max_nodes:
        parts = [("", "", graph.copy(), 0)]
    else:
        parts = []
        for i, (key, label, members) in enumerate(province_groups(graph)):
            sub = graph.subgraph(sorted(set(members) | {d for r in members for d in graph.successors(r)})).copy()

            def rank(n: str, sub: nx.DiGraph = sub) -> tuple[int, str]:
                return (-sub.in_degree(n), n)

            sub, left_out = trim_to(sub, members, max_nodes, rank)
            parts.append((slug_key(key, i), label, sub, left_out))
    pages = []
    for key, label, sub, left_out in parts:
        for n, (x, y) in citation_positions(sub, data).items():
            sub.nodes[n]["x"], sub.nodes[n]["y"] = x, y
        _add_facets(sub)
        notes = [f"{left_out} least-cited directives left out of this page (all are in the GEXF export)"]
        notes = notes if left_out else []
        pages.append(
            Page(
                view="citation",
                slug=f"citation/p{key}.html" if key else "citation.html",
                title=f"引用网络 Citation network{' · ' + label if label else ''}",
                subtitle=subtitle,
                graph=sub,
                filters=_filters(sub, data),
                legend=_legend(sub),
                notes=notes,
                directed=True,
            )
        )
    return pages
