"""The shipped concept schemes (``ontology/vocabularies.ttl``) as Python lookups for the extractors.

Turtle is the source of truth: the words by which a platform type, indicator or initiative is recognised are the
concept's ``skos:hiddenLabel``/``skos:altLabel`` values.
"""

from __future__ import annotations

from functools import cache, lru_cache

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from kg.config import Config
from kg.iris import scheme


@lru_cache(maxsize=1)
def _vocab() -> Graph:
    g = Graph()
    g.parse(Config().ontology_dir / "vocabularies.ttl", format="turtle")
    return g


def labels(scheme_name: str, props: tuple[str, ...] = ("prefLabel", "altLabel", "hiddenLabel")) -> dict[str, list[str]]:
    """notation → zh labels (pref first), for every concept of a scheme."""
    g = _vocab()
    out: dict[str, list[str]] = {}
    for c in sorted(g.subjects(SKOS.inScheme, scheme(scheme_name)), key=str):
        notation = str(g.value(c, SKOS.notation))
        words: list[str] = []
        for prop in props:
            for lit in sorted(g.objects(c, SKOS[prop]), key=str):
                if getattr(lit, "language", None) == "zh" and str(lit) not in words:
                    words.append(str(lit))
        out[notation] = words
    return out


def pref_label(scheme_name: str, notation: str) -> str:
    return labels(scheme_name, ("prefLabel",)).get(notation, [notation])[0]


@cache
def collection_members(collection: str) -> frozenset[str]:
    """Notations of the concepts in a ``skos:Collection`` of the vocabularies (``v:<collection>``)."""
    from kg.namespaces import VOCAB_IRI

    g = _vocab()
    return frozenset(str(g.value(c, SKOS.notation)) for c in g.objects(URIRef(VOCAB_IRI + collection), SKOS.member))


@lru_cache(maxsize=1)
def platform_types() -> tuple[str, ...]:
    """The closed list of platform types (notations), in order: ``v:platform-types``, a ``skos:OrderedCollection``."""
    from rdflib.collection import Collection

    from kg.namespaces import VOCAB_IRI

    g = _vocab()
    head = g.value(URIRef(VOCAB_IRI + "platform-types"), SKOS.memberList)
    if head is None:
        return ()
    return tuple(str(g.value(c, SKOS.notation)) for c in Collection(g, head))


@lru_cache(maxsize=1)
def platform_classes() -> dict[str, URIRef]:
    """platform type → the schema.org class its platforms are typed with (the concept's ``skos:broadMatch``)."""
    g = _vocab()
    out: dict[str, URIRef] = {}
    for c in g.subjects(SKOS.inScheme, scheme("platform")):
        for cls in g.objects(c, SKOS.broadMatch):
            if isinstance(cls, URIRef) and str(cls).startswith("https://schema.org/"):
                out[str(g.value(c, SKOS.notation))] = cls
    return out
