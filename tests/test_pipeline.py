"""Ingest → store → export: re-ingest never duplicates, dumps are deterministic and parse, every quote is exact."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph

from kg.config import Config
from kg.export import export_store
from kg.pipeline import ingest
from kg.sources import read_sources
from kg.store import count_quads, open_store

from .conftest import EXAMPLES, FIXTURES


def test_summary_lists_each_skipped_file(example_store: Path, config: Config, tmp_path: Path) -> None:
    summary = ingest([FIXTURES], tmp_path / "s", config)
    skipped = {Path(s.path).name: s.reason for s in summary.skipped}
    assert skipped == {
        "binary.txt": "binary data, not text",
        "empty.txt": "empty file",
        "records.jsonl:2": skipped["records.jsonl:2"],
        "records.jsonl:3": "a record must be a JSON object {url, text|html, fetched}",
    }
    assert summary.sources == 7 and summary.reports == 6 and summary.quads > 0  # two of the files are one report


def test_reingest_replaces_graphs(store_copy: Path, config: Config) -> None:
    before = count_quads(open_store(store_copy, read_only=True))
    ingest([EXAMPLES], store_copy, config)
    assert count_quads(open_store(store_copy, read_only=True)) == before


def _dump(store: Path, fmt: str, out: Path, config: Config) -> bytes:
    export_store(open_store(store, read_only=True), out, fmt, config.base_iri)
    return out.read_bytes()


def test_dumps_are_byte_identical_whatever_the_order(tmp_path: Path, config: Config) -> None:
    files = sorted(EXAMPLES.glob("*.txt"))
    a, b = tmp_path / "a", tmp_path / "b"
    for f in files:
        ingest([f], a, config)
    for f in reversed(files):
        ingest([f], b, config)
    for fmt in ("ttl", "trig", "nq"):
        assert _dump(a, fmt, tmp_path / f"a.{fmt}", config) == _dump(b, fmt, tmp_path / f"b.{fmt}", config)


def test_dumps_round_trip(example_store: Path, config: Config, tmp_path: Path) -> None:
    store = open_store(example_store, read_only=True)
    _dump(example_store, "trig", tmp_path / "d.trig", config)
    ds = Dataset()
    ds.parse(tmp_path / "d.trig", format="trig")
    assert len(list(ds.quads((None, None, None, None)))) == count_quads(store)
    _dump(example_store, "ttl", tmp_path / "d.ttl", config)
    g = Graph().parse(tmp_path / "d.ttl", format="turtle")
    assert len(g) == len({(q.subject, q.predicate, q.object) for q in store})


@pytest.mark.skipif(shutil.which("rapper") is None, reason="raptor2-utils (rapper) is not installed")
def test_turtle_dump_parses_with_rapper(example_store: Path, config: Config, tmp_path: Path) -> None:
    _dump(example_store, "ttl", tmp_path / "d.ttl", config)
    run = subprocess.run(["rapper", "-i", "turtle", "-c", str(tmp_path / "d.ttl")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "returned" in run.stderr and "triples" in run.stderr


def test_every_stored_quote_is_the_original_text_at_its_offsets(example_store: Path, config: Config) -> None:
    from kg.iris import Minter

    minter = Minter(config.base_iri)
    originals = {
        str(minter.source(d.source_id)): d.text
        for d in read_sources([EXAMPLES, FIXTURES], config.max_file_bytes)
        if hasattr(d, "text")
    }
    store = open_store(example_store, read_only=True)
    rows = list(
        store.query(
            """PREFIX gk: <https://w3id.org/govkg/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#>
           SELECT ?src ?start ?end ?exact ?prefix ?suffix WHERE {
             ?m a gk:Mention ; gk:fromSource ?src ; oa:start ?start ; oa:end ?end ; oa:exact ?exact ;
                oa:prefix ?prefix ; oa:suffix ?suffix }""",
            use_default_graph_as_union=True,
        )
    )
    assert len(rows) > 200
    for r in rows:
        text = originals[r["src"].value]
        start, end = int(r["start"].value), int(r["end"].value)
        assert text[start:end] == r["exact"].value
        assert text[:start].endswith(r["prefix"].value) and text[end:].startswith(r["suffix"].value)


def test_every_fact_has_a_mention(example_store: Path) -> None:
    store = open_store(example_store, read_only=True)
    missing = list(
        store.query(
            """PREFIX gk: <https://w3id.org/govkg/ontology#> PREFIX qb: <http://purl.org/linked-data/cube#>
           SELECT ?f WHERE { { ?f a gk:Citation } UNION { ?f a gk:Platform } UNION { ?f a qb:Observation }
                             UNION { ?r gk:agency ?f } FILTER NOT EXISTS { ?f gk:mention ?m } }""",
            use_default_graph_as_union=True,
        )
    )
    assert missing == []


def test_stored_graphs_conform(example_store: Path, config: Config) -> None:
    from kg.validate import validate_store

    result = validate_store(open_store(example_store, read_only=True), config)
    assert result.conforms, [v for v in result.violations if v.severity == "Violation"][:5]


def test_one_named_graph_per_source(example_store: Path, config: Config) -> None:
    """A graph per source, one per report (the county report has two copies), per cited document's summary."""
    store = open_store(example_store, read_only=True)
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    base = config.base_iri + "graph/"
    assert len({g for g in graphs if g.startswith(base + "source/")}) == 12
    assert len({g for g in graphs if g.startswith(base + "report/")}) == 11
    assert {g[len(base) :] for g in graphs if g.count("/") == base.count("/")} == {
        "agencies", "documents", "initiatives", "regions", "vocabularies",
    }  # fmt: skip


