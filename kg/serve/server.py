"""Running the endpoint: the listening socket, the live store behind it, and uvicorn serving the gateway."""

from __future__ import annotations

import errno
import importlib.util
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from kg.serve.app import GatewayApp, build_app
from kg.serve.errors import ServeError
from kg.serve.live import LiveStore
from kg.serve.protocol import protocol_class
from kg.serve.settings import ServeSettings

log = logging.getLogger(__name__)


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
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"{host}:{port} is already in use",
                hint="stop the other server, or choose another --port (0 picks a free one)",
            ) from exc
        raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror})", hint="check --host and --port") from exc
    sock.set_inheritable(True)
    return sock


class Endpoint:
    """``kg serve`` as an object: :meth:`open`, then :meth:`run` (blocking) or :meth:`start` (in a thread).

    >>> with Endpoint(Path("out/store"), ServeSettings(port=0)) as ep:  # doctest: +SKIP
    ...     ep.start(); print(ep.url)
    """

    def __init__(self, store_dir: Path, settings: ServeSettings) -> None:
        self.store_dir = Path(store_dir)
        self.settings = settings
        self.live: LiveStore | None = None
        self.sock: socket.socket | None = None
        self.app: GatewayApp | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients use (``http://host:port``)."""
        assert self.sock is not None, "open() first"
        host, port = self.sock.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    @property
    def generation(self) -> int | None:
        return self.live.current.snapshot.generation if self.live else None

    def open(self) -> Endpoint:
        """Bind the port, snapshot the store and start Oxigraph on the snapshot."""
        self.sock = bind_socket(self.settings.host, self.settings.port)
        try:
            self.live = LiveStore(self.store_dir, self.settings)
            self.live.open()
        except BaseException:
            self.sock.close()
            self.sock = None
            raise
        self.app = app = build_app(self.live, self.settings)
        config = uvicorn.Config(
            app,
            loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",  # uvloop: not on Windows
            http=protocol_class(app.sparql.gateway, cors=app.cors),  # httptools, queries answered directly
            proxy_headers=False,  # nothing to trust: the endpoint is reached directly (loopback by default)
            server_header=False,
            lifespan="on",
            access_log=self.settings.access_log,
            log_level="info" if self.settings.access_log else "warning",
            log_config=uvicorn.config.LOGGING_CONFIG if self.settings.access_log else None,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        return self

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C); then stop Oxigraph and delete the snapshots."""
        assert self._server is not None and self.sock is not None, "open() first"
        try:
            self._server.run(sockets=[self.sock])
        finally:
            self.close()

    def start(self, within_s: float = 20.0) -> None:
        """Serve in a background thread (tests, embedding); returns once requests are accepted."""
        assert self._server is not None and self.sock is not None, "open() first"
        server, sock = self._server, self.sock
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="kg-serve")
        self._thread.start()
        deadline = time.monotonic() + within_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise ServeError("the endpoint did not start", hint="run `kg -v serve` to see why")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
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


def serve_endpoint(
    store_dir: Path, settings: ServeSettings, on_ready: Callable[[str, int], None] | None = None
) -> None:
    """Publish ``store_dir`` read-only until interrupted; ``on_ready(url, generation)`` once it accepts queries."""
    endpoint = Endpoint(store_dir, settings).open()
    if on_ready is not None:
        on_ready(endpoint.url, endpoint.generation or 0)
    endpoint.run()
