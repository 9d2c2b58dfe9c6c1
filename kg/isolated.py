"""Oxigraph work in a child process, so that the engine failing ends the child and not the caller.

Oxigraph's release build aborts the whole process on any panic (``panic = "abort"``), and Rust aborts when an
allocation fails: neither can be caught in Python. pyoxigraph 0.5.13 panics on some queries (an ORDER BY over numbers
mixed with other values: "user-provided comparison function does not correctly implement a total order"), which
would take ``kg query`` down with SIGABRT and no message. :func:`run_isolated` runs a function in a forked child
(the store objects it was given come along, copy-on-write, so it works for any open store), under an optional
memory limit (``RLIMIT_DATA``), reads back its result, and turns the child's death into :class:`EngineFailure`.
The same reading of how Oxigraph died (:func:`classify_death`) serves the endpoint's engine processes.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import re
import resource
import selectors
import signal
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kg.errors import KgError

T = TypeVar("T")

_PANIC = re.compile(r"panicked at [^\n]*:\n([^\n]+)")
_ALLOCATION = re.compile(r"memory allocation of \d+ bytes failed")


@dataclass(frozen=True)
class Death:
    """How an Oxigraph process ended, read from its exit status and the end of what it wrote on stderr."""

    kind: str  # "memory" (its limit), "panic"/"crash" (an Oxigraph bug), "killed" (SIGKILL: from outside), "exited"
    detail: str  # the allocation failure or the panic message, or the exit status

    @property
    def caused_by_a_query(self) -> bool:
        """Memory, panics and crashes come from what a query made the engine do; a kill or an exit does not."""
        return self.kind in ("memory", "panic", "crash")


def classify_death(returncode: int, log_tail: str) -> Death:
    """``returncode`` as :mod:`subprocess` gives it (negative: the signal)."""
    if (match := _ALLOCATION.search(log_tail)) is not None:
        return Death("memory", match.group(0))
    if (match := _PANIC.search(log_tail)) is not None:
        return Death("panic", match.group(1).strip())
    if returncode in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, -signal.SIGILL):
        # Rust aborts on other fatal errors too (a thread it cannot start at the memory limit, a stack overflow)
        last = next((line for line in reversed(log_tail.splitlines()) if line.strip()), "")
        name = signal.Signals(-returncode).name
        return Death("crash", f"{name}{': ' + last.strip()[:200] if last else ''}")
    if returncode == -signal.SIGKILL:
        return Death("killed", "killed by SIGKILL (from outside, or by the kernel's out-of-memory killer)")
    what = f"signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
    return Death("exited", f"ended with {what}")


class EngineFailure(KgError):
    """The query engine died while computing (see :attr:`death`)."""

    def __init__(self, message: str, death: Death, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.death = death


def data_bytes() -> int:
    """This process's private writable memory (``VmData``), what ``RLIMIT_DATA`` limits (Linux; else 0)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_isolated(fn: Callable[..., T], *args: object, memory_bytes: int | None = None) -> T:
    """``fn(*args)`` in a forked child (at most ``memory_bytes`` more than the caller has), its result returned or
    its exception raised here; :class:`EngineFailure` when the child dies. Without ``os.fork``, runs in-process."""
    if not hasattr(os, "fork"):
        return fn(*args)
    results_r, results_w = os.pipe()
    errors_r, errors_w = os.pipe()
    with warnings.catch_warnings():
        # the child runs only ``fn`` and leaves with os._exit: it takes no lock another thread may hold
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(results_r)
            os.close(errors_r)
            os.dup2(errors_w, 2)
            faulthandler.disable()  # an abort is expected here and read by the parent: no Python traceback
            os.environ["RUST_BACKTRACE"] = "0"
            if memory_bytes is not None:
                limit = data_bytes() + memory_bytes
                resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
            try:
                outcome: tuple[bool, object] = (True, fn(*args))
            except BaseException as exc:  # noqa: BLE001 - every exception goes back to the caller
                outcome = (False, exc)
            try:
                data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - an exception that cannot be pickled: its text
                data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            view = memoryview(data)
            while view:
                view = view[os.write(results_w, view) :]
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(results_w)
    os.close(errors_w)
    results, errors = _read_both(results_r, errors_r)
    _, status = os.waitpid(pid, 0)
    returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    if returncode == 0 and results:
        ok, value = pickle.loads(results)
        if ok:
            return value  # type: ignore[no-any-return]
        raise value  # type: ignore[misc]
    death = classify_death(returncode, errors.decode("utf-8", "replace")[-4000:])
    raise EngineFailure(f"the query engine died ({death.detail})", death)


def _read_both(results_fd: int, errors_fd: int) -> tuple[bytes, bytes]:
    """Everything the child writes on both pipes, read as it comes (so that neither fills up and blocks it)."""
    chunks: dict[int, list[bytes]] = {results_fd: [], errors_fd: []}
    with selectors.DefaultSelector() as selector:
        selector.register(results_fd, selectors.EVENT_READ)
        selector.register(errors_fd, selectors.EVENT_READ)
        open_fds = 2
        while open_fds:
            for key, _ in selector.select():
                data = os.read(key.fd, 1 << 20)  # type: ignore[arg-type]
                if data:
                    if key.fd == errors_fd and sum(map(len, chunks[errors_fd])) > 1 << 20:
                        continue  # keep at most a MiB of messages
                    chunks[key.fd].append(data)  # type: ignore[index]
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)  # type: ignore[arg-type]
                    open_fds -= 1
    return b"".join(chunks[results_fd]), b"".join(chunks[errors_fd])
