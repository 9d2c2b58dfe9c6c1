"""Benchmark of ``kg view``: time to first draw of a citation-network page in headless Chromium.

Synthetic data (regions with coordinates, national / provincial / city directives, Zipf-like popularity) go
through the same builders as a real store (``build_citation_graph`` → ``citation_pages`` → ``page_html``); each
page is opened from ``file://`` and timed from navigation start to vis-network's first ``afterDrawing`` (the page
records ``performance.now()`` there). Targets: ≤ 1 s at ~300 nodes, ≤ 2 s at ~3,000, and at ~20,000 either ≤ 5 s or
split into pages that each meet ≤ 2 s.

    .venv/bin/python benchmarks/bench_views.py [--sizes 300,3000,20000] [--runs 3]

Not a test: prints a table (and writes the pages under a temporary directory, removed afterwards).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.views.citation import build_citation_graph, citation_pages  # noqa: E402
from kg.views.data import Citation, Directive, Region, Report, ViewData  # noqa: E402
from kg.views.layout import PROVINCE_ANCHORS  # noqa: E402
from kg.views.page import DEFAULT_MAX_NODES  # noqa: E402
from kg.views.render import page_html  # noqa: E402
from tests.views_support import Chromium, chromium_available  # noqa: E402

BASE = "https://w3id.org/govkg/id/"


def synthetic_data(nodes: int, seed: int = 1) -> ViewData:
    """About ``nodes`` nodes: 80 % regions (provinces, cities, counties with coordinates), 20 % directives."""
    rng = random.Random(seed)
    data = ViewData()
    provinces = sorted(k for k in PROVINCE_ANCHORS if k not in ("10", "71", "81", "82"))
    n_regions = max(int(nodes * 0.8), len(provinces) * 2)
    n_docs = max(nodes - n_regions, 10)
    per_province = max(1, n_regions // len(provinces) - 1)
    cities_per = max(1, round(math.sqrt(per_province)))
    regions: list[Region] = []
    for p in provinces:
        lon, lat = PROVINCE_ANCHORS[p]
        piri = f"{BASE}region/{p}0000"
        regions.append(Region(piri, f"{p}0000", f"省{p}", "province", piri, f"{BASE}region/100000", lat, lon))
        made = 0
        for c in range(1, cities_per + 1):
            if made >= per_province:
                break
            clon, clat = lon + rng.uniform(-2.5, 2.5), lat + rng.uniform(-2.0, 2.0)
            ciri = f"{BASE}region/{p}{c:02d}00"
            regions.append(Region(ciri, f"{p}{c:02d}00", f"市{p}{c:02d}", "city", piri, piri, clat, clon))
            made += 1
            for k in range(1, per_province // cities_per):
                if made >= per_province:
                    break
                code = f"{p}{c:02d}{k:02d}"
                regions.append(
                    Region(
                        f"{BASE}region/{code}",
                        code,
                        f"县{code}",
                        "county",
                        piri,
                        ciri,
                        clat + rng.uniform(-0.6, 0.6),
                        clon + rng.uniform(-0.6, 0.6),
                    )
                )
                made += 1
    data.regions = {r.iri: r for r in regions}
    docs: list[Directive] = []
    for i in range(n_docs):
        kind = rng.random()
        if kind < 0.3:
            level, code = "national", "100000"
        elif kind < 0.8:
            level, code = "province", f"{rng.choice(provinces)}0000"
        else:
            city = rng.choice([r for r in regions if r.level == "city"])
            level, code = "city", city.adcode
        year = rng.randint(2010, 2020)
        number = f"政发〔{year}〕{i}号"
        docs.append(Directive(f"{BASE}doc/{code}/{i}", number, f"关于政务公开的通知之{i}", code, level, year))
    data.directives = {d.iri: d for d in docs}
    by_issuer: dict[str, list[Directive]] = {}
    for d in docs:
        by_issuer.setdefault(d.issuer, []).append(d)
    national = by_issuer.get("100000", [])
    weights = [1.0 / (i + 1) for i in range(len(national))]
    for r in regions:
        year = rng.randint(2012, 2021)
        rep = f"{BASE}report/{r.adcode}/government/{year}"
        data.reports[rep] = Report(
            rep, f"{year}年{r.label}政府信息公开工作年度报告", r.iri, year, r.level, "government"
        )
        cited = set(rng.choices(national, weights=weights, k=3)) if national else set()
        local = by_issuer.get(r.adcode[:2] + "0000", []) + by_issuer.get(r.parent.rsplit("/", 1)[-1], [])
        if local:
            cited.update(rng.sample(local, min(2, len(local))))
        for d in sorted(cited, key=lambda d: d.iri):
            data.citations.append(
                Citation(
                    f"{rep}/c/{d.iri[-6:]}",
                    rep,
                    d.iri,
                    d.number,
                    d.title,
                    f"根据《{d.title}》（{d.number}）要求，认真做好政务公开工作。",
                )
            )
    return data


def time_page(browser: Chromium, path: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        session = browser.new_page()
        run = browser.open(session, path, timeout=120)
        if run.first_draw_ms is None:
            raise RuntimeError(f"{path}: never drew")
        times.append(run.first_draw_ms / 1000)
        browser.close_page(session)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="300,3000,20000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not chromium_available():
        print("chromium not found at /usr/bin/chromium", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="govkg-bench-views-") as tmp:
        browser = Chromium()
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                data = synthetic_data(size)
                t0 = time.perf_counter()
                graph = build_citation_graph(data)
                t_build = time.perf_counter() - t0
                modes = [("one page", 10**9)]
                if graph.number_of_nodes() > DEFAULT_MAX_NODES:
                    modes.append((f"split at {DEFAULT_MAX_NODES}", DEFAULT_MAX_NODES))
                for mode, limit in modes:
                    t0 = time.perf_counter()
                    pages = citation_pages(graph, data, limit)
                    htmls = [(p, page_html(p)[0]) for p in pages]
                    t_write = time.perf_counter() - t0
                    draws, sizes_mb, biggest = [], [], 0
                    for page, html in htmls:
                        path = Path(tmp) / f"{size}-{limit}" / page.slug
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_text(html, encoding="utf-8")
                        sizes_mb.append(len(html.encode()) / 1e6)
                        biggest = max(biggest, page.graph.number_of_nodes())
                    # time the largest page (and, when split, every page once)
                    order = sorted(range(len(htmls)), key=lambda i: -htmls[i][0].graph.number_of_nodes())
                    for rank, i in enumerate(order):
                        path = Path(tmp) / f"{size}-{limit}" / htmls[i][0].slug
                        draws.append(statistics.median(time_page(browser, path, args.runs if rank == 0 else 1)))
                    rows.append(
                        (
                            graph.number_of_nodes(),
                            graph.number_of_edges(),
                            mode,
                            len(pages),
                            biggest,
                            max(sizes_mb),
                            t_build + t_write,
                            max(draws),
                            statistics.median(draws),
                        )
                    )
                    print(f"done {size} {mode}", file=sys.stderr)
        finally:
            browser.close()
    head = (
        "nodes",
        "edges",
        "mode",
        "pages",
        "largest page",
        "largest MB",
        "python s",
        "first draw s (max)",
        "first draw s (median)",
    )
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        print(f"{r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]:.1f} | {r[6]:.1f} | {r[7]:.2f} | {r[8]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
