"""The network views' data and graphs: what the store gives, which nodes and edges each view draws, their sizes,
colours, communities and positions, and how big graphs are split."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.queries import list_queries
from kg.views import cocitation as co
from kg.views import diffusion as df
from kg.views import platforms as pf
from kg.views.citation import build_citation_graph, citation_pages, citation_positions
from kg.views.data import first_citations, read_view_data, year_in_number, year_of
from kg.views.layout import PROVINCE_ANCHORS, boxes_overlap, label_box, pack, project, sunflower
from kg.views.style import LEVEL_COLORS, REGION_COLOR, directive_size, platform_color
from tests.views_support import (
    CONFIG,
    HOSTILE_PLATFORM,
    HOSTILE_REGION,
    HOSTILE_TITLE,
    M,
    build_fixture_store,
    doc_iri,
    overlapping_labels,
)


def R(adcode: str) -> str:
    return str(M.region(adcode))


D1, D2, D3, D4, D5 = (str(doc_iri(k)) for k in ("D1", "D2", "D3", "D4", "D5"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):  # type: ignore[no-untyped-def]
    return build_fixture_store(tmp_path_factory.mktemp("views-store") / "store")


@pytest.fixture(scope="module")
def data(store):  # type: ignore[no-untyped-def]
    return read_view_data(store, CONFIG)


@pytest.fixture(scope="module")
def citation(data):  # type: ignore[no-untyped-def]
    return build_citation_graph(data)


# ------------------------------------------------------------------ queries and records


def test_every_view_query_has_a_header_and_parses(store) -> None:  # type: ignore[no-untyped-def]
    queries = [q for q in list_queries(CONFIG.queries_dir) if q.name.startswith("views/")]
    assert {q.name for q in queries} == {
        "views/citation-quotes",
        "views/citations",
        "views/directives",
        "views/platform-quotes",
        "views/platform-types",
        "views/platforms",
        "views/regions",
        "views/reports",
        "views/resolutions",
    }
    for q in queries:
        assert q.title and q.purpose, q.name


def test_records_read_from_the_store(data) -> None:  # type: ignore[no-untyped-def]
    assert len(data.reports) == 8
    assert len(data.citations) == 19
    assert len(data.platforms) == 8
    jiangsu = data.regions[R("320000")]
    assert (jiangsu.label, jiangsu.level, jiangsu.lat, jiangsu.lon) == ("江苏省", "province", 32.06, 118.76)
    county = data.regions[R("321281")]
    assert (county.level, county.parent, county.province, county.lat) == ("county", R("321200"), R("320000"), None)
    assert data.regions[R("320722")].label == HOSTILE_REGION
    d3 = data.directives[D3]
    assert (d3.number, d3.level, d3.year) == ("苏政办发〔2017〕12号", "province", 2017)  # year from the 文号
    d5 = data.directives[D5]
    assert (d5.number, d5.level, d5.year, d5.display) == ("", "unknown", None, "《中华人民共和国政府信息公开条例》")
    assert data.directives[D2].title == HOSTILE_TITLE
    assert {p.name for p in data.platforms} >= {HOSTILE_PLATFORM, "江苏发布"}
    assert data.platform_types["wechat"].label == "微信公众号"
    quotes = {c.quote for c in data.citations if c.doc == D1}
    assert all("国办发〔2016〕19号" in q for q in quotes)


def test_years_from_dates_and_numbers() -> None:
    assert year_of("2017-02-28") == 2017
    assert year_of("2016") == 2016
    assert year_of("") is None
    assert year_in_number("国办发〔2016〕19号") == 2016
    assert year_in_number("苏政办发[2017]12号") == 2017
    assert year_in_number("国发〔〕1号") is None


# ------------------------------------------------------------------ citation network


def test_citation_graph_nodes_and_edges(citation) -> None:  # type: ignore[no-untyped-def]
    regions = {n for n, a in citation.nodes(data=True) if a["kind"] == "region"}
    docs = {n for n, a in citation.nodes(data=True) if a["kind"] == "directive"}
    assert regions == {R(c) for c in ("320000", "320700", "320722", "321281", "330000", "331000", "331083")}
    assert docs == {D1, D2, D3, D4, D5}
    assert citation.number_of_edges() == 18
    assert nx.is_bipartite(citation.to_undirected())
    assert all(
        citation.nodes[u]["kind"] == "region" and citation.nodes[v]["kind"] == "directive" for u, v in citation.edges
    )
    edge = citation.edges[R("320000"), D1]  # cited in the 2016 and the 2017 report
    assert edge["years"] == (2016, 2017)
    assert edge["reports"] == 2
    assert [e.year for e in edge["evidence"]] == [2016, 2017]
    assert "国办发〔2016〕19号" in edge["evidence"][0].quote


def test_directives_sized_by_citing_regions_and_coloured_by_level(citation) -> None:  # type: ignore[no-untyped-def]
    expected = {D1: (6, "national"), D2: (2, "national"), D3: (4, "province"), D4: (3, "province"), D5: (3, "unknown")}
    for doc, (cited_by, level) in expected.items():
        a = citation.nodes[doc]
        assert (a["cited_by"], a["level"]) == (cited_by, level)
        assert a["size"] == directive_size(cited_by)
        assert a["color"] == LEVEL_COLORS[level]
    assert citation.nodes[D1]["size"] > citation.nodes[D3]["size"] > citation.nodes[D2]["size"]
    assert {citation.nodes[r]["color"] for r in citation if citation.nodes[r]["kind"] == "region"} == {REGION_COLOR}
    assert (
        citation.nodes[R("320000")]["size"] > citation.nodes[R("320700")]["size"] > citation.nodes[R("321281")]["size"]
    )


def test_tooltips_escape_scraped_text(citation) -> None:  # type: ignore[no-untyped-def]
    assert "<script>" not in citation.nodes[D2]["title"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in citation.nodes[D2]["title"]
    hostile = citation.nodes[R("320722")]["title"]
    assert "<a href" not in hostile and "&lt;a href=&quot;javascript:alert(1)&quot;&gt;" in hostile
    edge = citation.edges[R("320000"), D1]["title"]
    assert "2016年江苏省政府信息公开工作年度报告" in edge and "“认真贯彻《" in edge  # report title and quote


def test_citation_layout_groups_regions_by_province_and_puts_state_directives_left(citation, data) -> None:  # type: ignore[no-untyped-def]
    pos = citation_positions(citation, data)
    assert set(pos) == set(citation.nodes)
    assert overlapping_labels(citation, pos) == []  # no node or label covers another
    region_x = [pos[n][0] for n in citation if citation.nodes[n]["kind"] == "region"]
    assert max(pos[d][0] for d in (D1, D2, D5)) < min(region_x)  # national/unknown directives: columns on the left
    # Jiangsu (north) above Zhejiang (south); regions within a province closer than across provinces
    assert pos[R("320000")][1] < pos[R("330000")][1]
    near = math.dist(pos[R("321281")], pos[R("320000")])
    far = math.dist(pos[R("321281")], pos[R("330000")])
    assert near < far
    # a provincial directive sits among the regions that cite it
    assert math.dist(pos[D4], pos[R("330000")]) < math.dist(pos[D4], pos[R("320000")])


def test_layout_helpers_are_deterministic() -> None:
    assert project(104.0, 35.0) == (0.0, 0.0)
    assert sunflower((0.0, 0.0), 0, 10.0) == (0.0, 0.0)
    assert len({sunflower((0.0, 0.0), i, 10.0) for i in range(200)}) == 200
    box = label_box(8.0, "连云港市")
    items = [(str(i), (0.0, 0.0), box) for i in range(50)]
    placed = pack(items)
    assert len(set(placed.values())) == 50
    assert placed == pack(items)
    rects = [(r[0] + 0.1, r[1] + 0.1, r[2] - 0.1, r[3] - 0.1) for r in (box.at(p) for p in placed.values())]
    assert not any(boxes_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert set(PROVINCE_ANCHORS) >= {"11", "32", "33", "65", "81", "82"}


def test_large_citation_graph_splits_per_province(citation, data) -> None:  # type: ignore[no-untyped-def]
    whole = citation_pages(citation, data, max_nodes=1500)
    assert [p.slug for p in whole] == ["citation.html"]
    assert {f.key for f in whole[0].filters} == {"province", "year", "rlevel", "dlevel", "cited_as"}
    toggle = next(f for f in whole[0].filters if f.key == "cited_as")
    assert toggle.toggle and toggle.options[0][0] == "title" and "(1)" in toggle.label  # D5, cited by title only
    pages = citation_pages(citation, data, max_nodes=5)
    assert [p.slug for p in pages] == ["citation/p32.html", "citation/p33.html"]
    for page in pages:
        assert page.graph.number_of_nodes() <= 5
        assert all(page.graph.degree(n) > 0 for n in page.graph)
        assert all("x" in a and "y" in a for _, a in page.graph.nodes(data=True))
    jiangsu = pages[0].graph
    assert {n for n in jiangsu if jiangsu.nodes[n]["kind"] == "region"} == {
        R("320000"),
        R("320700"),
        R("320722"),
        R("321281"),
    }
    assert D1 in jiangsu  # the most-cited directive is kept, the least-cited are left out and said so
    assert "left out" in pages[0].notes[0]
    assert pages[0].title.endswith("江苏省")


# ------------------------------------------------------------------ co-citation


def test_cocitation_projection_and_communities(citation, data) -> None:  # type: ignore[no-untyped-def]
    g, info = co.build_cocitation_graph(citation, data)
    assert set(g.nodes) == {n for n, a in citation.nodes(data=True) if a["kind"] == "region"}
    # 江苏省 and the hostile county both cite D1, D2 and D3
    assert g.edges[R("320000"), R("320722")]["weight"] == 3
    assert set(g.edges[R("320000"), R("320722")]["shared"]) == {
        "国办发〔2016〕19号",
        "国办发〔2016〕80号",
        "苏政办发〔2017〕12号",
    }
    assert g.edges[R("331000"), R("330000")]["weight"] == 2  # D4 and D5
    assert not g.has_edge(R("320700"), R("331000"))  # nothing in common
    assert info.ubiquitous == [] and info.isolated == 0
    by = {}
    for n, a in g.nodes(data=True):
        by.setdefault(a["community"], set()).add(n)
    assert sorted(map(sorted, by.values())) == sorted(
        [
            sorted([R("320000"), R("320700"), R("320722"), R("321281")]),
            sorted([R("330000"), R("331000"), R("331083")]),
        ]
    )
    assert g.nodes[R("320000")]["community"] == 0  # the largest community is number 0
    again, _ = co.build_cocitation_graph(citation, data)
    assert [(n, a["community"], a["color"]) for n, a in sorted(g.nodes(data=True))] == [
        (n, a["community"], a["color"]) for n, a in sorted(again.nodes(data=True))
    ]
    pos1 = co.cocitation_positions(g, co.community_members(g))
    pos2 = co.cocitation_positions(again, co.community_members(again))
    assert pos1 == pos2 and len(set(pos1.values())) == g.number_of_nodes()


def test_cocitation_leaves_out_directives_everyone_cites(data) -> None:  # type: ignore[no-untyped-def]
    g = nx.DiGraph()
    regions = [f"r{i:02d}" for i in range(30)]
    for r in regions:
        g.add_node(r, kind="region")
    g.add_node("everyone", kind="directive", label="国办发〔2016〕19号")
    g.add_node("north", kind="directive", label="北")
    g.add_node("south", kind="directive", label="南")
    for i, r in enumerate(regions):
        g.add_edge(r, "everyone")
        g.add_edge(r, "north" if i < 15 else "south")
    from kg.views.data import Region

    for r in regions:
        data.regions.setdefault(r, Region(r, "999999", r, "county", "", "", None, None))
    try:
        cg, info = co.build_cocitation_graph(g, data)
    finally:
        for r in regions:
            data.regions.pop(r)
    assert info.ubiquitous == ["国办发〔2016〕19号"]
    assert info.communities == 2
    assert not cg.has_edge("r00", "r20")
    assert all(cg.degree(n) <= co.TOP_K + 14 for n in cg)


# ------------------------------------------------------------------ platforms


def test_platform_graph(data) -> None:  # type: ignore[no-untyped-def]
    g = pf.build_platform_graph(data)
    types = {a["notation"]: n for n, a in g.nodes(data=True) if a["kind"] == "platform_type"}
    assert set(types) == {"portal", "wechat", "weibo", "app", "gazette", "hotline"}
    assert g.nodes[types["wechat"]]["regions"] == 2
    assert g.nodes[types["wechat"]]["color"] == platform_color("wechat")
    assert g.nodes[types["portal"]]["label"] == "政府门户网站"
    assert g.number_of_edges() == 8
    edge = g.edges[R("320700"), types["wechat"]]
    assert edge["names"] == (HOSTILE_PLATFORM,)
    assert HOSTILE_PLATFORM not in edge["title"] and "&lt;img src=x onerror=alert(1)&gt;" in edge["title"]
    assert edge["years"] == (2017,)
    portal = g.edges[R("320000"), types["portal"]]
    assert portal["names"] == ("中国江苏 <www.jiangsu.gov.cn>",)
    pages = pf.platform_pages(g, data, max_nodes=1500)
    hubs = [n for n in types.values()]
    xs = [pages[0].graph.nodes[n]["x"] for n in hubs]
    assert max(xs) < min(a["x"] for n, a in pages[0].graph.nodes(data=True) if a["kind"] == "region")
    assert {f.key for f in pages[0].filters} == {"province", "year", "rlevel", "ptype"}


# ------------------------------------------------------------------ diffusion


def test_diffusion_of_the_most_cited_directive(store, data, citation) -> None:  # type: ignore[no-untyped-def]
    assert df.top_directives(data, citation, 2) == [D1, D3]
    firsts = first_citations(data, D1)
    assert [(f.region, f.year) for f in firsts] == [
        (R("320000"), 2016),
        (R("320700"), 2017),
        (R("330000"), 2017),
        (R("320722"), 2018),
        (R("321281"), 2018),
        (R("331083"), 2019),
    ]
    g = df.build_diffusion_graph(data, D1, firsts)
    assert {n: g.nodes[n]["lag"] for n in g if n != D1} == {
        R("320000"): 0,
        R("320700"): 1,
        R("330000"): 1,
        R("320722"): 2,
        R("321281"): 2,
        R("331083"): 3,
    }
    # the cascade: each region hangs from the nearest ancestor that cited earlier, else from the directive
    assert set(g.edges) == {
        (D1, R("320000")),
        (D1, R("330000")),
        (R("320000"), R("320700")),
        (R("320700"), R("320722")),
        (R("320000"), R("321281")),  # its city 泰州 never cited it
        (R("330000"), R("331083")),  # its city 台州 never cited it
    }
    summary = df.summarize(1, data, D1, firsts)
    assert summary.first_by_level == {"province": 2016, "city": 2017, "county": 2018}
    assert summary.lag("county") == 2 and summary.median_lag == 1.5
    pages = df.diffusion_pages(g, D1, summary, max_nodes=1500)
    assert [p.slug for p in pages] == ["diffusion/d001.html"] == summary.pages
    page = pages[0].graph
    x = {n: page.nodes[n]["x"] for n in g}
    y = {n: page.nodes[n]["y"] for n in g}
    assert x[R("320000")] == x[D1] < x[R("320700")] == x[R("330000")] < x[R("321281")] < x[R("331083")]
    assert y[D1] < y[R("320000")] == y[R("330000")] < y[R("320700")] < y[R("321281")] == y[R("331083")]
    axes = sorted(a["label"] for _, a in page.nodes(data=True) if a["kind"] == "axis")
    assert axes[:4] == ["2016", "2017", "2018", "2019"]


def test_diffusion_without_a_directive_year_has_no_lag(store, data) -> None:  # type: ignore[no-untyped-def]
    firsts = first_citations(data, D5)
    g = df.build_diffusion_graph(data, D5, firsts)
    assert all(g.nodes[n]["lag"] is None for n in g if n != D5)
    assert df.summarize(4, data, D5, firsts).median_lag is None


def test_diffusion_splits_per_province_when_too_big(store, data) -> None:  # type: ignore[no-untyped-def]
    firsts = first_citations(data, D1)
    g = df.build_diffusion_graph(data, D1, firsts)
    summary = df.summarize(1, data, D1, firsts)
    pages = df.diffusion_pages(g, D1, summary, max_nodes=4)
    assert [p.slug for p in pages] == ["diffusion/d001-p32.html", "diffusion/d001-p33.html"]
    for page in pages:
        regions = [n for n, a in page.graph.nodes(data=True) if a["kind"] == "region"]
        assert all(page.graph.in_degree(n) == 1 for n in regions)  # every region still hangs from something
        assert D1 in page.graph


def test_views_of_a_store_that_cites_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Reports that cite nothing give empty networks, not an error."""
    from kg.config import Config
    from kg.pipeline import ingest
    from kg.store import open_store
    from kg.views import write_views

    report = tmp_path / "in" / "r.txt"
    report.parent.mkdir()
    report.write_text("宜兴市人民政府2018年政府信息公开工作年度报告\n全年收到政府信息公开申请5件。\n", encoding="utf-8")
    assert ingest([report.parent], tmp_path / "store", Config()).reports == 1
    summary = write_views(open_store(tmp_path / "store", read_only=True), tmp_path / "views", Config())
    assert (tmp_path / "views" / "index.html").is_file() and summary.counts["reports"] == 1


@given(
    st.dictionaries(
        st.integers(0, 400).map(lambda i: f"r{i:03d}"),
        st.sets(st.integers(0, 25).map(lambda i: f"d{i:02d}")),
        max_size=40,
    ),
    st.integers(1, 8),
)
@settings(max_examples=60, deadline=None)
def test_the_strongest_links_are_those_of_networkx_s_weighted_projection(
    cited: dict[str, set[str]], top_k: int
) -> None:
    """The projection is igraph's (C); networkx's weighted bipartite projection is the reference it must equal:
    each region's top_k links by shared directives, ties to the smaller IRI."""
    from networkx.algorithms import bipartite

    regions = sorted(cited)
    docs = sorted(set().union(*cited.values())) if cited else []
    b = nx.Graph()
    b.add_nodes_from(regions, bipartite=0)
    b.add_nodes_from(docs, bipartite=1)
    b.add_edges_from((r, d) for r in regions for d in cited[r])
    full = bipartite.weighted_projected_graph(b, regions) if regions and docs else nx.Graph()
    expected: set[tuple[str, str]] = set()
    for n in full.nodes:
        ranked = sorted(full[n].items(), key=lambda kv: (-kv[1]["weight"], kv[0]))[:top_k]
        expected.update((min(n, m), max(n, m)) for m, _ in ranked)
    assert co._strongest_links(regions, docs, cited, top_k) == expected


def test_quotes_are_read_for_the_evidence_a_tooltip_shows_only() -> None:
    """Per edge (region, directive), the first MAX_EVIDENCE reports in the tooltip's order (earliest year, unknown
    last, then IRI) need their sentence; the others are counted, so their quotes are not read."""
    from kg.views.data import MAX_EVIDENCE, Citation, Region, Report, ViewData, shown

    data = ViewData()
    for r in ("r1", "r2"):
        data.regions[r] = Region(r, "", r, "county", "", "", None, None)
    years = [2019, None, 2012, 2015, 2013, 2020, 2014]
    for i, year in enumerate(years):
        data.reports[f"rep{i}"] = Report(f"rep{i}", "", "r1", year, "county", "government")
    data.reports["other"] = Report("other", "", "r2", 2021, "county", "government")
    cites = [Citation("d", f"rep{i}", "d", "") for i in range(len(years))] + [Citation("d", "other", "d", "")]
    cites.append(Citation("e", "rep0", "e", ""))
    picked = shown(data, cites, lambda c: c.doc)
    assert {c.report for c in picked if c.doc == "d" and c.report != "other"} == {"rep2", "rep4", "rep6", "rep3"}
    assert MAX_EVIDENCE == 4
    assert {(c.report, c.doc) for c in picked} >= {("other", "d"), ("rep0", "e")}  # each edge its own first reports
    assert len(picked) == MAX_EVIDENCE + 2
