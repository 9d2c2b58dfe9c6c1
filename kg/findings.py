"""What validation finds: violations in the shape of SHACL results, and the shapes and vocabularies it reads.

Shared by the reference validator (pyshacl, :mod:`kg.validate`) and the fast checker (:mod:`kg.shacl`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

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
