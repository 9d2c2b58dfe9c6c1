"""SHACL validation (pyshacl on rdflib graphs) and cross-entity rules (SPARQL over the store).

Validation returns a value and never mutates its input. Cross-entity rules (``queries/rules/*.rq``, each returning
``?focus ?message``) run as one Oxigraph query each and are reported in the same result shape as SHACL results.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kg.config import Config
from kg.namespaces import bind_prefixes


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str  # zh / en messages joined
    severity: str
    source: str  # the shape or rule that found it
    value: str = ""


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    def report_graph(self) -> Graph:
        """The result as a SHACL validation report graph."""
        g = Graph()
        bind_prefixes(g)
        g.bind("sh", SH)
        report = URIRef("urn:govkg:validation-report")
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for i, v in enumerate(sorted(self.violations, key=lambda v: (v.focus, v.path, v.message))):
            r = URIRef(f"urn:govkg:validation-result:{i}")
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.focusNode, URIRef(v.focus) if v.focus.startswith("http") else Literal(v.focus)))
            if v.path:
                g.add((r, SH.resultPath, URIRef(v.path)))
            for part in v.message.split(" / "):
                g.add((r, SH.resultMessage, Literal(part)))
            g.add((r, SH.resultSeverity, SH[v.severity]))
            g.add((r, SH.sourceShape, URIRef(v.source) if v.source.startswith("http") else Literal(v.source)))
            if v.value:
                g.add((r, SH.value, Literal(v.value)))
        return g


@lru_cache(maxsize=4)
def load_shapes(shapes_dir: Path) -> Graph:
    g = Graph()
    for p in sorted(Path(shapes_dir).glob("*.ttl")):
        g.parse(p, format="turtle")
    return g


@lru_cache(maxsize=4)
def load_vocabularies(ontology_dir: Path) -> Graph:
    g = Graph()
    for p in sorted(Path(ontology_dir).glob("*.ttl")):
        g.parse(p, format="turtle")
    return g


def validate_graph(data: Graph, config: Config, *, inplace: bool = False) -> ValidationResult:
    """SHACL-validate ``data`` against ``shapes/*.ttl``, with the vocabularies visible.

    ``data`` is not changed unless ``inplace`` is set: then pyshacl mixes the vocabularies into it instead of
    copying it first (for a caller's own temporary graph, as ingest's batches are).
    """
    from pyshacl import validate

    conforms, report, _ = validate(
        data,
        shacl_graph=load_shapes(config.shapes_dir),
        ont_graph=load_vocabularies(config.ontology_dir),
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        inplace=inplace,
    )
    return ValidationResult(bool(conforms), list(_violations(report)))


def _violations(report: Graph) -> Iterator[Violation]:
    for r in report.subjects(RDF.type, SH.ValidationResult):
        msgs = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        yield Violation(
            focus=str(report.value(r, SH.focusNode)),
            path=str(report.value(r, SH.resultPath) or ""),
            message=" / ".join(msgs),
            severity=str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            source=str(report.value(r, SH.sourceShape)),
            value=str(report.value(r, SH.value) or ""),
        )


def run_rules(store: ox.Store, config: Config) -> list[Violation]:
    """Cross-entity rules: one Oxigraph query per ``queries/rules/*.rq`` (columns ?focus ?message [?value])."""
    from kg.queries import list_queries, run_select

    out: list[Violation] = []
    rules_dir = config.queries_dir / "rules"
    if not rules_dir.is_dir():
        return out
    for q in list_queries(rules_dir):
        table = run_select(store, q)
        for row in table.rows:
            rec = dict(zip(table.columns, row, strict=True))
            out.append(
                Violation(
                    focus=rec.get("focus", ""),
                    path=rec.get("path", ""),
                    message=rec.get("message", q.title),
                    severity=rec.get("severity") or "Warning",
                    source=f"rule:{q.name}",
                    value=rec.get("value", ""),
                )
            )
    return out


def validate_store(store: ox.Store, config: Config, batch_graphs: int = 200) -> ValidationResult:
    """Validate every named graph of the store (SHACL, in batches of graphs) and run the cross-entity rules."""
    from kg.store import export_graph, graph_names

    violations: list[Violation] = []
    names = graph_names(store)
    for i in range(0, len(names), batch_graphs):
        batch = Graph()
        for name in names[i : i + batch_graphs]:
            for t in export_graph(store, name):
                batch.add(t)
        violations += validate_graph(batch, config).violations
    violations += run_rules(store, config)
    conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationResult(conforms, violations)
