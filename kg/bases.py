"""The project's IRI bases as plain strings, for what needs them without rdflib's terms (``kg query``, ``kg serve``
and the configuration start without importing rdflib: it costs a tenth of a second). :mod:`kg.namespaces` builds the
namespaces on them."""

ONTOLOGY_IRI = "https://w3id.org/govkg/ontology#"
VOCAB_IRI = "https://w3id.org/govkg/vocab/"
DEFAULT_BASE = "https://w3id.org/govkg/id/"
