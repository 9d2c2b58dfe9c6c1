"""Serving while ingesting (generations and snapshots), and `kg serve` as a process: start, stop, crash, errors."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset

from kg.cli.serve import push, serve
from kg.errors import StoreError
from kg.namespaces import GK
from kg.serve import Endpoint, ServeSettings
from kg.snapshots import GENERATION_FILE, StoreBusyError, make_snapshot, mark_generation, read_generation
from tests.endpoint_support import DIRECTIVE, add_report, assert_error_shape, build_store, dataset_quads, stop_process

COUNT_REPORTS = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?r a <{GK.AnnualReport}> }}"


def _reports(client: httpx.Client) -> tuple[int, int]:
    response = client.get("/sparql", params={"query": COUNT_REPORTS})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"]), int(response.headers["x-kg-generation"])


# -- the generation marker and snapshots --------------------------------------------------------------------------
def test_generation_marker(tmp_path: Path) -> None:
    store = tmp_path / "store"
    build_store(store, counties=2)
    assert read_generation(store) is None
    assert mark_generation(store) == 1
    assert mark_generation(store) == 2
    record = json.loads((store / GENERATION_FILE).read_text())
    assert record["generation"] == 2 and record["completed"].endswith("+00:00")
    assert not list(store.glob(".kg-generation-*")), "no temporary file is left behind"
    (store / GENERATION_FILE).write_text('{"generation": "two"}')
    with pytest.raises(StoreError, match="not a non-negative integer"):
        read_generation(store)
    with pytest.raises(StoreError, match="no store directory"):
        mark_generation(tmp_path / "missing")


def test_snapshot_of_a_store_being_written_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    build_store(store, counties=2)
    writer = ox.Store(str(store))  # an ingest holding the store
    try:
        with pytest.raises(StoreBusyError, match="being written"):
            make_snapshot(store, tmp_path / "snap")
        assert not (tmp_path / "snap").exists()
    finally:
        del writer
    mark_generation(store)
    snapshot = make_snapshot(store, tmp_path / "snap")
    assert snapshot.generation == 1
    assert len(ox.Store.read_only(str(snapshot.data))) > 0


def test_new_data_appears_when_the_ingest_completes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    facts = build_store(store, counties=20)
    mark_generation(store)
    settings = ServeSettings(port=0, poll_interval_s=0.1, snapshots_dir=tmp_path / "snapshots", access_log=False)
    endpoint = Endpoint(store, settings).open()
    endpoint.start()
    seen: list[tuple[int, int]] = []
    failures: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # another client, querying all along
        with httpx.Client(base_url=endpoint.url, timeout=10) as c:
            while not stop.is_set():
                try:
                    seen.append(_reports(c))
                except (AssertionError, httpx.HTTPError) as exc:
                    failures.append(repr(exc))
                time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with httpx.Client(base_url=endpoint.url, timeout=10) as client:
            before = facts["reports"]
            assert _reports(client) == (before, 1)
            old_snapshot = endpoint.live.snapshot_of(endpoint.live.current).path  # type: ignore[union-attr]
            old_oxigraph = endpoint.live.current.process  # type: ignore[union-attr]

            # an "ingest": the store is open for writing, a report graph goes in one triple at a time
            writer = ox.Store(str(store))
            ds = Dataset()
            add_report(ds, "late.txt", "320100", "南京市", 2018, [DIRECTIVE])
            quads = dataset_quads(ds)
            for i, quad in enumerate(quads):
                writer.add(quad)
                if i == len(quads) // 2:
                    assert _reports(client) == (before, 1), "half-written data must not show"
            mark_generation(store)  # the ingest marks completion while it still holds the store
            time.sleep(0.5)  # several polls: the store is locked, the old snapshot keeps answering
            assert _reports(client) == (before, 1)
            assert endpoint.live.snapshot_of(endpoint.live.current).path == old_snapshot  # type: ignore[union-attr]
            del writer  # the ingest ends

            deadline = time.monotonic() + 10
            while _reports(client)[1] != 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _reports(client) == (before + 1, 2)
            deadline = time.monotonic() + 10
            while (old_snapshot.exists() or old_oxigraph.poll() is None) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not old_snapshot.exists(), "the old snapshot is deleted once its queries are done"
            assert old_oxigraph.poll() is not None, "the old oxigraph is stopped"
    finally:
        stop.set()
        watcher.join()
        endpoint.stop()
    assert not failures, failures[:3]
    assert set(seen) == {(facts["reports"], 1), (facts["reports"] + 1, 2)}, "every answer is one whole generation"
    generations = [g for _, g in seen]
    assert generations == sorted(generations), "never back to an older generation"
    assert not (tmp_path / "snapshots").exists(), "stopping removes every snapshot"


# -- `kg serve` as a process --------------------------------------------------------------------------------------
def _start_cli(store: Path, snapshots: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", "0", "--snapshots", str(snapshots)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    for line in proc.stderr:
        match = re.search(r"SPARQL endpoint (http://127\.0\.0\.1:\d+)/sparql", line)
        if match:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            return proc, match.group(1)
        assert time.monotonic() < deadline, "kg serve did not announce itself"
    raise AssertionError(f"kg serve exited: {proc.wait()}")


def _processes_using(path: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_kg_serve_process_cleans_up_after_ctrl_c_and_after_a_crash(tmp_path: Path) -> None:
    store, snapshots = tmp_path / "store", tmp_path / "snapshots"
    build_store(store, counties=2)
    proc, url = _start_cli(store, snapshots)
    try:
        assert httpx.get(f"{url}/sparql", params={"query": COUNT_REPORTS}).json()["results"]["bindings"]
        assert _processes_using(snapshots), "oxigraph runs on a snapshot"
        proc.kill()  # a crash: no cleanup code runs
        proc.wait()
        deadline = time.monotonic() + 5
        while _processes_using(snapshots) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _processes_using(snapshots), "oxigraph dies with the gateway"
        assert list(snapshots.glob("serve-*")), "a crash leaves its snapshot behind"

        proc, url = _start_cli(store, snapshots)  # the next start removes it
        assert len(list(snapshots.glob("serve-*"))) == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert not snapshots.exists() and not _processes_using(snapshots)
    finally:
        stop_process(proc)  # type: ignore[arg-type]


def test_cli_errors_say_what_and_how(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(serve, ["--store", str(tmp_path / "nothing")])
    assert missing.exit_code == 2
    assert f"Error: {tmp_path / 'nothing'}: no store here" in missing.output
    assert "Hint: create one with `kg ingest REPORTS --store DIR`" in missing.output

    build_store(tmp_path / "store", counties=1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = runner.invoke(serve, ["--store", str(tmp_path / "store"), "--port", str(port)])
    assert busy.exit_code == 2
    assert f"Error: 127.0.0.1:{port} is already in use" in busy.output
    assert "choose another --port" in busy.output

    half = runner.invoke(
        push, ["--store", str(tmp_path / "store"), "--endpoint", "http://127.0.0.1:9/query", "--user", "u"]
    )
    assert half.exit_code == 2 and "--user and --password go together" in half.output
    assert not (tmp_path / "store.snapshots").exists(), "a refused start leaves nothing behind"


def test_help_has_examples() -> None:
    for command in (serve, push):
        text = CliRunner().invoke(command, ["--help"]).output
        assert "Example:" in text


def test_kg_serve_serves_the_network_views(tmp_path: Path) -> None:
    from kg.config import Config
    from kg.store import open_store
    from kg.views import write_views

    store, snapshots = tmp_path / "store", tmp_path / "snapshots"
    build_store(store, counties=2)
    write_views(open_store(store, read_only=True), tmp_path / "views", Config())
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", "0", "--snapshots", str(snapshots),
         "--views", str(tmp_path / "views")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        url = None
        for line in proc.stderr:
            if match := re.search(r"SPARQL endpoint (http://127\.0\.0\.1:\d+)/sparql", line):
                url = match.group(1)
                threading.Thread(target=proc.stderr.read, daemon=True).start()
                break
        assert url, "kg serve did not announce itself"
        index = httpx.get(f"{url}/views/")
        assert index.status_code == 200 and "text/html" in index.headers["content-type"]
        written = [p for p in (tmp_path / "views").rglob("*") if p.is_file()]
        assert any(p.name == "index.html" for p in written)
        for path in written:  # every file `kg view` wrote, served as written
            page = httpx.get(f"{url}/views/{path.relative_to(tmp_path / 'views').as_posix()}")
            assert page.status_code == 200 and page.content == path.read_bytes(), path
        assert_error_shape(httpx.get(f"{url}/views/no-such-page.html"), 404, "not_found")
        assert_error_shape(httpx.get(f"{url}/views/../store/CURRENT"), 404, "not_found")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
