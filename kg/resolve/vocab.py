"""The shipped concept schemes (``ontology/vocabularies.ttl``) as Python lookups for the extractors.

Turtle is the source of truth: the words by which a platform type, indicator or initiative is recognised are the
concept's ``skos:hiddenLabel``/``skos:altLabel`` values.
"""

from __future__ import annotations

from functools import lru_cache

from rdflib import Graph
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
