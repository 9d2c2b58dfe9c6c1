"""The written pages in headless Chromium: each draws, fetches nothing, runs no injected markup, filters, searches.

Driven over the DevTools protocol (``--remote-debugging-pipe``, see tests/views_support.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.views import write_views
from tests.views_support import (
    CANVAS_JS,
    CONFIG,
    HOSTILE_PLATFORM,
    HOSTILE_REGION,
    HOSTILE_TITLE,
    Chromium,
    build_fixture_store,
    chromium_available,
)

pytestmark = pytest.mark.browser

SCREENSHOT_COPY = Path("/tmp/govkg-citation-network.png")
NETWORK_PAGES = [
    "citation.html",
    "cocitation.html",
    "platforms.html",
    "diffusion/d001.html",
    "diffusion/d002.html",
    "diffusion/d003.html",
    "diffusion/d004.html",
    "diffusion/d005.html",
]
# every tooltip shown in turn; counts markup that escaped into the popup, and keeps the text shown
TOOLTIPS_JS = """
(function () {
  var v = window.govkgView, tip = document.getElementById('tip'), injected = 0, texts = [];
  function check() {
    injected += tip.querySelectorAll('img, script, iframe, a, svg, [onerror], [onload]').length;
    texts.push(tip.textContent);
  }
  v.nodes.getIds().forEach(function (id) { v.showNodeTip(id); check(); });
  v.edges.getIds().forEach(function (id) { v.showEdgeTip(id); check(); });
  return {injected: injected, texts: texts, shown: texts.length};
})()
"""
DOM_JS = """
({
  images: document.querySelectorAll('img').length,
  scripts: Array.prototype.filter.call(document.scripts, function (s) { return s.src; }).length,
  frames: document.querySelectorAll('iframe, object, embed').length,
  handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length,
  jsLinks: document.querySelectorAll('a[href^="javascript"]').length,
  csp: window.__cspViolations.slice()
})
"""


@pytest.fixture(scope="module")
def views(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    if not chromium_available():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    root = tmp_path_factory.mktemp("views-browser")
    store = build_fixture_store(root / "store")
    return write_views(store, root / "views", CONFIG).out_dir


@pytest.fixture(scope="module")
def browser(views):  # type: ignore[no-untyped-def]
    chromium = Chromium()
    yield chromium
    chromium.close()


def _assert_clean(browser, session, run, page: str) -> None:  # type: ignore[no-untyped-def]
    assert run.requests == [run.url], f"{page} requested {run.requests}"
    assert run.dialogs == [], f"{page} opened a dialog: {run.dialogs}"
    assert run.exceptions == [], f"{page} threw: {run.exceptions}"
    dom = browser.evaluate(session, DOM_JS)
    assert dom["csp"] == [], f"{page}: blocked by the page's policy: {dom['csp']}"
    # the Content-Security-Policy is in force: an inline script added now (as an injection would) does not run
    probe = (
        "var s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s);"
    )
    assert browser.evaluate(session, probe + " window.__ran === undefined") is True
    assert (dom["images"], dom["scripts"], dom["frames"], dom["handlers"], dom["jsLinks"]) == (0, 0, 0, 0, 0), page


@pytest.mark.parametrize("page", NETWORK_PAGES)
def test_page_draws_offline_and_runs_no_injected_markup(views, browser, page) -> None:  # type: ignore[no-untyped-def]
    session = browser.new_page()
    try:
        run = browser.open(session, views / page)
        assert run.first_draw_ms is not None, f"{page} never drew"
        canvas = browser.evaluate(session, CANVAS_JS)
        assert canvas["width"] > 0 and canvas["height"] > 0
        assert canvas["painted"] > 1000, f"{page}: blank canvas {canvas}"
        tips = browser.evaluate(session, TOOLTIPS_JS)
        assert tips["shown"] > 0 and tips["injected"] == 0, f"{page}: markup in a tooltip"
        browser.pump(0.3)  # let any image error handler fire, if one had been injected
        run.dialogs = browser.dialogs(session)
        _assert_clean(browser, session, run, page)
        if page == "platforms.html":
            assert any(HOSTILE_PLATFORM in t for t in tips["texts"])  # shown as text, literally
        if page == "citation.html":
            assert any(HOSTILE_REGION in t for t in tips["texts"])
            assert any(HOSTILE_TITLE in t for t in tips["texts"])
    finally:
        browser.close_page(session)


def test_index_search_finds_labels_as_text(views, browser) -> None:  # type: ignore[no-untyped-def]
    session = browser.new_page()
    try:
        run = browser.open(session, views / "index.html")
        browser.evaluate(session, "document.getElementById('q').value = 'href'; govkgSearch(); 1")
        results = browser.evaluate(
            session,
            "Array.from(document.querySelectorAll('#results a')).map(a => [a.textContent, a.getAttribute('href')])",
        )
        assert [r[0] for r in results] == [HOSTILE_REGION, HOSTILE_REGION]
        assert [r[1].split("#")[0] for r in results] == ["citation.html", "cocitation.html"]
        assert all(r[1].split("#")[1].startswith("n") for r in results)
        browser.evaluate(session, "document.getElementById('q').value = '国办发'; govkgSearch(); 1")
        assert browser.evaluate(session, "document.getElementById('hits').textContent") == "4 matches"
        _assert_clean(browser, session, run, "index.html")
        target = results[0][1]
    finally:
        browser.close_page(session)
    session = browser.new_page()  # the search link lands on the node, selected, with its tooltip pinned
    try:
        page, node = target.split("#")
        run = browser.open(session, views / page, fragment=node)
        assert run.first_draw_ms is not None
        browser.pump(0.2)
        selected = browser.evaluate(session, "govkgView.network.getSelectedNodes()")
        assert selected == [node]
        assert browser.evaluate(session, "document.getElementById('tip').textContent").startswith(HOSTILE_REGION)
        _assert_clean(browser, session, run, target)
    finally:
        browser.close_page(session)


def test_filters_hide_what_does_not_match(views, browser) -> None:  # type: ignore[no-untyped-def]
    session = browser.new_page()
    visible = (
        "[govkgView.nodes.get({filter: n => !n.hidden}).length, govkgView.edges.get({filter: e => !e.hidden}).length]"
    )
    choose = "(function (k, v) { var s = document.querySelector('select[data-facet=' + k + ']'); s.value = v; s.dispatchEvent(new Event('change')); return 1; })"
    try:
        browser.open(session, views / "citation.html")
        assert browser.evaluate(session, visible) == [12, 18]
        browser.evaluate(session, f"{choose}('province', '33')")
        assert browser.evaluate(session, visible) == [6, 7]  # Zhejiang's 3 regions and the 3 directives they cite
        assert (
            browser.evaluate(session, "document.getElementById('status').textContent") == "6 nodes · 7 edges (filtered)"
        )
        browser.evaluate(session, f"{choose}('year', '2019')")
        assert browser.evaluate(session, visible) == [3, 2]  # 玉环市's 2019 report: D1 and D4
        browser.evaluate(session, f"{choose}('province', '')")
        browser.evaluate(session, f"{choose}('year', '')")
        browser.evaluate(session, f"{choose}('dlevel', 'province')")
        assert browser.evaluate(session, visible) == [9, 7]  # regions citing 苏政办发 or 浙政办发, and those two
        browser.evaluate(session, "document.getElementById('filters').reset(); 1")
        browser.pump(0.1)
        assert browser.evaluate(session, visible) == [12, 18]
        # documents cited by title only: shown by default, hidden by unticking the box (D5 and its 3 edges)
        untick = (
            "(function () { var t = document.querySelector('input[data-facet=cited_as]'); t.checked = false;"
            " t.dispatchEvent(new Event('change')); return 1; })()"
        )
        assert browser.evaluate(session, "document.querySelector('input[data-facet=cited_as]').checked") is True
        browser.evaluate(session, untick)
        assert browser.evaluate(session, visible) == [11, 15]
        browser.evaluate(session, "document.getElementById('filters').reset(); 1")
        browser.pump(0.1)
        assert browser.evaluate(session, visible) == [12, 18]
    finally:
        browser.close_page(session)


# every node's centre on the canvas, and labels drawn (vis hides them below 5 px on screen)
IN_VIEW_JS = """
(function () {
  var net = govkgView.network, c = document.getElementById('network'), out = 0;
  var pos = net.getPositions();
  Object.keys(pos).forEach(function (id) {
    var p = net.canvasToDOM(pos[id]);
    if (p.x < 0 || p.y < 0 || p.x > c.clientWidth || p.y > c.clientHeight) { out += 1; }
  });
  return {out: out, nodes: Object.keys(pos).length, fontPx: 12 * net.getScale()};
})()
"""


def _metrics(browser, session, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )


@pytest.mark.parametrize("page", ["citation.html", "platforms.html", "diffusion/d001.html"])
def test_page_opens_fitted_and_refits_when_the_window_changes(views, browser, page) -> None:  # type: ignore[no-untyped-def]
    session = browser.new_page()
    try:
        _metrics(browser, session, 1400, 650)
        run = browser.open(session, views / page)
        assert run.first_draw_ms is not None
        first = browser.evaluate(session, IN_VIEW_JS)
        assert first["out"] == 0 and first["fontPx"] >= 5, first
        # the window grows before the reader touched the view (as `chromium --screenshot` does): vis alone would
        # zoom in by the change of height and push the sides out of sight; the page refits instead
        _metrics(browser, session, 1400, 900)
        browser.pump(0.3)
        after = browser.evaluate(session, IN_VIEW_JS)
        assert after["out"] == 0, after
        # once the reader has zoomed, a resize leaves the view alone
        browser.evaluate(session, "govkgView.network.moveTo({scale: 3}); govkgView.network.emit('zoom', {}); 1")
        _metrics(browser, session, 1300, 900)
        browser.pump(0.3)
        assert browser.evaluate(session, "govkgView.network.getScale()") > 2.5
    finally:
        browser.close_page(session)


def test_screenshot_of_the_citation_network(views, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = browser.new_page()
    try:
        run = browser.open(session, views / "citation.html")
        assert run.first_draw_ms is not None
        shot = browser.screenshot(session, tmp_path / "citation-network.png")
    finally:
        browser.close_page(session)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    shutil.copyfile(shot, SCREENSHOT_COPY)
    print(f"\nscreenshot of the citation network: {shot} (copy: {SCREENSHOT_COPY})")
