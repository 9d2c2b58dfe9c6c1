"""``write_views``: read the store once, build every view, write a self-contained static directory.

Layout of the output (every link is relative, so it works from ``file://`` and under ``/views/`` of ``kg serve``)::

    index.html                      the views with counts, a label search over all nodes, the diffusion table
    citation.html | citation/pNN.html        regions ↔ cited directives (per province when large)
    cocitation.html | cocitation/cNN.html    regions linked by shared directives, Louvain communities
    platforms.html | platforms/pNN.html      regions ↔ platform types
    diffusion/dNNN.html                      one page per most-cited directive
    exports/{citation,cocitation,platforms}.{gexf,graphml}
    .govkg-views.json                        the list of files written (a re-run replaces exactly these)
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg import __version__
from kg.config import Config
from kg.errors import KgError
from kg.views import cocitation as co
from kg.views import diffusion as df
from kg.views import platforms as pf
from kg.views.citation import build_citation_graph, citation_pages, citation_positions
from kg.views.data import ViewData, first_citations, read_view_data
from kg.views.gephi import export_graph, write_gexf, write_graphml
from kg.views.page import DEFAULT_MAX_NODES, Page
from kg.views.render import assets, csp, environment, page_html, script_json
from kg.views.style import LEVEL_NAMES

log = logging.getLogger(__name__)

MANIFEST = ".govkg-views.json"
INDEX = "index.html"
DEFAULT_TOP_DIRECTIVES = 50
SEARCH_KINDS = {"region": 0, "directive": 1, "platform_type": 2}
KIND_NAMES = ["地区 region", "文件 directive", "平台类型 platform type"]
VIEW_ABOUT = {
    "citation": "哪些地区引用了哪些文件 · which regions cite which directives (colour = issuing level, size = regions)",
    "cocitation": "引用相同文件的地区 · governments that follow the same directives, grouped into communities",
    "platforms": "各地开设的公开平台 · which governments run portals, WeChat, Weibo, apps, gazettes, hotlines …",
    "diffusion": "文件自上而下的扩散 · how fast a directive reached provinces, cities and counties",
}
VIEW_TITLES = {
    "citation": "引用网络 Citation network",
    "cocitation": "共引网络 Co-citation",
    "platforms": "公开平台 Platform adoption",
    "diffusion": "扩散 Directive diffusion",
}


@dataclass(frozen=True)
class PageSummary:
    view: str
    slug: str
    title: str
    nodes: int
    edges: int


@dataclass
class ViewsSummary:
    """What ``write_views`` wrote: pages, exports and the counts shown on the index."""

    out_dir: Path
    index: Path
    pages: list[PageSummary] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    diffusion: list[df.DiffusionSummary] = field(default_factory=list)

    def pages_of(self, view: str) -> list[PageSummary]:
        return [p for p in self.pages if p.view == view]


def views_dir(path: Path) -> Path:
    """The directory of views written by :func:`write_views`, checked and resolved (for ``kg serve`` to mount)."""
    path = Path(path)
    if not (path / INDEX).is_file() or not (path / MANIFEST).is_file():
        raise KgError(f"{path}: no network views here", hint="write them with `kg view --store DIR -o DIR`")
    return path.resolve()


def _prepare(out_dir: Path) -> None:
    """Make ``out_dir`` ready: create it, or remove exactly the files a previous run listed in its manifest."""
    if out_dir.exists() and not out_dir.is_dir():
        raise KgError(f"{out_dir}: is a file", hint="give a directory for -o")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    if not manifest.exists():
        if any(out_dir.iterdir()):
            raise KgError(
                f"{out_dir}: is not empty and was not written by `kg view`",
                hint="give a new or empty directory with -o (files there are never overwritten)",
            )
        return
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KgError(f"{manifest}: unreadable manifest ({exc})", hint="delete the directory and run again") from exc
    root = out_dir.resolve()
    dirs: set[Path] = set()
    for rel in previous:
        target = (out_dir / rel).resolve()
        if root not in target.parents:
            continue  # never outside the output directory
        target.unlink(missing_ok=True)
        dirs.update(p for p in target.parents if root in p.parents)
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    manifest.unlink()


def _write(out_dir: Path, rel: str, text: str, written: list[str]) -> Path:
    path = out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(rel)
    return path


def build_pages(
    store: ox.Store, data: ViewData, config: Config, max_nodes: int, top_directives: int
) -> tuple[list[Page], dict[str, nx.Graph], list[df.DiffusionSummary]]:
    """Every page of every view, the full graphs (with positions, for export) and the diffusion table."""
    citation = build_citation_graph(data)
    cocitation, info = co.build_cocitation_graph(citation, data)
    platforms = pf.build_platform_graph(data)
    pages: list[Page] = []
    if citation.number_of_nodes():
        pages += citation_pages(citation, data, max_nodes)
    if cocitation.number_of_nodes():
        pages += co.cocitation_pages(cocitation, info, max_nodes)
    if platforms.number_of_nodes():
        pages += pf.platform_pages(platforms, data, max_nodes)
    table = []
    for rank, doc in enumerate(df.top_directives(data, citation, top_directives), start=1):
        firsts = first_citations(data, doc)
        if not firsts:
            continue
        graph = df.build_diffusion_graph(data, doc, firsts)
        summary = df.summarize(rank, data, doc, firsts)
        pages += df.diffusion_pages(graph, doc, summary, max_nodes)
        table.append(summary)
    for _name, graph, positions in (
        ("citation", citation, citation_positions(citation, data) if citation.number_of_nodes() else {}),
        ("cocitation", cocitation, co.cocitation_positions(cocitation, co.community_members(cocitation))),
        ("platforms", platforms, pf.platform_positions(platforms, data) if platforms.number_of_nodes() else {}),
    ):
        for n, (x, y) in positions.items():
            graph.nodes[n]["export_pos"] = (x, y)
    return pages, {"citation": citation, "cocitation": cocitation, "platforms": platforms}, table


def _search_entries(page: Page, ids: dict[str, str], page_index: int) -> list[list[object]]:
    entries = []
    for key in sorted(page.graph.nodes):
        a = page.graph.nodes[key]
        kind = a.get("kind")
        if kind not in SEARCH_KINDS or (page.view == "diffusion" and kind == "region"):
            continue
        text = a.get("full_label") or a.get("label", "")  # the whole title, not the shortened label
        entries.append([str(text), SEARCH_KINDS[kind], page_index, ids[key]])
    return entries


def _short(page: Page) -> str:
    """A page's short name in the index: its province or community, from the title after the last ' · '."""
    return page.title.rsplit(" · ", 1)[-1] if " · " in page.title else page.slug


def write_views(
    store: ox.Store,
    out_dir: Path,
    config: Config,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    top_directives: int = DEFAULT_TOP_DIRECTIVES,
) -> ViewsSummary:
    """Write the network views of ``store`` into ``out_dir`` (a self-contained static directory)."""
    if max_nodes < 50:
        raise KgError(f"--max-nodes {max_nodes} is too small", hint="give at least 50 (default 1500)")
    out_dir = Path(out_dir)
    data = read_view_data(store, config)
    if not data.reports:
        raise KgError("the store holds no annual reports: nothing to draw", hint="ingest reports first: kg ingest")
    pages, graphs, table = build_pages(store, data, config, max_nodes, top_directives)
    _prepare(out_dir)
    written: list[str] = []
    summary = ViewsSummary(out_dir=out_dir, index=out_dir / INDEX, diffusion=table)
    search_pages: list[list[str]] = []
    search_nodes: list[list[object]] = []
    for page in pages:
        html, ids = page_html(page)
        _write(out_dir, page.slug, html, written)
        search_nodes += _search_entries(page, ids, len(search_pages))
        search_pages.append([page.slug, page.title])
        nodes = sum(1 for _, a in page.graph.nodes(data=True) if a.get("kind") != "axis")
        summary.pages.append(PageSummary(page.view, page.slug, page.title, nodes, page.graph.number_of_edges()))
        log.info("wrote %s (%d nodes)", page.slug, nodes)
    exports: dict[str, list[str]] = {}
    for name, graph in graphs.items():
        if not graph.number_of_nodes():
            continue
        positions = {n: a["export_pos"] for n, a in graph.nodes(data=True) if "export_pos" in a}
        plain = export_graph(graph, positions)
        for ext, writer in (("gexf", write_gexf), ("graphml", write_graphml)):
            rel = f"exports/{name}.{ext}"
            writer(plain, out_dir / rel)
            written.append(rel)
            summary.exports.append(out_dir / rel)
            exports.setdefault(name, []).append(rel)
    summary.counts = {
        "reports": len(data.reports),
        "regions": sum(1 for _, a in graphs["citation"].nodes(data=True) if a["kind"] == "region"),
        "directives": sum(1 for _, a in graphs["citation"].nodes(data=True) if a["kind"] == "directive"),
        "citations": len(data.citations),
        "platforms": len(data.platforms),
    }
    views = []
    for view in ("citation", "cocitation", "platforms", "diffusion"):
        vp = [p for p in pages if p.view == view]
        if not vp:
            continue
        graph = graphs.get(view)
        drawn = summary.pages_of(view)
        views.append(
            {
                "title": VIEW_TITLES[view],
                "about": VIEW_ABOUT[view],
                "pages": [{"slug": p.slug, "short": _short(p)} for p in vp],
                "table": view == "diffusion",
                "nodes": graph.number_of_nodes() if graph is not None else sum(p.nodes for p in drawn),
                "edges": graph.number_of_edges() if graph is not None else sum(p.edges for p in drawn),
                "exports": exports.get(view, []),
            }
        )
    a = assets()
    levels = [lv for lv in ("province", "city", "county") if any(lv in s.first_by_level for s in table)]
    index_html = (
        environment()
        .get_template("index.html")
        .render(
            csp=csp(a.index_js),
            version=__version__,
            page_css=a.index_css,
            index_js=a.index_js,
            counts=summary.counts,
            views=views,
            diffusion=table,
            diffusion_levels=levels,
            level_names=LEVEL_NAMES,
            search_json=script_json({"pages": search_pages, "nodes": search_nodes, "kinds": KIND_NAMES}),
        )
    )
    _write(out_dir, INDEX, index_html, written)
    manifest = {"generator": f"govkg {__version__}", "files": sorted(written)}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return summary
