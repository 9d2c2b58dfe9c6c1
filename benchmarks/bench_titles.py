"""Title-only citations resolved across the corpus (kg.titles): the share resolved, and what the pass costs.

Usage:
  python benchmarks/bench_titles.py share STORE
  python benchmarks/bench_titles.py pass STORE [--runs 5] [--work DIR]
  python benchmarks/bench_titles.py incremental STORE [--runs 5] [--jobs 2] [--work DIR] [--peer-store S --peer-src D]

- share: of the (report, title-only document) citations — each report once, whatever its copies — how many a
  resolution applies to, by method; and of the title-only documents cited, how many are resolved for some report;
- pass: the resolution of every document from scratch (the ledger's title index reset, as for a store written
  before it), on a copy of STORE, then the summaries it marks; medians of ``--runs``;
- incremental: 10 new reports (benchmarks/corpus.py, a fresh seed each run) ingested into a copy of STORE, the
  whole process timed from outside (start-up included), with the time of the resolution pass and of the summaries
  inside it. With ``--peer-store`` and ``--peer-src`` (a checkout of the code before the pass and a store it wrote),
  the same 10 reports into a copy of that store by that code, in the same run.
Medians of ``--runs`` runs, with min–max.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

_PAIRS = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?report ?doc ?yc WHERE {
  ?report gk:cites ?doc .
  OPTIONAL { ?report gk:yearCovered ?yc }
}
"""
_METHODS = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
SELECT ?titled ?target ?by ?from ?until WHERE {
  ?link gk:resolves ?titled ; gk:resolvedTo ?target ; gk:resolvedBy ?by .
  OPTIONAL { ?link gk:fromYear ?from }
  OPTIONAL { ?link gk:untilYear ?until }
}
"""
# run in a child process: an ingest, with the pass and the summaries timed inside it
_CHILD = r"""
import json, sys, time
from pathlib import Path
if len(sys.argv) > 4:  # the code before the pass, from its checkout (run without site, see incremental)
    sys.path[:0] = sys.argv[4:6]
import kg, kg.summary
assert len(sys.argv) <= 4 or kg.__file__.startswith(sys.argv[4]), kg.__file__
from kg.config import Config
from kg.pipeline import ingest
spent = {"titles": 0.0, "summaries": 0.0}
def timed(module, name, key):
    inner = getattr(module, name)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - t
    setattr(module, name, wrapper)
try:
    import kg.titles
    timed(kg.titles, "resolve_titles", "titles")
except ImportError:  # before the pass
    pass
timed(kg.summary, "refresh_summaries", "summaries")
ingest([Path(sys.argv[1])], Path(sys.argv[2]), Config(), jobs=int(sys.argv[3]))
print(json.dumps(spent))
"""


def site_packages() -> str:
    import site

    return site.getsitepackages()[0]


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def share(store_dir: Path) -> list[tuple[str, str]]:
    from kg.config import Config
    from kg.resolve.documents import applies
    from kg.store import open_store

    store = open_store(store_dir, read_only=True)
    prefix = Config().base_iri + "doc/title/"
    links: dict[str, list[tuple[str, int | None, int | None]]] = {}
    for r in store.query(_METHODS, use_default_graph_as_union=True):  # type: ignore[union-attr]
        bound = [int(r[k].value) if r[k] is not None else None for k in ("from", "until")]
        links.setdefault(r["titled"].value, []).append((r["by"].value.rsplit("#", 1)[-1], bound[0], bound[1]))
    pairs = 0
    by: Counter[str] = Counter()
    docs: set[str] = set()
    resolved_docs: set[str] = set()
    for r in store.query(_PAIRS, use_default_graph_as_union=True):  # type: ignore[union-attr]
        doc = r["doc"].value
        if not doc.startswith(prefix):
            continue
        pairs += 1
        docs.add(doc)
        yc = r["yc"]
        year = int(yc.value[:4]) if yc is not None else None
        method = next((m for m, f, u in links.get(doc, ()) if applies(f, u, year)), None)
        if method:
            by[method] += 1
            resolved_docs.add(doc)
    resolved = sum(by.values())
    rows = [
        ("title-only citations (report, document)", str(pairs)),
        ("of which resolved", f"{resolved} ({100 * resolved / pairs:.1f} %)" if pairs else "0"),
    ]
    rows += [(f"  by {m}", str(n)) for m, n in sorted(by.items())]
    rows += [("title-only documents cited", str(len(docs))), ("of which resolved (for some report)", str(len(resolved_docs)))]
    return rows


def full_pass(store_dir: Path, runs: int, work: Path) -> list[tuple[str, str]]:
    from kg.config import Config
    from kg.ledger import Ledger
    from kg.store import open_store
    from kg.summary import refresh_summaries
    from kg.titles import INDEX, resolve_titles
    from kg.writer import StoreWriter

    copy = work / "pass-store"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store_dir, copy)
    store = open_store(copy)
    ledger = Ledger(copy)
    writer = StoreWriter(store, ledger, Config().base_iri)
    walls, summaries, looked = [], [], 0
    for i in range(runs):
        ledger.set_meta(INDEX, "0")
        t = time.perf_counter()
        looked = resolve_titles(writer, ledger.dirty())
        walls.append(time.perf_counter() - t)
        dirty = ledger.dirty()
        t = time.perf_counter()
        refresh_summaries(store, ledger, writer.minter, dirty)
        summaries.append(time.perf_counter() - t)
        ledger.clean(dirty)
        print(f"run {i + 1}: pass {walls[-1]:.2f} s over {looked} title-only documents, summaries of "
              f"{len(dirty)} documents {summaries[-1]:.2f} s", file=sys.stderr)  # fmt: skip
    ledger.close()
    del store
    shutil.rmtree(copy, ignore_errors=True)
    return [
        (f"full pass from scratch ({looked} title-only documents) (s)", med(walls)),
        ("summaries it marks, refreshed (s)", med(summaries)),
    ]


def incremental(args: argparse.Namespace) -> list[tuple[str, str]]:
    walls, titles, summaries, peer, peer_summaries, ratios = [], [], [], [], [], []
    for i in range(args.runs):
        new = args.work / f"new-{i}"
        shutil.rmtree(new, ignore_errors=True)
        subprocess.run([PY, str(ROOT / "benchmarks" / "corpus.py"), str(new), "--reports", "10", "--seed",
                        str(args.seed + i), "--copies", "0"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        copy = args.work / "inc-store"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(args.store, copy)
        t = time.perf_counter()
        out = subprocess.run([PY, "-c", _CHILD, str(new), str(copy), str(args.jobs)], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        walls.append(time.perf_counter() - t)
        spent = json.loads(out.strip().splitlines()[-1])
        titles.append(spent["titles"])
        summaries.append(spent["summaries"])
        line = f"run {i + 1}: ingest {walls[-1]:.2f} s (pass {titles[-1]:.2f} s, summaries {summaries[-1]:.2f} s)"
        if args.peer_store:
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(args.peer_store, copy)
            # without site (whose editable install would import this checkout's kg), with this environment's packages
            t = time.perf_counter()
            out = subprocess.run([PY, "-S", "-c", _CHILD, str(new), str(copy), str(args.jobs), str(args.peer_src),
                                  site_packages()], check=True, capture_output=True, text=True).stdout  # fmt: skip
            peer.append(time.perf_counter() - t)
            peer_summaries.append(json.loads(out.strip().splitlines()[-1])["summaries"])
            ratios.append(walls[-1] / peer[-1])
            line += f"; before the pass: {peer[-1]:.2f} s (summaries {peer_summaries[-1]:.2f} s)"
        print(line, file=sys.stderr)
        shutil.rmtree(copy, ignore_errors=True)
    rows = [
        ("incremental: 10 new reports, start-up included (s)", med(walls)),
        ("  of which the resolution pass (s)", med(titles)),
        ("  of which the summaries (s)", med(summaries)),
    ]
    if peer:
        rows.append(("the same 10 by the code before the pass (s)", med(peer)))
        rows.append(("  of which the summaries (s)", med(peer_summaries)))
        rows.append(("ratio, run by run (after / before)", med(ratios)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("share", "pass", "incremental"))
    ap.add_argument("store", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3026)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--peer-store", type=Path, default=None, help="a store the code before the pass wrote")
    ap.add_argument("--peer-src", type=Path, default=None, help="a checkout of that code (its kg/ inside)")
    args = ap.parse_args()
    args.work = args.work or Path(tempfile.mkdtemp(prefix="bench-titles-"))
    args.work.mkdir(parents=True, exist_ok=True)
    if args.what == "share":
        rows = share(args.store)
    elif args.what == "pass":
        rows = full_pass(args.store, args.runs, args.work)
    else:
        rows = incremental(args)
    width = max(len(k) for k, _ in rows)
    print(f"| {'what'.ljust(width)} | figure |\n| {'-' * width} | --- |")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")


if __name__ == "__main__":
    main()
