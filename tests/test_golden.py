"""Golden graphs: each example report builds a graph isomorphic to ``tests/cases/<name>/expected.ttl``.

Regenerate after an intended change with ``KG_REGEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, to_isomorphic

from kg.config import Config
from kg.iris import Minter
from kg.namespaces import bind_prefixes
from kg.pipeline import process_source
from kg.sources import SourceDocument, read_sources

from .conftest import EXAMPLES, FIXTURES

CASES = Path(__file__).resolve().parent / "cases"
INPUTS = sorted(EXAMPLES.glob("*.txt")) + [FIXTURES / "county_report.txt", FIXTURES / "central_big5.txt"]


def _built(path: Path) -> Graph:
    (doc,) = [d for d in read_sources([path], Config().max_file_bytes) if isinstance(d, SourceDocument)]
    built = process_source(doc, Minter(Config().base_iri))
    g = Graph()
    bind_prefixes(g)
    for t in built.graph:
        g.add(t)
    for t in built.shared:
        g.add(t)
    return g


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden_graph(path: Path) -> None:
    expected_file = CASES / path.stem / "expected.ttl"
    got = _built(path)
    if os.environ.get("KG_REGEN") or not expected_file.exists():
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(got.serialize(format="turtle"), encoding="utf-8")
        if not os.environ.get("KG_REGEN"):
            pytest.fail(f"{expected_file} did not exist: written, review it and run again")
    expected = Graph().parse(expected_file, format="turtle")
    iso_got, iso_expected = to_isomorphic(got), to_isomorphic(expected)
    if iso_got != iso_expected:
        _, only_expected, only_got = graph_diff(iso_expected, iso_got)
        lines = [f"- {s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(only_expected)][:30]
        lines += [f"+ {s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(only_got)][:30]
        pytest.fail(f"{path.name}: graph differs from {expected_file}\n" + "\n".join(lines))
