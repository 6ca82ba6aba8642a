"""The web server of the running process: the listening socket, bound before
uvicorn starts (so a busy port is a clear error, and port 0 works), and a
uvicorn server that leaves the signals to :class:`mikromon.web.runtime.Runtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Callable, Iterator
from typing import Any

from mikromon.domain.devices import endpoint


class StartupError(Exception):
    """The process cannot start (port in use, collector cannot be built)."""


class UvicornServer:
    """A uvicorn server that lets :class:`Runtime` own the signals.

    uvicorn re-raises the signal that stopped it once it has shut down, which
    would kill the process before the collector flushes; this subclass stops
    gracefully and leaves the rest of the shutdown to the runtime.
    """

    def __init__(self, config: Any, on_ready: Callable[[], None]) -> None:
        import uvicorn

        runtime_ready = on_ready

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield  # Runtime installed its handlers already.

            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets=sockets)
                if self.started and not self.should_exit:
                    runtime_ready()

        self.server = Server(config)

    def request_exit(self) -> None:
        if self.server.should_exit:
            self.server.force_exit = True
        self.server.should_exit = True

    def serve(self, sock: socket.socket) -> None:
        asyncio.run(self.server.serve(sockets=[sock]))


#: Seconds the web server gets to finish open requests on shutdown.
GRACEFUL_TIMEOUT_S = 5


def web_config(*, access_log: bool) -> Any:
    """The uvicorn configuration every web server of mikromon uses (in one process,
    or in each web worker of ``mikromon serve``): the Django ASGI application, our
    log format, no lifespan, :data:`GRACEFUL_TIMEOUT_S` for open requests on stop.
    Imports the application (sets Django up from the environment when needed)."""
    import uvicorn

    from mikromon.web.asgi import application

    return uvicorn.Config(
        application,
        log_config=None,
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_TIMEOUT_S,
        server_header=False,
        # X-Forwarded-For/-Proto are believed only from FORWARDED_ALLOW_IPS
        # (uvicorn's default: 127.0.0.1), i.e. a reverse proxy on this machine.
        proxy_headers=True,
    )


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket on ``host:port`` (IPv4 or IPv6; port 0 = any free port).

    Raises:
        StartupError: the address is invalid or already in use.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise StartupError(f"cannot listen on {endpoint(host, port)}: {err.strerror}") from err
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        hint = ""
        if err.errno == errno.EADDRINUSE:
            hint = " (is another mikromon or web server running there? choose another --port)"
        raise StartupError(
            f"cannot listen on {endpoint(host, port)}: {err.strerror or err}{hint}"
        ) from err
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """Return ``http://host:port/`` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    return f"http://{endpoint(host, port)}/"
