"""The Oxigraph server behind the gateway: ``oxigraph serve-read-only`` on a snapshot, on a loopback port.

The binary comes from the PyPI package ``oxigraph`` (same version as pyoxigraph, so it reads the same store format).
It runs with ``--union-default-graph`` (queries see the union of all graphs) and without ``--timeout-s``: in 0.5.13
that option starts one thread per query which sleeps for the whole timeout even when the query is long done, so
under load the threads pile up (1,000 queries/s with a 20 s timeout: 20,000 threads) until Oxigraph aborts with
"failed to allocate an alternative stack". The gateway enforces the time limit instead, and replaces an Oxigraph
that was left computing a timed-out query (see :mod:`kg.serve.live`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph

from kg.serve.errors import ServeError

log = logging.getLogger(__name__)


def find_oxigraph() -> Path:
    """The ``oxigraph`` binary: beside the running Python (a virtualenv's bin), else on PATH; its version checked."""
    candidates = [Path(sys.executable).parent / "oxigraph"]
    found = shutil.which("oxigraph")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            _check_version(candidate)
            return candidate
    raise ServeError(
        "the oxigraph server binary is not installed",
        hint=f"pip install oxigraph=={pyoxigraph.__version__} (the same version as pyoxigraph)",
    )


def _check_version(binary: Path) -> None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServeError(f"{binary}: does not run ({exc})", hint="reinstall the oxigraph package") from exc
    match = re.search(r"(\d+)\.(\d+)\.\d+", out)
    wanted = pyoxigraph.__version__.split(".")[:2]
    if not match or list(match.groups()) != wanted:
        raise ServeError(
            f"{binary}: version {out.strip() or '?'} does not match pyoxigraph {pyoxigraph.__version__}",
            hint=f"pip install oxigraph=={pyoxigraph.__version__}: the server must read what pyoxigraph wrote",
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when the gateway dies, even by SIGKILL (no orphaned servers)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class OxigraphServer:
    """One ``oxigraph serve-read-only`` process on a store directory that nothing writes."""

    def __init__(self, binary: Path, location: Path, log_path: Path) -> None:
        self.binary = binary
        self.location = location
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_within_s: float = 30.0) -> None:
        for _attempt in range(3):  # a free port may be taken between our probe and oxigraph's bind: try another
            self.port = free_port()
            args = [
                str(self.binary), "serve-read-only", "--location", str(self.location),
                "--bind", f"127.0.0.1:{self.port}", "--union-default-graph",
            ]  # fmt: skip
            with open(self.log_path, "ab") as logfile:
                self.process = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=logfile,
                    stderr=logfile,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
                )
            if self._wait_ready(ready_within_s):
                log.info("oxigraph serving %s on %s (pid %s)", self.location, self.url, self.process.pid)
                return
            if "in use" not in self._log_tail().lower():
                break
        self.stop()
        raise ServeError(
            f"oxigraph did not start on {self.location}: {self._log_tail() or 'no message'}",
            hint="check that the snapshot is an Oxigraph store and that loopback ports are available",
        )

    def _wait_ready(self, within_s: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/", timeout=1.0).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.03)
        return False

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace").strip()[-500:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
