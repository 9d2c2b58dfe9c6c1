"""Co-citation of regions: two regions are linked when their reports cite the same directives.

The network is the weighted bipartite projection of the citation network onto regions (weight = directives
cited by both), with Louvain communities (fixed seed): groups of governments that follow the same directives.
Directives cited by more than half of all regions (or by more than 300) link nearly everyone and tell no group apart,
so they are left out of the projection (when there are at least 20 regions) — they would also make it quadratic;
each region keeps only its strongest links, which keeps the graph readable and the community detection fast.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import igraph as ig
import networkx as nx

from kg.views import tooltips as tt
from kg.views.citation import XWEIGHT, node_box, region_node_attrs
from kg.views.data import ViewData
from kg.views.layout import force_layout, pack, pack_groups
from kg.views.page import LegendItem, Page, facet_filter
from kg.views.style import level_name, palette_color

SEED = 42  # Louvain and layout seed: same store, same communities, same picture
TOP_K = 8  # strongest links kept per region
MAX_SHARE = 0.5  # directives cited by more than this share of regions are left out of the projection,
MAX_FANOUT = 300  # and so are directives cited by more than this many regions
MIN_REGIONS_FOR_SHARE = 20


@dataclass
class CocitationInfo:
    """What the projection left out (shown on the page and the index)."""

    ubiquitous: list[str] = field(default_factory=list)  # directive labels left out as cited by nearly everyone
    isolated: int = 0  # regions sharing no directive with any other region
    communities: int = 0


def _full_label(attrs: dict[str, object]) -> str:
    return str(attrs.get("full_label") or attrs["label"])


def _strongest_links(
    regions: list[str], docs: list[str], cited: dict[str, set[str]], top_k: int
) -> set[tuple[str, str]]:
    """Each region's ``top_k`` strongest links (most shared directives, then the other region's IRI), as sorted
    pairs: the weighted bipartite projection onto regions, by igraph (C), which at 10k reports takes a second where
    networkx's took a minute."""
    index = {r: i for i, r in enumerate(regions)}
    offset = len(regions)
    col = {d: offset + i for i, d in enumerate(docs)}
    b = ig.Graph(n=offset + len(docs), edges=[(index[r], col[d]) for r in regions for d in sorted(cited[r])])
    projected = b.bipartite_projection(types=[False] * offset + [True] * len(docs), multiplicity=True, which=0)
    links: list[list[tuple[int, int]]] = [[] for _ in regions]  # per region: (-weight, other region's index)
    weights = projected.es["weight"] if projected.ecount() else []
    for (u, v), w in zip(projected.get_edgelist(), weights, strict=True):
        links[u].append((-w, v))
        links[v].append((-w, u))
    strongest: set[tuple[str, str]] = set()
    for u, ranked in enumerate(links):  # regions are sorted, so an index orders as its IRI does
        strongest.update((regions[min(u, v)], regions[max(u, v)]) for _, v in heapq.nsmallest(top_k, ranked))
    return strongest


def build_cocitation_graph(
    citation: nx.DiGraph, data: ViewData, *, top_k: int = TOP_K, seed: int = SEED
) -> tuple[nx.Graph, CocitationInfo]:
    """Regions linked by shared directives, with ``community`` (0 = largest) and ``color`` on every node.

    Edge attributes: ``weight`` (directives cited by both), ``shared`` (their labels, sorted), ``title``.
    """
    info = CocitationInfo()
    regions = sorted(n for n, a in citation.nodes(data=True) if a["kind"] == "region")
    docs = sorted(n for n, a in citation.nodes(data=True) if a["kind"] == "directive")
    limit = min(len(regions) * MAX_SHARE, MAX_FANOUT) if len(regions) >= MIN_REGIONS_FOR_SHARE else math.inf
    kept = [d for d in docs if 2 <= citation.in_degree(d) <= limit]
    info.ubiquitous = sorted(_full_label(citation.nodes[d]) for d in docs if citation.in_degree(d) > limit)
    kept_set = set(kept)
    cited: dict[str, set[str]] = {r: set() for r in regions}
    for r, d in citation.edges:
        if d in kept_set and r in cited:
            cited[r].add(d)
    strongest = _strongest_links(regions, kept, cited, top_k)
    g = nx.Graph(name="cocitation")
    connected = sorted({n for e in strongest for n in e})
    info.isolated = len(regions) - len(connected)
    for n in connected:
        g.add_node(n, **region_node_attrs(data, n))
    for u, v in sorted(strongest):
        shared = sorted(_full_label(citation.nodes[d]) for d in cited[u] & cited[v])
        g.add_edge(u, v, weight=len(shared), shared=tuple(shared))
    communities = nx.community.louvain_communities(g, weight="weight", seed=seed) if g.number_of_nodes() else []
    ordered = sorted((sorted(c) for c in communities), key=lambda c: (-len(c), c[0]))
    info.communities = len(ordered)
    for i, members in enumerate(ordered):
        for n in members:
            g.nodes[n]["community"] = i
            g.nodes[n]["color"] = palette_color(i)
    for n, a in g.nodes(data=True):
        region = data.regions[n]
        partners = sorted(g[n].items(), key=lambda kv: (-kv[1]["weight"], kv[0]))[:5]
        a["cites"] = citation.out_degree(n)
        a["title"] = tt.tooltip(
            region.label,
            [
                tt.line("社群 community", a["community"] + 1),
                tt.line("层级 level", level_name(region.level)),
                tt.line("省份 province", data.province_label(region)),
                tt.line("引用文件 directives cited", a["cites"]),
                tt.line(
                    "最相近 closest",
                    "、".join(f"{data.regions[m].label} ({e['weight']})" for m, e in partners),
                ),
            ],
        )
    for u, v, a in g.edges(data=True):
        more = f" … +{len(a['shared']) - 8}" if len(a["shared"]) > 8 else ""
        a["title"] = tt.tooltip(
            f"{data.regions[u].label} & {data.regions[v].label}",
            [tt.line("共同引用 directives cited by both", a["weight"])]
            + [tt.esc(s) for s in a["shared"][:8]]
            + ([tt.esc(more)] if more else []),
        )
    return g, info


def cocitation_positions(graph: nx.Graph, members: list[list[str]]) -> dict[str, tuple[float, float]]:
    """Each community laid out on its own (igraph), its nodes then moved apart until no two labels overlap
    (best-linked first), and the communities packed side by side, largest first."""
    layouts, radii = {}, []
    for i, nodes in enumerate(members):
        extent = 70.0 * math.sqrt(len(nodes)) + 40.0
        sub = graph.subgraph(nodes)
        force = force_layout(sub, seed=SEED, extent=extent)
        strength = dict(sub.degree(weight="weight"))
        order = sorted(nodes, key=lambda n: (-strength[n], n))
        boxes = {n: node_box(graph.nodes[n]) for n in nodes}
        packed = pack([(n, force[n], boxes[n]) for n in order], xweight=XWEIGHT)
        rects = [boxes[n].at(packed[n]) for n in nodes]
        x0, y0 = min(r[0] for r in rects), min(r[1] for r in rects)
        x1, y1 = max(r[2] for r in rects), max(r[3] for r in rects)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        layouts[i] = {n: (x - cx, y - cy) for n, (x, y) in packed.items()}
        radii.append((str(i), max(x1 - x0, y1 - y0) / 2))
    centers = pack_groups(radii, gap=40.0)
    pos = {}
    for i, layout in layouts.items():
        cx, cy = centers[str(i)]
        for n, (x, y) in layout.items():
            pos[n] = (round(cx + x, 1), round(cy + y, 1))
    return pos


def community_members(graph: nx.Graph) -> list[list[str]]:
    by: dict[int, list[str]] = {}
    for n, a in graph.nodes(data=True):
        by.setdefault(a["community"], []).append(n)
    return [sorted(by[k]) for k in sorted(by)]


def cocitation_pages(graph: nx.Graph, info: CocitationInfo, max_nodes: int) -> list[Page]:
    """One page when it fits, else communities packed into pages of at most ``max_nodes`` (largest first;
    a community larger than that alone keeps its best-connected regions)."""
    members = community_members(graph)
    bins: list[list[int]] = []
    if graph.number_of_nodes() <= max_nodes:
        bins = [list(range(len(members)))]
    else:
        current: list[int] = []
        size = 0
        for i, nodes in enumerate(members):
            if current and size + len(nodes) > max_nodes:
                bins.append(current)
                current, size = [], 0
            current.append(i)
            size += len(nodes)
        if current:
            bins.append(current)
    notes = []
    if info.ubiquitous:
        shown = "、".join(info.ubiquitous[:6]) + (" …" if len(info.ubiquitous) > 6 else "")
        notes.append(f"Left out as cited by nearly every region: {shown}")
    if info.isolated:
        notes.append(f"{info.isolated} regions share no directive with another region and are not drawn")
    pages = []
    for k, group in enumerate(bins):
        nodes = [n for i in group for n in members[i]]
        dropped = 0
        if len(nodes) > max_nodes:
            strength = dict(graph.subgraph(nodes).degree(weight="weight"))
            keep = sorted(nodes, key=lambda n: (-strength[n], n))[:max_nodes]
            dropped, nodes = len(nodes) - len(keep), sorted(keep)
        sub = graph.subgraph(nodes).copy()
        for n, (x, y) in cocitation_positions(sub, community_members(sub)).items():
            sub.nodes[n]["x"], sub.nodes[n]["y"] = x, y
        for _, a in sub.nodes(data=True):
            a["facets"] = {"province": [a["province"]], "community": [str(a["community"] + 1)]}
        prov = {a["province"]: a["province_label"] for _, a in sub.nodes(data=True)}
        filters = [
            f
            for f in (
                facet_filter("province", "省份 province", prov, names=prov),
                facet_filter("community", "社群 community", (str(i + 1) for i in group), order=int),
            )
            if f is not None
        ]
        span = f"communities {group[0] + 1}–{group[-1] + 1}" if len(group) > 1 else f"community {group[0] + 1}"
        title = "共引网络 Co-citation of regions" + (f" · {span}" if len(bins) > 1 else "")
        legend = [
            LegendItem(f"社群 community {i + 1} ({len(members[i])})", palette_color(i), "square") for i in group[:12]
        ]
        page_notes = notes + ([f"{dropped} weakly linked regions of this community left out"] if dropped else [])
        pages.append(
            Page(
                view="cocitation",
                slug=f"cocitation/c{k + 1:02d}.html" if len(bins) > 1 else "cocitation.html",
                title=title,
                subtitle="两地引用相同文件即相连 · regions linked by the directives both cite (Louvain communities)",
                graph=sub,
                filters=filters,
                legend=legend,
                notes=page_notes,
            )
        )
    return pages
