"""Interactive network views of the knowledge graph (``kg view``).

The store is read through named SPARQL queries (``queries/views/*.rq``) into records (:mod:`kg.views.data`), turned
into networkx graphs by one module per view (:mod:`~kg.views.citation`, :mod:`~kg.views.diffusion`,
:mod:`~kg.views.cocitation`, :mod:`~kg.views.platforms`), laid out in Python (:mod:`~kg.views.layout`), and drawn
by pyvis into self-contained, offline HTML pages (:mod:`~kg.views.render`); GEXF/GraphML exports for Gephi come from
the same graphs (:mod:`~kg.views.gephi`). :func:`write_views` does all of it.
"""

from kg.views.page import DEFAULT_MAX_NODES
from kg.views.site import DEFAULT_TOP_DIRECTIVES, INDEX, PageSummary, ViewsSummary, views_dir, write_views

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_TOP_DIRECTIVES",
    "INDEX",
    "PageSummary",
    "ViewsSummary",
    "views_dir",
    "write_views",
]
