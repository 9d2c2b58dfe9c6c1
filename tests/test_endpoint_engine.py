"""The engine behind `kg serve` failing: its memory limit, Oxigraph's ORDER BY panic, quarantine, kill -9, and an
engine that cannot be started again. Real Oxigraph processes under a real RLIMIT_DATA; nothing is simulated."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kg.cli.main import cli
from kg.isolated import classify_death
from kg.serve import Endpoint, ServeSettings
from tests.endpoint_support import assert_error_shape, build_store, crashing

RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"  # memory: it sorts ~10^9 rows
SLOW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # a second or so, little memory
LOOKUP = "SELECT ?s WHERE { ?s a ?type } LIMIT 3"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engine")
    build_store(root / "store", counties=150)
    return root


def _endpoint(root: Path, **overrides: object) -> Endpoint:
    options: dict[str, object] = {
        "port": 0,
        "timeout_s": 20.0,
        "max_engine_mb": 256,
        "max_concurrent": 4,
        "snapshots_dir": root / "snapshots",
        "access_log": False,
    }
    endpoint = Endpoint(root / "store", ServeSettings(**{**options, **overrides})).open()  # type: ignore[arg-type]
    endpoint.start()
    return endpoint


def _status(endpoint: Endpoint) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{endpoint.url}/status", timeout=10).json()


def _ask(endpoint: Endpoint, query: str, out: dict[str, httpx.Response], name: str) -> None:
    out[name] = httpx.post(f"{endpoint.url}/sparql", data={"query": query}, timeout=60)


def test_a_query_past_the_memory_limit_is_refused_and_the_innocent_one_beside_it_answered(root: Path) -> None:
    endpoint = _endpoint(root)
    try:
        first_pid = _status(endpoint)["engine"]["pid"]
        answers: dict[str, httpx.Response] = {}
        innocent = threading.Thread(target=_ask, args=(endpoint, SLOW_COUNT, answers, "innocent"))
        innocent.start()
        time.sleep(0.2)
        started = time.monotonic()
        _ask(endpoint, RUNAWAY, answers, "runaway")
        innocent.join()
        error = assert_error_shape(answers["runaway"], 422, "memory_limit")
        assert "memory limit of 256 MB (--max-engine-mb)" in error["message"]
        assert time.monotonic() - started < 15
        assert answers["innocent"].status_code == 200, answers["innocent"].text
        assert int(answers["innocent"].json()["results"]["bindings"][0]["n"]["value"]) > 0
        status = _status(endpoint)
        assert status["engine"]["pid"] != first_pid and status["engine"]["restarts"] == 1
        assert status["engine"]["deaths"][0].startswith("memory: memory allocation of")
        assert status["queries_retried"] >= 1
        # the same query, or one of its family, is refused at once: the engine is not taken down again
        again = httpx.post(f"{endpoint.url}/sparql", data={"query": RUNAWAY.replace("?g", "?x")}, timeout=10)
        assert "took the query engine down" in assert_error_shape(again, 422, "memory_limit")["message"]
        assert _status(endpoint)["engine"]["restarts"] == 1
        ok = httpx.post(f"{endpoint.url}/sparql", data={"query": LOOKUP}, timeout=10)
        assert ok.status_code == 200
    finally:
        endpoint.stop()


def test_a_crashing_query_is_quarantined_and_lookups_keep_being_answered(root: Path) -> None:
    endpoint = _endpoint(root)
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def lookups() -> None:
        nonlocal answered
        with httpx.Client(base_url=endpoint.url, timeout=20) as client:
            while not stop.is_set():
                response = client.post("/sparql", data={"query": LOOKUP})
                if response.status_code == 200:
                    answered += 1
                else:
                    failures.append(response.text)

    thread = threading.Thread(target=lookups)
    thread.start()
    try:
        first = httpx.post(f"{endpoint.url}/sparql", data={"query": crashing(1)}, timeout=20)
        error = assert_error_shape(first, 422, "engine_crash")
        assert "does not correctly implement a total order" in error["message"]
        assert "ORDER BY (isNumeric(?x)) ?x" in str(error["hint"])
        for start in range(2, 7):  # the same query with other values: refused without reaching the engine
            again = httpx.post(f"{endpoint.url}/sparql", data={"query": crashing(start)}, timeout=5)
            assert "took the query engine down" in assert_error_shape(again, 422, "engine_crash")["message"]
            time.sleep(0.1)
        status = _status(endpoint)
        assert status["engine"]["restarts"] == 1 and status["quarantine"] == {"families": 1, "refused": 5}
        workaround = crashing(1).replace("ORDER BY ?o", "ORDER BY (isNumeric(?o)) ?o")
        assert len(httpx.post(f"{endpoint.url}/sparql", data={"query": workaround}).json()["results"]["bindings"]) == 22
    finally:
        stop.set()
        thread.join()
        endpoint.stop()
    assert answered > 20 and not failures, failures[:3]


def test_kill_9_of_the_engine_while_serving(root: Path) -> None:
    endpoint = _endpoint(root)
    try:
        pid = _status(endpoint)["engine"]["pid"]
        answers: dict[str, httpx.Response] = {}
        threads = [threading.Thread(target=_ask, args=(endpoint, SLOW_COUNT, answers, f"q{i}")) for i in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)
        for thread in threads:
            thread.join()
        assert {a.status_code for a in answers.values()} == {200}, [a.text for a in answers.values()]
        status = _status(endpoint)
        assert status["engine"]["pid"] != pid and status["engine"]["restarts"] == 1
        assert status["engine"]["deaths"] == ["killed: killed by SIGKILL (from outside, or by the kernel's "
                                              "out-of-memory killer)"]  # fmt: skip
        assert status["quarantine"]["families"] == 0, "a kill from outside is no query's fault"
    finally:
        endpoint.stop()


def test_kg_serve_exits_2_when_the_engine_cannot_be_started_again(root: Path, tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--store", str(root / "store"), "--port", "0", "--snapshots",
         str(snapshots), "--max-engine-mb", "256"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if match := re.search(r"SPARQL endpoint (http://127\.0\.0\.1:\d+)/sparql", line):
                url = match.group(1)
                break
        else:
            raise AssertionError("kg serve did not announce itself")
        pid = httpx.get(f"{url}/status").json()["engine"]["pid"]
        for data in snapshots.glob("serve-*/snapshot-*/data"):
            shutil.rmtree(data)  # what the engine would need to start again
        os.kill(pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == 2
        rest = proc.stderr.read()
        assert "Error: the query engine ended (killed by SIGKILL" in rest
        assert "could not be started again" in rest
        assert not snapshots.exists(), "it still cleans up"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kg_query_reports_an_engine_crash_and_exits_2(root: Path, tmp_path: Path) -> None:
    query = tmp_path / "crash.rq"
    query.write_text(f"# title: crash\n{crashing(1)}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", str(query), "--store", str(root / "store")])
    assert result.exit_code == 2, result.output
    assert "the query engine crashed on this query (user-provided comparison function" in result.output
    assert "Hint: Oxigraph cannot ORDER BY a mix of numbers and other values" in result.output


@pytest.mark.parametrize(
    ("returncode", "log", "kind"),
    [
        (-6, "memory allocation of 360 bytes failed\nstack backtrace:", "memory"),
        (-6, "thread '<unnamed>' panicked at library/core/src/slice/sort.rs:854:5:\nuser-provided comparison "
             "function does not correctly implement a total order\n", "panic"),
        (-6, "Listening for requests at http://127.0.0.1:1\nfatal runtime error: failed to initiate panic", "crash"),
        (-9, "Listening for requests at http://127.0.0.1:1", "killed"),
        (1, "Error: IO error", "exited"),
    ],
)
def test_how_an_engine_died_is_read_from_its_log(returncode: int, log: str, kind: str) -> None:
    death = classify_death(returncode, log)
    assert death.kind == kind and death.caused_by_a_query == (kind in ("memory", "panic", "crash"))
    if kind == "panic":
        assert death.detail == "user-provided comparison function does not correctly implement a total order"
