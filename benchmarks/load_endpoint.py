"""Load test of ``kg serve``: many loopback clients doing everything a client may do, for a minute.

``--clients`` (100) concurrent clients, each on its own loopback connections, for ``--seconds`` (60). Most send
lookups as fast as they are answered; a few of each other kind send one request a second (at most: a runaway waits
for its answer first), so that, as on a public endpoint, the lookups go on while hostile and broken requests keep
coming (``KINDS`` gives the clients of each kind, out of 100):

- lookup: the benchmark's varied lookup (the reports of one region in a span of years), on a kept-alive connection;
- runaway: a cross product that runs into ``--timeout`` (504), or an ORDER BY over one that runs into the engine's
  memory limit (422 memory_limit, then quarantined);
- crash: an ORDER BY over numbers mixed with strings, which makes Oxigraph 0.5.13 panic (422 engine_crash, then
  quarantined), with different values each time;
- refused: SERVICE, FROM and LOAD pointing at a loopback listener, an update, the Graph Store;
- slow reader: four 3 MB answers asked for (pipelined) on a connection with a 4 KiB receive buffer, never read,
  closed after 25 s (the gateway drops it before, after --send-timeout);
- malformed: a body that is not UTF-8, a body over the limit, a Content-Length of 10 MB, two ``query`` parameters, a
  garbage request line, a 64 KiB header field, a broken percent-escape.

It prints the requests sent per kind and their statuses, lookup p50/p99 and success rate, the peak RSS of the
gateway and of its engines (sampled every 0.2 s), the 5xx answers that are not a documented refusal of that kind
(``internal_error``, ``upstream_error``, a 5xx that is not in the JSON shape: must be 0), and the connections the
loopback listener saw (must be 0). Uses the benchmark's 1M-triple store (benchmarks/bench_endpoint.py).

    .venv/bin/python benchmarks/load_endpoint.py [--seconds 60] [--clients 100] [--reports 11000]
        [--max-engine-mb 1024] [--timeout 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode

import httptools

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_endpoint as bench  # noqa: E402

KINDS = {"lookup": 84, "runaway": 3, "crash": 1, "refused": 4, "slow reader": 4, "malformed": 4}  # clients per 100
EXPECTED_5XX = {"busy", "too_many_connections", "unavailable", "timeout"}  # documented refusals under load


class Listener:
    """A loopback listener that counts connections: nothing the gateway is asked may ever reach it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


class Answer:
    """One HTTP response read with httptools (status, body), or how the connection failed."""

    def __init__(self) -> None:
        self.status = 0
        self.body = b""
        self.done = False
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    answer = Answer()
    while not answer.done:
        data = await reader.read(65536)
        if not data:
            if not answer.status:
                raise ConnectionError("closed without an answer")
            answer.parser.feed_data(b"")
            break
        answer.parser.feed_data(data)
    return answer


def _post(query: str, *, ctype: str = "application/x-www-form-urlencoded", path: str = "/sparql") -> bytes:
    body = urlencode({"query": query}).encode() if ctype.endswith("urlencoded") else query.encode()
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nAccept: application/sparql-results+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip


def crashing(rng: random.Random) -> str:
    start = rng.randint(1, 9)  # numbers of one and two digits: their order and their strings' disagree
    values = " ".join(f'{i} "{i}"' for i in range(start, start + 11))
    return f"SELECT ?o WHERE {{ VALUES ?o {{ {values} }} }} ORDER BY ?o"


class Load:
    def __init__(self, host: str, port: int, listener: Listener, lookups: list[str], seconds: float) -> None:
        self.host, self.port = host, port
        self.listener = listener
        self.lookups = lookups
        self.deadline = time.monotonic() + seconds
        self.sent: Counter[str] = Counter()
        self.statuses: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.latencies: list[float] = []
        self.lookup_ok = 0
        self.unexpected_5xx: list[str] = []

    def record(self, kind: str, answer: Answer | None, failure: str | None = None) -> None:
        if answer is None:
            self.statuses[kind][failure or "connection failed"] += 1
            return
        code = ""
        try:
            code = json.loads(answer.body)["error"]["code"] if answer.status >= 400 else ""
        except (ValueError, KeyError, TypeError):
            code = "(not the JSON error shape)"
        self.statuses[kind][f"{answer.status} {code}".strip()] += 1
        if answer.status >= 500 and code not in EXPECTED_5XX:
            self.unexpected_5xx.append(f"{kind}: {answer.status} {code} {answer.body[:200]!r}")

    async def one(self, raw: bytes) -> Answer:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(raw)
            return await asyncio.wait_for(_read_answer(reader), 60)
        finally:
            writer.close()

    async def client(self, seed: int, kind: str) -> None:
        rng = random.Random(seed)
        lookup_conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        await asyncio.sleep(rng.random())  # not all at once
        while time.monotonic() < self.deadline:
            if kind != "lookup":
                await asyncio.sleep(1.0)
            self.sent[kind] += 1
            try:
                if kind == "lookup":
                    if lookup_conn is None:
                        lookup_conn = await asyncio.open_connection(self.host, self.port)
                    started = time.perf_counter()
                    lookup_conn[1].write(_post(rng.choice(self.lookups)))
                    answer = await asyncio.wait_for(_read_answer(lookup_conn[0]), 60)
                    if answer.status == 200:
                        self.latencies.append(time.perf_counter() - started)
                        self.lookup_ok += 1
                    self.record(kind, answer)
                elif kind == "slow reader":
                    await self.slow_reader()
                    self.statuses[kind]["asked, read nothing, closed after 25 s"] += 1
                else:
                    self.record(kind, await self.one(self.request_of(kind, rng)))
            except (ConnectionError, TimeoutError, OSError, httptools.HttpParserError) as exc:
                if lookup_conn is not None and kind == "lookup":
                    lookup_conn[1].close()
                    lookup_conn = None
                self.record(kind, None, f"{type(exc).__name__}")

    def request_of(self, kind: str, rng: random.Random) -> bytes:
        listener = self.listener.url
        if kind == "runaway":
            return _post(rng.choice([
                "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g",
            ]))  # fmt: skip
        if kind == "crash":
            return _post(crashing(rng))
        if kind == "refused":
            return rng.choice([
                _post(f"SELECT * {{ SERVICE <{listener}> {{ ?s ?p ?o }} }}"),
                _post(f"SELECT * FROM <{listener}> {{ ?s ?p ?o }}"),
                _post(f"LOAD <{listener}>"),
                _post("INSERT DATA { <a:a> <a:b> <a:c> }", ctype="application/sparql-update"),
                _post("SELECT * { ?s ?p ?o } LIMIT 1", path=f"/sparql?default-graph-uri={quote(listener)}"),
                b"PUT /store?graph=a:g HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            ])  # fmt: skip
        return rng.choice([
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 4\r\n\r\n\xff\xfe\xfd\xfc",
            _post("SELECT * { ?s ?p ?o } # " + "x" * 60000),
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 10000000\r\n\r\nSELECT",
            b"GET /sparql?query=ASK%7B%7D&query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GARBAGE \x00\x01 NOT HTTP\r\n\r\n",
            b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"j" * 65536 + b"\r\n\r\n",
            b"GET /sparql?query=%ZZ%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
        ])  # fmt: skip

    async def slow_reader(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (self.host, self.port))
        query = urlencode({"query": bench_big_query()})
        request = f"GET /sparql?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        await loop.sock_sendall(sock, request * 4)  # 4 answers in a row: more than the kernel's buffers hold
        await asyncio.sleep(25)  # past a query slot's wait and --send-timeout: the gateway drops it first
        sock.close()


def bench_big_query() -> str:
    """About 3 MB of JSON (10,000 quads, a scan: cheap for the engine, long for a client that does not read)."""
    return "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10000"


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def watch_memory(pid: int, peaks: dict[str, float], stop: threading.Event) -> None:
    while not stop.is_set():
        engines = [_rss_mb(child) for child in _children(pid)]
        peaks["gateway"] = max(peaks.get("gateway", 0.0), _rss_mb(pid))
        peaks["engines, together"] = max(peaks.get("engines, together", 0.0), sum(engines))
        peaks["one engine"] = max(peaks.get("one engine", 0.0), max(engines, default=0.0))
        peaks["engines at once"] = max(peaks.get("engines at once", 0), len(engines))
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--reports", type=int, default=11000)
    parser.add_argument("--max-engine-mb", type=int, default=1024)
    parser.add_argument("--timeout", type=int, default=10)
    opts = parser.parse_args()
    store, meta = bench.ensure_store(opts.reports)
    rng = random.Random(3)
    regions: list[str] = meta["regions"]  # type: ignore[assignment]
    lookups = [bench.lookup(r, a, b) for r in rng.sample(regions, 400) for a, b in rng.sample(bench.SPANS, 5)]
    listener = Listener()
    work = Path(tempfile.mkdtemp(prefix="kg-load-"))
    port = bench.free_port()
    args = [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port), "--quiet",
            "--snapshots", str(work / "snaps"), "--max-engine-mb", str(opts.max_engine_mb),
            "--timeout", str(opts.timeout)]  # fmt: skip
    proc = subprocess.Popen(args, cwd=bench.ROOT, stdout=subprocess.DEVNULL, stderr=open(work / "serve.log", "wb"))
    peaks: dict[str, float] = {}
    stop = threading.Event()
    try:
        bench.wait_ready(f"http://127.0.0.1:{port}/sparql", proc, 60)
        watcher = threading.Thread(target=watch_memory, args=(proc.pid, peaks, stop), daemon=True)
        watcher.start()
        load = Load("127.0.0.1", port, listener, lookups, opts.seconds)

        kinds = [kind for kind, share in KINDS.items() for _ in range(max(1, round(share * opts.clients / 100)))]

        async def run() -> None:
            await asyncio.gather(*(load.client(i, kind) for i, kind in enumerate(kinds)))

        started = time.monotonic()
        asyncio.run(run())
        elapsed = time.monotonic() - started
        stop.set()
        status = json.loads(subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/status"], capture_output=True,
                                           text=True).stdout or "{}")  # fmt: skip
        alive = proc.poll() is None
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)
        listener.close()
    print(f"\n{meta['triples']:,} triples; {opts.clients} clients for {opts.seconds:g} s (ran {elapsed:.0f} s); "
          f"{os.cpu_count()} CPUs; --max-engine-mb {opts.max_engine_mb}, --timeout {opts.timeout}\n")  # fmt: skip
    print("| kind | clients | requests sent | answers |")
    print("| --- | ---: | ---: | --- |")
    for kind in KINDS:
        answers = ", ".join(f"{n}x {what}" for what, n in load.statuses[kind].most_common())
        print(f"| {kind} | {kinds.count(kind)} | {load.sent[kind]:,} | {answers} |")
    lat = sorted(load.latencies)
    if lat:
        p50, p99 = statistics.median(lat) * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        print(f"\nlookups: {load.lookup_ok:,} of {load.sent['lookup']:,} answered 200 "
              f"({load.lookup_ok / max(1, load.sent['lookup']):.1%}); p50 {p50:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip
    print(f"peak RSS: gateway {peaks.get('gateway', 0):.0f} MB; engines {peaks.get('engines, together', 0):.0f} MB "
          f"together, {peaks.get('one engine', 0):.0f} MB for one, {int(peaks.get('engines at once', 0))} at once")
    print(f"slow readers dropped by the gateway: {status.get('connections', {}).get('dropped_slow_readers')}")
    print(f"engine: {status.get('engine')}; quarantine: {status.get('quarantine')}; "
          f"connections: {status.get('connections')}")  # fmt: skip
    print(f"unexpected 5xx: {len(load.unexpected_5xx)}" + "".join(f"\n  {u}" for u in load.unexpected_5xx[:10]))
    print(f"outbound connections seen by the loopback listener: {listener.connections}")
    print(f"gateway alive at the end: {alive}")


if __name__ == "__main__":
    main()
