"""Helpers for the endpoint tests: a small store shaped as docs/model.md says, a listener that must stay silent,
and real servers on free loopback ports."""

from __future__ import annotations

import os
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
from kg.store import to_ox

BASE = "https://w3id.org/govkg/id/"
M = Minter(BASE)
DIRECTIVE = "国办发〔2016〕19号"
PROVINCES = [("320000", "江苏省"), ("330000", "浙江省"), ("370000", "山东省")]


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
