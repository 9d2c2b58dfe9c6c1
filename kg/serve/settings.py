"""The endpoint's settings: one frozen value, built by ``kg serve`` from its flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kg.bases import DEFAULT_BASE
from kg.config import Config
from kg.serve.allocator import CHOICES as ALLOCATORS
from kg.serve.errors import ServeError

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
MIN_ENGINE_MB = 256  # an idle Oxigraph on a large store needs about a hundred MB of its own


def machine_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a small machine
        return 8 * 2**30


def default_engine_mb() -> int:
    """A quarter of the machine's memory: at most three engine processes run at once (see kg.serve.live)."""
    return max(MIN_ENGINE_MB, machine_memory_bytes() // 4 // 2**20)


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"  # loopback unless asked otherwise
    port: int = 8000  # 0: any free port
    cors_origin: str | None = None  # no CORS header unless an origin is given ("*" for any)
    timeout_s: float = 20  # per query, once it runs (waiting in the queue has the same bound); Oxigraph rounds up
    max_rows: int = 10_000  # rows of a SELECT, triples of a CONSTRUCT/DESCRIBE
    max_concurrent: int = 8  # queries running at once
    max_queued: int = 32  # queries waiting for a slot; beyond that: 503
    max_query_bytes: int = 16_384
    max_result_bytes: int = 64 * 1024 * 1024  # a result larger than this is refused like too many rows
    cache_bytes: int = 64 * 1024 * 1024  # answers kept for the current snapshot (0: no result cache)
    cache_entry_bytes: int = 1024 * 1024  # a larger answer is not kept
    max_engine_mb: int = field(default_factory=default_engine_mb)  # memory of each Oxigraph process (RLIMIT_DATA)
    engine_allocator: str = "auto"  # jemalloc when installed (see kg.serve.allocator), or "jemalloc", "system"
    max_connections: int = 512  # open client connections; one more gets 503
    max_request_line: int = 64 * 1024  # bytes; a GET query's URL is up to 3x the query (percent-encoding)
    max_header_bytes: int = 16 * 1024  # header fields (the request line not counted)
    header_timeout_s: float = 10  # the request (line, headers, body) must arrive within this; idle connections too
    send_timeout_s: float = 10  # a client that takes none of its answer for this long is dropped
    max_buffer_bytes: int = 64 * 1024 * 1024  # answer bytes waiting in all client connections together
    stream_after_bytes: int = 1024 * 1024  # a longer answer is streamed (chunked) rather than sent whole
    max_streams: int = 32  # answers being streamed at once (they hold no query slot); one more gets 503
    quarantine_size: int = 1024  # families of queries that took the engine down, remembered
    poll_interval_s: float = 1.0  # how often kg-generation.json is read
    startup_wait_s: float = 60.0  # how long to wait for a running ingest before giving up at start
    snapshots_dir: Path | None = None  # default: <store>.snapshots beside the store
    views_dir: Path | None = None  # network views written by `kg view`, served under /views/
    queries_dir: Path = field(default_factory=lambda: Config().queries_dir)
    base_iri: str = DEFAULT_BASE
    access_log: bool = True

    def __post_init__(self) -> None:
        positive = {
            "--timeout": self.timeout_s,
            "--max-rows": self.max_rows,
            "--max-concurrent": self.max_concurrent,
            "--max-query-bytes": self.max_query_bytes,
            "--max-connections": self.max_connections,
            "--max-request-line": self.max_request_line,
            "--max-header-bytes": self.max_header_bytes,
            "--header-timeout": self.header_timeout_s,
            "--send-timeout": self.send_timeout_s,
            "--max-buffer-mb": self.max_buffer_bytes,
            "--max-streams": self.max_streams,
            "poll interval": self.poll_interval_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ServeError(f"{name} must be positive, not {value}", hint=f"give {name} a value above 0")
        if self.cache_bytes < 0:
            raise ServeError(
                f"the cache size must be 0 or more, not {self.cache_bytes}", hint="--cache-mb 0 turns it off"
            )
        if self.max_queued < 0:
            raise ServeError(f"--max-queued must be 0 or more, not {self.max_queued}", hint="0 means: no queue")
        if self.max_engine_mb < MIN_ENGINE_MB:
            raise ServeError(
                f"--max-engine-mb {self.max_engine_mb} is too small",
                hint=f"give at least {MIN_ENGINE_MB}: Oxigraph needs room to open the store",
            )
        if self.engine_allocator not in ALLOCATORS:
            raise ServeError(
                f"--engine-allocator {self.engine_allocator!r} is not one of {', '.join(ALLOCATORS)}",
                hint="auto takes jemalloc when it is installed",
            )
        if not 0 <= self.port <= 65535:
            raise ServeError(f"--port {self.port} is not a TCP port", hint="give a port between 1 and 65535 (0: any)")
        if self.cors_origin is not None and self.cors_origin != "*" and "://" not in self.cors_origin:
            raise ServeError(
                f"--cors {self.cors_origin!r} is not an origin",
                hint="give an origin such as https://example.org, or * for any",
            )

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK

    @property
    def max_engine_bytes(self) -> int:
        return self.max_engine_mb * 2**20
