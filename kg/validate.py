"""SHACL validation (pyshacl on rdflib graphs) and cross-entity rules (SPARQL over the store).

Validation returns a value and never mutates its input. Cross-entity rules (``queries/rules/*.rq``, each returning
``?focus ?message``) run as one Oxigraph query each and are reported in the same result shape as SHACL results.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, SH

from kg.config import Config
from kg.findings import ValidationResult, Violation, load_shapes, load_vocabularies

__all__ = ["ValidationResult", "Violation", "load_shapes", "load_vocabularies", "validate_graph", "validate_store"]


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


def validate_store(store: ox.Store, config: Config, *, full: bool = False, ledger=None) -> ValidationResult:  # type: ignore[no-untyped-def]
    """Validate the store: the shapes on every graph, and the cross-entity rules (``queries/rules/*.rq``).

    Each source was checked when it was written (:func:`kg.shacl.check_at_ingest`), and the ledger keeps what the
    check found; so by default the shapes run now only on what was not checked against the current shapes (a source
    ingested with ``--no-validate``, or before the shapes changed, a graph no ingest wrote) and on the shared graphs,
    and the rules on the whole store. Work proportional to what changed, not to the store.

    With ``full``, pyshacl — the reference — validates every graph again, in batches, and every triple is checked to
    be in one graph: time and memory proportional to the store.
    """
    if full:
        violations = _reference(store, config)
        violations += _one_graph_everywhere(store)
    else:
        violations = _incremental(store, config, ledger)
    violations += run_rules(store, config)
    conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationResult(conforms, violations)


def _reference(store: ox.Store, config: Config, batch_graphs: int = 200) -> list[Violation]:
    from kg.store import graph_names
    from kg.terms import export_graph

    violations: list[Violation] = []
    names = graph_names(store)
    for i in range(0, len(names), batch_graphs):
        batch = Graph()
        for name in names[i : i + batch_graphs]:
            for t in export_graph(store, name):
                batch.add(t)
        violations += validate_graph(batch, config).violations
    return violations


def _incremental(store: ox.Store, config: Config, ledger) -> list[Violation]:  # type: ignore[no-untyped-def]
    from kg.iris import SHARED_GRAPHS, Minter
    from kg.shacl import BY_CONSTRUCTION, check_graphs, shapes_digest

    minter: Minter[ox.NamedNode] = Minter(config.base_iri, ox.NamedNode)
    found = [Violation(*row) for row in ledger.violations()] if ledger is not None else []
    known = set(ledger.graphs()) if ledger is not None else set()
    digest = shapes_digest(config)
    stale = {r.graph for r in ledger.unchecked(digest)} if ledger is not None else set()
    derived = (minter.base + "graph/report/", minter.base + "graph/summary/")
    shared = {minter.shared_graph(n).value for n in SHARED_GRAPHS} - {minter.shared_graph("vocabularies").value}
    ours, foreign = [], []
    for g in store.named_graphs():
        name = g.value if isinstance(g, ox.NamedNode) else str(g)
        if name in stale:
            ours.append(name)
        elif name in shared or (name not in known and not name.startswith(derived)):
            foreign.append(name)
    found += check_graphs(store, config, ours, skip=BY_CONSTRUCTION)
    found += check_graphs(store, config, foreign)
    return found


def _one_graph_everywhere(store: ox.Store) -> list[Violation]:
    """Every triple in one graph, checked over the whole store (bounded by the store's size in memory)."""
    query = """
    SELECT ?s ?p ?o (COUNT(?g) AS ?n) (MIN(STR(?g)) AS ?first) WHERE { GRAPH ?g { ?s ?p ?o } }
    GROUP BY ?s ?p ?o HAVING (COUNT(?g) > 1) LIMIT 1000
    """
    out = []
    for row in store.query(query):  # type: ignore[union-attr]
        out.append(
            Violation(
                focus=row["s"].value,
                path=row["p"].value,
                message="三元组只能属于一个命名图 / a triple lives in exactly one named graph",
                severity="Violation",
                source="rule:one-graph",
                value=f"{row['o']} in {row['n'].value} graphs, the first {row['first'].value}",
            )
        )
    return out
