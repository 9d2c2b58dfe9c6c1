"""Ingest throughput, and loading the same quads into the embedded store vs. an rdflib Dataset (the peer).

Usage: python benchmarks/bench_ingest.py [--reports N]
Builds N synthetic reports by varying the bundled examples (region, year), ingests them into a fresh store, then
loads the exported N-Quads into pyoxigraph (bulk) and into rdflib, printing times and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(out: Path, n: int) -> None:
    from kg.resolve.regions import gazetteer

    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples" / "reports").glob("*.txt"))]
    counties = [r.name for c, r in sorted(gazetteer().current.items()) if r.level == "county"][:n]
    for i in range(n):
        text = seeds[i % len(seeds)]
        name = counties[i % len(counties)]
        year = 2010 + i % 14
        (out / f"r{i:06d}.txt").write_text(f"{name}人民政府{year}年政府信息公开工作年度报告\n{text}", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=500)
    args = ap.parse_args()
    import pyoxigraph as ox
    from rdflib import Dataset

    from kg.config import Config
    from kg.export import export_store
    from kg.pipeline import ingest
    from kg.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        corpus = tmpd / "corpus"
        corpus.mkdir()
        make_corpus(corpus, args.reports)
        t0 = time.perf_counter()
        summary = ingest([corpus], tmpd / "store", Config())
        t_ingest = time.perf_counter() - t0
        nq = tmpd / "dump.nq"
        export_store(open_store(tmpd / "store", read_only=True), nq, "nq", Config().base_iri)
        t0 = time.perf_counter()
        store = ox.Store(str(tmpd / "store2"))
        store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        t_ox = time.perf_counter() - t0
        t0 = time.perf_counter()
        ds = Dataset()
        ds.parse(nq, format="nquads")
        t_rdflib = time.perf_counter() - t0
    print(f"ingest: {summary.reports} reports, {summary.quads} quads in {t_ingest:.1f} s "
          f"({summary.reports / t_ingest:.1f} reports/s, extraction + SHACL + load)")
    print(f"load {summary.quads} quads: pyoxigraph bulk_load {t_ox:.2f} s, rdflib Dataset {t_rdflib:.2f} s, "
          f"ratio rdflib/pyoxigraph {t_rdflib / t_ox:.1f}x")


if __name__ == "__main__":
    main()
