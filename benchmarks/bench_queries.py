"""Every query of ``queries/`` on a large store, through ``kg query`` and through ``kg serve``: time and engine memory.

Usage: python benchmarks/bench_queries.py --store STORE [--runs 3] [--no-serve]

- ``kg query``: the whole process, start-up included, as a user runs it (the query runs in a child of it); its
  peak memory is the largest resident set among them, sampled every 20 ms;
- ``kg serve``: one server for all queries, its result cache off (``--cache-mb 0``: every run is the engine's work,
  not a repeat answered from memory); each query is a POST from a loopback client (httpx), timed from the request
  to the last byte; the engines' memory is the largest resident set of the server's children during it (one
  long-lived engine: what it kept from earlier queries counts).
citing-regions is asked for its first 100 rows (a LIMIT), as a client paging through it does; the endpoint
refuses answers over its row limit anyway. directive-diffusion is asked for the most-cited numbered document.
Medians of ``--runs`` runs with min–max; a query over 1 s or 1 GB (10^9 bytes; MB are 10^6) is marked.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_ingest import tree_rss  # noqa: E402


def _children_rss(pid: int) -> int:
    """The largest resident set among ``pid``'s descendants (the engines of kg serve, the child of kg query)."""
    best = 0
    try:
        for p in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                best = max(best, p.memory_info().rss)
    except psutil.Error:  # ended meanwhile
        pass
    return best


class Sampler:
    def __init__(self, fn) -> None:  # type: ignore[no-untyped-def]
        self.fn, self.peak, self.stop = fn, 0, False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop:
            self.peak = max(self.peak, self.fn())
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop = True
        self.thread.join()


def queries(store: Path, work: Path) -> list[tuple[str, Path, dict[str, str]]]:
    """(name, .rq file, params) for every query: citing-regions limited to 100 rows."""
    import pyoxigraph as ox

    from kg.config import Config
    from kg.queries import list_queries

    config = Config()
    s = ox.Store.read_only(str(store))
    report = next(
        iter(s.query("SELECT ?r WHERE { ?r a <https://w3id.org/govkg/ontology#AnnualReport> } LIMIT 1", use_default_graph_as_union=True))  # type: ignore[arg-type]
    )["r"].value
    top = next(
        iter(
            s.query(  # the most-cited numbered document, for directive-diffusion
                "PREFIX gk: <https://w3id.org/govkg/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#> "
                "SELECT ?n WHERE { ?s gk:document ?d ; gk:citingReports ?r . ?d eli:id_local ?n } ORDER BY DESC(?r) LIMIT 1",
                use_default_graph_as_union=True,
            )  # type: ignore[arg-type]
        )
    )["n"].value
    del s
    out = []
    for q in list_queries(config.queries_dir):
        path = q.path
        if q.name == "citing-regions":
            path = work / "citing-regions-100.rq"
            path.write_text(q.text.rstrip() + "\nLIMIT 100\n", encoding="utf-8")
        params = {"number": top} if "number" in q.params else {"source": "r000001.txt"} if "source" in q.params else {}
        if "report" in q.params:  # the views' quotes: one report (they bind 500 at a time)
            params = {"report": report}
        out.append((q.name, path, params))
    return out


def via_query(store: Path, path: Path, params: dict[str, str]) -> tuple[float, int, int]:
    cmd = [sys.executable, "-m", "kg", "query", str(path), "--store", str(store), "--format", "csv"]
    for k, v in params.items():
        cmd += ["--param", f"{k}={v}"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with Sampler(lambda: max(tree_rss(proc.pid), 0)) as s:
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{path}: {err.decode()[-2000:]}")
    return wall, s.peak, max(0, out.count(b"\n") - 1)


def via_serve(url: str, server_pid: int, path: Path, params: dict[str, str]) -> tuple[float, int, int]:
    """One query through the endpoint, its parameters bound the way ``kg query --endpoint`` binds them."""
    import httpx

    from kg.config import Config
    from kg.queries import bind_values, load_query

    text = bind_values(load_query(str(path), Config().queries_dir), params)
    with Sampler(lambda: _children_rss(server_pid)) as s:
        t0 = time.perf_counter()
        try:
            r = httpx.post(f"{url}/sparql", data={"query": text}, headers={"Accept": "text/csv"}, timeout=120)
        except httpx.RemoteProtocolError:  # a streamed answer cut by a limit of the endpoint (rows, bytes, time)
            return time.perf_counter() - t0, s.peak, -1
        wall = time.perf_counter() - t0
    if r.status_code != 200:
        return wall, s.peak, -r.status_code
    return wall, s.peak, max(0, r.text.count("\n") - 1)


def fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-serve", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="govkg-bq-"))
    qs = queries(args.store, work)
    server = url = None
    if not args.no_serve:
        server = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "--store", str(args.store), "--port", "0", "--snapshots",
             str(work / "snapshots"), "--timeout", "60", "--max-rows", "2000000", "--cache-mb", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert server.stderr is not None
        for line in server.stderr:
            if m := re.search(r"(http://127\.0\.0\.1:\d+)/sparql", line):
                url = m.group(1)
                threading.Thread(target=server.stderr.read, daemon=True).start()
                break
    print("| query | rows | kg query (s) | engine peak, kg query (MB) | kg serve (s) | engine peak, kg serve (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    try:
        for name, path, params in qs:
            local = [via_query(args.store, path, params) for _ in range(args.runs)]
            remote = [via_serve(url, server.pid, path, params) for _ in range(args.runs)] if url and server else []
            rows = local[0][2]
            lt, lm = [x[0] for x in local], [x[1] / 1e6 for x in local]
            cells = [name, str(rows), fmt(lt) + (" ⚠" if statistics.median(lt) > 1 else ""), f"{max(lm):.0f}" + (" ⚠" if max(lm) > 1000 else "")]
            if remote:
                rt, rm = [x[0] for x in remote], [x[1] / 1e6 for x in remote]
                cells += [fmt(rt) + (" ⚠" if statistics.median(rt) > 1 else ""), f"{max(rm):.0f}" + (" ⚠" if max(rm) > 1000 else "")]
            print("| " + " | ".join(cells) + " |", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
