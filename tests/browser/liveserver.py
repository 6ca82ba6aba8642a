"""A uvicorn server for the Django ASGI application in a background thread,
bound to 127.0.0.1 on a free port (the production server, static files included)."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any


class LiveServer:
    """Serve ``mikromon.web.asgi.application`` on 127.0.0.1:<free port>.

    Use as a context manager; ``url`` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LiveServer:
        import uvicorn
        from django.core.asgi import get_asgi_application

        config = uvicorn.Config(
            get_asgi_application(), log_level="warning", lifespan="off", access_log=False
        )
        started = threading.Event()

        class Server(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets=sockets)
                started.set()

        self._server = server = Server(config)

        async def serve() -> None:
            try:
                await server.serve(sockets=[self.sock])
            finally:
                started.set()

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True,
                                        name="live-uvicorn")
        self._thread.start()
        if not started.wait(15):
            raise RuntimeError("uvicorn did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.sock.close()
