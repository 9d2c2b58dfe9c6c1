"""Pages to HTML: networkx graph → pyvis ``Network`` (filled node by node) → one self-contained HTML file.

pyvis holds the nodes, edges and vis.js options and ships the vis-network build that is inlined here; the page
template is ours (``templates/network.html``), because pyvis's own loads bootstrap from a CDN, executes markup from
node ids (select menu), from the heading, and from titles once any title contains "href". Here:

* node ids are opaque (``n0``, ``n1`` …), never labels;
* tooltips are HTML in which every scraped string was escaped (:mod:`kg.views.tooltips`);
* labels are drawn on the canvas (text, not markup) and the graph travels as JSON inside a non-executed
  ``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped;
* headings, filters and legends go through Jinja's autoescaping;
* a Content-Security-Policy allows only the page's own inline scripts (by hash), so nothing is fetched and an
  injected handler would not run even if escaping failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
import networkx as nx
import pyvis
from pyvis.network import Network

from kg import __version__
from kg.views.page import Page
from kg.views.style import AXIS_FONT_SIZE, FONT_SIZE

TEMPLATES = Path(__file__).resolve().parent / "templates"
VIS_DIR = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"
LARGE = 1000  # nodes: above this, edges are hidden while dragging or zooming


@dataclass(frozen=True)
class Assets:
    vis_js: str
    vis_css: str
    view_js: str
    view_css: str
    index_js: str
    index_css: str


@lru_cache(maxsize=1)
def assets() -> Assets:
    def read(path: Path) -> str:
        return path.read_text(encoding="utf-8")

    return Assets(
        vis_js=read(VIS_DIR / "vis-network.min.js"),
        vis_css=read(VIS_DIR / "vis-network.css"),
        view_js=read(TEMPLATES / "view.js"),
        view_css=read(TEMPLATES / "view.css"),
        index_js=read(TEMPLATES / "index.js"),
        index_css=read(TEMPLATES / "index.css"),
    )


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def script_json(value: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch, sub in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, sub)
    return text


def csp(*scripts: str) -> str:
    """A policy that runs only these inline scripts, loads nothing from anywhere, and allows inline styles."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'" for s in scripts
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def vis_options(directed: bool, nodes: int) -> dict[str, object]:
    large = nodes > LARGE
    return {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {
            "hover": True,
            "tooltipDelay": 100,
            "hideEdgesOnDrag": large,
            "hideEdgesOnZoom": large,
            "keyboard": {"enabled": True, "bindToWindow": False},
        },
        "nodes": {
            "borderWidth": 1,
            "font": {"size": FONT_SIZE, "face": "sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "scaling": {"label": {"drawThreshold": 5}},
        },
        "edges": {
            "smooth": False,
            "width": 0.7,
            "selectionWidth": 1.5,
            "hoverWidth": 1.0,
            "color": {"color": "#9AA5B1", "highlight": "#222222", "hover": "#222222", "opacity": 0.6},
            "arrows": {"to": {"enabled": directed, "scaleFactor": 0.35}},
        },
    }


def edge_width(weight: float) -> float:
    return round(min(0.7 + math.log2(weight), 6.0), 2) if weight > 1 else 0.7


class _IdList(list):  # type: ignore[type-arg]
    """pyvis keeps node ids in a list and tests membership for every node and edge it adds (quadratic);
    this list answers ``in`` from a set, so filling 20,000 nodes takes a blink instead of minutes."""

    def __init__(self) -> None:
        super().__init__()
        self._set: set[object] = set()

    def append(self, item: object) -> None:
        super().append(item)
        self._set.add(item)

    def __contains__(self, item: object) -> bool:
        return item in self._set


def to_pyvis(graph: nx.Graph, directed: bool) -> tuple[Network, dict[str, str]]:
    """A pyvis network with every node and edge added directly (``add_node``/``add_edge``, not ``from_nx``).

    Nodes get opaque ids in sorted key order; returns the network and the key → id map.
    """
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line", heading="")
    net.node_ids = _IdList()
    ids = {key: f"n{i}" for i, key in enumerate(sorted(graph.nodes))}
    for key in sorted(graph.nodes):
        a = graph.nodes[key]
        extra: dict[str, object] = {}
        if a.get("facets"):
            extra["facets"] = a["facets"]
        if a.get("kind") == "axis":
            extra.update(keep=True, font={"size": AXIS_FONT_SIZE, "color": a.get("color", "#333333")})
        net.add_node(
            ids[key],
            label=str(a.get("label", "")) or " ",
            title=a.get("title", ""),
            x=float(a["x"]),
            y=float(a["y"]),
            size=float(a.get("size", 8)),
            color=a.get("color", "#97C2FC"),
            shape=a.get("shape", "dot"),
            **extra,
        )
    for i, (u, v) in enumerate(sorted(graph.edges, key=lambda e: (ids[e[0]], ids[e[1]]))):
        a = graph.edges[u, v]
        extra = {"facets": a["facets"]} if a.get("facets") else {}
        net.add_edge(
            ids[u],
            ids[v],
            id=f"e{i}",
            title=a.get("title", ""),
            width=edge_width(float(a.get("weight", 1))),
            arrows="to" if directed else "",
            **extra,
        )
    net.set_options(json.dumps(vis_options(directed, graph.number_of_nodes())))
    return net, ids


def page_html(page: Page) -> tuple[str, dict[str, str]]:
    """The HTML of one page and its key → node-id map (for the index's search)."""
    net, ids = to_pyvis(page.graph, page.directed)
    nodes, edges, _heading, _height, _width, options = net.get_network_data()
    a = assets()
    data_json = script_json({"nodes": nodes, "edges": edges, "options": json.loads(options)})
    depth = page.slug.count("/")
    html = (
        environment()
        .get_template("network.html")
        .render(
            csp=csp(a.vis_js, a.view_js),
            version=__version__,
            title=page.title,
            subtitle=page.subtitle,
            notes=page.notes,
            filters=page.filters,
            legend=page.legend,
            index_href="../" * depth + "index.html",
            n_nodes=sum(1 for _, d in page.graph.nodes(data=True) if d.get("kind") != "axis"),
            n_edges=page.graph.number_of_edges(),
            data_json=data_json,
            vis_js=a.vis_js,
            vis_css=a.vis_css,
            view_js=a.view_js,
            page_css=a.view_css,
        )
    )
    return html, ids
