"""One frozen, typed configuration. The CLI builds it once from flags; library functions take it as an argument."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.bases import DEFAULT_BASE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    """Ontology, shapes and queries live beside the package in a checkout, inside it in an installed wheel."""
    inside = Path(__file__).resolve().parent / "_data" / name
    return inside if inside.is_dir() else PROJECT_ROOT / name


@dataclass(frozen=True)
class Config:
    base_iri: str = DEFAULT_BASE
    max_file_bytes: int = 20 * 1024 * 1024  # a report larger than this is refused, not truncated
    batch_reports: int = 5000  # at most this many sources per bulk load into the store
    batch_bytes: int = 128 * 1024 * 1024  # and at most this much N-Quads per bulk load (fewer loads: less to compact)
    compact_after_loads: int = 4  # an ingest of this many bulk loads or more compacts the store when it is done
    source_root: Path | None = None  # source keys relative to this directory (default: absolute paths)
    ontology_dir: Path = field(default_factory=lambda: _data_dir("ontology"))
    shapes_dir: Path = field(default_factory=lambda: _data_dir("shapes"))
    queries_dir: Path = field(default_factory=lambda: _data_dir("queries"))

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if not (self.base_iri.startswith(("http://", "https://")) and self.base_iri.endswith(("/", "#"))):
            from kg.errors import KgError

            raise KgError(
                f"base IRI {self.base_iri!r} is not usable",
                hint="give an http(s) IRI ending in '/' or '#', e.g. https://example.org/govkg/",
            )
