"""Running the endpoint: the listening socket, the live store behind it, and the HTTP server in front."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.util
import logging
import resource
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from kg.serve.app import Gateway
from kg.serve.errors import ServeError
from kg.serve.http import HttpServer, access_log
from kg.serve.live import LiveStore
from kg.serve.settings import ServeSettings

log = logging.getLogger(__name__)

_SPARE_DESCRIPTORS = 256  # besides client connections: engine connections, snapshots, logs, the store marker


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts, so a taken port is a clear error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ServeError(f"cannot resolve --host {host!r} ({exc})", hint="give an address such as 127.0.0.1") from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"{host}:{port} is already in use",
                hint="stop the other server, or choose another --port (0 picks a free one)",
            ) from exc
        raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror})", hint="check --host and --port") from exc
    return sock


def ensure_descriptors(max_connections: int) -> None:
    """Raise the process's descriptor limit to what ``max_connections`` needs, or say it cannot be had."""
    needed = max_connections + _SPARE_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard == resource.RLIM_INFINITY or hard >= needed:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
            return
        raise ServeError(
            f"--max-connections {max_connections} needs {needed} file descriptors, and this process may open "
            f"at most {hard} (ulimit -n)",
            hint=f"lower --max-connections to {max(1, hard - _SPARE_DESCRIPTORS)}, or raise the limit (ulimit -n)",
        )


def _configure_access_log() -> None:
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        access_log.addHandler(handler)
        access_log.propagate = False
    access_log.setLevel(logging.INFO)


class Endpoint:
    """``kg serve`` as an object: :meth:`open`, then :meth:`run` (blocking) or :meth:`start` (in a thread).

    >>> with Endpoint(Path("out/store"), ServeSettings(port=0)) as ep:  # doctest: +SKIP
    ...     ep.start(); print(ep.url)
    """

    def __init__(self, store_dir: Path, settings: ServeSettings) -> None:
        self.store_dir = Path(store_dir)
        self.settings = settings
        self.live: LiveStore | None = None
        self.gateway: Gateway | None = None
        self.server: HttpServer | None = None
        self.sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """The base URL clients use (``http://host:port``)."""
        assert self.sock is not None, "open() first"
        host, port = self.sock.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    @property
    def generation(self) -> int | None:
        return self.live.generation_of(self.live.current) if self.live else None

    def open(self) -> Endpoint:
        """Bind the port, snapshot the store and start the engine on the snapshot."""
        ensure_descriptors(self.settings.max_connections)
        self.sock = bind_socket(self.settings.host, self.settings.port)
        try:
            self.live = LiveStore(self.store_dir, self.settings)
            self.live.open()
        except BaseException:
            self.close()
            raise
        self.gateway = Gateway(self.live, self.settings)
        if self.settings.access_log:
            _configure_access_log()
        return self

    async def serve(self, on_ready: Callable[[str, int], None] | None = None) -> None:
        """Serve until :meth:`stop` (or a signal, under :meth:`run`); raises the ServeError that ended it, if any."""
        assert self.live is not None and self.gateway is not None and self.sock is not None, "open() first"
        s = self.settings
        self._loop = asyncio.get_running_loop()
        self._stop = stop = asyncio.Event()
        self.live.on_fatal = lambda error: stop.set()
        self.live.start()
        self.server = HttpServer(
            self.gateway.handle,
            max_connections=s.max_connections,
            max_request_line=s.max_request_line,
            max_header_bytes=s.max_header_bytes,
            max_body_bytes=s.max_query_bytes * 3 + 4096,  # a form-encoded query at its limit
            header_timeout_s=s.header_timeout_s,
            send_timeout_s=s.send_timeout_s,
            max_buffer_bytes=s.max_buffer_bytes,
            access_log=s.access_log,
        )
        self.gateway.server = self.server
        try:
            await self.server.start(self.sock)
            self._ready.set()
            if on_ready is not None:
                on_ready(self.url, self.generation or 0)
            await stop.wait()
        finally:
            await self.server.close()
            await self.live.close()
            self.gateway.close()
        if self.live.fatal is not None:
            raise self.live.fatal

    def run(self, on_ready: Callable[[str, int], None] | None = None) -> None:
        """Serve until Ctrl-C or SIGTERM (a normal stop), then stop the engines and delete the snapshots."""
        try:
            with _runner() as runner:
                loop = runner.get_loop()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(signum, self._signalled)
                runner.run(self.serve(on_ready))
        finally:
            self.close()

    def _signalled(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def start(self, within_s: float = 30.0) -> None:
        """Serve in a background thread (tests, embedding); returns once requests are accepted."""

        def main() -> None:
            try:
                with _runner() as runner:
                    runner.run(self.serve())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller of start() or stop()
                self._failure = exc
            finally:
                self._ready.set()

        self._thread = threading.Thread(target=main, daemon=True, name="kg-serve")
        self._thread.start()
        if not self._ready.wait(within_s) or self._failure is not None:
            self.stop()
            raise ServeError("the endpoint did not start", hint="run `kg -v serve` to see why") from self._failure

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.close()

    def close(self) -> None:
        if self.live is not None:
            self.live.close_sync()
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self) -> Endpoint:
        if self.sock is None:
            self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _runner() -> asyncio.Runner:
    """An event loop: uvloop's where it is installed (not on Windows), else asyncio's."""
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    return asyncio.Runner()


def serve_endpoint(
    store_dir: Path, settings: ServeSettings, on_ready: Callable[[str, int], None] | None = None
) -> None:
    """Publish ``store_dir`` read-only until interrupted; ``on_ready(url, generation)`` once it accepts queries.

    Whatever ends it (Ctrl-C, SIGTERM, an engine that cannot be started again, an exception), the engines are
    stopped and the snapshots deleted before it returns or raises.
    """
    endpoint = Endpoint(store_dir, settings)
    try:
        endpoint.open()
        endpoint.run(on_ready)
    finally:
        endpoint.close()
