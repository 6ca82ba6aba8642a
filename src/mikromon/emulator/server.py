"""One emulated router on the network: an API port and optionally an API-SSL port.

Only loopback addresses are ever bound
(:func:`~mikromon.emulator.loopback.ensure_loopback`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Final

from mikromon.emulator.faults import Faults
from mikromon.emulator.loopback import LOCALHOST, ensure_loopback
from mikromon.emulator.profile_model import InterfaceRates, Profile
from mikromon.emulator.remote_log import RemoteAction, format_message, send
from mikromon.emulator.router import Router
from mikromon.emulator.session import Session
from mikromon.emulator.tls import TLS_MODES, TlsMode, server_context

log = logging.getLogger(__name__)

_QUICKACK: Final[int | None] = getattr(socket, "TCP_QUICKACK", None)
class _QuickAckProtocol(asyncio.StreamReaderProtocol):
    """A stream protocol that acknowledges received data at once (Linux TCP_QUICKACK).

    Clients such as RouterOS-api send each word with its own ``send()``; with Nagle
    on their side and delayed ACKs on ours every command would stall ~40 ms.
    """

    _sock: socket.socket | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if _QUICKACK is not None:
            self._sock = transport.get_extra_info("socket")
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._sock is not None and _QUICKACK is not None:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        super().data_received(data)


class RouterEmulator:
    """A router served over the RouterOS API.

    Args:
        router: the router model (profile, clock, counters).
        host: loopback address to bind.
        port: API port (0 = pick a free one).
        tls: also serve API-SSL.
        tls_port: API-SSL port (0 = pick a free one).
        tls_mode: ``"cert"`` (self-signed certificate) or ``"adh"`` (anonymous DH
            only, like a router without a certificate).
        username: the login name accepted.
        password: the password accepted (ASCII recommended: librouteros encodes
            passwords as ASCII).

    Raises:
        ValueError: non-loopback ``host`` or unknown ``tls_mode``.
    """

    def __init__(
        self,
        router: Router,
        *,
        host: str = LOCALHOST,
        port: int = 0,
        tls: bool = False,
        tls_port: int = 0,
        tls_mode: TlsMode = "cert",
        username: str = "admin",
        password: str = "admin",
    ) -> None:
        if tls_mode not in TLS_MODES:
            raise ValueError(f"unknown API-SSL mode {tls_mode!r}; choose one of "
                             f"{', '.join(TLS_MODES)}")
        self.router = router
        self.host = ensure_loopback(host)
        self._port = port
        self._tls = tls
        self._tls_port = tls_port
        self.tls_mode: TlsMode = tls_mode
        self.username = username
        self.password = password
        self.faults = Faults()
        self._servers: list[asyncio.Server] = []
        self._sessions: set[asyncio.Task[None]] = set()
        #: Client connections accepted since start, and the most open at once (tests
        #: check that one device is never polled by two collectors at a time).
        self.sessions_opened = 0
        self.peak_sessions = 0
        #: The remote logging action state changes are sent to (``None``: none).
        self.remote_logging: RemoteAction | None = None
        #: Syslog messages that could not be sent (nobody listening on TCP...).
        self.syslog_errors = 0

    # -- facts ----------------------------------------------------------------------
    @property
    def profile(self) -> Profile:
        """The router's profile."""
        return self.router.profile

    @property
    def port(self) -> int:
        """The API port (the real one once started)."""
        return self._port

    @property
    def tls_port(self) -> int | None:
        """The API-SSL port, or ``None`` when API-SSL is off."""
        return self._tls_port if self._tls else None

    @property
    def rates(self) -> dict[str, InterfaceRates]:
        """Configured traffic per interface name (bits/s, packets/s)."""
        return self.router.rates

    @property
    def version(self) -> str:
        """RouterOS version (``"7.16.2"``)."""
        return self.profile.version

    @property
    def identity(self) -> str:
        """``/system/identity`` name."""
        return self.router.identity

    def uptime(self) -> float:
        """The router's uptime now (seconds)."""
        return self.router.uptime()

    @property
    def session_count(self) -> int:
        """Open client connections."""
        return len(self._sessions)

    # -- control --------------------------------------------------------------------
    def reboot(self) -> None:
        """Reset uptime and counters (open connections stay: a test sees the counters
        drop on the next read, like a quick reboot between two polls)."""
        self.router.reboot()
        self._log_change("system,info", "router rebooted")

    def set_remote_logging(self, host: str | None, port: int = 514, protocol: str = "udp",
                           fmt: str = "default") -> None:
        """Send the router's state changes (link up/down, reboot) as syslog to
        ``host``:``port`` from now on, like a ``target=remote`` logging action;
        ``host=None`` removes it. See :mod:`mikromon.emulator.remote_log`.

        Raises:
            ValueError: a non-loopback host, unknown protocol or format, bad port.
        """
        self.remote_logging = (None if host is None
                               else RemoteAction(host, int(port), protocol, fmt))

    def send_syslog(self, topics: str, message: str, *, host: str | None = None,
                    port: int | None = None, protocol: str | None = None,
                    fmt: str | None = None) -> None:
        """Send one log line as syslog: to ``host``:``port`` when given, else through
        the remote logging action (:meth:`set_remote_logging`).

        Raises:
            ValueError: no destination, a non-loopback host, bad values.
            OSError: it could not be sent (TCP: nobody listening).
        """
        action = self.remote_logging
        if host is None and action is None:
            raise ValueError("no syslog destination: give host and port, or set a remote "
                             "logging action first")
        if host is not None:
            if port is None:
                raise ValueError("a syslog destination needs a port")
            action = RemoteAction(host, int(port), protocol or "udp", fmt or "default")
        assert action is not None
        data = format_message(topics, message, fmt=fmt or action.fmt,
                              identity=self.router.identity)
        send(data, action.host, action.port, protocol=protocol or action.protocol,
             source=self.host)

    def _log_change(self, topics: str, message: str) -> None:
        if self.remote_logging is None:
            return
        try:
            self.send_syslog(topics, message)
        except OSError:
            self.syslog_errors += 1

    def set_fault(self, **faults: object) -> None:
        """Set faults (see :class:`mikromon.emulator.faults.Faults`), e.g.
        ``set_fault(delay=2.0)`` or ``set_fault(blackhole=True)``.

        Raises:
            ValueError: unknown fault name or bad value.
        """
        self.faults.update(**faults)

    def set_time_zone(self, gmt_offset_s: int, name: str = "manual", dst: bool = False) -> None:
        """Move the router's clock to another zone (see
        :meth:`mikromon.emulator.router.Router.set_time_zone`).

        Raises:
            ValueError: the offset is beyond +-14 hours or not whole minutes.
        """
        self.router.set_time_zone(gmt_offset_s, name, dst)

    def set_health_state(self, sensor: str, state: str | bool | None) -> None:
        """Report ``state`` for a health state sensor (``set_health_state("psu1-state",
        "fail")``; ``True``/``False`` for ok/fail, ``None``: as before; see
        :meth:`mikromon.emulator.router.Router.set_health_state`).

        Raises:
            ValueError: an empty word or one with spaces or ``=``.
        """
        self.router.set_health_state(sensor, state)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def set_value(self, path: str, field: str, text: str | None, row: int | None = None) -> None:
        """Serve ``text`` as ``field`` of ``path`` (``row``: position, ``None``: every
        row; ``text`` ``None`` drops the field); see :meth:`Router.set_value`.

        Raises:
            KeyError: the router has no such menu.
        """
        self.router.set_value(path, field, text, row)

    def clear_values(self) -> None:
        """Serve every menu as built again."""
        self.router.clear_values()

    def set_password(self, password: str) -> None:
        """Accept ``password`` from now on (open sessions stay logged in)."""
        self.password = password

    # -- state controls (see mikromon.emulator.router.Router.set_cpu_load and friends) --
    def set_cpu_load(self, percent: float | None) -> None:
        """Report ``percent`` as the CPU load (``None``: as before). Raises ValueError."""
        self.router.set_cpu_load(percent)

    def set_temperature(self, celsius: float | None, sensor: str = "temperature") -> None:
        """Report ``celsius`` for health sensor ``sensor``. Raises ValueError."""
        self.router.set_temperature(celsius, sensor)

    def set_link(self, name: str, running: bool) -> None:
        """Set interface ``name`` running or not (sent as ``interface,info`` syslog
        ``<name> link up/down`` when a remote logging action is set). Raises KeyError
        (no such interface)."""
        self.router.set_link(name, running)
        self._log_change("interface,info", f"{name} link {'up' if running else 'down'}")

    def set_link_rate(self, name: str, rate: str) -> None:
        """Set ether port ``name``'s negotiated rate (``100Mbps``). Raises KeyError
        (no such ether port), ValueError (not a rate)."""
        self.router.set_link_rate(name, rate)

    def set_bgp(self, peer: str, established: bool | None) -> None:
        """Report BGP peer ``peer`` established or not (``None``: as captured)."""
        self.router.set_bgp(peer, established)

    def set_ospf(self, neighbor: str, state: str | None) -> None:
        """Report OSPF neighbour ``neighbor`` in ``state``. Raises ValueError."""
        self.router.set_ospf(neighbor, state)

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Bind and listen on the API (and API-SSL) port.

        Raises:
            OSError: a port is taken or cannot be bound.
        """
        loop = asyncio.get_running_loop()

        def factory() -> asyncio.Protocol:
            return _QuickAckProtocol(asyncio.StreamReader(loop=loop), self._serve, loop=loop)

        server = await loop.create_server(factory, self.host, self._port)
        self._servers.append(server)
        self._port = server.sockets[0].getsockname()[1]
        if self._tls:
            ctx = server_context(self.tls_mode)
            tls_server = await loop.create_server(
                factory, self.host, self._tls_port, ssl=ctx, ssl_handshake_timeout=15.0)
            self._servers.append(tls_server)
            self._tls_port = tls_server.sockets[0].getsockname()[1]

    @property
    def sockets(self) -> list[tuple[str, int]]:
        """Addresses of the listening sockets (``(ip, port)``)."""
        return [tuple(s.getsockname()[:2]) for srv in self._servers for s in srv.sockets]

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        for server in self._servers:
            server.close()
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.wait(list(self._sessions), timeout=5.0)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=5.0)
        self._servers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        self.sessions_opened += 1
        self.peak_sessions = max(self.peak_sessions, len(self._sessions))
        try:
            await Session(self, reader, writer).run()
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                writer.close()
        finally:
            self._sessions.discard(task)

    def __repr__(self) -> str:
        tls = f" tls={self.tls_port}" if self._tls else ""
        return (f"<RouterEmulator {self.router.identity} {self.profile.name} "
                f"{self.host}:{self.port}{tls}>")
