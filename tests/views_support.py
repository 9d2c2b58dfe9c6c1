"""Support for the view tests: a small store that follows docs/model.md (with hostile strings in it), and a
minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (stdlib only)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SDO, SKOS, XSD

from kg.config import Config
from kg.iris import Minter, concept
from kg.namespaces import ELI, GK, OA
from kg.store import open_store
from kg.terms import to_ox

CONFIG = Config()
M = Minter(CONFIG.base_iri)

HOSTILE_PLATFORM = "<img src=x onerror=alert(1)>"
HOSTILE_TITLE = "<script>alert(1)</script>关于全面推进政务公开工作的意见"
HOSTILE_REGION = '<a href="javascript:alert(1)">href县</a>'

# adcode: (label, level, parent adcode, province adcode, (lat, lon) or None)
REGIONS = {
    "100000": ("中华人民共和国", "national", "", "", None),
    "320000": ("江苏省", "province", "100000", "320000", (32.06, 118.76)),
    "320700": ("连云港市", "city", "320000", "320000", (34.6, 119.22)),
    "320722": (HOSTILE_REGION, "county", "320700", "320000", None),
    "321200": ("泰州市", "city", "320000", "320000", (32.46, 119.92)),
    "321281": ("兴化市", "county", "321200", "320000", None),
    "330000": ("浙江省", "province", "100000", "330000", (30.27, 120.15)),
    "331000": ("台州市", "city", "330000", "330000", None),
    "331083": ("玉环市", "county", "331000", "330000", None),
}
# key: (文号 or "", title, issuer code, issuer adcode, level, date)
DIRECTIVES = {
    "D1": (
        "国办发〔2016〕19号",
        "国务院办公厅关于印发2016年政务公开工作要点的通知",
        "国办发",
        "100000",
        "national",
        "2016",
    ),
    "D2": ("国办发〔2016〕80号", HOSTILE_TITLE, "国办发", "100000", "national", "2016"),
    "D3": (
        "苏政办发〔2017〕12号",
        "江苏省人民政府办公厅关于做好政务公开工作的通知",
        "苏政办发",
        "320000",
        "province",
        "",
    ),
    "D4": (
        "浙政办发〔2018〕5号",
        "浙江省人民政府办公厅关于推进政务公开的通知",
        "浙政办发",
        "330000",
        "province",
        "2018",
    ),
    "D5": ("", "中华人民共和国政府信息公开条例", "", "", "unknown", ""),
}
# (adcode, year, cited directives, [(platform type, name, url)])
REPORTS = [
    ("320000", 2016, ["D1", "D2"], [("portal", "中国江苏", "www.jiangsu.gov.cn"), ("wechat", "江苏发布", "")]),
    ("320000", 2017, ["D1", "D3"], []),
    ("320700", 2017, ["D1", "D3"], [("wechat", HOSTILE_PLATFORM, ""), ("weibo", "连云港发布", "")]),
    ("321281", 2018, ["D1", "D3", "D5"], [("hotline", "12345政务服务热线", "")]),
    ("320722", 2018, ["D1", "D2", "D3"], []),
    ("330000", 2017, ["D1", "D4", "D5"], [("app", "浙里办", ""), ("gazette", "浙江省人民政府公报", "")]),
    ("331083", 2019, ["D1", "D4"], [("portal", "玉环市人民政府网", "www.yuhuan.gov.cn")]),
    ("331000", 2018, ["D4", "D5"], []),
]


def doc_iri(key: str) -> URIRef:
    number, title, _code, adcode, _level, _date = DIRECTIVES[key]
    return M.document(number, adcode) if number else M.titled_document(title)


def _mention(g, source_id: str, start: int, quote: str) -> URIRef:  # type: ignore[no-untyped-def]
    span = M.mention(source_id, start, start + len(quote))
    g.add((span, RDF.type, GK.Mention))
    g.add((span, GK.fromSource, M.source(source_id)))
    g.add((span, OA.start, Literal(start)))
    g.add((span, OA.end, Literal(start + len(quote))))
    g.add((span, OA.exact, Literal(quote)))
    g.add((span, OA.prefix, Literal("")))
    g.add((span, OA.suffix, Literal("")))
    return span


def fixture_dataset() -> Dataset:
    """The sources' graphs and the shared graphs, as docs/model.md has them (reports are derived from these)."""
    ds = Dataset()
    vocab = ds.graph(M.shared_graph("vocabularies"))
    vocab.parse(CONFIG.ontology_dir / "vocabularies.ttl", format="turtle")
    regions = ds.graph(M.shared_graph("regions"))
    for adcode, (label, level, parent, province, coords) in REGIONS.items():
        r = M.region(adcode)
        regions.add((r, RDF.type, GK.Region))
        regions.add((r, RDF.type, SDO.AdministrativeArea))
        regions.add((r, GK.adcode, Literal(adcode)))
        regions.add((r, RDFS.label, Literal(label, lang="zh")))
        regions.add((r, GK.level, concept("level", level)))
        if parent:
            regions.add((r, SDO.containedInPlace, M.region(parent)))
        if province:
            regions.add((r, GK.province, M.region(province)))
        if coords:
            regions.add((r, SDO.latitude, Literal(coords[0])))
            regions.add((r, SDO.longitude, Literal(coords[1])))
    for i, (adcode, year, cited, platforms) in enumerate(REPORTS):
        source_id = f"report-{i:02d}.txt"
        g = ds.graph(M.graph(source_id))
        src = M.source(source_id)
        rep = M.report(adcode, "government", year, source_id)
        label = REGIONS[adcode][0]
        g.add((src, RDF.type, GK.SourceDocument))
        g.add((src, GK.fileName, Literal(source_id)))
        g.add((rep, GK.source, src))
        g.add((src, DCTERMS.title, Literal(f"{year}年{label}政府信息公开工作年度报告", lang="zh")))
        g.add((src, GK.reportingRegion, M.region(adcode)))
        g.add((src, GK.reportingBody, M.government(adcode)))
        g.add((src, GK.level, concept("level", REGIONS[adcode][1])))
        g.add((src, GK.bodyKind, concept("body", "government")))
        g.add((src, GK.yearCovered, Literal(str(year), datatype=XSD.gYear)))
        g.add((src, DCTERMS.issued, Literal(f"{year + 1}-03-01", datatype=XSD.date)))
        regions.add((M.government(adcode), RDF.type, ORG.Organization))
        offset = 0
        for key in cited:
            number, title, code, issuer_adcode, level, date = DIRECTIVES[key]
            d = doc_iri(key)
            fact = M.fact(source_id, "citation", number or title)
            quote = f"认真贯彻《{title}》{('（' + number + '）') if number else ''}要求"
            span = _mention(g, source_id, offset, quote)
            offset += len(quote) + 10
            g.add((src, GK.citation, fact))
            g.add((fact, RDF.type, GK.Citation))
            g.add((fact, GK.citedDocument, d))
            g.add((fact, GK.citedTitle, Literal(title)))
            g.add((fact, GK.titleOnly, Literal(not number)))
            g.add((fact, GK.mention, span))
            if number:
                g.add((fact, GK.citedNumber, Literal(number)))
            shared = ds.graph(M.shared_graph("documents"))
            shared.add((d, RDF.type, ELI.LegalResource))
            if not number:
                shared.add((d, ELI.title, Literal(title, lang="zh")))
            else:
                issuer = M.issuer(code, issuer_adcode)
                shared.add((d, GK.issuerLevel, concept("level", level)))
                shared.add((d, ELI.id_local, Literal(number)))
                shared.add((d, ELI.passed_by, issuer))
                shared.add((d, GK.issuerCode, Literal(code)))
                shared.add((d, GK.issuerRegion, M.region(issuer_adcode)))
                shared.add((issuer, RDF.type, GK.Issuer))
                shared.add((issuer, SKOS.prefLabel, Literal(f"{code}机关", lang="zh")))
            if date:
                shared.add((d, ELI.date_document, Literal(date, datatype=XSD.gYear)))
        for ptype, name, url in platforms:
            fact = M.fact(source_id, "platform", f"{ptype}-{name}")
            quote = f"通过{name}发布信息"
            span = _mention(g, source_id, offset, quote)
            offset += len(quote) + 10
            g.add((src, GK.platform, fact))
            g.add((fact, RDF.type, GK.Platform))
            g.add((fact, GK.platformType, concept("platform", ptype)))
            g.add((fact, SDO.name, Literal(name)))
            if url:
                g.add((fact, SDO.url, Literal(url)))
            g.add((fact, GK.operatedBy, M.government(adcode)))
            g.add((fact, GK.mention, span))
    return ds


def build_fixture_store(path: Path):  # type: ignore[no-untyped-def]
    """A store at ``path`` holding the fixture, its reports and citation summaries derived as ingest does; open."""
    from kg.ledger import Ledger
    from kg.summary import refresh_summaries
    from kg.writer import StoreWriter

    store = open_store(path)
    quads = []
    for graph in fixture_dataset().graphs():
        if not isinstance(graph.identifier, URIRef) or not len(graph):
            continue
        name = ox.NamedNode(str(graph.identifier))
        quads += [ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in graph]
    store.bulk_extend(quads)
    ledger = Ledger(path)
    writer = StoreWriter(store, ledger, CONFIG.base_iri)
    reports = {q.subject.value for q in quads if q.predicate.value == str(GK.source)}
    writer.derive(reports, {})
    writer.count_citations()  # the fixture's source graphs were loaded without the writer
    refresh_summaries(store, ledger, writer.minter, {str(doc_iri(k)) for k in DIRECTIVES})
    ledger.close()
    store.flush()
    return store
# ------------------------------------------------------------------ headless Chromium over the DevTools pipe

CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--mute-audio",
]
PROBE_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


@dataclass
class PageRun:
    """What happened while loading one page."""

    url: str
    requests: list[str]
    dialogs: list[str]
    exceptions: list[str]
    first_draw_ms: float | None


class Chromium:
    """Headless Chromium driven through ``--remote-debugging-pipe`` (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, binary: str = CHROMIUM, width: int = 1400, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="govkg-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # runs in the child: the pipe ends become fds 3 and 4 (via high fds, never clobbered)
            high_in = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 64)
            high_out = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 64)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.proc = subprocess.Popen(
            [
                binary,
                *CHROME_FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=wire,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []
        self.targets: dict[str, str] = {}
        self.width, self.height = width, height

    # -- protocol
    def _read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        self._next += 1
        ident = self._next
        msg: dict = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
            if reply.get("method") == "Page.javascriptDialogOpening":  # answer it, or the page stays blocked
                self._dismiss(reply.get("sessionId"))

    def _dismiss(self, session: str | None) -> None:
        self._next += 1
        msg = {"id": self._next, "method": "Page.handleJavaScriptDialog", "params": {"accept": False}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                msg = self._read(max(deadline - time.monotonic(), 0.01))
            except TimeoutError:
                return
            self.events.append(msg)
            if msg.get("method") == "Page.javascriptDialogOpening":
                self._dismiss(msg.get("sessionId"))

    # -- pages
    def new_page(self) -> str:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.targets[session] = target
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            self.call(method, session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE_JS}, session=session)
        return session

    def dialogs(self, session: str) -> list[str]:
        """Messages of every JavaScript dialog (alert, confirm, prompt) a page has opened so far."""
        return [
            e["params"].get("message", "")
            for e in self.events
            if e.get("sessionId") == session and e.get("method") == "Page.javascriptDialogOpening"
        ]

    def close_page(self, session: str) -> None:
        self.call("Target.closeTarget", {"targetId": self.targets.pop(session)})

    def evaluate(self, session: str, expression: str, timeout: float = 60) -> object:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, session: str, path: Path, timeout: float = 60, fragment: str = "") -> PageRun:
        """Navigate to ``path`` and wait for the page's first vis-network draw (or the load, for plain pages)."""
        url = path.resolve().as_uri()
        start = len(self.events)
        self.call("Page.navigate", {"url": url + (f"#{fragment}" if fragment else "")}, session=session)
        deadline = time.monotonic() + timeout
        first = None
        while time.monotonic() < deadline:
            state = self.evaluate(
                session,
                "[document.readyState, !!window.govkgView, window.govkgView ? window.govkgView.firstDraw : null]",
            )
            ready, has_view, drawn = state  # type: ignore[misc]
            if has_view and drawn is not None:
                first = float(drawn)
                break
            if ready == "complete" and not has_view:
                break
            time.sleep(0.02)
        self.pump(0.2)
        mine = [e for e in self.events[start:] if e.get("sessionId") == session]
        return PageRun(
            url=url,
            requests=[e["params"]["request"]["url"] for e in mine if e.get("method") == "Network.requestWillBeSent"],
            dialogs=[e["params"].get("message", "") for e in mine if e.get("method") == "Page.javascriptDialogOpening"],
            exceptions=[
                json.dumps(e["params"]["exceptionDetails"], ensure_ascii=False)[:400]
                for e in mine
                if e.get("method") == "Runtime.exceptionThrown"
            ],
            first_draw_ms=first,
        )

    def screenshot(self, session: str, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


CANVAS_JS = """
(function () {
  var c = document.querySelector('#network canvas');
  if (!c) { return {width: 0, height: 0, painted: 0}; }
  var ctx = c.getContext('2d');
  var d = ctx.getImageData(0, 0, c.width, c.height).data, painted = 0;
  for (var i = 3; i < d.length; i += 4) { if (d[i] > 0) { painted += 1; } }
  return {width: c.width, height: c.height, painted: painted};
})()
"""


def drawn_box(attrs: dict) -> tuple[float, float, float, float]:
    """Where a node and its label are drawn (x0, y0, x1, y1), without the gap the layout keeps around them: a label
    below the node, or — for axis labels (shape "text") — the text alone, centred."""
    from kg.views.layout import label_box, text_width
    from kg.views.style import AXIS_FONT_SIZE

    x, y = float(attrs["x"]), float(attrs["y"])
    if attrs.get("shape") == "text":
        half = text_width(str(attrs["label"]), AXIS_FONT_SIZE) / 2
        return x - half, y - AXIS_FONT_SIZE * 0.65, x + half, y + AXIS_FONT_SIZE * 0.65
    return label_box(float(attrs["size"]), str(attrs["label"]), gap=(0.0, 0.0)).at((x, y))


def overlapping_labels(graph, positions=None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Pairs of nodes whose drawn boxes (node and label) overlap; ``positions`` default to the nodes' x, y."""
    from kg.views.layout import boxes_overlap

    rects = []
    for n in sorted(graph.nodes):
        attrs = dict(graph.nodes[n])
        if positions is not None:
            attrs["x"], attrs["y"] = positions[n]
        rects.append((n, drawn_box(attrs)))
    return [(a, b) for i, (a, ra) in enumerate(rects) for b, rb in rects[i + 1 :] if boxes_overlap(ra, rb)]
