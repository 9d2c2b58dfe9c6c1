"""Chinese draws as Chinese, and docs/views.md says what the code does.

A page without a CJK font shows Chinese as boxes (tofu): the views name a CJK font stack, scripts/test.sh installs a
font with chromium, and headless Chromium is asked which real font it drew a page's Chinese heading with.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kg.views import cocitation
from tests.views_support import CONFIG, Chromium, build_fixture_store, chromium_available

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "kg" / "views" / "templates"
DOCS = (ROOT / "docs" / "views.md").read_text(encoding="utf-8")
CJK_FAMILIES = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei"]


def _paragraph(text: str, start: str) -> str:
    """The paragraph of ``text`` that begins with ``start``, on one line."""
    (para,) = [p for p in text.split("\n\n") if p.startswith(start)]
    return " ".join(para.split())


@pytest.mark.parametrize("css", ["index.css", "view.css"])
def test_the_views_name_a_cjk_font_stack(css: str) -> None:
    body = next(ln for ln in (TEMPLATES / css).read_text(encoding="utf-8").splitlines() if ln.startswith("body"))
    families = [f.strip().strip('"') for f in re.search(r"font:\s*[\d./px ]+([^;]+);", body).group(1).split(",")]  # type: ignore[union-attr]
    assert families[-1] == "sans-serif"
    assert all(f in families for f in CJK_FAMILIES), families  # macOS, Windows, Noto/Source Han, Debian's WQY


def test_the_test_script_installs_a_cjk_font_with_chromium() -> None:
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert 'need="$need chromium"' in script and 'need="$need fonts-wqy-microhei"' in script
    assert "WenQuanYi Micro Hei" in (TEMPLATES / "view.css").read_text(encoding="utf-8")  # the font it installs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "headless screenshots needs a CJK font" in " ".join(readme.split())


def _cjk_font_installed() -> bool:
    try:
        run = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(run.stdout.strip())


@pytest.mark.browser
def test_headless_chromium_draws_the_chinese_heading_with_a_cjk_font(tmp_path: Path) -> None:
    if not chromium_available():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    if not _cjk_font_installed():
        pytest.skip("no CJK font is installed (apt-get install fonts-wqy-microhei; scripts/test.sh does)")
    from kg.views import write_views

    store = build_fixture_store(tmp_path / "store")
    out = write_views(store, tmp_path / "views", CONFIG).out_dir
    browser = Chromium()
    try:
        session = browser.new_page()
        browser.open(session, out / "index.html")
        browser.call("DOM.enable", session=session)
        browser.call("CSS.enable", session=session)
        root = browser.call("DOM.getDocument", session=session)["root"]["nodeId"]
        h1 = browser.call("DOM.querySelector", {"nodeId": root, "selector": "h1"}, session=session)["nodeId"]
        heading = browser.evaluate(session, "document.querySelector('h1').textContent")
        assert re.search(r"[\u4e00-\u9fff]", str(heading)), heading
        fonts = browser.call("CSS.getPlatformFontsForNode", {"nodeId": h1}, session=session)["fonts"]
        browser.close_page(session)
    finally:
        browser.close()
    used = {f["familyName"] for f in fonts}
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    cjk = {name for line in families.splitlines() for name in line.split(",")}
    assert used & cjk, f"the heading was drawn with {used}, none of them a CJK font ({sorted(cjk)[:4]} …)"


def test_docs_say_when_co_citation_drops_ubiquitous_directives() -> None:
    para = _paragraph(DOCS, "**Co-citation**")
    assert cocitation.MAX_SHARE == 0.5 and "more than half of them" in para
    assert f"at least {cocitation.MIN_REGIONS_FOR_SHARE} regions" in para
    assert f"more than {cocitation.MAX_FANOUT} regions" in para
    assert f"its {cocitation.TOP_K} strongest links" in para


def test_docs_describe_the_title_only_tick_box_the_way_it_works() -> None:
    from kg.views.page import toggle_filter

    template = (TEMPLATES / "network.html").read_text(encoding="utf-8")
    assert '<input type="checkbox" checked data-facet=' in template  # ticked when the page opens
    script = (TEMPLATES / "view.js").read_text(encoding="utf-8")
    assert "if (!t.checked) { excluded[" in script  # unticked: the items holding the value are hidden
    assert toggle_filter("cited_as", "title", "x").toggle
    para = _paragraph(DOCS, "**Citation network**")
    assert "is ticked by default and shows them; untick it to hide them" in para
    assert "ticked by default, hides" not in para
