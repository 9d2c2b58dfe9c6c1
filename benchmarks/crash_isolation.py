"""Lookups through ``kg serve`` while a query that crashes Oxigraph is sent once a second.

``--clients`` (8) keep-alive clients send the benchmark's varied lookups for ``--seconds`` (30) while one more
sends an ORDER BY over numbers mixed with strings (Oxigraph 0.5.13 panics and aborts) every second: with
``--families same`` the same query with other values each time (quarantined after the first crash), with
``--families new`` a query of a new family each time (another BIND each time: every one reaches the engine and
takes it down). Prints the lookups' success rate, p50/p99, and the engine's restarts. This is the measurement
behind the choice of one engine rather than a separate one for expensive queries (docs/decisions/0002-endpoint.md).

    .venv/bin/python benchmarks/crash_isolation.py [--families same|new] [--seconds 30] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_endpoint as bench  # noqa: E402


def crashing(i: int, new_family: bool) -> str:
    values = " ".join(f'{n} "{n}"' for n in range(1 + i % 5, 12 + i % 5))
    binds = " ".join(f"BIND({k} AS ?b{k})" for k in range(i)) if new_family else ""
    return f"SELECT ?o WHERE {{ VALUES ?o {{ {values} }} {binds} }} ORDER BY ?o"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", choices=["same", "new"], default="new")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    opts = parser.parse_args()
    store, meta = bench.ensure_store(11000)
    work = Path(tempfile.mkdtemp(prefix="kg-crash-"))
    proc, url = bench.start_gateway(store, work, "--timeout", "20")
    regions: list[str] = meta["regions"]  # type: ignore[assignment]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
    port = int(url.split(":")[2].split("/")[0])
    latencies: list[float] = []
    failures: list[int] = []
    crashes: list[str] = []
    deadline = time.monotonic() + opts.seconds

    def lookups(seed: int) -> None:
        local = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            first = local.randint(2010, 2023)
            body = urlencode({"query": bench.lookup(local.choice(regions), first, local.randint(first, 2023))})
            started = time.perf_counter()
            try:
                conn.request("POST", "/sparql", body, headers)
                response = conn.getresponse()
                response.read()
                (latencies if response.status == 200 else failures).append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                failures.append(0)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def crasher() -> None:
        i = 0
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", "/sparql", urlencode({"query": crashing(i, opts.families == "new")}), headers)
            response = conn.getresponse()
            body = response.read()
            code = json.loads(body)["error"]["code"] if response.status >= 400 else "200"
            crashes.append(f"{response.status} {code}")
            conn.close()
            i += 1
            time.sleep(1.0)

    threads = [threading.Thread(target=lookups, args=(i,)) for i in range(opts.clients)]
    threads.append(threading.Thread(target=crasher))
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/status")
        status = json.loads(conn.getresponse().read())
    finally:
        bench.stop(proc)
    total = len(latencies) + len(failures)
    lat = sorted(latencies)
    print(f"families: {opts.families}; {opts.clients} lookup clients for {opts.seconds:g} s")
    print(f"lookups: {len(latencies):,} of {total:,} answered 200 ({len(latencies) / max(1, total):.1%}); "
          f"p50 {statistics.median(lat) * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms")  # fmt: skip
    print(f"crashing queries: {len(crashes)}: {dict((c, crashes.count(c)) for c in sorted(set(crashes)))}")
    print(f"engine restarts: {status['engine']['restarts']}; queries run again: {status['queries_retried']}; "
          f"quarantine: {status['quarantine']}")  # fmt: skip


if __name__ == "__main__":
    main()
