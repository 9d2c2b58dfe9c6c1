"""A page of a view: one drawable graph with its heading, filters and legend, and how big graphs are split."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

DEFAULT_MAX_NODES = 1500  # above this a view is split into per-province (or per-community) pages


@dataclass(frozen=True)
class Filter:
    """A drop-down filter: nodes and edges carrying ``facets[key]`` are shown only when it holds the chosen value.

    A node or edge without the facet passes; once any filter is set, a node is shown only if one of its edges is.
    A *toggle* is a checkbox, ticked by default: unticked, items whose ``facets[key]`` holds ``options[0][0]`` are
    hidden (e.g. the documents cited by title only).
    """

    key: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label), in display order
    toggle: bool = False


@dataclass(frozen=True)
class LegendItem:
    label: str
    color: str
    shape: str = "dot"


@dataclass
class Page:
    """One HTML page. ``graph`` nodes carry label, title (escaped HTML), color, size, shape, x, y and facets."""

    view: str
    slug: str  # path relative to the output directory, e.g. "citation/p32.html"
    title: str  # plain text; the template escapes it
    graph: nx.Graph
    subtitle: str = ""
    filters: list[Filter] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    directed: bool = False


def facet_filter(
    key: str,
    label: str,
    values: Iterable[str],
    names: Mapping[str, str] | Callable[[str], str] | None = None,
    order: Callable[[str], Any] | None = None,
) -> Filter | None:
    """A filter over the distinct ``values`` (None when there are fewer than two: nothing to choose).

    ``names`` gives each value's display name (a mapping or a function); ``order`` sorts the values.
    """
    distinct = sorted(set(values), key=order or (lambda v: v))
    if len(distinct) < 2:
        return None

    def name(v: str) -> str:
        if names is None:
            return v
        if isinstance(names, Mapping):
            return names.get(v, v)
        return names(v)

    return Filter(key, label, tuple((v, name(v)) for v in distinct))


def toggle_filter(key: str, value: str, label: str) -> Filter:
    """A checkbox, ticked by default, that hides the items whose ``facets[key]`` holds ``value`` when unticked."""
    return Filter(key, label, ((value, label),), toggle=True)


def trim_to(graph: nx.Graph, keep: Iterable[str], max_nodes: int, rank: Callable[[str], Any]) -> tuple[nx.Graph, int]:
    """The subgraph on ``keep`` plus the best-ranked other nodes (lowest ``rank`` first) up to ``max_nodes``.

    Returns the subgraph and how many nodes were left out. Nodes that end up isolated are dropped.
    """
    keep_set = set(keep)
    others = sorted((n for n in graph.nodes if n not in keep_set), key=rank)
    room = max(max_nodes - len(keep_set), 0)
    chosen = keep_set | set(others[:room])
    sub = graph.subgraph(sorted(chosen)).copy()
    sub.remove_nodes_from(sorted(n for n in list(sub.nodes) if sub.degree(n) == 0 and n not in keep_set))
    return sub, graph.number_of_nodes() - sub.number_of_nodes()


def province_groups(graph: nx.Graph) -> list[tuple[str, str, list[str]]]:
    """Region nodes grouped by province: (province key, province label, region nodes), sorted by key."""
    groups: dict[str, list[str]] = {}
    labels: dict[str, Counter[str]] = {}
    for n, attrs in graph.nodes(data=True):
        if attrs.get("kind") != "region":
            continue
        key = attrs.get("province", "00")
        groups.setdefault(key, []).append(n)
        labels.setdefault(key, Counter())[attrs.get("province_label") or key] += 1
    return [(k, min(labels[k].items(), key=lambda kv: (-kv[1], kv[0]))[0], sorted(groups[k])) for k in sorted(groups)]


def slug_key(key: str, index: int) -> str:
    """A file-name-safe form of a group key (a 2-digit province code stays as it is)."""
    return key if re.fullmatch(r"[0-9A-Za-z]{1,12}", key) else f"x{index}"
