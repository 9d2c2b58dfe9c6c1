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
from kg.sources import SourceDocument, read_sources
from kg.worker import process_source

from .conftest import EXAMPLES, FIXTURES, ROOT

CASES = Path(__file__).resolve().parent / "cases"
INPUTS = sorted(EXAMPLES.glob("*.txt")) + [FIXTURES / "county_report.txt", FIXTURES / "central_big5.txt"]


def _built(path: Path) -> Graph:
    """The source's graph, the shared descriptions it writes and its report's graph (as the only copy), as one graph.

    Sources are keyed by their path under the repository (``--root``), so the IRIs are the same on any checkout.
    """
    import pyoxigraph as ox

    from kg.derive import derive_report, summarize_copy
    from kg.terms import from_ox

    config = Config(source_root=ROOT)
    (doc,) = [d for d in read_sources([path], config.max_file_bytes, ROOT) if isinstance(d, SourceDocument)]
    minter = Minter(config.base_iri, ox.NamedNode)
    built = process_source(doc, minter)
    summary = summarize_copy(built.quads, built.graph)
    assert summary is not None
    g = Graph()
    bind_prefixes(g)
    for q in [*built.quads, *derive_report(minter, built.report, [summary])]:
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g


def _turtle(g: Graph) -> bytes:
    """Sorted Turtle written by pyoxigraph, which keeps each literal's lexical form ("53"^^xsd:decimal stays 53)."""
    import pyoxigraph as ox

    from kg.export import dump_prefixes
    from kg.terms import to_ox

    triples = sorted((ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in g), key=str)  # type: ignore[arg-type]
    names = {str(t) for triple in g for t in triple}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dump_prefixes(Config().base_iri, names))


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden_graph(path: Path) -> None:
    expected_file = CASES / path.stem / "expected.ttl"
    got = _built(path)
    if os.environ.get("KG_REGEN") or not expected_file.exists():
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_bytes(_turtle(got))
        if not os.environ.get("KG_REGEN"):
            pytest.fail(f"{expected_file} did not exist: written, review it and run again")
    expected = Graph().parse(expected_file, format="turtle")
    iso_got, iso_expected = to_isomorphic(got), to_isomorphic(expected)
    if iso_got != iso_expected:
        _, only_expected, only_got = graph_diff(iso_expected, iso_got)
        lines = [f"- {s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(only_expected)][:30]
        lines += [f"+ {s.n3()} {p.n3()} {o.n3()}" for s, p, o in sorted(only_got)][:30]
        pytest.fail(f"{path.name}: graph differs from {expected_file}\n" + "\n".join(lines))
