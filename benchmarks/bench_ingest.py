"""Ingest at scale against its floor and its peer, on a generated corpus (benchmarks/corpus.py).

Usage:
  python benchmarks/bench_ingest.py --reports 10000 --runs 3 [--jobs 2] [--work DIR]
  python benchmarks/bench_ingest.py --reports 1000 --naive      # also the naive rdflib pipeline (peer)
  python benchmarks/bench_ingest.py --reports 100000 --runs 1 --incremental --validate

Each figure is a whole process, start-up included (``kg ingest`` as a user runs it), timed from outside; peak
memory is the sum of the resident sets of the process and all its children (workers), sampled every 0.1 s.
- ingest: ``kg ingest CORPUS --store S --jobs N`` into an empty store;
- floor: Oxigraph's bulk load of the same quads (the store's N-Quads dump) into an empty store, in the same run;
  the ratio is taken run by run, then its median reported;
- naive (peer): the same extraction into one rdflib Dataset, pyshacl on the whole graph, three queries by
  rdflib's SPARQL engine — against ``kg ingest`` followed by the same queries through ``kg query`` (each side's row
  counts compared);
- incremental: 10 new reports into the store (a fresh 10 each run), start-up included;
- validate: ``kg validate`` on the store.
Medians of ``--runs`` runs, with min–max.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
NAMED = ["most-cited", "citing-regions", "directive-diffusion", "platform-adoption", "eval/reports"]


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (the fork server and workers of kg ingest)."""
    total = 0
    try:
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
    except psutil.Error:  # ended meanwhile
        pass
    return total


def run(
    cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None, stdout: Path | None = None
) -> tuple[float, int, str]:
    """(wall seconds, peak resident bytes of the process tree, stderr) of one whole process (its output into
    ``stdout`` when given)."""
    peak = 0
    t0 = time.perf_counter()
    sink = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink, stderr=subprocess.PIPE, text=True, env=env)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read() if proc.stderr else ""), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    reader.join()
    if stdout is not None:
        sink.close()  # type: ignore[union-attr]
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{''.join(err)[-3000:]}")
    return wall, peak, "".join(err)


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"


def corpus(work: Path, n: int, seed: int) -> Path:
    out = work / f"corpus-{n}-{seed}"
    if not (out / "done").exists():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([PY, str(ROOT / "benchmarks" / "corpus.py"), str(out), "--reports", str(n), "--seed", str(seed)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        (out / "done").write_text("")
    return out


def stored_quads(store: Path) -> int:
    """The quads the store holds (ingest's own figure is what it wrote: a report derived again, when a copy of it
    arrives in a later batch, counts again)."""
    code = "import pyoxigraph as ox, sys; print(len(ox.Store.read_only(sys.argv[1])))"
    return int(subprocess.run([PY, "-c", code, str(store)], capture_output=True, text=True, check=True).stdout)


def kg(*args: str) -> list[str]:
    return [PY, "-m", "kg", *args]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--work", type=Path, default=Path("/tmp/govkg-bench"))
    ap.add_argument("--naive", action="store_true", help="also time the naive rdflib pipeline (peer)")
    ap.add_argument("--incremental", action="store_true", help="also time adding 10 new reports")
    ap.add_argument("--validate", action="store_true", help="also time kg validate on the store")
    ap.add_argument("--keep", action="store_true", help="keep the last store (WORK/store-N)")
    ap.add_argument("--no-floor", action="store_true", help="skip the floor (its dump and store double the disk used)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    src = corpus(args.work, args.reports, args.seed)
    files = sum(1 for f in src.rglob("*") if f.suffix in (".txt", ".html"))
    store, dump, floor_store = args.work / f"store-{args.reports}", args.work / "dump.nq", args.work / "floor"
    ingest, floor, ratio, peaks = [], [], [], []
    sources = quads = 0
    for i in range(args.runs):
        shutil.rmtree(store, ignore_errors=True)
        wall, peak, err = run(kg("ingest", str(src), "--store", str(store), "--jobs", str(args.jobs)))
        first = err.strip().splitlines()[0] if err.strip() else ""
        sources = int(first.split()[1]) if first.startswith("ingested") else sources
        ingest.append(wall)
        peaks.append(peak / 2**20)
        if args.no_floor:
            quads = stored_quads(store)
            print(f"run {i + 1}: ingest {wall:.1f} s, peak {peak / 2**20:.0f} MB", file=sys.stderr)
            continue
        if i == 0:
            run(kg("export", "--store", str(store), "--format", "nq", "-o", str(dump)))
            quads = sum(1 for _ in dump.open("rb"))
        shutil.rmtree(floor_store, ignore_errors=True)
        fwall, _, _ = run([PY, "-c", "import pyoxigraph as ox, sys; s = ox.Store(sys.argv[1]); "
                           "s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS); s.flush()",
                           str(floor_store), str(dump)])  # fmt: skip
        floor.append(fwall)
        ratio.append(wall / fwall)
        print(f"run {i + 1}: ingest {wall:.1f} s, floor {fwall:.1f} s, ratio {wall / fwall:.2f}, peak {peak / 2**20:.0f} MB",
              file=sys.stderr)  # fmt: skip
    rows = [
        ("corpus", f"{args.reports} reports in {files} files (copies from mirrors included)"),
        ("sources ingested", str(sources)),
        ("quads", f"{quads:,} ({quads / max(sources, 1):.0f} per source)"),
        (f"ingest, --jobs {args.jobs} (s)", med(ingest)),
        ("reports/s (files/s)", f"{args.reports / statistics.median(ingest):.0f} ({files / statistics.median(ingest):.0f})"),
        *([("floor: bulk load of the same quads (s)", med(floor)), ("ingest / floor", med(ratio))] if floor else []),
        ("peak RSS, ingest and workers (MB)", med(peaks)),
        ("store on disk (MB)", f"{du(store) / 2**20:.0f}"),
    ]
    if args.incremental:
        rows += incremental(args, store)
    if args.validate:
        walls = [run(kg("validate", "--store", str(store)))[0] for _ in range(args.runs)]
        rows.append(("kg validate (s)", med(walls)))
    if args.naive:
        rows += naive(args, src)
    width = max(len(k) for k, _ in rows)
    print(f"| {'what'.ljust(width)} | figure |\n| {'-' * width} | --- |")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(floor_store, ignore_errors=True)


def incremental(args: argparse.Namespace, store: Path) -> list[tuple[str, str]]:
    walls = []
    for i in range(args.runs):
        new = args.work / f"new-{i}"
        shutil.rmtree(new, ignore_errors=True)
        subprocess.run([PY, str(ROOT / "benchmarks" / "corpus.py"), str(new), "--reports", "10", "--seed",
                        str(args.seed + 1000 + i), "--copies", "0"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        walls.append(run(kg("ingest", str(new), "--store", str(store), "--jobs", str(args.jobs)))[0])
    return [("incremental: 10 new reports, start-up included (s)", med(walls))]


NAIVE = r'''
import sys, time
from pathlib import Path
from rdflib import Dataset, Graph
import pyoxigraph as ox
from kg.config import Config
from kg.iris import Minter
from kg.worker import process_source
from kg.derive import derive_report, summarize_copy
from kg.queries import load_query
from kg.sources import SourceDocument, read_sources
from kg.terms import from_ox
from kg.validate import validate_graph
config = Config(); minter = Minter(config.base_iri, ox.NamedNode)
ds = Dataset(default_union=True)
copies = {}
for doc in read_sources([Path(sys.argv[1])], config.max_file_bytes):
    if not isinstance(doc, SourceDocument):
        continue
    built = process_source(doc, minter)
    copies.setdefault(built.report, []).append(summarize_copy(built.quads, built.graph))
    for q in built.quads:
        ds.graph(from_ox(q.graph_name)).add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
for report, cs in copies.items():
    for q in derive_report(minter, report, cs):
        ds.graph(from_ox(q.graph_name)).add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
vocabularies = ds.graph(from_ox(minter.shared_graph("vocabularies")))  # as kg ingest loads them
for path in sorted(Path(config.ontology_dir).glob("*.ttl")):
    vocabularies.parse(path, format="turtle")
whole = Graph()
for t in ds.triples((None, None, None)):
    whole.add(t)
validate_graph(whole, config, inplace=True)
for name in sys.argv[2:]:
    print(name, len(list(ds.query(load_query(name, config.queries_dir).text))), file=sys.stderr)
'''


def naive(args: argparse.Namespace, src: Path) -> list[tuple[str, str]]:
    """The peer: rdflib Dataset + whole-graph pyshacl + rdflib SPARQL, against kg ingest + kg query."""
    ours, theirs = [], []
    # queries both sides answer from the same graphs (the rdflib pipeline keeps no citation summaries); each side's
    # row counts are compared, so that neither does less work than the other
    queries = ["eval/reports", "eval/citations", "platform-adoption"]
    answer = args.work / "naive-answer.csv"
    for _ in range(args.runs):
        store = args.work / "naive-ours"
        shutil.rmtree(store, ignore_errors=True)
        t = run(kg("ingest", str(src), "--store", str(store), "--jobs", str(args.jobs)))[0]
        counts = {}
        for name in queries:
            t += run(kg("query", name, "--store", str(store), "--format", "csv"), stdout=answer)[0]
            with answer.open(newline="", encoding="utf-8") as f:
                counts[name] = sum(1 for _ in csv.reader(f)) - 1
        ours.append(t)
        wall, _, err = run([PY, "-c", NAIVE, str(src), *queries])
        theirs.append(wall)
        peer = {n: int(c) for n, c in (line.rsplit(" ", 1) for line in err.splitlines() if line.split(" ")[0] in queries)}
        if peer != counts:
            raise SystemExit(f"the two pipelines answer differently (rows): ours {counts}, rdflib {peer}")
    ratio = [b / a for a, b in zip(ours, theirs, strict=True)]
    return [
        ("ours: ingest + 3 queries (s)", med(ours)),
        ("naive rdflib pipeline, same work (s)", med(theirs)),
        ("naive / ours", med(ratio)),
    ]


if __name__ == "__main__":
    main()
