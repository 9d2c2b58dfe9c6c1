"""All extractors over one normalized report, then resolution of what they found.

Extraction says what the text says; :mod:`kg.resolve` decides what it refers to: the reporting region from the
author claims, the issuers of cited documents from their 机关代字 and that region, full agency names.
"""

from __future__ import annotations

from kg.extract.agencies import extract_agencies
from kg.extract.citations import extract_citations
from kg.extract.facts import Facts, Identity
from kg.extract.identity import extract_identity
from kg.extract.initiatives import extract_initiatives
from kg.extract.platforms import extract_platforms
from kg.extract.statistics import extract_statistics
from kg.resolve.agencies import agency_full_name
from kg.resolve.identity import attribute
from kg.resolve.issuers import province_of_code, resolve_issuer
from kg.resolve.names import count_mentions
from kg.resolve.regions import gazetteer


def extract_facts(norm: str, url: str | None = None) -> Facts:
    """Facts of one report; ``url`` is the page's address when the source gave one (its host is evidence)."""
    identity = extract_identity(norm, url)
    resolve_identity(identity, norm)
    facts = Facts(identity=identity)
    facts.citations = extract_citations(norm, identity)
    for c in facts.citations:
        if c.issuer_code:
            c.issuer = resolve_issuer(c.issuer_code, identity.region_code, c.title)
    facts.platforms = extract_platforms(norm, identity)
    facts.initiatives = extract_initiatives(norm)
    facts.statistics = extract_statistics(norm, identity)
    facts.agencies = []
    for a in extract_agencies(norm):
        if a.tier and a.short and (full := agency_full_name(a.tier, a.short, identity.region_code, identity.level)):
            if all(x.full_name != full for x in facts.agencies):
                a.full_name = full
                facts.agencies.append(a)
    return facts


def resolve_identity(identity: Identity, norm: str) -> None:
    """Region, level and body from the identity's claims; the deciding evidence is kept with them."""
    from dataclasses import replace

    claims = [replace(c, code=province_of_code(c.value)) if c.kind == "issuer_code" else c for c in identity.claims]
    identity.claims = claims
    att = attribute(claims, count_mentions(norm[:6000]), compiled=identity.compiled)
    identity.region_code, identity.level = att.region_code, att.level
    identity.body, identity.body_name, identity.body_suffix = att.body, att.body_name, att.body_suffix
    identity.evidence, identity.conflicting = att.evidence, att.conflicting
    if att.region_code:
        r = gazetteer().get(att.region_code)
        identity.region_name = r.name if r else None
        if lead := next((e for e in att.evidence if e.kind != "url"), None):
            identity.spans["region"] = lead.span
    else:
        identity.spans.pop("region", None)
