"""The views' graphs as GEXF (with positions, colours and sizes for Gephi) and GraphML, by networkx's writers.

Node ids are the RDF IRIs (platform types: ``platform-type:<notation>``), so a node found in Gephi leads back to the
store. Tooltip HTML is not exported; the first piece of evidence of each edge is, as plain text. The files are
deterministic: sorted nodes and edges, and GEXF's ``lastmodifieddate`` (today's date in networkx) is removed.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from kg.views.style import hex_to_rgb

_SKIP = {"title", "evidence", "facets", "x", "y", "color", "size", "shape", "keep", "export_pos", "full_label"}


def _scalar(value: object) -> object | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list | set | frozenset):
        items = sorted(str(v) for v in value) if isinstance(value, set | frozenset) else [str(v) for v in value]
        return ";".join(items)
    return str(value)


def export_graph(graph: nx.Graph, positions: dict[str, tuple[float, float]] | None = None) -> nx.Graph:
    """A copy of ``graph`` with only scalar attributes, in sorted order; ``viz`` is added separately for GEXF."""
    out = nx.DiGraph() if graph.is_directed() else nx.Graph()
    out.graph["name"] = str(graph.graph.get("name", ""))
    for n in sorted(graph.nodes):
        attrs = {k: _scalar(v) for k, v in sorted(graph.nodes[n].items()) if k not in _SKIP}
        attrs = {k: v for k, v in attrs.items() if v is not None and v != ""}
        if graph.nodes[n].get("full_label"):
            attrs["label"] = str(graph.nodes[n]["full_label"])  # the whole title, not the page's shortened label
        attrs.setdefault("label", str(n))
        attrs["color"] = graph.nodes[n].get("color", "#999999")
        attrs["size"] = float(graph.nodes[n].get("size", 8))
        if positions and n in positions:
            attrs["x"], attrs["y"] = float(positions[n][0]), float(positions[n][1])
        out.add_node(n, **attrs)
    for u, v in sorted(graph.edges):
        a = graph.edges[u, v]
        attrs = {k: _scalar(val) for k, val in sorted(a.items()) if k not in _SKIP}
        attrs = {k: val for k, val in attrs.items() if val is not None and val != ""}
        evidence = a.get("evidence") or ()
        if evidence:
            first = evidence[0]
            attrs["first_report"] = first.report_title or first.report
            if first.year is not None:
                attrs["first_year"] = int(first.year)
            if first.quote:
                attrs["first_quote"] = first.quote
        out.add_edge(u, v, **attrs)
    return out


def write_gexf(graph: nx.Graph, path: Path) -> None:
    """GEXF 1.2 with ``viz`` position (y up, as Gephi draws), colour and size."""
    g = graph.copy()
    for _, a in g.nodes(data=True):
        r, gr, b = hex_to_rgb(str(a.pop("color")))
        viz: dict[str, object] = {"color": {"r": r, "g": gr, "b": b, "a": 1.0}, "size": float(a.pop("size"))}
        if "x" in a and "y" in a:
            viz["position"] = {"x": float(a.pop("x")), "y": -float(a.pop("y")), "z": 0.0}
        a["viz"] = viz
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(g)
    meta = writer.xml.find("meta")
    if meta is not None:
        meta.attrib.pop("lastmodifieddate", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.write(str(path))


def write_graphml(graph: nx.Graph, path: Path) -> None:
    """GraphML with label, kind, colour, size and position as plain attributes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(graph, str(path), encoding="utf-8", prettyprint=True)
