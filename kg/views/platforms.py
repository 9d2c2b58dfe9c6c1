"""Platform adoption: regions ↔ the types of disclosure platform their governments run (portal, WeChat, Weibo,
app, gazette, hotline …). Platform types are hubs in a column left of the map, sized by how many regions run one."""

from __future__ import annotations

from collections import defaultdict
from html import escape

import networkx as nx

from kg.views import tooltips as tt
from kg.views.citation import HUB_GAP, XWEIGHT, node_box, region_node_attrs
from kg.views.data import Evidence, ViewData, evidence_key
from kg.views.layout import Packer, extent, hub_height, label_columns, region_positions, spread_factor
from kg.views.page import LegendItem, Page, facet_filter, province_groups, slug_key, trim_to
from kg.views.style import PLATFORM_ORDER, REGION_COLOR, hub_size, level_name, level_rank, platform_color

TYPE_PREFIX = "platform-type:"  # node keys of platform types (regions are keyed by IRI)
MAX_NAMES = 6  # platform names listed per edge tooltip


def type_key(notation: str) -> str:
    return TYPE_PREFIX + notation


def _type_rank(notation: str) -> tuple[int, str]:
    return (PLATFORM_ORDER.index(notation) if notation in PLATFORM_ORDER else len(PLATFORM_ORDER), notation)


def build_platform_graph(data: ViewData) -> nx.Graph:
    """Regions — platform types, one edge per (region, type) with the named platforms and their evidence.

    Type nodes: ``kind`` = platform_type, ``notation``, ``label``, ``regions``. Edge attributes: ``years``,
    ``names`` (platform names as printed, sorted), ``evidence``, ``ptype``, ``title``.
    """
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for use in data.platforms:
        runner = data.region_of(use.report)
        if runner is None:
            continue
        key = (runner.iri, use.type)
        label = use.name + (f" <{use.url}>" if use.url else "") if use.name else use.url
        if label:
            names[key].add(label)
        evidence[key].append(data.evidence(use.report, use.quote))
    g = nx.Graph(name="platforms")
    region_types: dict[str, set[str]] = defaultdict(set)
    type_regions: dict[str, set[str]] = defaultdict(set)
    for region, notation in evidence:
        region_types[region].add(notation)
        type_regions[notation].add(region)
    for notation in sorted(type_regions, key=_type_rank):
        ptype = data.platform_types[notation]
        n = len(type_regions[notation])
        g.add_node(
            type_key(notation),
            kind="platform_type",
            notation=notation,
            label=ptype.label,
            level="",
            regions=n,
            color=platform_color(notation),
            size=hub_size(n),
            shape="diamond",
            title=tt.tooltip(ptype.label, [tt.line("type", ptype.en or notation), tt.line("地区 regions", n)]),
        )
    for iri in sorted(region_types):
        attrs = region_node_attrs(data, iri)
        kinds = sorted(region_types[iri], key=_type_rank)
        attrs["title"] = tt.tooltip(
            data.regions[iri].label,
            [
                tt.line("层级 level", level_name(data.regions[iri].level)),
                tt.line("省份 province", data.province_label(data.regions[iri])),
                tt.line("平台类型 platform types", "、".join(data.platform_types[k].label for k in kinds)),
            ],
        )
        g.add_node(iri, **attrs)
    for (region, notation), items in sorted(evidence.items()):
        ordered = tuple(sorted(set(items), key=evidence_key))
        printed = sorted(names[(region, notation)])
        lines = [tt.line("名称 name", nm) for nm in printed[:MAX_NAMES]]
        if len(printed) > MAX_NAMES:
            lines.append(escape(f"… {len(printed) - MAX_NAMES} more"))
        g.add_edge(
            region,
            type_key(notation),
            years=tuple(sorted({e.year for e in ordered if e.year is not None})),
            names=tuple(printed),
            ptype=notation,
            evidence=ordered,
            weight=len(printed) or 1,
            title=tt.tooltip(f"{data.regions[region].label} · {data.platform_types[notation].label}", lines, ordered),
        )
    return g


def platform_positions(graph: nx.Graph, data: ViewData) -> dict[str, tuple[float, float]]:
    """Regions on the map (no two nodes or labels overlapping), platform types in columns to its left."""
    regions = [data.regions[n] for n, a in graph.nodes(data=True) if a["kind"] == "region"]
    pos = region_positions(regions, data.regions)
    order = sorted(pos, key=lambda n: (level_rank(data.regions[n].level), data.regions[n].adcode, n))
    packer = Packer(xweight=XWEIGHT)
    boxes = {n: node_box(a) for n, a in graph.nodes(data=True)}
    factor = spread_factor([(pos[n], boxes[n].width * boxes[n].height) for n in order])
    placed = {n: packer.place((pos[n][0] * factor, pos[n][1] * factor), boxes[n]) for n in order}
    hubs = sorted(
        (n for n, a in graph.nodes(data=True) if a["kind"] == "platform_type"),
        key=lambda n: _type_rank(graph.nodes[n]["notation"]),
    )
    if hubs:
        left, top, bottom = extent((placed[n], boxes[n]) for n in placed)
        right = max((boxes[n].at(placed[n])[2] for n in placed), default=left)
        height = hub_height(right - left, bottom - top, [boxes[n] for n in hubs])
        placed.update(label_columns([(n, boxes[n], "") for n in hubs], left - HUB_GAP, top, top + height))
    return placed


def platform_pages(graph: nx.Graph, data: ViewData, max_nodes: int) -> list[Page]:
    """One page when it fits in ``max_nodes``, else one page per province (each with every platform type)."""
    if graph.number_of_nodes() <= max_nodes:
        parts = [("", "", graph.copy(), 0)]
    else:
        parts = []
        for i, (key, label, members) in enumerate(province_groups(graph)):
            hubs = {t for r in members for t in graph[r]}

            def rank(n: str) -> tuple[int, str, str]:
                return (level_rank(graph.nodes[n]["level"]), graph.nodes[n]["adcode"], n)

            sub, left_out = trim_to(graph.subgraph(sorted(set(members) | hubs)), sorted(hubs), max_nodes, rank)
            parts.append((slug_key(key, i), label, sub, left_out))
    pages = []
    for key, label, sub, left_out in parts:
        for n, (x, y) in platform_positions(sub, data).items():
            sub.nodes[n]["x"], sub.nodes[n]["y"] = x, y
        for _, a in sub.nodes(data=True):
            a["facets"] = {"province": [a["province"]], "rlevel": [a["level"]]} if a["kind"] == "region" else {}
        for _, _, a in sub.edges(data=True):
            a["facets"] = {"year": [str(y) for y in a["years"]], "ptype": [a["ptype"]]}
        regions = [a for _, a in sub.nodes(data=True) if a["kind"] == "region"]
        prov = {a["province"]: a["province_label"] for a in regions}
        types = {a["notation"]: a["label"] for _, a in sub.nodes(data=True) if a["kind"] == "platform_type"}
        filters = [
            f
            for f in (
                facet_filter("province", "省份 province", prov, names=prov),
                facet_filter(
                    "year", "报告年度 report year", (y for _, _, e in sub.edges(data=True) for y in e["facets"]["year"])
                ),
                facet_filter("rlevel", "地区层级 region level", (a["level"] for a in regions), level_name, level_rank),
                facet_filter("ptype", "平台类型 platform type", types, names=types, order=_type_rank),
            )
            if f is not None
        ]
        legend = [LegendItem("地区 region", REGION_COLOR, "square")] + [
            LegendItem(types[t], platform_color(t), "diamond") for t in sorted(types, key=_type_rank)
        ]
        pages.append(
            Page(
                view="platforms",
                slug=f"platforms/p{key}.html" if key else "platforms.html",
                title=f"公开平台 Platform adoption{' · ' + label if label else ''}",
                subtitle="地区 ↔ 平台类型 · which governments run WeChat, Weibo, apps, gazettes, hotlines …",
                graph=sub,
                filters=filters,
                legend=legend,
                notes=[f"{left_out} county-level regions left out of this page (all are in the GEXF export)"]
                if left_out
                else [],
            )
        )
    return pages
