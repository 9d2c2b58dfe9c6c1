"""The memory allocator of the engine processes: jemalloc when the machine has it, else the C library's malloc.

``oxigraph serve-read-only`` allocates through the C library. glibc's malloc gives each request thread an arena of
its own and keeps what a query freed in it, so a long-lived engine's resident set only grows: at 100k reports it
reached 1.6 GB after a dozen whole-store queries that each needed under 0.9 GB alone. jemalloc, preloaded into the
engine (``LD_PRELOAD``, the way its documentation gives), returns freed pages to the system within a second from a
background thread, and it is faster under concurrent queries (figures in docs/decisions/0002-endpoint.md). Debian
and Ubuntu ship it as ``libjemalloc2``; nothing else changes when it is missing.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kg.serve.errors import ServeError

log = logging.getLogger(__name__)

CHOICES = ("auto", "jemalloc", "system")
# freed pages go back after a second, by jemalloc's own thread, also while the engine is idle; and address space
# it no longer uses is unmapped (retain:false), so that the engine's RLIMIT_DATA keeps measuring what it holds
DECAY = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,retain:false"
_INSTALL = "install jemalloc (Debian, Ubuntu: apt install libjemalloc2)"


def find_jemalloc() -> str | None:
    """The shared jemalloc library as the dynamic loader names it (for example ``libjemalloc.so.2``), or None."""
    return ctypes.util.find_library("jemalloc")


@dataclass(frozen=True)
class Allocator:
    """What the engine processes allocate with, and the environment that makes them do so."""

    name: str  # "jemalloc" or "system"
    library: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, choice: str, environ: Mapping[str, str] | None = None) -> Allocator:
        """The allocator for ``--engine-allocator CHOICE``: "auto" takes jemalloc when it is installed."""
        if choice == "system":
            return cls("system")
        if not sys.platform.startswith("linux"):  # LD_PRELOAD, and /proc to check it took, are Linux's
            if choice == "jemalloc":
                raise ServeError("--engine-allocator jemalloc works on Linux only", hint="use auto or system here")
            return cls("system")
        library = find_jemalloc()
        if library is None:
            if choice == "jemalloc":
                raise ServeError("--engine-allocator jemalloc: jemalloc is not installed", hint=_INSTALL)
            log.info("jemalloc is not installed: the query engines use the C library's malloc (%s)", _INSTALL)
            return cls("system")
        outer: Mapping[str, str] = os.environ if environ is None else environ
        preload = " ".join(part for part in (library, outer.get("LD_PRELOAD", "")) if part)
        # an operator's own MALLOC_CONF wins over ours
        return cls("jemalloc", library, {"LD_PRELOAD": preload, "MALLOC_CONF": outer.get("MALLOC_CONF", DECAY)})

    def loaded_in(self, pid: int) -> bool | None:
        """Whether the process ``pid`` has this allocator's library mapped (None where /proc cannot tell)."""
        if self.library is None:
            return True
        try:
            maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        return Path(self.library).name.split(".so")[0] in maps
