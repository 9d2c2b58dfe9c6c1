"""The shapes (``shapes/*.ttl``) checked on pyoxigraph quads, fast enough for every source at ingest.

pyshacl is the reference validator (``kg validate --full`` runs it); it needs an rdflib graph and costs milliseconds
per report. This module reads the same shapes graph and evaluates the SHACL Core constraints the shapes use —
targets by class (with ``rdfs:subClassOf``) and by subjects-of; paths of one predicate, a sequence or an inverse;
``minCount``, ``maxCount``, ``datatype`` (with well-formed lexical forms), ``pattern``, ``in``, ``languageIn``,
``nodeKind``, ``class``, ``minInclusive``, ``minLength``, ``lessThanOrEquals`` and ``or`` — on the quads a worker
has just built. A shape using any other constraint is refused when the shapes are loaded, so no rule can be skipped
without notice. ``tests/test_shacl.py`` runs both validators on the same graphs and requires the same findings.

Some constraints hold by construction (:data:`BY_CONSTRUCTION`): :mod:`kg.build` writes them whatever the text says,
and a property test proves it against pyshacl; so does the partition of the quads into graphs (:func:`check_partition`,
run by ``kg validate``). Ingest checks only the others, the ones extraction can break.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from kg.findings import Violation

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_SUPPORTED = {
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH.pattern, SH["in"], SH.languageIn, SH.nodeKind, SH["class"],
    SH.minInclusive, SH.minLength, SH.lessThanOrEquals, SH["or"], SH.message, SH.severity, SH.name, SH.description,
    RDF.type, SH.property, SH.targetClass, SH.targetSubjectsOf, SH.flags,
}  # fmt: skip
# lexical forms of the datatypes the data uses (a literal of another datatype is only checked for its datatype IRI)
_LEXICAL = {
    str(XSD.integer): re.compile(r"[+-]?\d+"),
    str(XSD.decimal): re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    str(XSD.boolean): re.compile(r"true|false|1|0"),
    str(XSD.gYear): re.compile(r"-?\d{4,}(Z|[+-]\d\d:\d\d)?"),
    str(XSD.date): re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(Z|[+-]\d\d:\d\d)?"),
}
_NUMERIC = {str(XSD.integer), str(XSD.decimal), str(XSD.double), str(XSD.float), str(XSD.nonNegativeInteger)}
_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)

# (shape, path) pairs that kg.build satisfies whatever the text says (proved in tests/test_shacl.py)
GKS = "https://w3id.org/govkg/shapes#"
GK = "https://w3id.org/govkg/ontology#"
OA = "http://www.w3.org/ns/oa#"
BY_CONSTRUCTION: frozenset[tuple[str, str]] = frozenset(
    {
        (GKS + "MentionShape", GK + "fromSource"),
        (GKS + "MentionShape", OA + "start"),
        (GKS + "MentionShape", OA + "end"),
        (GKS + "MentionShape", OA + "prefix"),
        (GKS + "MentionShape", OA + "suffix"),
        (GKS + "CitationShape", GK + "citedDocument"),
        (GKS + "CitationShape", GK + "mention"),
        (GKS + "CitationShape", GK + "titleOnly"),
        (GKS + "PlatformShape", GK + "platformType"),
        (GKS + "PlatformShape", GK + "mention"),
        (GKS + "ReadingShape", GK + "indicator"),
        (GKS + "ReadingShape", GK + "approximate"),
        (GKS + "ReadingShape", GK + "mention"),
        (GKS + "SourceShape", GK + "fileName"),
        (GKS + "SourceShape", GK + "sha256"),
        (GKS + "SourceShape", "^" + GK + "source"),
        (GKS + "RegionShape", GK + "adcode"),
        (GKS + "RegionShape", "http://www.w3.org/2000/01/rdf-schema#label"),
        (GKS + "RegionShape", "https://schema.org/containedInPlace"),
        (GKS + "RegionShape", GK + "province"),
        (GKS + "SubProvincialRegionShape", ""),
        (GKS + "NumberedDocumentShape", "http://data.europa.eu/eli/ontology#passed_by"),
        (GKS + "NumberedDocumentShape", GK + "issuerLevel"),
        (GKS + "NumberedDocumentShape", "http://data.europa.eu/eli/ontology#date_document"),
    }
)


def _ox(term: object) -> Term:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    raise TypeError(term)


@dataclass(frozen=True)
class Step:
    predicate: ox.NamedNode
    inverse: bool = False


@dataclass
class PropertyShape:
    parent: str  # the node shape's IRI
    path: tuple[Step, ...]
    messages: str
    severity: str = "Violation"
    min_count: int | None = None
    max_count: int | None = None
    datatype: str | None = None
    pattern: re.Pattern[str] | None = None
    in_: frozenset[Term] | None = None
    language_in: tuple[str, ...] | None = None
    iri_only: bool = False
    class_: str | None = None
    min_inclusive: Decimal | None = None
    min_length: int | None = None
    less_than_or_equals: ox.NamedNode | None = None

    @property
    def path_key(self) -> str:
        """The path as written in :data:`BY_CONSTRUCTION` (``^`` marks an inverse step; steps joined by ``/``)."""
        return "/".join(("^" if s.inverse else "") + s.predicate.value for s in self.path)

    @property
    def result_path(self) -> str:
        return self.path[0].predicate.value if len(self.path) == 1 and not self.path[0].inverse else ""


@dataclass
class NodeShape:
    iri: str
    target_classes: list[str] = field(default_factory=list)
    target_subjects_of: list[ox.NamedNode] = field(default_factory=list)
    properties: list[PropertyShape] = field(default_factory=list)
    or_groups: list[list[PropertyShape]] = field(default_factory=list)  # each sh:or: conform to one of them
    messages: str = ""
    severity: str = "Violation"


class Data:
    """Indexes over a set of quads (all graphs together), for the predicates the shapes read."""

    def __init__(
        self,
        quads: Iterable[ox.Quad],
        superclasses: dict[str, set[str]],
        forward: set[str],
        inverse: set[str],
        context: Iterable[ox.Quad] = (),
    ) -> None:
        self.out: dict[Term, dict[ox.NamedNode, list[Term]]] = {}
        self.inc: dict[Term, dict[ox.NamedNode, list[Term]]] = {}
        self.instances: dict[str, set[Term]] = defaultdict(set)
        self.types: dict[str, set[Term]] = defaultdict(set)  # instances, and the typed nodes of the context
        self.subjects_of: dict[ox.NamedNode, set[Term]] = defaultdict(set)
        rdf_type = str(RDF.type)
        for q in context:  # what other graphs say of the nodes pointed to: their types only, for sh:class
            if q.predicate.value == rdf_type and isinstance(q.object, ox.NamedNode):
                for cls in superclasses.get(q.object.value, (q.object.value,)):
                    self.types[cls].add(q.subject)  # type: ignore[arg-type]
            elif q.predicate.value in inverse:
                self.inc.setdefault(q.object, {}).setdefault(q.predicate, []).append(q.subject)  # type: ignore[arg-type]
        for q in quads:
            p = q.predicate
            pv = p.value
            if pv == rdf_type:
                o = q.object
                if isinstance(o, ox.NamedNode):
                    for cls in superclasses.get(o.value, (o.value,)):
                        self.instances[cls].add(q.subject)  # type: ignore[arg-type]
                        self.types[cls].add(q.subject)  # type: ignore[arg-type]
                continue
            if pv in forward:
                s = q.subject
                self.out.setdefault(s, {}).setdefault(p, []).append(q.object)  # type: ignore[arg-type]
                self.subjects_of[p].add(s)  # type: ignore[arg-type]
            if pv in inverse:
                self.inc.setdefault(q.object, {}).setdefault(p, []).append(q.subject)  # type: ignore[arg-type]
        self.superclasses = superclasses

    def values(self, focus: Term, path: tuple[Step, ...]) -> list[Term]:
        nodes = [focus]
        for step in path:
            index = self.inc if step.inverse else self.out
            nodes = [v for n in nodes for v in index.get(n, {}).get(step.predicate, [])]
        return list(dict.fromkeys(nodes))

    def is_instance(self, node: Term, cls: str) -> bool:
        return node in self.types.get(cls, ())


class Shapes:
    def __init__(self, shapes: Graph, ontology: Graph) -> None:
        self.superclasses = _superclasses(ontology + shapes)
        nodes = sorted((n for n in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(n, URIRef)), key=str)
        self.node_shapes = [self._node_shape(n, shapes) for n in nodes]
        self._reads: dict[frozenset[tuple[str, str]], tuple[set[str], set[str]]] = {}

    def reads(self, skip: frozenset[tuple[str, str]]) -> tuple[set[str], set[str]]:
        """The predicates the constraints not in ``skip`` read, forwards and inverse (an index needs no others)."""
        if skip not in self._reads:
            forward: set[str] = set()
            inverse: set[str] = set()
            for shape in self.node_shapes:
                forward |= {p.value for p in shape.target_subjects_of}
                props = [p for p in shape.properties if (shape.iri, p.path_key) not in skip]
                if (shape.iri, "") not in skip:
                    props += [p for group in shape.or_groups for p in group]
                for prop in props:
                    for step in prop.path:
                        (inverse if step.inverse else forward).add(step.predicate.value)
                    if prop.less_than_or_equals is not None:
                        forward.add(prop.less_than_or_equals.value)
            self._reads[skip] = (forward, inverse)
        return self._reads[skip]

    def _node_shape(self, s: URIRef, g: Graph) -> NodeShape:
        shape = NodeShape(str(s), messages=_messages(g, s), severity=_severity(g, s))
        _refuse_unknown(g, s)
        shape.target_classes = [str(c) for c in g.objects(s, SH.targetClass)]
        shape.target_subjects_of = [ox.NamedNode(str(p)) for p in g.objects(s, SH.targetSubjectsOf)]
        for ps in g.objects(s, SH.property):
            shape.properties.append(self._property(ps, g, str(s), shape.severity))
        for lst in g.objects(s, SH["or"]):
            shape.or_groups.append([self._property(m, g, str(s), shape.severity) for m in Collection(g, lst)])
        return shape

    def _property(self, ps: Any, g: Graph, parent: str, severity: str) -> PropertyShape:
        _refuse_unknown(g, ps)
        prop = PropertyShape(parent, _path(g, g.value(ps, SH.path)), _messages(g, ps), _severity(g, ps, severity))
        for pred, obj in g.predicate_objects(ps):
            if pred == SH.minCount:
                prop.min_count = int(str(obj))
            elif pred == SH.maxCount:
                prop.max_count = int(str(obj))
            elif pred == SH.datatype:
                prop.datatype = str(obj)
            elif pred == SH.pattern:
                prop.pattern = re.compile(str(obj))
            elif pred == SH["in"]:
                prop.in_ = frozenset(_ox(t) for t in Collection(g, obj))
            elif pred == SH.languageIn:
                prop.language_in = tuple(str(t).lower() for t in Collection(g, obj))
            elif pred == SH.nodeKind:
                if obj != SH.IRI:
                    raise ValueError(f"sh:nodeKind {obj} is not supported (only sh:IRI)")
                prop.iri_only = True
            elif pred == SH["class"]:
                prop.class_ = str(obj)
            elif pred == SH.minInclusive:
                prop.min_inclusive = Decimal(str(obj))
            elif pred == SH.minLength:
                prop.min_length = int(str(obj))
            elif pred == SH.lessThanOrEquals:
                prop.less_than_or_equals = ox.NamedNode(str(obj))
        return prop

    # ------------------------------------------------------------------ evaluation
    def validate(self, data: Data, skip: frozenset[tuple[str, str]] = frozenset()) -> list[Violation]:
        out: list[Violation] = []
        for shape in self.node_shapes:
            if (shape.iri, "") in skip and not shape.properties:
                continue
            focus_nodes: set[Term] = set()
            for cls in shape.target_classes:
                focus_nodes |= data.instances.get(cls, set())
            for p in shape.target_subjects_of:
                focus_nodes |= data.subjects_of.get(p, set())
            props = [p for p in shape.properties if (shape.iri, p.path_key) not in skip]
            groups = shape.or_groups if (shape.iri, "") not in skip else []
            for focus in focus_nodes:
                for prop in props:
                    out += self._check(data, focus, prop)
                for group in groups:
                    if not any(not self._check(data, focus, alt) for alt in group):
                        out.append(_violation(focus, "", shape.messages, shape.severity, shape.iri, ""))
        return out

    def _check(self, data: Data, focus: Term, prop: PropertyShape) -> list[Violation]:
        values = data.values(focus, prop.path)
        bad: list[Violation] = []

        def fail(value: Term | None = None) -> None:
            shown = "" if value is None else value.value
            bad.append(_violation(focus, prop.result_path, prop.messages, prop.severity, prop.parent, shown))

        if prop.min_count is not None and len(values) < prop.min_count:
            fail()
        if prop.max_count is not None and len(values) > prop.max_count:
            fail()
        for v in values:
            if not _value_ok(data, v, prop):
                fail(v)
        if prop.less_than_or_equals is not None:
            others = data.values(focus, (Step(prop.less_than_or_equals),))
            for v in values:
                for o in others:
                    if not _compare_le(v, o):
                        fail(v)
        return bad

    def check(
        self,
        quads: Iterable[ox.Quad],
        skip: frozenset[tuple[str, str]] = frozenset(),
        context: Iterable[ox.Quad] = (),
    ) -> list[Violation]:
        """The findings on ``quads``; ``context`` (quads of other graphs) gives the types of the nodes they point to."""
        forward, inverse = self.reads(skip)
        return self.validate(Data(quads, self.superclasses, forward, inverse, context), skip)


def _value_ok(data: Data, v: Term, prop: PropertyShape) -> bool:
    if prop.datatype is not None:
        if not isinstance(v, ox.Literal) or _datatype(v) != prop.datatype or not _well_formed(v):
            return False
    if prop.iri_only and not isinstance(v, ox.NamedNode):
        return False
    if prop.pattern is not None and (isinstance(v, ox.BlankNode) or not prop.pattern.search(v.value)):
        return False
    if prop.in_ is not None and v not in prop.in_:
        return False
    if prop.language_in is not None:
        lang = v.language.lower() if isinstance(v, ox.Literal) and v.language else ""
        if not any(lang == t or lang.startswith(t + "-") for t in prop.language_in):
            return False
    if prop.class_ is not None and not data.is_instance(v, prop.class_):
        return False
    if prop.min_inclusive is not None:
        n = _number(v)
        if n is None or n < prop.min_inclusive:
            return False
    if prop.min_length is not None and (isinstance(v, ox.BlankNode) or len(v.value) < prop.min_length):
        return False
    return True


def _datatype(v: ox.Literal) -> str:
    return _LANG_STRING if v.language else v.datatype.value


def _well_formed(v: ox.Literal) -> bool:
    pattern = _LEXICAL.get(_datatype(v))
    return pattern is None or pattern.fullmatch(v.value) is not None


def _number(v: Term) -> Decimal | None:
    if not isinstance(v, ox.Literal) or _datatype(v) not in _NUMERIC or not _well_formed(v):
        return None
    try:
        return Decimal(v.value)
    except InvalidOperation:
        return None


def _compare_le(a: Term, b: Term) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na <= nb
    if isinstance(a, ox.Literal) and isinstance(b, ox.Literal) and _datatype(a) == _datatype(b) == _STRING:
        return a.value <= b.value
    return False


def _violation(focus: Term, path: str, messages: str, severity: str, source: str, value: str) -> Violation:
    return Violation(focus=focus.value, path=path, message=messages, severity=severity, source=source, value=value)


def _messages(g: Graph, node: object) -> str:
    return " / ".join(sorted(str(m) for m in g.objects(node, SH.message)))  # type: ignore[arg-type]


def _severity(g: Graph, node: Any, default: str = "Violation") -> str:
    sev = g.value(node, SH.severity)
    return str(sev).rsplit("#", 1)[-1] if sev is not None else default


def _refuse_unknown(g: Graph, node: object) -> None:
    for pred in g.predicates(node):  # type: ignore[arg-type]
        if pred not in _SUPPORTED:
            raise ValueError(f"shape {node}: {pred} is not supported by kg.shacl; extend it or use pyshacl")


def _path(g: Graph, node: Any) -> tuple[Step, ...]:
    if isinstance(node, URIRef):
        return (Step(ox.NamedNode(str(node))),)
    inverse = g.value(node, SH.inversePath)
    if isinstance(inverse, URIRef):
        return (Step(ox.NamedNode(str(inverse)), inverse=True),)
    if (node, RDF.first, None) in g:
        return tuple(s for member in Collection(g, node) for s in _path(g, member))  # type: ignore[arg-type]
    raise ValueError(f"sh:path {node} is not supported by kg.shacl (a predicate, a sequence or an inverse path)")


def _superclasses(g: Graph) -> dict[str, set[str]]:
    """class → itself and every class it is an rdfs:subClassOf of (transitively)."""
    direct: dict[str, set[str]] = defaultdict(set)
    sup: Any
    for sub, sup in g.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct[str(sub)].add(str(sup))
    out: dict[str, set[str]] = {}
    for cls in list(direct):
        seen, todo = {cls}, [cls]
        while todo:
            for parent in direct.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        out[cls] = seen
    return out


@lru_cache(maxsize=4)
def load(shapes_dir: Path, ontology_dir: Path) -> Shapes:
    from kg.findings import load_shapes, load_vocabularies

    return Shapes(load_shapes(shapes_dir), load_vocabularies(ontology_dir))


def shapes_digest(config) -> str:  # type: ignore[no-untyped-def]
    """Which version of the shapes (and of this checker's list of what holds by construction) a check used."""
    return _digest(Path(config.shapes_dir))


@lru_cache(maxsize=4)
def _digest(shapes_dir: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in sorted(shapes_dir.glob("*.ttl")):
        h.update(p.read_bytes())
    h.update(repr(sorted(BY_CONSTRUCTION)).encode())
    return h.hexdigest()[:16]


def check_graphs(
    store: ox.Store, config, graphs: Iterable[str], skip: frozenset[tuple[str, str]] = frozenset()  # type: ignore[no-untyped-def]
) -> list[Violation]:
    """The shapes on graphs read back from the store, with the types of the nodes they point to (from any graph)."""
    shapes = load(config.shapes_dir, config.ontology_dir)
    rdf_type = ox.NamedNode(str(RDF.type))
    out: list[Violation] = []
    for name in graphs:
        graph = ox.NamedNode(name)
        quads = list(store.quads_for_pattern(None, None, None, graph))
        context: list[ox.Quad] = []
        linked = {q.object for q in quads if isinstance(q.object, ox.NamedNode)}
        linked |= {q.subject for q in quads if isinstance(q.subject, ox.NamedNode)}  # a report linking its source
        for node in linked:
            context += store.quads_for_pattern(node, rdf_type, None, None)
        for node in {q.subject for q in quads if isinstance(q.subject, ox.NamedNode)}:  # W gk:source src elsewhere
            for q in store.quads_for_pattern(None, ox.NamedNode(GK + "source"), node, None):
                if q.graph_name != graph:
                    context.append(q)
                    context += store.quads_for_pattern(q.subject, rdf_type, None, None)
        out += shapes.check(quads, skip, context)
    return list(dict.fromkeys(out))


def check_partition(quads: Iterable[ox.Quad], base: str) -> list[Violation]:
    """Each quad in the graph :func:`kg.iris.home_graph` gives its subject, or a link stored with its object."""
    from kg.iris import LINKS, home_graph

    out = []
    homes: dict[str, str | None] = {}
    for q in quads:
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        subject = q.subject.value if isinstance(q.subject, ox.NamedNode) else ""
        if subject not in homes:
            homes[subject] = home_graph(base, subject) if subject else None
        home = homes[subject]
        if home is None or home == graph:
            continue
        if q.predicate.value in LINKS and isinstance(q.object, ox.NamedNode):
            if home_graph(base, q.object.value) == graph:
                continue
        out.append(
            Violation(
                focus=subject,
                path=q.predicate.value,
                message="三元组只能属于一个命名图 / a triple lives in exactly one named graph",
                severity="Violation",
                source="rule:one-graph",
                value=f"{q.object} in {graph}, not in {home}",
            )
        )
    return out


def check_at_ingest(quads: list[ox.Quad], config) -> list[Violation]:  # type: ignore[no-untyped-def]
    """What extraction can break, on one source's quads. The rest holds by construction, and so does where each quad
    is (:func:`check_partition`): :mod:`kg.build` and :mod:`kg.derive` choose the graphs, whatever the text says, and
    a property test proves it for any facts (a sixteenth of a worker's time saved)."""
    return load(config.shapes_dir, config.ontology_dir).check(quads, BY_CONSTRUCTION)
