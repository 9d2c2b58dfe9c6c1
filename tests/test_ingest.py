"""Ingest at scale: stable source identity, unchanged sources skipped, replaced graphs tidy, --jobs, kill -9."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyoxigraph as ox
import pytest

from kg.config import Config
from kg.errors import StoreError
from kg.export import export_store
from kg.ledger import LEDGER_FILE
from kg.pipeline import ingest
from kg.queries import load_query, run_select
from kg.store import open_store

from .conftest import EXAMPLES, ROOT


def corpus(out: Path, n: int) -> Path:
    """``n`` reports: the examples' texts under the titles of ``n`` counties and years (a test corpus of any size)."""
    from kg.resolve.regions import gazetteer

    seeds = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    gz = gazetteer()
    counties = [r.name for c, r in sorted(gz.current.items()) if r.level == "county" and len(gz.by_name[r.name]) == 1]
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name, year = counties[i % len(counties)], 2010 + (i // len(counties)) % 14
        text = f"{name}人民政府{year}年政府信息公开工作年度报告\n{seeds[i % len(seeds)]}"
        (out / f"r{i:05d}.txt").write_text(text, encoding="utf-8")
    return out


def _reports(store: Path) -> list[tuple[str, str]]:
    table = run_select(open_store(store, read_only=True), load_query("eval/reports", Config().queries_dir))
    return sorted((r[0], r[1]) for r in table.rows)


def _dump(store: Path, out: Path) -> bytes:
    export_store(open_store(store, read_only=True), out, "nq", Config().base_iri)
    return out.read_bytes()


def test_two_files_of_one_name_never_share_a_graph_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dup = tmp_path / "dup"
    for sub, seed in (("a", "seed-000.txt"), ("b", "seed-003.txt")):
        (dup / sub).mkdir(parents=True)
        shutil.copy(EXAMPLES / seed, dup / sub / "report.txt")
    store = tmp_path / "store"
    monkeypatch.chdir(dup)
    ingest([Path("a")], store, Config())
    monkeypatch.chdir(tmp_path)
    ingest([Path("dup/b")], store, Config())
    monkeypatch.chdir(dup / "a")
    summary = ingest([Path("..")], store, Config())  # both again, through their parent: nothing new
    assert summary.sources == 0 and summary.unchanged == 2
    assert _reports(store) == [("report.txt", "321281"), ("report.txt", "331083")]
    graphs = [g for g in open_store(store, read_only=True).named_graphs() if "/graph/source/" in g.value]
    assert len(graphs) == 2


def test_unchanged_sources_are_skipped_and_changed_ones_replace_their_graph(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted(EXAMPLES.glob("*.txt")):
        shutil.copy(p, src / p.name)
    store = tmp_path / "store"
    first = ingest([src], store, Config())
    assert first.sources == 5
    before = _dump(store, tmp_path / "a.nq")
    again = ingest([src], store, Config())
    assert (again.sources, again.unchanged) == (0, 5)
    os.utime(src / "seed-001.txt", ns=(time.time_ns(), time.time_ns()))  # touched, not changed: hashed, skipped
    touched = ingest([src], store, Config())
    assert (touched.sources, touched.unchanged) == (0, 5)
    assert _dump(store, tmp_path / "b.nq") == before
    # seed-002 now cites a document no other report cites, then no longer: the document leaves the graph again
    text = (src / "seed-002.txt").read_text(encoding="utf-8")
    (src / "seed-002.txt").write_text(text + "\n根据《某某办法》(某政发〔2011〕99号)。\n", encoding="utf-8")
    changed = ingest([src], store, Config())
    assert (changed.sources, changed.replaced) == (1, 1)
    doc = "某政发〔2011〕99号"
    assert doc in _dump(store, tmp_path / "c.nq").decode()
    (src / "seed-002.txt").write_text(text, encoding="utf-8")
    ingest([src], store, Config())
    assert _dump(store, tmp_path / "d.nq") == before  # as if the change had never been ingested


def test_replacing_graphs_does_not_grow_the_store_for_ever(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EXAMPLES / "seed-001.txt", src / "r.txt")
    store = tmp_path / "store"
    ingest([src], store, Config())
    quads = len(open_store(store, read_only=True))
    text = (src / "r.txt").read_text(encoding="utf-8")
    for i in range(20):
        (src / "r.txt").write_text(text + f"\n第{i}次更新。\n", encoding="utf-8")
        ingest([src], store, Config())
    assert len(open_store(store, read_only=True)) == quads  # each version replaced the one before, whole


def test_jobs_give_the_same_store(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in", 60)
    one = ingest([src], tmp_path / "one", Config(), jobs=1)
    two = ingest([src], tmp_path / "two", Config(), jobs=2)
    assert one.sources == two.sources == 60
    assert _dump(tmp_path / "one", tmp_path / "one.nq") == _dump(tmp_path / "two", tmp_path / "two.nq")


def test_an_ingest_of_many_loads_compacts_the_store_and_keeps_the_same_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src = corpus(tmp_path / "in", 30)
    small = Config(batch_reports=5)  # six bulk loads
    with caplog.at_level("INFO", logger="kg.pipeline"):
        ingest([src], tmp_path / "kept", small.with_(compact_after_loads=100))
        assert "compacting" not in caplog.text
        ingest([src], tmp_path / "compacted", small.with_(compact_after_loads=4))
        assert "compacting the store (6 bulk loads)" in caplog.text
    assert _dump(tmp_path / "kept", tmp_path / "kept.nq") == _dump(tmp_path / "compacted", tmp_path / "compacted.nq")


def test_a_store_of_the_earlier_layout_is_refused_with_how_to_rebuild(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "old"))
    g = ox.NamedNode("https://w3id.org/govkg/id/graph/0123456789abcdef")
    store.add(ox.Quad(ox.NamedNode("https://e.org/s"), ox.NamedNode("https://e.org/p"), ox.Literal("o"), g))
    del store
    with pytest.raises(StoreError) as err:
        ingest([EXAMPLES / "seed-000.txt"], tmp_path / "old", Config())
    assert "earlier version of govkg" in err.value.message and "rebuild it" in (err.value.hint or "")


def _ledger(store: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    """Rows of the ledger as another process sees it while an ingest writes it (none before it exists)."""
    try:
        db = sqlite3.connect(f"file:{store / LEDGER_FILE}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return db.execute(sql).fetchall()
    except sqlite3.Error:
        return []
    finally:
        db.close()


def _states(store: Path) -> dict[str, int]:
    return dict(_ledger(store, "SELECT state, COUNT(*) FROM sources GROUP BY state"))


def _ingest_until(src: Path, store: Path, done: int) -> subprocess.Popen[bytes]:
    """``kg ingest --jobs 2`` in a session of its own, once the ledger says ``done`` sources are written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "ingest", str(src), "--store", str(store), "--jobs", "2", "--batch-size", "20",
         "-q"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _states(store).get("done", 0) < done:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    return proc


def test_kill_9_during_an_ingest_leaves_whole_sources_and_a_rerun_ends_with_each_once(tmp_path: Path) -> None:
    src = corpus(tmp_path / "in", 240)
    store = tmp_path / "store"
    proc = _ingest_until(src, store, done=60)
    os.killpg(proc.pid, signal.SIGKILL)  # the ingest, its workers and their server, at once
    proc.wait()
    states = _states(store)
    assert 60 <= states.get("done", 0) < 240, states
    fresh = tmp_path / "fresh"
    assert ingest([src], fresh, Config(), jobs=1).sources == 240
    # the store opens, and each source the ledger calls done is whole: its graph as a fresh ingest has it
    killed, whole = open_store(store, read_only=True), open_store(fresh, read_only=True)
    for (graph,) in _ledger(store, "SELECT graph FROM sources WHERE state = 'done'"):
        g = ox.NamedNode(graph)
        assert set(killed.quads_for_pattern(None, None, None, g)) == set(whole.quads_for_pattern(None, None, None, g))
    del killed, whole
    rerun = ingest([src], store, Config(), jobs=2)
    assert rerun.recovered == states.get("pending", 0)
    assert _dump(store, tmp_path / "a.nq") == _dump(fresh, tmp_path / "b.nq")


def _in_session(sid: int) -> list[int]:
    """The processes of session ``sid`` still alive (zombies aside)."""
    out = []
    for p in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getsid(p.pid) == sid and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p.pid)
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="the workers watch the ingest through a Linux pidfd")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_workers_leave_when_the_ingest_is_killed_alone(tmp_path: Path, sig: signal.Signals) -> None:
    """Killing only the ingest process (not its group) ends its workers and their fork server too: they are not its
    children, and would otherwise wait for ever to hand over a result."""
    src = corpus(tmp_path / "in", 240)
    store = tmp_path / "store"
    proc = _ingest_until(src, store, done=20)
    assert len(_in_session(proc.pid)) >= 3  # the ingest, the fork server, two workers
    proc.send_signal(sig)
    proc.wait()
    deadline = time.monotonic() + 10
    while _in_session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _in_session(proc.pid) == []
