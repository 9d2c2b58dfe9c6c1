"""``explain``: a fact with the sentence it was read from."""

from __future__ import annotations

import pyoxigraph as ox

from kg.config import Config
from kg.errors import QueryError

_FACT = """
PREFIX gk: <https://w3id.org/govkg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?fact ?p ?o ?start ?end ?exact ?prefix ?suffix ?file WHERE {
  { ?fact ?p ?o }
  OPTIONAL {
    ?fact gk:mention ?m .
    ?m gk:fromSource ?src ; oa:hasSelector ?pos , ?q .
    ?pos oa:start ?start ; oa:end ?end .
    ?q oa:exact ?exact ; oa:prefix ?prefix ; oa:suffix ?suffix .
    ?src gk:fileName ?file .
  }
}
ORDER BY ?p ?o ?start
"""


def explain_fact(store: ox.Store, iri: str, config: Config) -> str:
    result = store.query(_FACT, use_default_graph_as_union=True, substitutions={ox.Variable("fact"): ox.NamedNode(iri)})
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    if not rows:
        raise QueryError(f"nothing is known about <{iri}>", hint="copy an IRI from `kg query` output")
    lines = [f"<{iri}>"]
    props = sorted({(r["p"].value, getattr(r["o"], "value", str(r["o"]))) for r in rows})
    lines += [f"  {p.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}: {o}" for p, o in props]
    quotes = sorted(
        {
            (
                r["file"].value,
                int(r["start"].value),
                int(r["end"].value),
                r["prefix"].value,
                r["exact"].value,
                r["suffix"].value,
            )
            for r in rows
            if r["exact"] is not None
        }
    )
    for file, start, end, prefix, exact, suffix in quotes:
        lines.append(f"  read from {file} [{start}:{end}]: …{prefix}【{exact}】{suffix}…")
    return "\n".join(lines) + "\n"
