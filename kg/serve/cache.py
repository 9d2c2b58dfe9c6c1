"""Answers already given, kept for the snapshot they came from.

A snapshot never changes, so the answer to a query in a given format is the same every time it is asked of that
snapshot: the endpoint keeps recent ones (an LRU bounded in bytes, ``--cache-mb``) and answers a repeat without
asking Oxigraph. The key is the exact query text and the negotiated media type; the cache belongs to one snapshot
and is emptied as soon as a request sees a newer one (an ingest completed), and an answer computed on an older
snapshot after that is not kept. Only complete, successful answers are kept; refusals and errors never are.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

_OVERHEAD = 200  # bytes counted per entry besides its body and query text (key, tuple, dictionary slot)


class CachedAnswer(NamedTuple):  # a tuple of plain values: the garbage collector can stop tracking it
    body: bytes
    content_type: str
    rows: int
    generation: int


class ResultCache:
    """An LRU of answers for one snapshot at a time (``scope``), at most ``max_bytes`` in all."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self.scope: object = None
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, str], tuple[CachedAnswer, int]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, scope: object, text: str, media_type: str) -> CachedAnswer | None:
        """The answer to ``text`` as ``media_type`` on snapshot ``scope`` (a newer scope empties the cache first)."""
        if scope != self.scope:
            self.clear()
            self.scope = scope
        found = self._entries.get((text, media_type))
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end((text, media_type))
        self.hits += 1
        return found[0]

    def put(self, scope: object, text: str, media_type: str, answer: CachedAnswer) -> bool:
        """Keep ``answer`` unless it is too large, or comes from a snapshot the cache has moved past."""
        cost = len(answer.body) + len(text) + _OVERHEAD
        if not self.enabled or scope != self.scope or cost > self.max_entry_bytes:
            return False
        key = (text, media_type)
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._entries[key] = (answer, cost)
        self.size += cost
        while self.size > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= dropped
        return True

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0
