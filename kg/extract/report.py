"""All extractors over one normalized report."""

from __future__ import annotations

from kg.extract.agencies import extract_agencies
from kg.extract.citations import extract_citations
from kg.extract.facts import Facts
from kg.extract.identity import extract_identity
from kg.extract.initiatives import extract_initiatives
from kg.extract.platforms import extract_platforms
from kg.extract.statistics import extract_statistics


def extract_facts(norm: str) -> Facts:
    identity = extract_identity(norm)
    facts = Facts(identity=identity)
    facts.citations = extract_citations(norm, identity)
    facts.platforms = extract_platforms(norm, identity)
    facts.initiatives = extract_initiatives(norm)
    facts.statistics = extract_statistics(norm, identity)
    facts.agencies = extract_agencies(norm, identity)
    return facts
