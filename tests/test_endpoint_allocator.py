"""The allocator of the engine behind `kg serve`: jemalloc when installed, and memory a query freed goes back to the
system. Real Oxigraph processes; their memory is read from /proc."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from kg.namespaces import GK
from kg.serve import Endpoint, ServeSettings
from kg.serve.allocator import DECAY, Allocator, find_jemalloc
from kg.serve.errors import ServeError
from tests.endpoint_support import build_store

# every triple against every report, made distinct: about 540,000 rows held in a hash set (some 120 MB), then freed
HUNGRY = f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?a ?c ?d WHERE {{ ?a ?b ?c . ?d a <{GK.AnnualReport}> }} }}"
PAGE = os.sysconf("SC_PAGE_SIZE")
needs_jemalloc = pytest.mark.skipif(find_jemalloc() is None, reason="jemalloc is not installed (apt install libjemalloc2)")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("allocator")
    build_store(root / "store", counties=150)
    return root


def _endpoint(root: Path, allocator: str) -> Endpoint:
    settings = ServeSettings(
        port=0, engine_allocator=allocator, cache_bytes=0, snapshots_dir=root / "snapshots", access_log=False
    )
    endpoint = Endpoint(root / "store", settings).open()
    endpoint.start()
    return endpoint


def _engine(endpoint: Endpoint) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{endpoint.url}/status", timeout=10).json()["engine"]


def _rss(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_auto_takes_jemalloc_exactly_when_it_is_installed_and_the_engine_has_it_loaded(root: Path) -> None:
    endpoint = _endpoint(root, "auto")
    try:
        engine = _engine(endpoint)
        maps = Path(f"/proc/{engine['pid']}/maps").read_text()
        if find_jemalloc() is None:
            assert engine["allocator"] == "system" and "jemalloc" not in maps
        else:
            assert engine["allocator"] == "jemalloc" and "libjemalloc" in maps
            assert _environ(engine["pid"])["MALLOC_CONF"] == DECAY
    finally:
        endpoint.close()


def test_system_leaves_the_engine_on_the_c_library_malloc(root: Path) -> None:
    endpoint = _endpoint(root, "system")
    try:
        engine = _engine(endpoint)
        assert engine["allocator"] == "system"
        assert "jemalloc" not in Path(f"/proc/{engine['pid']}/maps").read_text()
        assert "LD_PRELOAD" not in _environ(engine["pid"]) or "jemalloc" not in _environ(engine["pid"])["LD_PRELOAD"]
    finally:
        endpoint.close()


@needs_jemalloc
def test_memory_a_query_freed_goes_back_to_the_system_within_seconds(root: Path) -> None:
    endpoint = _endpoint(root, "jemalloc")
    try:
        pid = _engine(endpoint)["pid"]
        before, peak, stop = _rss(pid), [0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss(pid))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            answer = httpx.post(f"{endpoint.url}/sparql", data={"query": HUNGRY}, timeout=60)
        finally:
            stop.set()
            sampler.join()
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 500_000
        grown = peak[0] - before
        assert grown > 60 * 2**20, f"the query should have needed memory: {grown / 2**20:.0f} MB"
        deadline = time.monotonic() + 10
        while _rss(pid) > before + grown / 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = _rss(pid)
        assert after <= before + grown / 4, (
            f"the engine kept {(after - before) / 2**20:.0f} of {grown / 2**20:.0f} MB for 10 s after the query"
        )
    finally:
        endpoint.close()


def test_asking_for_jemalloc_where_it_is_missing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kg.serve.allocator.find_jemalloc", lambda: None)
    with pytest.raises(ServeError) as caught:
        Allocator.resolve("jemalloc")
    assert "not installed" in caught.value.message and "libjemalloc2" in (caught.value.hint or "")
    assert Allocator.resolve("auto").name == "system" and Allocator.resolve("auto").env == {}


def test_an_operators_own_preload_and_jemalloc_settings_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kg.serve.allocator.find_jemalloc", lambda: "libjemalloc.so.2")
    mine = Allocator.resolve("auto", {"LD_PRELOAD": "libmine.so", "MALLOC_CONF": "narenas:2"})
    assert mine.env == {"LD_PRELOAD": "libjemalloc.so.2 libmine.so", "MALLOC_CONF": "narenas:2"}
    assert Allocator.resolve("auto", {}).env == {"LD_PRELOAD": "libjemalloc.so.2", "MALLOC_CONF": DECAY}


def test_off_linux_auto_keeps_malloc_and_jemalloc_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kg.serve.allocator.find_jemalloc", lambda: "libjemalloc.2.dylib")
    monkeypatch.setattr("kg.serve.allocator.sys.platform", "darwin")
    assert Allocator.resolve("auto") == Allocator("system")
    with pytest.raises(ServeError, match="Linux only"):
        Allocator.resolve("jemalloc")


def test_an_unknown_allocator_is_refused_before_anything_starts() -> None:
    with pytest.raises(ServeError, match="--engine-allocator 'tcmalloc'"):
        ServeSettings(engine_allocator="tcmalloc")


def test_a_library_the_loader_cannot_preload_leaves_the_engine_on_malloc_and_says_so(
    root: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("kg.serve.allocator.find_jemalloc", lambda: "libjemalloc-not-here.so.2")
    with caplog.at_level("WARNING", logger="kg.serve.engine"):
        endpoint = _endpoint(root, "auto")
    try:
        engine = _engine(endpoint)
        assert engine["allocator"] == "system"  # what the running process has, not what was asked
        assert "jemalloc" not in Path(f"/proc/{engine['pid']}/maps").read_text()
        assert any("was not loaded into the engine" in r.getMessage() for r in caplog.records)
        answer = httpx.post(f"{endpoint.url}/sparql", data={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
    finally:
        endpoint.close()
