"""Shared fixtures: a store built once per session from the bundled examples and the test fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.config import Config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "examples" / "reports"


@pytest.fixture(scope="session")
def config() -> Config:
    return Config()


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Path:
    """The five bundled example reports plus the fixtures, ingested once (read-only for tests)."""
    from kg.pipeline import ingest

    store = tmp_path_factory.mktemp("store") / "store"
    summary = ingest([EXAMPLES, FIXTURES], store, config)
    assert summary.sources == 12  # 5 examples, 5 fixture files, 2 JSONL records
    assert summary.reports == 11  # the GB18030 fixture is a copy of the county report
    return store


@pytest.fixture()
def store_copy(example_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(example_store, target)
    return target
