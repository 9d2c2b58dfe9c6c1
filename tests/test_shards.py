"""Extraction beyond one machine: kg extract → shards → kg load, and the same map on a real Dask cluster.

Whichever way the shards are made — locally, or by ``kg.shards.extract_shard`` mapped over partitions of the files
on a Dask ``LocalCluster`` of two worker processes on loopback — loading them gives the store a local ingest gives,
byte for byte in its dumps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.main import cli
from kg.config import Config
from kg.export import export_store
from kg.pipeline import extract, ingest, load
from kg.shards import read_shard, shard_files
from kg.store import open_store

from .conftest import EXAMPLES, FIXTURES


def _dump(store: Path, out: Path) -> bytes:
    export_store(open_store(store, read_only=True), out, "nq", Config().base_iri)
    return out.read_bytes()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("local")
    ingest([EXAMPLES, FIXTURES], tmp / "store", Config())
    return _dump(tmp / "store", tmp / "local.nq")


def test_extract_then_load_is_a_local_ingest(local: bytes, tmp_path: Path) -> None:
    summary = extract([EXAMPLES, FIXTURES], tmp_path / "shards", Config(), shard_sources=4)
    assert summary.sources == 12 and len(summary.skipped) == 4  # binary, empty and two bad JSONL lines
    shards = shard_files([tmp_path / "shards"])
    assert [s.name for s in shards] == ["part-00000.nq", "part-00001.nq", "part-00002.nq"]
    assert sum(1 for s in shards for _ in read_shard(s)) == 12
    load([tmp_path / "shards"], tmp_path / "store", Config())
    assert _dump(tmp_path / "store", tmp_path / "d.nq") == local
    again = load([tmp_path / "shards"], tmp_path / "store", Config())  # loading again changes nothing
    assert again.sources == 0 and again.unchanged == 12
    assert _dump(tmp_path / "store", tmp_path / "e.nq") == local


def test_shards_are_n_quads_other_tools_read(tmp_path: Path) -> None:
    import pyoxigraph as ox
    from rdflib import Dataset

    extract([EXAMPLES], tmp_path / "shards", Config())
    (shard,) = shard_files([tmp_path / "shards"])
    quads = list(ox.parse(path=str(shard), format=ox.RdfFormat.N_QUADS))
    ds = Dataset()
    ds.parse(shard, format="nquads")
    assert len(quads) > 1000 and len(ds) == len({(q.subject, q.predicate, q.object, q.graph_name) for q in quads})


def test_cli_extract_and_load(local: bytes, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["extract", str(EXAMPLES), str(FIXTURES), "-o", str(tmp_path / "shards"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines()[0].startswith("extracted 12 sources, ")
    res = runner.invoke(cli, ["load", str(tmp_path / "shards"), "--store", str(tmp_path / "store")])
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines()[0].startswith("ingested 12 sources of 11 reports, ")
    assert _dump(tmp_path / "store", tmp_path / "d.nq") == local
    res = runner.invoke(cli, ["load", str(tmp_path / "nothing-here"), "--store", str(tmp_path / "store")])
    assert res.exit_code == 2


def test_a_dask_cluster_makes_the_same_store(local: bytes, tmp_path: Path) -> None:
    """The README's recipe on a real cluster: two worker processes on loopback, a plain map over file partitions."""
    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    from kg.shards import extract_shard
    from kg.sources import iter_paths

    files = [str(p) for p in iter_paths([EXAMPLES, FIXTURES])]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        assert len(client.scheduler_info()["workers"]) == 2
        results = db.from_sequence(files, npartitions=4).map_partitions(extract_shard, out=str(tmp_path / "shards"))
        written = results.compute()
    assert sum(r.sources for r in written) == 12
    assert sorted(p for r in written for p, _ in r.skipped) == sorted(
        [str(FIXTURES / "binary.txt"), str(FIXTURES / "empty.txt"), f"{FIXTURES / 'records.jsonl'}:2",
         f"{FIXTURES / 'records.jsonl'}:3"]
    )  # fmt: skip
    load([tmp_path / "shards"], tmp_path / "store", Config())
    assert _dump(tmp_path / "store", tmp_path / "d.nq") == local
