"""The query page in headless Chromium, with only loopback reachable: it loads, lists the example queries, loads
one into the editor, runs it and shows the rows, and every request it makes goes to the gateway itself.

Driven with the Chrome DevTools Protocol; skipped only when Chromium is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from kg.namespaces import GK
from kg.serve import Endpoint, ServeSettings
from tests.endpoint_support import build_store, stop_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"),
]


class DevTools:
    """A minimal CDP client over the page's websocket: calls, and the events received meanwhile."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, within_s: float = 20.0) -> Any:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never true: {expression}")


def _launch(profile: Path) -> tuple[subprocess.Popen[str], str]:
    assert CHROMIUM is not None
    proc = subprocess.Popen(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            # the network is off: names do not resolve, and anything not on loopback goes to a dead proxy
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    for line in proc.stderr:
        match = re.search(r"DevTools listening on (ws://[^\s]+)", line)
        if match:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            port = re.search(r":(\d+)/", match.group(1)).group(1)  # type: ignore[union-attr]
            return proc, f"http://127.0.0.1:{port}"
        if time.monotonic() > deadline:
            break
    stop_process(proc)  # type: ignore[arg-type]
    raise AssertionError("chromium did not start its DevTools endpoint")


def test_query_page_works_offline(tmp_path: Path) -> None:
    build_store(tmp_path / "store", counties=3)
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "report-titles.rq").write_text(
        f"# title: Report titles\n# purpose: every report with its title\nPREFIX gk: <{GK}>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?report ?title WHERE { ?report a gk:AnnualReport ; dcterms:title ?title } ORDER BY ?title\n",
        encoding="utf-8",
    )
    settings = ServeSettings(port=0, access_log=False, snapshots_dir=tmp_path / "snapshots", queries_dir=queries)
    with Endpoint(tmp_path / "store", settings) as endpoint:
        endpoint.start()
        base = endpoint.url
        browser, devtools_http = _launch(tmp_path / "profile")
        try:
            page = next(t for t in httpx.get(f"{devtools_http}/json/list").json() if t["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
                cdp = DevTools(ws)
                cdp.call("Network.enable")
                cdp.call("Page.enable")
                cdp.call("Runtime.enable")
                cdp.call("Page.navigate", url=f"{endpoint.url}/")
                cdp.wait_for("document.readyState === 'complete' && !!window.kgYasgui")
                title = cdp.wait_for("document.querySelector('#examples button.example')?.textContent")
                assert title == "Report titles"
                cdp.evaluate("document.querySelector('#examples button.example').click()")
                assert "SELECT ?report ?title" in cdp.evaluate("window.kgYasgui.getTab().getQuery()")
                cdp.evaluate("document.querySelector('.yasqe_queryButton').click()")
                rows = cdp.wait_for(
                    "Array.from(document.querySelectorAll('.yasr table tbody tr')).map(r => r.textContent)"
                )
                assert len(rows) == 6
                assert any("2016江苏省政府信息公开工作年度报告" in row for row in rows)
                cdp.call("Runtime.evaluate", expression="1")  # collect the last events
        finally:
            stop_process(browser)  # type: ignore[arg-type]
    requested = [e["params"]["request"]["url"] for e in cdp.events if e.get("method") == "Network.requestWillBeSent"]
    assert f"{base}/" in requested and f"{base}/yasgui.min.js" in requested
    assert f"{base}/queries" in requested and f"{base}/sparql" in requested
    elsewhere = [u for u in requested if not u.startswith((f"{base}/", "data:", "blob:"))]
    assert elsewhere == [], f"the page reached beyond the gateway: {elsewhere}"
    failed = [e["params"] for e in cdp.events if e.get("method") == "Network.loadingFailed"]
    assert failed == []
    errors = [e["params"] for e in cdp.events if e.get("method") == "Runtime.exceptionThrown"]
    assert errors == []
