"""Readable layouts: label widths, shortened labels, and no two nodes or labels overlapping — on generated graphs
with long titles and crowded maps as well as on the fixture store's pages."""

from __future__ import annotations

import math
import random
from html import escape

import networkx as nx
import pytest

from kg.views import cocitation as co
from kg.views import diffusion as df
from kg.views import platforms as pf
from kg.views.citation import (
    HUB_LEVELS,
    build_citation_graph,
    citation_pages,
    citation_positions,
    directive_label,
    directive_node_attrs,
)
from kg.views.data import Citation, Directive, Region, Report, ViewData, first_citations, read_view_data
from kg.views.layout import (
    COLUMN_GAP,
    MAX_SPREAD,
    Packer,
    boxes_overlap,
    label_box,
    label_columns,
    spread_factor,
    text_width,
)
from kg.views.style import FONT_SIZE, LABEL_CHARS, short_title
from tests.views_support import CONFIG, build_fixture_store, overlapping_labels

BASE = "https://w3id.org/govkg/id/"
WORDS = "关于进一步加强和完善政务公开工作推进信息发布解读回应实施意见办法通知规划方案纲要"


def long_title(rng: random.Random, i: int) -> str:
    return f"某市{i}号" + "".join(rng.choice(WORDS) for _ in range(rng.randint(14, 40)))


def generated_data(seed: int = 3, counties: int = 40, titled: int = 60) -> ViewData:
    """One province: a capital, three cities with coordinates, ``counties`` counties without (placed around their
    city), directives of the State and the province (numbered), and ``titled`` documents cited by long titles
    only, each by one to three regions — the case that used to pile labels on top of each other."""
    rng = random.Random(seed)
    data = ViewData()
    prov = f"{BASE}region/320000"
    regions = [Region(prov, "320000", "江苏省", "province", prov, f"{BASE}region/100000", 32.06, 118.76)]
    cities = []
    for c, (lat, lon) in enumerate([(34.6, 119.2), (32.5, 119.9), (31.3, 120.6)], start=1):
        iri = f"{BASE}region/32{c:02d}00"
        cities.append(iri)
        regions.append(Region(iri, f"32{c:02d}00", f"第{c}市", "city", prov, prov, lat, lon))
    for k in range(counties):
        city = cities[k % 3]
        code = f"{city[-6:-2]}{k + 1:02d}"
        name = rng.choice(["县", "区", "市"])
        regions.append(Region(f"{BASE}region/{code}", code, f"县{code}{name}", "county", prov, city, None, None))
    data.regions = {r.iri: r for r in regions}
    docs = [Directive(f"{BASE}doc/n{i}", f"国办发〔2016〕{i}号", f"国务院办公厅通知{i}", "国办发", "national", 2016)
            for i in range(5)]  # fmt: skip
    docs += [
        Directive(f"{BASE}doc/p{i}", f"苏政办发〔2017〕{i}号", f"省通知{i}", "苏政办发", "province", 2017)
        for i in range(10)
    ]
    docs += [Directive(f"{BASE}doc/t{i}", "", long_title(rng, i), "", "unknown", None) for i in range(titled)]
    data.directives = {d.iri: d for d in docs}
    for r in regions:
        rep = f"{BASE}report/{r.adcode}/2018"
        data.reports[rep] = Report(rep, f"2018年{r.label}年度报告", r.iri, 2018, r.level, "government")
    reports = sorted(data.reports)
    for j, d in enumerate(docs):
        if d.level == "province":
            citing = [reports[(j * 7) % len(reports)]]  # each cited by one region: placed around it
        else:
            citing = rng.sample(reports, rng.randint(1, 3))
        for rep in sorted(citing):
            data.citations.append(Citation(d.iri, rep, d.iri, f"根据《{d.title}》"))
    return data


def inset(rect: tuple[float, float, float, float], by: float) -> tuple[float, float, float, float]:
    return rect[0] + by, rect[1] + by, rect[2] - by, rect[3] - by


# ------------------------------------------------------------------ labels


def test_label_widths_count_a_cjk_character_as_one_em() -> None:
    assert text_width("连云港市") == 4 * FONT_SIZE
    assert text_width("2016") == pytest.approx(4 * 0.62 * FONT_SIZE, abs=0.1)
    assert text_width("国办发〔2016〕19号") == pytest.approx((6 + 4 * 0.62 + 2 * 0.62) * FONT_SIZE, abs=0.1)
    box = label_box(10.0, "连云港市十三五沿海开发规划", gap=(0.0, 0.0))
    assert box.width == 13 * FONT_SIZE and box.top == -10.0 and box.bottom > 10.0 + FONT_SIZE


def test_title_only_directives_get_a_short_label_and_the_full_title_in_the_tooltip() -> None:
    title = "<b>连云港市</b>“十三五”战略性新兴产业发展规划和二〇三五年远景目标纲要"
    d = Directive(f"{BASE}doc/x", "", title, "", "unknown", None)
    label = directive_label(d)
    assert label == short_title(title) == "《" + title[:LABEL_CHARS] + "…》"
    assert len(label) == LABEL_CHARS + 3
    attrs = directive_node_attrs(d, 2)
    assert attrs["label"] == label and attrs["full_label"] == f"《{title}》" and attrs["cited_as"] == "title"
    assert escape(f"《{title}》") in str(attrs["title"]) and "<b>连云港市</b>" not in str(attrs["title"])
    short = Directive(f"{BASE}doc/y", "", "政府网站发展指引", "", "unknown", None)
    assert directive_label(short) == "《政府网站发展指引》"  # short enough: whole
    numbered = Directive(f"{BASE}doc/z", "国办发〔2016〕19号", title, "国办发", "national", 2016)
    assert directive_label(numbered) == "国办发〔2016〕19号"
    assert directive_node_attrs(numbered, 1)["cited_as"] == "number"


# ------------------------------------------------------------------ packing and columns


def test_packer_spreads_boxes_around_a_taken_spot_without_covering_it() -> None:
    packer = Packer(xweight=0.6)
    region = label_box(9.0, "连云港市")
    centre = packer.place((0.0, 0.0), region)
    assert centre == (0.0, 0.0)
    docs = [label_box(10.0, f"连政办发〔2017〕{i}号") for i in range(8)]
    placed = [packer.place((0.0, 0.0), b) for b in docs]
    rects = [inset(region.at(centre), 0.1)] + [inset(b.at(p), 0.1) for b, p in zip(docs, placed, strict=True)]
    assert not any(boxes_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    above = sum(1 for p in placed if p[1] < 0)
    below = sum(1 for p in placed if p[1] > 0)
    assert above and below  # spread around the region, not stacked on one side
    assert max(math.dist(p, centre) for p in placed) < 200


def test_columns_are_as_wide_as_their_widest_label_and_groups_start_new_columns() -> None:
    national = [(f"n{i}", label_box(12.0, f"国办发〔2016〕{i}号"), "national") for i in range(3)]
    titled = [(f"t{i}", label_box(10.0, "《" + "长" * (i % 13) + "…》"), "unknown") for i in range(25)]
    pos = label_columns(national + titled, right=0.0, top=0.0, bottom=400.0)
    boxes = {k: b for k, b, _ in national + titled}
    xs = sorted({p[0] for p in pos.values()}, reverse=True)
    assert {pos[k][0] for k, _, _ in national} == {xs[0]}  # the State's directives: a column of their own
    columns = [[k for k in pos if pos[k][0] == x] for x in xs]
    sizes = [len(c) for c in columns[1:]]
    assert max(sizes) - min(sizes) <= 1  # title-only documents shared evenly, no straggler column
    for right, left in zip(columns, columns[1:], strict=False):
        gap = min(boxes[k].at(pos[k])[0] for k in right) - max(boxes[k].at(pos[k])[2] for k in left)
        assert gap >= COLUMN_GAP - 0.1
    rects = [inset(boxes[k].at(p), 0.1) for k, p in pos.items()]  # boxes may touch (positions are rounded)
    assert not any(boxes_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert max(p[0] for p in pos.values()) <= 0.0


def test_a_crowded_map_is_stretched_and_a_sparse_one_is_not() -> None:
    area = label_box(6.0, "县320101").width * label_box(6.0, "县320101").height
    assert spread_factor([((i * 400.0, 0.0), area) for i in range(10)]) == 1.0
    crowded = [((float(i % 10) * 10, float(i // 10) * 10), area) for i in range(100)]
    assert 1.0 < spread_factor(crowded) <= MAX_SPREAD
    assert spread_factor([((0.0, 0.0), area)] * 100) == 1.0  # nodes that share one spot: stretching cannot help


# ------------------------------------------------------------------ whole views


def test_citation_layout_of_a_graph_with_long_titles_has_no_overlapping_labels() -> None:
    data = generated_data()
    graph = build_citation_graph(data)
    pos = citation_positions(graph, data)
    assert set(pos) == set(graph.nodes)
    assert overlapping_labels(graph, pos) == []
    assert pos == citation_positions(build_citation_graph(generated_data()), generated_data())  # deterministic
    titled = [n for n, a in graph.nodes(data=True) if a["kind"] == "directive" and a["cited_as"] == "title"]
    assert len(titled) == 60
    assert all(len(graph.nodes[n]["label"]) <= LABEL_CHARS + 3 for n in titled)
    regions = [n for n, a in graph.nodes(data=True) if a["kind"] == "region"]
    hubs = [n for n, a in graph.nodes(data=True) if a["kind"] == "directive" and a["level"] in HUB_LEVELS]
    assert max(pos[n][0] for n in hubs) < min(pos[n][0] for n in regions)  # columns left of the map
    for n, a in graph.nodes(data=True):  # a directive cited by one region sits right beside it
        if a["kind"] == "directive" and a["level"] not in HUB_LEVELS:
            (region,) = graph.predecessors(n)
            assert math.dist(pos[n], pos[region]) < 250, a["label"]


def test_citation_pages_keep_labels_apart_and_offer_the_title_only_toggle() -> None:
    data = generated_data()
    graph = build_citation_graph(data)
    for max_nodes in (1500, 60):
        for page in citation_pages(graph, data, max_nodes):
            assert overlapping_labels(page.graph) == [], page.slug
    page = citation_pages(graph, data, 1500)[0]
    toggle = next(f for f in page.filters if f.key == "cited_as")
    assert toggle.toggle and toggle.label.endswith("(60)")
    assert all(
        a["facets"]["cited_as"] == [a["cited_as"]] for _, a in page.graph.nodes(data=True) if a["kind"] == "directive"
    )


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory):  # type: ignore[no-untyped-def]
    store = build_fixture_store(tmp_path_factory.mktemp("views-layout") / "store")
    return store, read_view_data(store, CONFIG)


def test_fixture_pages_have_no_overlapping_labels(fixture_data) -> None:  # type: ignore[no-untyped-def]
    store, data = fixture_data
    citation = build_citation_graph(data)
    pages = citation_pages(citation, data, 1500)
    cg, info = co.build_cocitation_graph(citation, data)
    pages += co.cocitation_pages(cg, info, 1500)
    pages += pf.platform_pages(pf.build_platform_graph(data), data, 1500)
    for rank, doc in enumerate(df.top_directives(data, citation, 5), start=1):
        firsts = first_citations(data, doc)
        graph = df.build_diffusion_graph(data, doc, firsts)
        pages += df.diffusion_pages(graph, doc, df.summarize(rank, data, doc, firsts), 1500)
    assert {p.view for p in pages} == {"citation", "cocitation", "platforms", "diffusion"}
    for page in pages:
        assert overlapping_labels(page.graph) == [], page.slug


def test_diffusion_regions_of_one_cell_stand_side_by_side() -> None:
    g = nx.DiGraph()
    d = Directive(f"{BASE}doc/t", "", "中华人民共和国政府信息公开条例", "", "unknown", None)
    g.add_node("doc", **directive_node_attrs(d, 6))
    for i in range(6):
        g.add_node(f"r{i}", kind="region", label=f"县{i}区", level="county", adcode=f"3201{i:02d}", first_year=2018,
                   size=6.0, province="32", province_label="江苏省")  # fmt: skip
        g.add_edge("doc", f"r{i}")
    pos, axes = df.diffusion_positions(g, "doc")
    ys = {pos[f"r{i}"][1] for i in range(6)}
    assert len(ys) <= 2  # one level: a flat band, not a tall stack
    for key, text, p in axes:
        g.add_node(key, kind="axis", label=text, shape="text", x=p[0], y=p[1], size=14)
    for n, p in pos.items():
        g.nodes[n]["x"], g.nodes[n]["y"] = p
    assert overlapping_labels(g) == []
    assert any(text.startswith("年份不详") for _, text, _ in axes)  # the directive's year is unknown: its own column
