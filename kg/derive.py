"""What a report says across its copies: its graph (``graph/report/…``) derived from the graphs of its sources.

A report scraped from several sites is one report with several copies. Each copy keeps its own graph (its spans
point into its own text); the report's graph holds what the copies say together, once:

- the report's identity (region, body, level, year; the title most copies print, the earliest publication date);
- the union of what the copies cite (``gk:cites``), name as initiatives, mention as agencies and use as platforms;
- one RDF Data Cube observation per indicator, when every copy that prints the figure prints the same one. Copies
  that contradict each other give no observation but a ``gk:CopyConflict`` naming the readings, which
  ``kg validate`` reports: a wrong figure is worse than none.

The report graph is a function of the set of its copies only, so it is the same whatever order they came in, and
it is rebuilt whenever a copy is added, replaced or removed. :func:`summarize_copy` reads what the derivation needs
from a source graph's quads — the same function on the quads a worker has just built and on quads read back from
the store, so the two can never disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.build import Term, lit
from kg.cube import STATISTICS
from kg.iris import Minter
from kg.namespaces import X

# the report's identity as a copy prints it: predicate on the source → the same predicate on the report
IDENTITY = (
    X.gk.reportingRegion, X.gk.reportingBody, X.gk.level, X.gk.bodyKind, X.gk.yearCovered, X.dcterms.title,
    X.dcterms.issued, X.gk.indexNumber, X.gk.reportNumber,
)  # fmt: skip
_AGREED = {X.gk.indexNumber, X.gk.reportNumber}  # kept only when every copy that prints one prints the same
# the predicates summarize_copy reads: a graph read back from the store for it needs only their quads (at 100k
# reports, 76 of a source graph's 327 quads, read in 7 ms against 15 ms for all)
SUMMARY_PREDICATES = (
    X.gk.source, X.gk.citedDocument, X.gk.citedTitle, X.gk.initiative, X.gk.agency, X.gk.platformType,
    X.gk.reading, *IDENTITY, X.gk.indicator, X.gk.value, X.gk.approximate, X.gk.mention,
)  # fmt: skip


@dataclass(frozen=True)
class Reading:
    node: ox.NamedNode
    indicator: ox.NamedNode
    value: ox.Literal
    approximate: ox.Literal
    mention: ox.NamedNode | None


@dataclass(frozen=True)
class CopySummary:
    """What the report derivation needs from one source graph."""

    source: ox.NamedNode
    graph: ox.NamedNode
    report: ox.NamedNode
    identity: tuple[tuple[ox.NamedNode, Term], ...]
    cites: frozenset[ox.NamedNode]
    initiatives: frozenset[ox.NamedNode]
    agencies: frozenset[ox.NamedNode]
    platform_types: frozenset[ox.NamedNode]
    readings: tuple[Reading, ...]
    titles: tuple[tuple[ox.NamedNode, str, int], ...] = ()  # (document, a title it is cited by, citations printing it)

    def referenced(self) -> frozenset[ox.NamedNode]:
        """The shared entities this copy points to (checked when it goes away, see :mod:`kg.ledger`)."""
        ids = {o for _, o in self.identity if isinstance(o, ox.NamedNode)}
        return frozenset(ids | self.cites | self.initiatives | self.agencies)


def summarize_copy(quads: Iterable[ox.Quad], graph: ox.NamedNode) -> CopySummary | None:
    """The summary of the source graph ``graph`` among ``quads`` (other graphs' quads are ignored); only the quads
    of :data:`SUMMARY_PREDICATES` count."""
    p_source, p_doc, p_init, p_agency, p_ptype = (
        X.gk.source, X.gk.citedDocument, X.gk.initiative, X.gk.agency, X.gk.platformType
    )  # fmt: skip
    p_ind, p_val, p_approx, p_mention, p_reading, p_title = (
        X.gk.indicator, X.gk.value, X.gk.approximate, X.gk.mention, X.gk.reading, X.gk.citedTitle
    )  # fmt: skip
    identity_props = set(IDENTITY)
    report = source = None
    by_subject: dict[object, list[tuple[ox.NamedNode, Term]]] = defaultdict(list)
    cites: set[ox.NamedNode] = set()
    initiatives: set[ox.NamedNode] = set()
    agencies: set[ox.NamedNode] = set()
    ptypes: set[ox.NamedNode] = set()
    reading_nodes: set[ox.NamedNode] = set()
    cited_as: dict[object, tuple[list[ox.NamedNode], list[str]]] = defaultdict(lambda: ([], []))
    for q in quads:
        if q.graph_name != graph:
            continue
        p, o = q.predicate, q.object
        if p == p_source:
            report, source = q.subject, o
        elif p == p_doc:
            cites.add(o)  # type: ignore[arg-type]
            cited_as[q.subject][0].append(o)  # type: ignore[arg-type]
        elif p == p_title and isinstance(o, ox.Literal):
            cited_as[q.subject][1].append(o.value)
        elif p == p_init:
            initiatives.add(o)  # type: ignore[arg-type]
        elif p == p_agency:
            agencies.add(o)  # type: ignore[arg-type]
        elif p == p_ptype:
            ptypes.add(o)  # type: ignore[arg-type]
        elif p == p_reading:
            reading_nodes.add(o)  # type: ignore[arg-type]
        if p in identity_props or p in (p_ind, p_val, p_approx, p_mention):
            by_subject[q.subject].append((p, o))  # type: ignore[arg-type]
    if report is None or not isinstance(source, ox.NamedNode) or not isinstance(report, ox.NamedNode):
        return None
    identity = tuple(sorted(((p, o) for p, o in by_subject.get(source, []) if p in identity_props), key=str))
    readings = []
    for node in sorted(reading_nodes, key=str):
        props = dict(by_subject.get(node, []))
        mention = props.get(p_mention)
        readings.append(
            Reading(node, props[p_ind], props[p_val], props[p_approx],  # type: ignore[arg-type]
                    mention if isinstance(mention, ox.NamedNode) else None)
        )  # fmt: skip
    titles = Counter((d, t) for docs, ts in cited_as.values() for d in docs for t in ts)
    return CopySummary(
        source, graph, report, identity, frozenset(cites), frozenset(initiatives), frozenset(agencies),
        frozenset(ptypes), tuple(readings),
        tuple(sorted(((d, t, n) for (d, t), n in titles.items()), key=lambda r: (r[0].value, r[1]))),
    )  # fmt: skip


def _choice(values: list[Term], earliest: bool = False) -> Term:
    """The value most copies print (ties: the smallest), or the smallest (an earliest date) when ``earliest``."""
    if earliest:
        return min(values, key=lambda v: v.value)
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v.value))


def _identities(copies: list[CopySummary]) -> dict[ox.NamedNode, list[Term]]:
    """Each identity property's values, over the copies (one per copy that prints it)."""
    values: dict[ox.NamedNode, list[Term]] = defaultdict(list)
    for c in copies:
        for p, o in c.identity:
            values[p].append(o)
    return values


CitingRow = tuple[str, str | None, int | None]  # a document a report cites: (document, the report's region, its year)


def citing_rows(copies: list[CopySummary]) -> list[CitingRow]:
    """What the report graph :func:`derive_report` writes from ``copies`` says for the citation summaries: each
    document it cites (``gk:cites``), with the region and year it keeps (:mod:`kg.summary` counts these)."""
    if not copies:
        return []
    values = _identities(copies)
    region = _choice(values[X.gk.reportingRegion]) if values.get(X.gk.reportingRegion) else None
    year = _choice(values[X.gk.yearCovered]) if values.get(X.gk.yearCovered) else None
    y = int(year.value[:4]) if year is not None and year.value[:4].isdigit() else None
    docs = sorted({d.value for c in copies for d in c.cites})
    return [(d, region.value if isinstance(region, ox.NamedNode) else None, y) for d in docs]


def derive_report(minter: Minter[ox.NamedNode], report: ox.NamedNode, copies: list[CopySummary]) -> list[ox.Quad]:
    """The report's graph from its copies (empty when it has none left)."""
    if not copies:
        return []
    g = minter.report_graph(report.value)
    out: list[ox.Quad] = []
    add = lambda s, p, o: out.append(ox.Quad(s, p, o, g))  # noqa: E731
    copies = sorted(copies, key=lambda c: c.source.value)
    add(report, X.rdf.type, X.gk.AnnualReport)
    add(report, X.gk.copies, lit(len(copies)))
    values = _identities(copies)
    for p in IDENTITY:
        vals = values.get(p)
        if not vals:
            continue
        if p in _AGREED and len(set(vals)) > 1:
            node = minter.conflict(report.value, p.value.rsplit("#", 1)[-1])
            add(node, X.rdf.type, X.gk.CopyConflict)
            add(node, X.gk.report, report)
            add(node, X.gk.property, p)
            for v in sorted(set(vals), key=lambda v: v.value):
                add(node, X.gk.conflictingValue, v)
            continue
        add(report, p, _choice(vals, earliest=p == X.dcterms.issued))
    for p, nodes in (
        (X.gk.cites, set().union(*(c.cites for c in copies))),
        (X.gk.initiative, set().union(*(c.initiatives for c in copies))),
        (X.gk.agency, set().union(*(c.agencies for c in copies))),
        (X.gk.platformType, set().union(*(c.platform_types for c in copies))),
    ):
        for n in sorted(nodes, key=str):
            add(report, p, n)
    _observations(minter, report, copies, values, add)
    return out


def _observations(minter, report, copies, identity, add) -> None:  # type: ignore[no-untyped-def]
    """The report's figures as observations of the statistics data set (its structure: ``ontology/cube.ttl``).

    An observation's dimensions identify it: the region, year and level the report is for, the report itself (a
    region has several reporting bodies in a year) and the indicator — each value the one the report's graph keeps.
    Every dimension is required (IC-11), so a report whose region or year is unknown has no place in the cube: its
    figures stay readings of its copies (``gk:Reading`` in the source graphs) until it is attributed. Copies that
    disagree on a figure give a ``gk:CopyConflict`` instead, attributed or not.
    """
    readings: dict[ox.NamedNode, list[Reading]] = defaultdict(list)
    for c in copies:
        for r in c.readings:
            readings[r.indicator].append(r)
    dims = [(X.sdmx.refArea, X.gk.reportingRegion), (X.sdmx.refPeriod, X.gk.yearCovered), (X.gk.level, X.gk.level)]
    keys = [(dim, _choice(identity[p])) for dim, p in dims if identity.get(p)]
    placed = len(keys) == len(dims)
    dataset = minter.dataset(STATISTICS)
    for indicator in sorted(readings, key=str):
        rs = readings[indicator]
        notation = indicator.value.rsplit("/", 1)[-1]
        if len({(r.value, r.approximate) for r in rs}) > 1:
            node = minter.conflict(report.value, notation)
            add(node, X.rdf.type, X.gk.CopyConflict)
            add(node, X.gk.report, report)
            add(node, X.gk.indicator, indicator)
            for r in rs:
                add(node, X.gk.reading, r.node)
            continue
        if not placed:
            continue
        obs = minter.observation(report.value, notation)
        add(obs, X.rdf.type, X.qb.Observation)
        add(obs, X.qb.dataSet, dataset)
        for dim, value in keys:
            add(obs, dim, value)
        add(obs, X.gk.report, report)
        add(obs, X.gk.indicator, indicator)
        add(obs, X.gk.value, rs[0].value)
        add(obs, X.gk.approximate, rs[0].approximate)
        for r in rs:
            add(obs, X.gk.reading, r.node)
            if r.mention is not None:
                add(obs, X.gk.mention, r.mention)
