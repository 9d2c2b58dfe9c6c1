"""Helpers for the endpoint tests: a small store shaped as docs/model.md says, a listener that must stay silent,
and real servers on free loopback ports."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SDO, SKOS, XSD

from kg.iris import Minter, concept
from kg.namespaces import ELI, GK
from kg.terms import to_ox

BASE = "https://w3id.org/govkg/id/"
M = Minter(BASE)
DIRECTIVE = "国办发〔2016〕19号"
PROVINCES = [("320000", "江苏省"), ("330000", "浙江省"), ("370000", "山东省")]


def crashing(start: int) -> str:
    """An ORDER BY over numbers mixed with strings: Oxigraph 0.5.13 panics (not a total order), so it aborts."""
    values = " ".join(f'{i} "{i}"' for i in range(start, start + 11))
    return f"SELECT ?o WHERE {{ VALUES ?o {{ {values} }} }} ORDER BY ?o"


def add_report(ds: Dataset, source_id: str, adcode: str, name: str, year: int, cites: list[str]) -> URIRef:
    """One report graph: source document, report, citations (following docs/model.md)."""
    g = ds.graph(M.graph(source_id))
    source, report = M.source(source_id), M.report(adcode, "government", year, source_id)
    g.add((source, RDF.type, GK.SourceDocument))
    g.add((source, GK.fileName, Literal(source_id)))
    g.add((source, DCTERMS.identifier, Literal(source_id)))
    g.add((report, RDF.type, GK.AnnualReport))
    g.add((report, GK.source, source))
    g.add((report, DCTERMS.title, Literal(f"{year}{name}政府信息公开工作年度报告")))
    g.add((report, GK.reportingRegion, M.region(adcode)))
    g.add((report, GK.reportingBody, M.government(adcode)))
    g.add((report, GK.level, concept("level", "province" if adcode.endswith("0000") else "county")))
    g.add((report, GK.bodyKind, concept("body", "government")))
    g.add((report, GK.yearCovered, Literal(str(year), datatype=XSD.gYear)))
    for number in cites:
        doc = M.document(number, "100000")
        citation = M.fact(source_id, "citation", number)
        g.add((report, GK.cites, doc))
        g.add((report, GK.citation, citation))
        g.add((citation, RDF.type, GK.Citation))
        g.add((citation, GK.citedDocument, doc))
        g.add((citation, GK.citedNumber, Literal(number)))
    return report


def build_store(path: Path, counties: int = 150) -> dict[str, int]:
    """A store with regions, a cited directive and ``3 + counties`` reports (about 12 triples each)."""
    ds = Dataset()
    regions = ds.graph(M.shared_graph("regions"))
    shared = ds.graph(M.shared_graph("vocabularies"))
    doc = M.document(DIRECTIVE, "100000")
    shared.add((doc, RDF.type, ELI.LegalResource))
    shared.add((doc, ELI.id_local, Literal(DIRECTIVE)))
    shared.add((doc, ELI.title, Literal("国务院办公厅关于印发2016年政务公开工作要点的通知", lang="zh")))
    shared.add((concept("level", "county"), SKOS.prefLabel, Literal("县级", lang="zh")))
    reports = 0
    for adcode, name in PROVINCES:
        regions.add((M.region(adcode), RDF.type, GK.Region))
        regions.add((M.region(adcode), RDF.type, SDO.AdministrativeArea))
        regions.add((M.region(adcode), RDFS.label, Literal(name, lang="zh")))
        regions.add((M.region(adcode), GK.adcode, Literal(adcode)))
        add_report(ds, f"{adcode}-2016.txt", adcode, name, 2016, [DIRECTIVE])
        reports += 1
    for i in range(counties):
        adcode = f"32{i // 100 + 1:02d}{i % 100:02d}"
        regions.add((M.region(adcode), RDF.type, GK.Region))
        regions.add((M.region(adcode), RDFS.label, Literal(f"第{i}县", lang="zh")))
        regions.add((M.region(adcode), GK.adcode, Literal(adcode)))
        add_report(ds, f"county-{i}.txt", adcode, f"第{i}县", 2017, [DIRECTIVE, f"苏政办发〔2017〕{i}号"])
        reports += 1
    store = ox.Store(str(path))
    quads = load_dataset(store, ds)
    store.flush()
    graphs = len(list(store.named_graphs()))
    del store
    return {"quads": quads, "reports": reports, "graphs": graphs}


def dataset_quads(ds: Dataset) -> list[ox.Quad]:
    return [
        ox.Quad(to_ox(s), to_ox(p), to_ox(o), to_ox(g if isinstance(g, URIRef) else g.identifier))
        for s, p, o, g in ds.quads((None, None, None, None))
    ]


def load_dataset(store: ox.Store, ds: Dataset) -> int:
    """Replace the named graphs of ``ds`` in ``store`` (as an ingest does); returns the quads written."""
    quads = dataset_quads(ds)
    for graph in {q.graph_name for q in quads}:
        store.remove_graph(graph)
    store.bulk_extend(quads)
    return len(quads)


class SilentListener:
    """A loopback TCP listener that counts connections: a refused query must never reach it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str:
    return str(Path(sys.executable).parent / "oxigraph")


def start_oxigraph_rw(location: Path, *, union: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """A writable ``oxigraph serve`` (the remote store of the push tests); returns the process and its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
        + (["--union-default-graph"] if union else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/", proc)
    return proc, url


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {within_s} s")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """The one JSON error shape, with the documented status for the code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "hint"}
    assert error["status"] == status
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


# -- a private Virtuoso (Debian's virtuoso-opensource) ----------------------------------------------------------
VIRTUOSO_DBA = ("dba", "dba")  # a new database's administrator; the test server listens on loopback only


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def virtuoso_ini(root: Path, sql_port: int, http_port: int) -> str:
    """A virtuoso.ini with the packaged one's settings that matter, every file under ``root``, and our ports."""
    db = root / "db"
    return f"""[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {root}/vsp
MaxClientConnections = 10
ServerThreads = 10
KeepAliveTimeout = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_virtuoso(root: Path, within_s: float = 90.0) -> tuple[subprocess.Popen[bytes], str]:
    """``virtuoso-t -f`` (foreground, so the test owns the process) on a new database under ``root``; returns the
    process and its base URL once ``/sparql`` answers a query. Its log is ``root/db/virtuoso.log``."""
    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError("virtuoso-t is not installed (Debian: apt-get install virtuoso-opensource)")
    (root / "db").mkdir(parents=True, exist_ok=True)
    (root / "vsp").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = root / "virtuoso.ini"
    ini.write_text(virtuoso_ini(root, sql_port, http_port), encoding="utf-8")
    with (root / "stdout.log").open("wb") as out:
        proc = subprocess.Popen(
            [binary, "-f", "+configfile", str(ini)],
            cwd=root / "db",
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (root / "stdout.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"virtuoso-t exited with {proc.returncode}:\n{log}")
        try:
            answer = httpx.post(
                f"{url}/sparql",
                data={"query": "ASK {}"},
                headers={"Accept": "application/sparql-results+json"},
                timeout=2.0,
            )
            if answer.status_code == 200 and "boolean" in answer.json():
                return proc, url
        except (httpx.TransportError, ValueError):
            pass
        time.sleep(0.1)
    stop_process(proc)
    raise RuntimeError(f"Virtuoso did not answer at {url}/sparql within {within_s} s")
