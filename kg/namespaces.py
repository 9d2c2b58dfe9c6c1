"""Namespaces: the standard ones rdflib lacks, and the project's own closed term list.

``GK`` is a closed :class:`~rdflib.namespace.DefinedNamespace`: a misspelt term raises instead of minting a new IRI.
Every own term is also declared, with zh and en labels, in ``ontology/govkg.ttl`` (a test checks both agree).
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DefinedNamespace
from rdflib.term import URIRef

from kg.bases import DEFAULT_BASE, ONTOLOGY_IRI, VOCAB_IRI

ELI = Namespace("http://data.europa.eu/eli/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
SDMX_DIM = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

VOCAB = Namespace(VOCAB_IRI)


class GK(DefinedNamespace):
    """govkg's own terms, where ELI, ORG, PROV-O, Web Annotation, SKOS, schema.org and DCTERMS have none."""

    _NS = Namespace(ONTOLOGY_IRI)
    _fail = True

    # classes
    AnnualReport: URIRef  # 政府信息公开工作年度报告
    SourceDocument: URIRef  # one ingested file or record
    Citation: URIRef  # one report citing one document (by 文号 or by title)
    Mention: URIRef  # a span of a source's original text
    Platform: URIRef  # a disclosure channel run by a government or department
    Region: URIRef  # a GB/T 2260 administrative division
    Issuer: URIRef  # an issuing organ known from a 机关代字
    Reading: URIRef  # a figure as one copy of a report prints it
    CopyConflict: URIRef  # copies of one report that print different values
    CitationSummary: URIRef  # how often one region's reports cite one document
    Evidence: URIRef  # what in a source decided who reports or for which year
    Resolution: URIRef  # a document cited by title only is a numbered document (kg.titles)
    ResolutionMethod: URIRef  # how a resolution was decided

    # report identity
    reportingRegion: URIRef
    reportingBody: URIRef
    level: URIRef
    bodyKind: URIRef
    yearCovered: URIRef
    indexNumber: URIRef
    reportNumber: URIRef
    source: URIRef
    usedIndexNumber: URIRef
    copies: URIRef
    property: URIRef
    conflictingValue: URIRef
    evidence: URIRef
    evidenceKind: URIRef
    evidenceFor: URIRef
    evidenceValue: URIRef

    # source documents
    fileName: URIRef
    encoding: URIRef
    sha256: URIRef
    characters: URIRef
    convertedFromTraditional: URIRef
    pageOffsets: URIRef  # "0 1532 3310": where each page starts in the text (paged formats only)

    # regions
    adcode: URIRef
    retired: URIRef
    successor: URIRef
    province: URIRef

    # citations and documents
    cites: URIRef
    citation: URIRef
    citedDocument: URIRef
    citedTitle: URIRef
    citedNumber: URIRef
    issuerCode: URIRef
    issuerLevel: URIRef
    issuerRegion: URIRef
    titleOnly: URIRef
    alias: URIRef
    documentKind: URIRef
    citingReports: URIRef
    citingRegions: URIRef
    commonTitle: URIRef
    document: URIRef
    region: URIRef
    reports: URIRef
    firstYear: URIRef
    lastYear: URIRef
    titleOnlyReports: URIRef

    # title-only documents resolved across the corpus
    resolves: URIRef
    resolvedTo: URIRef
    resolvedBy: URIRef
    fromYear: URIRef
    untilYear: URIRef
    supportingReports: URIRef
    sameTitle: URIRef  # the methods (gk:ResolutionMethod)
    shortForm: URIRef
    shorterTitle: URIRef
    foundationalTable: URIRef

    # platforms, initiatives, agencies
    platform: URIRef
    platformType: URIRef
    operatedBy: URIRef
    suspiciousUrl: URIRef
    initiative: URIRef
    candidate: URIRef
    agency: URIRef

    # statistics
    report: URIRef
    indicator: URIRef
    value: URIRef
    approximate: URIRef
    reading: URIRef

    # provenance
    mention: URIRef
    fromSource: URIRef


def bind_prefixes(graph) -> None:  # type: ignore[no-untyped-def]
    """Bind the project's prefixes on an rdflib graph or dataset (sorted, so dumps are stable)."""
    from rdflib.namespace import DCAT, DCTERMS, ORG, PROV, QB, RDF, RDFS, SDO, SKOS, VOID, XSD

    for prefix, ns in sorted(
        {
            "dcat": DCAT,
            "dcterms": DCTERMS,
            "eli": ELI,
            "gk": Namespace(ONTOLOGY_IRI),
            "oa": OA,
            "org": ORG,
            "prov": PROV,
            "qb": QB,
            "rdf": RDF,
            "rdfs": RDFS,
            "schema": SDO,
            "sdmx-dimension": SDMX_DIM,
            "skos": SKOS,
            "void": VOID,
            "xsd": XSD,
        }.items()
    ):
        graph.bind(prefix, ns, override=True, replace=True)


# the data's namespaces whose members are flat (one path segment), so a prefixed name needs no escapes
_DATA_PREFIXES = {"graph": "graph/", "region": "region/", "source": "source/"}
_VOCAB_PREFIXES = ("body", "indicator", "initiative", "level", "platform")


def prefix_candidates(base_iri: str = DEFAULT_BASE) -> dict[str, str]:
    """Every prefix the project may write (dumps) or read (``kg explain id:…``), sorted by name.

    The standard vocabularies and the ontology; ``id:`` for the data and ``v:`` for the vocabularies; and one prefix
    per flat namespace of the data (``region:320700``) and per concept scheme (``level:county``). A dump uses only
    those under which every name it writes is a plain local name (:func:`kg.export.dump_prefixes`).
    """
    from rdflib.namespace import DCAT, DCTERMS, ORG, PROV, QB, RDF, RDFS, SDO, SKOS, VOID, XSD

    found = {
        "dcat": str(DCAT), "dcterms": str(DCTERMS), "eli": str(ELI), "gk": ONTOLOGY_IRI, "id": base_iri,
        "oa": str(OA), "org": str(ORG), "prov": str(PROV), "qb": str(QB), "rdf": str(RDF), "rdfs": str(RDFS),
        "schema": str(SDO), "sdmx-dimension": str(SDMX_DIM), "skos": str(SKOS), "v": VOCAB_IRI,
        "void": str(VOID), "xsd": str(XSD),
    }  # fmt: skip
    found |= {name: base_iri + path for name, path in _DATA_PREFIXES.items()}
    found |= {name: f"{VOCAB_IRI}{name}/" for name in _VOCAB_PREFIXES}
    return dict(sorted(found.items()))


class OxTerms:
    """The pyoxigraph terms of one namespace, by attribute: ``X.gk.citation``.

    The first use of a name goes through the rdflib namespace (a closed one, such as ``GK``, raises on a typo) and
    is kept as a plain attribute, so building quads on the hot path costs no namespace lookup.
    """

    def __init__(self, ns: object) -> None:
        self._ns = ns

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        import pyoxigraph as ox

        if name.startswith("__"):
            raise AttributeError(name)
        term = ox.NamedNode(str(getattr(self._ns, name)))
        setattr(self, name, term)
        return term


class _X:
    """pyoxigraph terms of every vocabulary the data uses (``X.gk.citation``, ``X.rdf.type``, ``X.xsd.gYear`` …)."""

    def __init__(self) -> None:
        from rdflib.namespace import DCTERMS, ORG, QB, RDF, RDFS, SDO, SKOS, XSD

        self.gk, self.eli, self.oa, self.sdmx = OxTerms(GK), OxTerms(ELI), OxTerms(OA), OxTerms(SDMX_DIM)
        self.rdf, self.rdfs, self.skos, self.dcterms = OxTerms(RDF), OxTerms(RDFS), OxTerms(SKOS), OxTerms(DCTERMS)
        self.org, self.qb, self.schema, self.xsd = OxTerms(ORG), OxTerms(QB), OxTerms(SDO), OxTerms(XSD)


X = _X()
