"""Turtle and TriG dumps people can read: no escaped local names (``id:org\\/320700\\/\\%E8…``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from kg.config import Config
from kg.export import dump_prefixes, export_store, write_description
from kg.namespaces import prefix_candidates
from kg.store import open_store

_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _outside_literals(text: str) -> str:
    return _LITERAL.sub('""', text)


@pytest.mark.parametrize("fmt", ["ttl", "trig"])
def test_dumps_write_no_escaped_local_names(fmt: str, example_store: Path, config: Config, tmp_path: Path) -> None:
    out = tmp_path / f"d.{fmt}"
    store = open_store(example_store, read_only=True)
    n = export_store(store, out, fmt, config.base_iri)
    described = write_description(store, out, fmt, config.base_iri)
    for path in (out, described):
        text = path.read_text(encoding="utf-8")
        assert "\\" not in _outside_literals(text), path.name
    text = out.read_text(encoding="utf-8")
    declared = dict(re.findall(r"^@prefix ([\w-]*): <([^>]+)> \.$", text, flags=re.M))
    assert declared["region"] == config.base_iri + "region/" and "region:320700" in text
    assert declared["level"].endswith("/vocab/level/") and "level:county" in text
    assert "id" not in declared  # the data's hierarchical IRIs are written whole instead
    assert "<https://w3id.org/govkg/id/org/320700/government>" in text
    if fmt == "ttl":
        assert len(Graph().parse(out, format="turtle")) == n
    else:
        assert sum(len(g) for g in Dataset().parse(out, format="trig").graphs()) >= n


@pytest.mark.skipif(shutil.which("rapper") is None, reason="raptor2-utils (rapper) is not installed")
def test_rapper_reads_the_dump_as_written(example_store: Path, config: Config, tmp_path: Path) -> None:
    out = tmp_path / "d.ttl"
    n = export_store(open_store(example_store, read_only=True), out, "ttl", config.base_iri)
    run = subprocess.run(["rapper", "-i", "turtle", "-c", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and f"returned {n} triples" in run.stderr


def test_a_prefix_is_left_out_when_one_of_its_names_would_need_an_escape() -> None:
    base = "https://example.org/id/"
    flat = [base + "region/320700", base + "graph/regions", base + "source/0123abcd"]
    assert set(dump_prefixes(base, flat)) == set(prefix_candidates(base))  # nothing needs an escape
    chosen = dump_prefixes(base, [*flat, base + "org/320700/government", base + "region/3207%20x"])
    assert "id" not in chosen and "region" not in chosen  # org/…/… and a % under region: written whole
    assert chosen["graph"] == base + "graph/" and chosen["source"] == base + "source/"
    # a name ending in "." may not be a local name either
    assert "graph" not in dump_prefixes(base, [base + "graph/a."])
