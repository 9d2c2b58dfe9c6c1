"""``write_views`` and ``kg view``: the static directory, its determinism and safety, and the Gephi exports."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.cli.main import cli
from kg.errors import KgError
from kg.views import views_dir, write_views
from tests.views_support import CONFIG, HOSTILE_PLATFORM, HOSTILE_REGION, HOSTILE_TITLE, M, build_fixture_store

EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)|@import"""
    r"""|<link\b""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("views-site") / "store"
    build_fixture_store(path)
    return path


@pytest.fixture(scope="module")
def written(store_path, tmp_path_factory):  # type: ignore[no-untyped-def]
    from kg.store import open_store

    out = tmp_path_factory.mktemp("views-out") / "views"
    return write_views(open_store(store_path, read_only=True), out, CONFIG)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_directory_layout(written) -> None:  # type: ignore[no-untyped-def]
    out = written.out_dir
    assert sorted(_files(out)) == [
        ".govkg-views.json",
        "citation.html",
        "cocitation.html",
        "diffusion/d001.html",
        "diffusion/d002.html",
        "diffusion/d003.html",
        "diffusion/d004.html",
        "diffusion/d005.html",
        "exports/citation.gexf",
        "exports/citation.graphml",
        "exports/cocitation.gexf",
        "exports/cocitation.graphml",
        "exports/platforms.gexf",
        "exports/platforms.graphml",
        "index.html",
        "platforms.html",
    ]
    assert written.counts == {"reports": 8, "regions": 7, "directives": 5, "citations": 19, "platforms": 8}
    assert [(p.view, p.nodes, p.edges) for p in written.pages[:3]] == [
        ("citation", 12, 18),
        ("cocitation", 7, 18),
        ("platforms", 11, 8),
    ]
    assert views_dir(out) == out.resolve()
    manifest = json.loads((out / ".govkg-views.json").read_text(encoding="utf-8"))
    assert manifest["files"] == sorted(set(_files(out)) - {".govkg-views.json"})


def test_same_store_same_bytes(written, store_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kg.store import open_store

    again = write_views(open_store(store_path, read_only=True), tmp_path / "again", CONFIG)
    assert _files(again.out_dir) == _files(written.out_dir)


def test_pages_load_nothing_from_outside(written) -> None:  # type: ignore[no-untyped-def]
    for path in sorted(written.out_dir.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        assert not EXTERNAL.search(html), f"{path}: {EXTERNAL.search(html).group(0)}"  # type: ignore[union-attr]
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert csp, path
        policy = html_lib.unescape(csp.group(1))
        assert policy.startswith("default-src 'none'; script-src 'sha256-")
        assert "unsafe-inline" not in policy.split("style-src")[0] and "unsafe-eval" not in policy


def test_hostile_strings_never_reach_the_html_as_markup(written) -> None:  # type: ignore[no-untyped-def]
    texts = {p: p.read_text(encoding="utf-8") for p in sorted(written.out_dir.rglob("*.html"))}
    for path, html in texts.items():
        for hostile in (HOSTILE_PLATFORM, HOSTILE_TITLE, HOSTILE_REGION, "<script>alert", "<img src=x"):
            assert hostile not in html, f"{path} holds {hostile!r} verbatim"
    citation = texts[written.out_dir / "citation.html"]
    # labels travel as escaped JSON; tooltips are HTML with the scraped text entity-escaped
    assert '\\u003ca href=\\"javascript:alert(1)\\"\\u003ehref县\\u003c/a\\u003e' in citation
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in citation
    platforms = texts[written.out_dir / "platforms.html"]
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in platforms
    index = texts[written.out_dir / "index.html"]
    assert "《&lt;script&gt;alert(1)&lt;/script&gt;关于全面推进政务公开工作的意见》" in index  # autoescaped table cell


def test_pages_use_opaque_node_ids(written) -> None:  # type: ignore[no-untyped-def]
    html = (written.out_dir / "citation.html").read_text(encoding="utf-8")
    payload = json.loads(re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert [n["id"] for n in payload["nodes"]] == [f"n{i}" for i in range(12)]
    assert [e["id"] for e in payload["edges"]] == [f"e{i}" for i in range(18)]
    assert payload["options"]["physics"]["enabled"] is False
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in payload["nodes"])
    titled = [n for n in payload["nodes"] if n["label"].startswith("《")]  # D5, cited by its title only
    assert [n["label"] for n in titled] == ["《中华人民共和国政府信息公…》"]
    assert "《中华人民共和国政府信息公开条例》" in titled[0]["title"]  # the whole title in the tooltip
    assert titled[0]["facets"] == {"cited_as": ["title"], "dlevel": ["unknown"]}
    assert '<input type="checkbox" checked data-facet="cited_as" data-exclude="title">' in html
    hostile = [n for n in payload["nodes"] if n["label"] == HOSTILE_REGION]
    assert len(hostile) == 1 and hostile[0]["facets"] == {"province": ["32"], "rlevel": ["county"]}


def test_search_index_covers_every_node_of_the_network_views(written) -> None:  # type: ignore[no-untyped-def]
    html = (written.out_dir / "index.html").read_text(encoding="utf-8")
    index = json.loads(re.search(r'<script type="application/json" id="search-data">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    pages = [p[0] for p in index["pages"]]
    assert pages[:3] == ["citation.html", "cocitation.html", "platforms.html"]
    on_citation = sorted(n[0] for n in index["nodes"] if pages[n[2]] == "citation.html")
    assert len(on_citation) == 12 and HOSTILE_REGION in on_citation and "国办发〔2016〕19号" in on_citation
    assert {n[0] for n in index["nodes"] if pages[n[2]] == "platforms.html"} >= {"微信公众号", "政府门户网站"}
    assert "《中华人民共和国政府信息公开条例》" in on_citation  # searched by the whole title, not the short label
    diffusion = [n for n in index["nodes"] if pages[n[2]].startswith("diffusion/")]
    assert sorted(index["kinds"][n[1]] for n in diffusion) == ["文件 directive"] * 5  # regions found via the others


def test_gexf_and_graphml_parse_back(written) -> None:  # type: ignore[no-untyped-def]
    out = written.out_dir / "exports"
    gexf = nx.read_gexf(out / "citation.gexf")
    graphml = nx.read_graphml(out / "citation.graphml")
    for g in (gexf, graphml):
        assert g.is_directed()
        assert g.number_of_nodes() == 12 and g.number_of_edges() == 18
    d1 = str(M.document("国办发〔2016〕19号", "100000"))
    jiangsu = str(M.region("320000"))
    assert gexf.nodes[d1]["label"] == "国办发〔2016〕19号"
    d5 = str(M.titled_document("中华人民共和国政府信息公开条例"))
    assert (
        gexf.nodes[d5]["label"] == "《中华人民共和国政府信息公开条例》"
    )  # the whole title, not the page's short label
    assert "full_label" not in gexf.nodes[d5]
    assert gexf.nodes[d1]["cited_by"] == 6 and gexf.nodes[d1]["level"] == "national"
    assert set(gexf.nodes[d1]["viz"]) == {"color", "size", "position"}
    assert gexf.nodes[d1]["viz"]["color"]["r"] == 0xD5
    assert graphml.nodes[jiangsu]["kind"] == "region" and graphml.nodes[jiangsu]["color"] == "#5B6B7F"
    edge = graphml.edges[jiangsu, d1]
    assert edge["years"] == "2016;2017" and edge["reports"] == 2 and edge["first_year"] == 2016
    assert "国办发〔2016〕19号" in edge["first_quote"]
    assert any(a.get("label") == HOSTILE_REGION for _, a in graphml.nodes(data=True))  # text, XML-escaped by the writer
    co = nx.read_gexf(out / "cocitation.gexf")
    assert not co.is_directed() and {a["community"] for _, a in co.nodes(data=True)} == {0, 1}
    platforms = nx.read_graphml(out / "platforms.graphml")
    assert any(a.get("names") == HOSTILE_PLATFORM for _, _, a in platforms.edges(data=True))
    assert "lastmodifieddate" not in (out / "citation.gexf").read_text(encoding="utf-8")


def test_rerun_replaces_its_own_files_and_refuses_foreign_directories(store_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kg.store import open_store

    store = open_store(store_path, read_only=True)
    out = tmp_path / "views"
    write_views(store, out, CONFIG)
    (out / "diffusion" / "d009.html").write_text("stale", encoding="utf-8")  # not ours: kept
    write_views(store, out, CONFIG, top_directives=2)
    assert sorted(p.name for p in (out / "diffusion").iterdir()) == ["d001.html", "d002.html", "d009.html"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(KgError, match="is not empty and was not written by `kg view`"):
        write_views(store, foreign, CONFIG)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(KgError, match="no network views here"):
        views_dir(foreign)


def test_empty_store_is_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kg.store import open_store

    with pytest.raises(KgError, match="holds no annual reports"):
        write_views(open_store(tmp_path / "empty"), tmp_path / "views", CONFIG)


def test_cli_view(store_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "views"
    result = CliRunner().invoke(cli, ["view", "--store", str(store_path), "-o", str(out), "--top-directives", "1"])
    assert result.exit_code == 0, result.output
    lines = [ln.split("\t") for ln in result.stdout.splitlines()]
    assert lines[0] == ["index", str(out / "index.html"), "", ""]
    assert ["citation", str(out / "citation.html"), "12", "18"] in lines
    assert ["diffusion", str(out / "diffusion" / "d001.html"), "7", "6"] in lines
    assert sum(1 for ln in lines if ln[0] == "export") == 6
    assert "wrote 4 pages (citation, cocitation, diffusion, platforms) and 6 exports" in result.stderr
    quiet = CliRunner().invoke(cli, ["view", "--store", str(store_path), "-o", str(out), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_cli_view_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = CliRunner().invoke(cli, ["view", "--store", str(tmp_path / "nowhere"), "-o", str(tmp_path / "v")])
    assert missing.exit_code == 2
    assert "no store here" in missing.stderr
    small = CliRunner().invoke(cli, ["view", "--store", str(tmp_path), "-o", str(tmp_path / "v"), "--max-nodes", "3"])
    assert small.exit_code == 2 and "x>=50" in small.output


def test_cli_view_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["view", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "kg view --store out/store -o out/views" in result.output
