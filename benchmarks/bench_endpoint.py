"""Benchmark of ``kg serve`` against raw ``oxigraph serve-read-only`` and rdflib-endpoint.

Generated data following docs/model.md (one named graph per report: source, report, citations with mentions,
platforms, statistics; plus regions and directives), at least 1M triples, written with pyoxigraph ``bulk_extend``
and cached under the temporary directory. Eight client processes (keep-alive HTTP/1.1, stdlib ``http.client``)
send POSTed queries for ``--seconds`` each, one server at a time, in four workloads:

- lookup, varied: the reports of one region within a span of years (2,739 regions with reports x 105 spans);
- aggregate, varied: reports per (region, cited document) within one province and a span of years (31 x 105);
- lookup, repeated / aggregate, repeated: a pool of 50 lookups / 8 aggregates, drawn at random per request.

Varied: every request is a different query. The distinct queries are shuffled once (fixed seed) and dealt to the
clients, each walking its own share in order, so every server receives the same sequence and no query twice (the
run says how many distinct queries it used, and whether any came round again); the warm-up uses queries from the
other end of the list, never measured ones. Repeated: what a server gives when the same few queries come again —
with the gateway's result cache that is a cache hit after the warm-up, so it is reported apart, with the gateway
also run with ``--cache-mb 0``.

Every server is started afresh and measured once per round, the servers in turn (``--rounds``, 3): the machine's
noise moves a run by up to ±20 %, so the table gives the median run and the range, and each ratio is the median
of the per-round ratios (servers measured back to back). rdflib-endpoint runs in the first round only.

Reference: when nginx is installed, ``nginx, no checks`` — a compiled reverse proxy (keep-alive to a raw Oxigraph)
that checks nothing — measures what the second hop alone costs here, clients, proxy and Oxigraph sharing the CPUs.

Targets: lookups through the gateway >= 0.5x raw Oxigraph's throughput (it checks, converts and bounds every query, on
one more hop), >= 10x rdflib-endpoint's.

    .venv/bin/python benchmarks/bench_endpoint.py [--reports 11000] [--seconds 20] [--clients 8] [--rounds 3]
        [--skip-rdflib] [--no-reference] [--workloads lookup,aggregate,lookup-repeated,aggregate-repeated]
        [--gateway-root CHECKOUT] [--engine-allocator auto|jemalloc|system]

``--gateway-root`` runs ``kg serve`` from another checkout (to compare before/after a change). The raw Oxigraph (also
nginx's) runs with the allocator ``kg serve`` gives its engines (``--engine-allocator``, as ``kg serve``'s; the
gateway from an older checkout without that flag gets none), so that each ratio is what the gateway costs, not what
an allocator gains. Not a test: prints a table.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.iris import Minter, concept  # noqa: E402
from kg.namespaces import DEFAULT_BASE, ELI, GK, SDMX_DIM  # noqa: E402
from kg.serve.allocator import CHOICES, Allocator  # noqa: E402

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DCT = "http://purl.org/dc/terms/"
SDO = "https://schema.org/"
QB = "http://purl.org/linked-data/cube#"
XSD = "http://www.w3.org/2001/XMLSchema#"
CACHE = Path(tempfile.gettempdir()) / "govkg-bench" / "endpoint-store-v1"
PLATFORMS = ["portal", "wechat", "weibo", "app", "gazette", "hotline"]
INDICATORS = ["info_disclosed_total", "requests_received", "requests_answered"]


def N(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def lit(value: object, datatype: str | None = None) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype)) if datatype else ox.Literal(str(value))


# -- data -----------------------------------------------------------------------------------------------------
def generate(store_dir: Path, reports: int, seed: int = 7) -> dict[str, object]:
    """Write the synthetic store; returns what the clients need (regions with reports, provinces)."""
    rng = random.Random(seed)
    m = Minter(DEFAULT_BASE)
    store = ox.Store(str(store_dir))
    regions_graph, shared = N(m.shared_graph("regions")), N(m.shared_graph("vocabularies"))
    quads: list[ox.Quad] = []

    def add(s: object, p: object, o: object, g: ox.NamedNode) -> None:
        subject = s if isinstance(s, ox.NamedNode) else N(s)
        obj = N(o) if isinstance(o, str) else o
        quads.append(ox.Quad(subject, N(p), obj, g))  # type: ignore[arg-type]

    provinces, cities, counties = [], [], []
    for p in range(11, 42):
        provinces.append(f"{p}0000")
        for c in range(1, 11):
            cities.append((f"{p}{c:02d}00", f"{p}0000"))
            for k in range(1, 9):
                counties.append((f"{p}{c:02d}{k:02d}", f"{p}{c:02d}00", f"{p}0000"))
    levels = [(code, code, code, "province") for code in provinces]
    levels += [(code, parent, prov, "city") for code, prov in cities for parent in [prov]]
    levels += [(code, parent, prov, "county") for code, parent, prov in counties]
    for code, parent, prov, level in levels:
        r = m.region(code)
        add(r, RDF_TYPE.value, str(GK.Region), regions_graph)
        add(r, RDF_TYPE.value, SDO + "AdministrativeArea", regions_graph)
        add(r, RDFS_LABEL.value, ox.Literal(f"区划{code}", language="zh"), regions_graph)
        add(r, GK.adcode, lit(code), regions_graph)
        add(r, GK.level, str(concept("level", level)), regions_graph)
        add(r, GK.province, str(m.region(prov)), regions_graph)
        if code != parent:
            add(r, SDO + "containedInPlace", str(m.region(parent)), regions_graph)
    docs = []
    for i in range(300):
        issuer, code = ("国办发", "100000") if i < 100 else (f"省{i % 31}办发", provinces[i % 31])
        number = f"{issuer}〔{2008 + i % 15}〕{i}号"
        d = m.document(number, code)
        docs.append(d)
        add(d, RDF_TYPE.value, str(ELI.LegalResource), shared)
        add(d, ELI.id_local, lit(number), shared)
        add(d, ELI.title, ox.Literal(f"关于第{i}项工作的通知", language="zh"), shared)
        add(d, GK.issuerCode, lit(issuer), shared)
        add(d, GK.issuerRegion, str(m.region(code)), shared)
        add(d, ELI.date_document, lit(2008 + i % 15, "gYear"), shared)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(docs))]
    with_reports: set[str] = set()
    for n in range(reports):
        code, _, _, level = rng.choice(levels[:31] * 3 + levels[31:341] * 2 + levels[341:])
        with_reports.add(code)
        year = rng.randint(2010, 2023)
        sid = f"report-{n}.txt"
        g, src, rep = N(m.graph(sid)), m.source(sid), m.report(code, "government", year, sid) + f"-{n}"
        add(src, RDF_TYPE.value, str(GK.SourceDocument), g)
        add(src, GK.fileName, lit(sid), g)
        add(src, DCT + "identifier", lit(sid), g)
        add(src, GK.encoding, lit("utf-8"), g)
        add(src, GK.sha256, lit(f"{n:064x}"), g)
        add(src, GK.characters, lit(rng.randint(3000, 20000), "integer"), g)
        add(rep, RDF_TYPE.value, str(GK.AnnualReport), g)
        add(rep, GK.source, str(src), g)
        add(rep, DCT + "title", lit(f"{year}年区划{code}政府信息公开工作年度报告"), g)
        add(rep, GK.reportingRegion, str(m.region(code)), g)
        add(rep, GK.reportingBody, str(m.government(code)), g)
        add(rep, GK.level, str(concept("level", level)), g)
        add(rep, GK.bodyKind, str(concept("body", "government")), g)
        add(rep, GK.yearCovered, lit(year, "gYear"), g)
        add(rep, DCT + "issued", lit(f"{year + 1}-03-{rng.randint(1, 28):02d}", "date"), g)
        add(rep, GK.indexNumber, lit(f"0144{n:08d}/{year + 1}-00001"), g)
        for k, d in enumerate(set(rng.choices(docs, weights, k=rng.randint(3, 9)))):
            c, mention = m.fact(sid, "citation", str(k)), m.mention(sid, 100 * k, 100 * k + 20)
            add(rep, GK.cites, str(d), g)
            add(rep, GK.citation, str(c), g)
            add(c, RDF_TYPE.value, str(GK.Citation), g)
            add(c, GK.citedDocument, str(d), g)
            add(c, GK.citedNumber, lit(d.split("/")[-1]), g)
            add(c, GK.mention, str(mention), g)
            add(mention, RDF_TYPE.value, str(GK.Mention), g)
            add(mention, GK.fromSource, str(src), g)
        for k, kind in enumerate(rng.sample(PLATFORMS, 2)):
            p = m.fact(sid, "platform", str(k))
            add(rep, GK.platform, str(p), g)
            add(p, RDF_TYPE.value, str(GK.Platform), g)
            add(p, RDF_TYPE.value, SDO + "WebSite", g)
            add(p, GK.platformType, str(concept("platform", kind)), g)
            add(p, SDO + "name", lit(f"区划{code}{kind}"), g)
            add(p, SDO + "url", lit(f"www.r{code}.gov.cn"), g)
            add(p, GK.operatedBy, str(m.government(code)), g)
        for indicator in INDICATORS:
            o = m.fact(sid, "obs", indicator)
            add(o, RDF_TYPE.value, QB + "Observation", g)
            add(o, QB + "dataSet", str(m.dataset("disclosure-statistics")), g)
            add(o, GK.report, str(rep), g)
            add(o, str(SDMX_DIM) + "refArea", str(m.region(code)), g)
            add(o, str(SDMX_DIM) + "refPeriod", lit(year, "gYear"), g)
            add(o, GK.indicator, str(concept("indicator", indicator)), g)
            add(o, GK.value, lit(rng.randint(0, 5000), "integer"), g)
        if len(quads) > 200_000:
            store.bulk_extend(quads)
            quads.clear()
    store.bulk_extend(quads)
    store.flush()
    store.optimize()
    triples = len(store)
    del store
    return {"triples": triples, "regions": sorted(with_reports), "provinces": provinces}


def ensure_store(reports: int) -> tuple[Path, dict[str, object]]:
    store, meta_path = CACHE / f"store-{reports}", CACHE / f"store-{reports}.json"
    if meta_path.exists() and (store / "CURRENT").exists():
        return store, json.loads(meta_path.read_text())
    shutil.rmtree(store, ignore_errors=True)
    store.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    meta = generate(store, reports)
    print(f"generated {meta['triples']:,} triples in {time.monotonic() - started:.0f} s into {store}", file=sys.stderr)
    meta_path.write_text(json.dumps(meta))
    return store, meta


# -- queries --------------------------------------------------------------------------------------------------
PREFIXES = f"PREFIX gk: <{GK}>\nPREFIX dcterms: <{DCT}>\n"
YEARS = range(2010, 2024)  # the years the generated reports cover
SPANS = [(first, last) for first in YEARS for last in YEARS if first <= last]  # 105 spans of years


def lookup(region: str, first: int | None = None, last: int | None = None) -> str:
    """The reports of one region (within ``first``..``last`` when given), with title and year."""
    years = "" if first is None else f'\n  FILTER(STR(?year) >= "{first}" && STR(?year) <= "{last}")'
    return (
        f"{PREFIXES}SELECT ?report ?title ?year WHERE {{\n"
        f"  ?report gk:reportingRegion <{DEFAULT_BASE}region/{region}> ; dcterms:title ?title ; gk:yearCovered ?year ."
        f"{years}\n}} ORDER BY ?year ?report"
    )


def aggregate(province: str, first: int | None = None, last: int | None = None) -> str:
    """Reports per (region, cited document) within one province (and ``first``..``last`` when given)."""
    years = (
        ""
        if first is None
        else f' ;\n    gk:yearCovered ?year .\n  FILTER(STR(?year) >= "{first}" && STR(?year) <= "{last}")'
    )
    return (
        f"{PREFIXES}SELECT ?region ?doc (COUNT(DISTINCT ?report) AS ?reports) WHERE {{\n"
        f"  ?region gk:province <{DEFAULT_BASE}region/{province}> .\n"
        f"  ?report gk:reportingRegion ?region ; gk:cites ?doc{years or ' .'}\n"
        f"}} GROUP BY ?region ?doc ORDER BY DESC(?reports) ?region ?doc"
    )


BUILDERS = {"lookup": lookup, "aggregate": aggregate}


class Workload:
    """Queries as parameter tuples for one builder; ``varied`` ones are dealt out without repetition."""

    def __init__(self, name: str, builder: str, params: list[tuple[object, ...]], varied: bool) -> None:
        self.name, self.builder, self.params, self.varied = name, builder, params, varied

    def query(self, index: int) -> str:
        return BUILDERS[self.builder](*self.params[index])  # type: ignore[operator]


def workloads(meta: dict[str, object]) -> dict[str, Workload]:
    rng = random.Random(1)
    regions: list[str] = meta["regions"]  # type: ignore[assignment]
    provinces: list[str] = meta["provinces"]  # type: ignore[assignment]
    varied_lookups: list[tuple[object, ...]] = [(r, a, b) for r in regions for a, b in SPANS]
    varied_aggregates: list[tuple[object, ...]] = [(p, a, b) for p in provinces for a, b in SPANS]
    rng.shuffle(varied_lookups)
    rng.shuffle(varied_aggregates)
    return {
        "lookup": Workload("lookup", "lookup", varied_lookups, varied=True),
        "aggregate": Workload("aggregate", "aggregate", varied_aggregates, varied=True),
        "lookup-repeated": Workload("lookup-repeated", "lookup", [(r,) for r in rng.sample(regions, 50)], False),
        "aggregate-repeated": Workload("aggregate-repeated", "aggregate", [(p,) for p in provinces[:8]], False),
    }


# -- servers --------------------------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {url}")
        try:
            response = httpx.post(url, data={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {within_s} s")


GATEWAY_ROOT = ROOT  # the checkout `kg serve` runs from (--gateway-root)
ALLOCATOR = Allocator("system")  # --engine-allocator, resolved in main(): for kg serve's engines and the raw Oxigraph


def start_gateway(store: Path, work: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port), "--quiet",
            "--timeout", "120", "--max-concurrent", "16", "--max-queued", "64",
            "--snapshots", str(work / "snaps"), *extra]  # fmt: skip
    if gateway_has("--engine-allocator"):
        args += ["--engine-allocator", ALLOCATOR.name]
    # cwd first on sys.path: `-m kg` imports the checkout's package
    proc = subprocess.Popen(args, cwd=GATEWAY_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    wait_ready(url, proc, 60)
    return proc, url


def start_gateway_uncached(store: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_gateway(store, work, "--cache-mb", "0")


@functools.cache
def gateway_has(flag: str) -> bool:
    args = [sys.executable, "-m", "kg", "serve", "--help"]
    return flag in subprocess.run(args, cwd=GATEWAY_ROOT, capture_output=True, text=True).stdout


def start_raw(store: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    binary = Path(sys.executable).parent / "oxigraph"
    # no --timeout-s: in 0.5.13 it leaves one thread per query asleep for the whole timeout, and under this load
    # Oxigraph then aborts ("failed to allocate an alternative stack"); kg serve runs Oxigraph the same way
    args = [str(binary), "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}",
            "--union-default-graph"]  # fmt: skip
    env = {**os.environ, **ALLOCATOR.env}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/query"
    wait_ready(url, proc, 30)
    return proc, url


NGINX_CONF = """worker_processes auto;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/nginx-body;
  proxy_temp_path {work}/nginx-proxy;
  upstream oxigraph {{ server 127.0.0.1:{upstream}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://oxigraph; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
"""


def start_nginx(store: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A compiled reverse proxy with no checks at all (nginx, keep-alive to a raw Oxigraph): what the second hop
    alone costs on this machine, the lower bound for any gateway."""
    raw, raw_url = start_raw(store, work)
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, upstream=urlsplit(raw_url).port, port=port), encoding="utf-8")
    proc = subprocess.Popen([str(shutil.which("nginx")), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    PARTNERS[proc.pid] = raw
    url = f"http://127.0.0.1:{port}/query"
    wait_ready(url, proc, 30)
    return proc, url


PARTNERS: dict[int, subprocess.Popen[bytes]] = {}  # a server started with another (nginx's Oxigraph)


RDFLIB_SERVER = """
import sys, time, resource, uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
started = time.monotonic()
ds = Dataset(default_union=True)
ds.parse(sys.argv[1], format="nquads")
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
seconds = time.monotonic() - started
print(f"rdflib loaded {len(ds):,} quads in {seconds:.0f} s, {rss:.0f} MB", file=sys.stderr, flush=True)
app = SparqlEndpoint(graph=ds, path="/sparql", cors_enabled=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def start_rdflib(store: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    dump = CACHE / f"{store.name}.nq"
    if not dump.exists():
        ox.Store.read_only(str(store)).dump(str(dump), ox.RdfFormat.N_QUADS)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RDFLIB_SERVER, str(dump), str(port)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    wait_ready(url, proc, 900)
    return proc, url


def stop(proc: subprocess.Popen[bytes]) -> None:
    partner = PARTNERS.pop(proc.pid, None)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if partner is not None:
        stop(partner)


# -- load -----------------------------------------------------------------------------------------------------
ClientJob = tuple[str, str, list[tuple[object, ...]], bool, float, float, int]


def client(job: ClientJob) -> tuple[list[float], int, float, int]:
    """One client: keep-alive POSTs until ``until``, walking its ``share`` of parameters in order (varied), or
    drawing from it at random (repeated).

    Returns the latencies of the 200s, the errors, the time of its last answer, and how many requests it sent.
    """
    url, builder, share, varied, start_at, until, seed = job
    build = BUILDERS[builder]
    parts = urlsplit(url)
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
    while time.time() < start_at:
        time.sleep(0.001)
    latencies: list[float] = []
    errors = sent = 0
    last = start_at
    while time.time() < until:
        params = share[sent % len(share)] if varied else rng.choice(share)
        body = urlencode({"query": build(*params)})  # type: ignore[operator]
        sent += 1
        t0 = time.perf_counter()
        try:
            conn.request("POST", parts.path, body, headers)
            response = conn.getresponse()
            data = response.read()
            ok = response.status == 200 and data.startswith(b"{")
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        latencies.append(time.perf_counter() - t0) if ok else None
        errors += 0 if ok else 1
        last = time.time()
    conn.close()
    return latencies, errors, last, sent


def sample_indices(workload: Workload, count: int = 4) -> list[int]:
    """Queries whose row counts are compared across servers: for a varied workload, from the warm-up's part."""
    size = len(workload.params)
    first = size - size // 10 if workload.varied else 0
    return list(range(first, size, max(1, (size - first) // count)))[:count]


def deal(
    workload: Workload, clients: int, warmup: bool, round_: int = 0, rounds: int = 1
) -> list[list[tuple[object, ...]]]:
    """Each client's parameters. Varied: disjoint shares of the shuffled list, the warm-up's from its last tenth,
    the measured run's from the rest, each share started a ``round_``-th of the way in (every server is started
    afresh for each round, so nothing it keeps carries over); repeated: the whole pool for everyone."""
    params = workload.params
    if not workload.varied:
        return [params] * clients
    cut = len(params) - len(params) // 10
    part = params[cut:] if warmup else params[:cut]
    shares = [part[i::clients] for i in range(clients)]
    if warmup:
        return shares
    return [share[round_ * len(share) // rounds :] + share[: round_ * len(share) // rounds] for share in shares]


def run_load(
    pool: multiprocessing.pool.Pool,
    url: str,
    workload: Workload,
    clients: int,
    seconds: float,
    warmup: bool = False,
    round_: int = 0,
    rounds: int = 1,
) -> dict[str, float]:
    start_at = time.time() + 0.5
    shares = deal(workload, clients, warmup, round_, rounds)
    jobs = [(url, workload.builder, shares[i], workload.varied, start_at, start_at + seconds, 1000 + i)
            for i in range(clients)]  # fmt: skip
    results = pool.map(client, jobs)
    latencies = sorted(x for lat, _, _, _ in results for x in lat)
    errors = sum(e for _, e, _, _ in results)
    elapsed = max(last for _, _, last, _ in results) - start_at
    sent = [n for _, _, _, n in results]
    if workload.varied:
        distinct = sum(min(n, len(share)) for n, share in zip(sent, shares, strict=True))
        wrapped = any(n > len(share) for n, share in zip(sent, shares, strict=True))
    else:
        distinct, wrapped = min(sum(sent), len(workload.params)), False
    out = {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": errors, "n": len(latencies),
           "distinct": distinct, "wrapped": float(wrapped)}  # fmt: skip
    if latencies:
        out["rps"] = len(latencies) / elapsed
        out["p50"] = statistics.median(latencies) * 1000
        out["p99"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return out


def cache_counts(url: str) -> tuple[int, int] | None:
    """The gateway's result-cache hits and misses so far (None for other servers, or a gateway without a cache)."""
    try:
        response = httpx.get(url.rsplit("/", 1)[0] + "/status", timeout=10)
        cache = response.json().get("result_cache") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return (cache["hits"], cache["misses"]) if cache else None


def rows(url: str, query: str) -> int:
    response = httpx.post(
        url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=600
    )
    response.raise_for_status()
    return len(response.json()["results"]["bindings"])


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median throughput (its latencies with it), and the range of throughputs over the runs."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["rps_min"], middle["rps_max"] = ordered[0]["rps"], ordered[-1]["rps"]
    middle["runs"] = len(runs)
    return middle


def ratio(table: dict[tuple[str, str], list[dict[str, float]]], a: str, b: str, workload: str) -> str | None:
    """Median of the per-round ratios a/b (each round's servers ran back to back), with their range."""
    pairs = list(zip(table.get((a, workload), []), table.get((b, workload), []), strict=False))
    values = sorted(x["rps"] / y["rps"] for x, y in pairs if y["rps"] > 0)
    if not values:
        return None
    low, mid, high = values[0], statistics.median(values), values[-1]
    spread = f" ({low:.2f}-{high:.2f})" if len(values) > 1 else ""
    return f"{mid:.2f}x{spread}" if mid < 10 else f"{mid:.1f}x{spread}"


def main() -> None:
    global GATEWAY_ROOT, ALLOCATOR
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=11000, help="synthetic reports (about 100 triples each)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-rdflib", action="store_true")
    parser.add_argument("--workloads", default="lookup,aggregate,lookup-repeated,aggregate-repeated")
    parser.add_argument("--gateway-root", type=Path, default=ROOT, help="run `kg serve` from this checkout")
    parser.add_argument("--rounds", type=int, default=3, help="every server once per round, in turn; medians")
    parser.add_argument("--engine-allocator", choices=CHOICES, default="auto",
                        help="allocator of kg serve's engines and of the raw Oxigraph")  # fmt: skip
    parser.add_argument("--no-reference", action="store_true", help="skip nginx (run when it is installed)")
    opts = parser.parse_args()
    GATEWAY_ROOT, ALLOCATOR = opts.gateway_root.resolve(), Allocator.resolve(opts.engine_allocator)
    store, meta = ensure_store(opts.reports)
    every = workloads(meta)
    chosen = {name: every[name] for name in opts.workloads.split(",")}
    servers: list[tuple[str, object, list[str]]] = [("kg serve", start_gateway, list(chosen))]
    repeated = [name for name, w in chosen.items() if not w.varied]
    if repeated and gateway_has("--cache-mb"):
        servers.append(("kg serve --cache-mb 0", start_gateway_uncached, repeated))
    servers.append(("raw oxigraph", start_raw, list(chosen)))
    varied = [name for name, w in chosen.items() if w.varied]
    if varied and not opts.no_reference and shutil.which("nginx"):
        servers.append(("nginx, no checks", start_nginx, varied))
    if not opts.skip_rdflib:
        servers.append(("rdflib-endpoint", start_rdflib, list(chosen)))
    print(f"store: {meta['triples']:,} triples; {opts.clients} clients, {opts.seconds:g} s per run; "
          f"{os.cpu_count()} CPUs; kg serve from {GATEWAY_ROOT}; engines on {ALLOCATOR.name}",
          file=sys.stderr)  # fmt: skip
    # the same answers everywhere, or the comparison means nothing: row counts of a few queries of each workload
    # (for a varied workload, queries from the warm-up's part of the list, so no measured query is asked early)
    samples = {name: [w.query(i) for i in sample_indices(w)] for name, w in chosen.items()}
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    checks: dict[tuple[str, str], list[int]] = {}
    work = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    ctx = multiprocessing.get_context("spawn")
    try:
        with ctx.Pool(opts.clients) as pool:
            for round_ in range(opts.rounds):
                for name, start, names in servers:
                    if name == "rdflib-endpoint" and round_:
                        continue  # a minute to load; ten times slower whatever the noise
                    proc, url = start(store, work)  # type: ignore[operator]
                    try:
                        for n in names:
                            checks.setdefault((name, n), [rows(url, q) for q in samples[n]])
                        for workload_name in names:
                            workload = chosen[workload_name]
                            run_load(pool, url, workload, opts.clients, min(2.0, opts.seconds), warmup=True)
                            before = cache_counts(url)
                            result = run_load(
                                pool, url, workload, opts.clients, opts.seconds, round_=round_, rounds=opts.rounds
                            )
                            after = cache_counts(url)
                            if before and after:
                                hits, misses = after[0] - before[0], after[1] - before[1]
                                result["cache_hit_rate"] = hits / max(1, hits + misses)
                            runs.setdefault((name, workload_name), []).append(result)
                            print(f"  round {round_ + 1} {name:22} {workload_name:18} {result}", file=sys.stderr)
                    finally:
                        stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = {key: median_run(values) for key, values in runs.items()}
    for (name, workload_name), counts in checks.items():
        reference = checks.get(("raw oxigraph", workload_name))
        if reference is not None and counts != reference:
            print(f"WARNING: {name} disagrees with raw oxigraph on {workload_name}: {counts} vs {reference}")
    print(f"\n{meta['triples']:,} triples, {opts.clients} clients x {opts.seconds:g} s, {os.cpu_count()} CPUs; "
          f"row counts of sample queries: {sorted(set(map(tuple, checks.values())))}\n")  # fmt: skip
    print(
        "| server | workload | queries/s (median) | range | p50 ms | p99 ms | errors | distinct queries | cache hits |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (name, workload_name), r in table.items():
        distinct = f"{int(r['distinct']):,}" + (" (wrapped)" if r["wrapped"] else "")
        hits = f"{r['cache_hit_rate']:.0%}" if "cache_hit_rate" in r else "-"
        spread = f"{r['rps_min']:.1f}-{r['rps_max']:.1f} ({int(r['runs'])} runs)"
        print(f"| {name} | {workload_name} | {r['rps']:.1f} | {spread} | {r['p50']:.1f} | {r['p99']:.1f} "
              f"| {int(r['errors'])} | {distinct} | {hits} |")  # fmt: skip
    print()
    print("Ratios: median of the per-round ratios (range).")
    for workload_name in chosen:
        parts = [f"{workload_name}: gateway/raw oxigraph = {ratio(runs, 'kg serve', 'raw oxigraph', workload_name)}"]
        if ("kg serve --cache-mb 0", workload_name) in runs:
            parts.append(f"without its cache {ratio(runs, 'kg serve --cache-mb 0', 'raw oxigraph', workload_name)}")
        if ("nginx, no checks", workload_name) in runs:
            parts.append(
                f"nginx (no checks)/raw oxigraph = {ratio(runs, 'nginx, no checks', 'raw oxigraph', workload_name)}"
            )
        if ("rdflib-endpoint", workload_name) in runs:
            parts.append(f"gateway/rdflib-endpoint = {ratio(runs, 'kg serve', 'rdflib-endpoint', workload_name)}")
        print(", ".join(parts))


if __name__ == "__main__":
    main()
