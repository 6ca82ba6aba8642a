"""Emulated routers for tests: a fleet on 127.0.0.1, ephemeral ports.

Synchronous tests (any thread)::

    from mikromon.emulator.testing import running_emulators

    with running_emulators(count=2, profile="v7") as routers:
        r = routers[0]
        api = librouteros.connect(r.host, r.username, r.password, port=r.port)
        ...
        r.set_fault(delay=2.0)      # thread-safe; in effect when it returns
        r.reboot()                  # uptime and counters restart from 0
        r.set_value("/system/resource", "cpu-load", "n/a")   # an odd value
        r.rates["ether1"].rx_bps    # what monitor-traffic reports (bits/s)

Async tests (pytest-asyncio), same loop as the test::

    async with async_emulators(count=1, profile="v6", tls=True) as routers:
        api = await librouteros.async_connect(routers[0].host, ..., port=routers[0].port)

Keyword arguments go to :class:`mikromon.emulator.fleet.Fleet`: ``tls_mode``
(``"cert"``/``"adh"``), ``username``, ``password``, ``clock`` (e.g. a
:class:`mikromon.emulator.dynamics.ManualClock` to drive counters exactly).
For API-SSL clients use :func:`mikromon.emulator.tls.client_context`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

from mikromon import event_loop
from mikromon.emulator.fleet import Fleet
from mikromon.emulator.profile_model import InterfaceRates, Profile
from mikromon.emulator.server import RouterEmulator

T = TypeVar("T")


class EmulatorHandle:
    """A thread-safe remote control for one router running in the background loop.

    Attributes:
        host: ``127.0.0.1``.
        port: API port.
        tls_port: API-SSL port, or ``None`` when the fleet runs without TLS.
        tls_mode: ``"cert"`` or ``"adh"`` (meaningful when ``tls_port`` is set).
        username: login name.
        profile: the router's :class:`Profile` (``.name``, ``.version``, ...).
        identity: ``/system/identity`` name.
        emulator: the underlying :class:`RouterEmulator` (touch only from its loop).
    """

    def __init__(self, emulator: RouterEmulator, loop: asyncio.AbstractEventLoop) -> None:
        self.emulator = emulator
        self._loop = loop
        self.host = emulator.host
        self.port = emulator.port
        self.tls_port = emulator.tls_port
        self.tls_mode = emulator.tls_mode
        self.username = emulator.username
        self.profile: Profile = emulator.profile
        self.identity = emulator.router.identity

    def _call(self, fn: Callable[[], T]) -> T:
        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    @property
    def password(self) -> str:
        """The password the router accepts now."""
        return self.emulator.password

    @property
    def version(self) -> str:
        """RouterOS version (``"7.16.2"``)."""
        return self.profile.version

    @property
    def rates(self) -> dict[str, InterfaceRates]:
        """Configured traffic per interface name: ``rx_bps``/``tx_bps`` (bits/s) and
        ``rx_pps``/``tx_pps`` (packets/s); constant for the router's life. It is the
        exact rate of the counters unless the profile has a ``traffic_swing``
        (then the mean around which the traffic moves)."""
        return dict(self.emulator.rates)

    def uptime(self) -> float:
        """The router's uptime now (seconds)."""
        return self.emulator.router.uptime()

    def reboot(self) -> None:
        """Reset uptime and interface counters to 0."""
        self._call(self.emulator.reboot)

    def set_fault(self, **faults: Any) -> None:
        """Set faults: ``delay`` (s), ``drop_mid_sentence``, ``garbage``, ``trickle``
        (bytes/s), ``refuse_login``, ``blackhole``, ``endless_rows``, ``endless_sentence``
        (see :mod:`mikromon.emulator.faults`). In effect when this returns.

        Raises:
            ValueError: unknown fault or bad value.
        """
        self._call(lambda: self.emulator.set_fault(**faults))

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._call(self.emulator.clear_faults)

    def set_value(self, path: str, field: str, text: str | None, row: int | None = None) -> None:
        """Serve ``text`` as ``field`` of ``path`` over the API from now on
        (``set_value("/interface", "rx-byte", "", row=2)``); ``row`` is the row's
        position (``None``: every row), ``text`` ``None`` leaves the field out.
        In effect when this returns.

        Raises:
            KeyError: the router has no such menu.
        """
        self._call(lambda: self.emulator.set_value(path, field, text, row))

    def clear_values(self) -> None:
        """Serve every menu as built again."""
        self._call(self.emulator.clear_values)

    def set_password(self, password: str) -> None:
        """Accept ``password`` from now on (open sessions stay logged in)."""
        self._call(lambda: self.emulator.set_password(password))

    def set_cpu_load(self, percent: float | None) -> None:
        """Report ``percent`` (0-100) as CPU load (``/system/resource`` and every core)
        from now on; ``None``: the moving load again.

        Raises:
            ValueError: outside 0-100.
        """
        self._call(lambda: self.emulator.set_cpu_load(percent))

    def set_temperature(self, celsius: float | None, sensor: str = "temperature") -> None:
        """Report ``celsius`` for health sensor ``sensor`` (``temperature``,
        ``cpu-temperature``); ``None``: as before.

        Raises:
            ValueError: below -60 or above 200.
        """
        self._call(lambda: self.emulator.set_temperature(celsius, sensor))

    def set_health_state(self, sensor: str, state: str | bool | None) -> None:
        """Report ``state`` for the health state sensor ``sensor`` (``psu1-state``,
        ``fan-state``) from the next read on: the router's word (``ok``, ``fail``,
        any word), ``True``/``False`` for ``ok``/``fail``, ``None``: as before.

        Raises:
            ValueError: an empty word or one with spaces or ``=``.
        """
        self._call(lambda: self.emulator.set_health_state(sensor, state))

    def set_link(self, name: str, running: bool) -> None:
        """Set interface ``name`` running (link up) or not.

        Raises:
            KeyError: no such interface.
        """
        self._call(lambda: self.emulator.set_link(name, running))

    def set_link_rate(self, name: str, rate: str) -> None:
        """Set ether port ``name``'s negotiated rate (``100Mbps``, ``2.5Gbps``), as
        ``/interface/ethernet/monitor`` shows it while the link runs.

        Raises:
            KeyError: no such ether port.
            ValueError: not a rate as RouterOS prints it.
        """
        self._call(lambda: self.emulator.set_link_rate(name, rate))

    def set_bgp(self, peer: str, established: bool | None) -> None:
        """Report BGP peer ``peer`` (v6 peer name, v7 connection or session name)
        established or not; ``None``: as captured."""
        self._call(lambda: self.emulator.set_bgp(peer, established))

    def set_ospf(self, neighbor: str, state: str | None) -> None:
        """Report OSPF neighbour ``neighbor`` (router-id or address) in ``state``
        (``Full``, ``Init``...; ``Down`` removes it from the list); ``None``: as captured.

        Raises:
            ValueError: not an OSPF state.
        """
        self._call(lambda: self.emulator.set_ospf(neighbor, state))

    def set_remote_logging(self, host: str | None, port: int = 514, protocol: str = "udp",
                           fmt: str = "default") -> None:
        """Send state changes (link up/down, reboot) as syslog to ``host``:``port``
        (``udp``/``tcp``, format ``default``/``syslog``); ``host=None``: stop.

        Raises:
            ValueError: a non-loopback host, unknown protocol or format, bad port.
        """
        self._call(lambda: self.emulator.set_remote_logging(host, port, protocol, fmt))

    def send_syslog(self, topics: str, message: str, *, host: str | None = None,
                    port: int | None = None, protocol: str | None = None,
                    fmt: str | None = None) -> None:
        """Send one log line (``topics`` like ``system,error,critical``) as syslog in
        RouterOS's format, to ``host``:``port`` or through the remote logging action.

        Raises:
            ValueError: no destination or bad values. OSError: not sent (TCP refused).
        """
        self._call(lambda: self.emulator.send_syslog(topics, message, host=host, port=port,
                                                     protocol=protocol, fmt=fmt))

    def set_time_zone(self, gmt_offset_s: int, name: str = "manual", dst: bool = False) -> None:
        """Move the router's ``/system/clock`` to ``gmt_offset_s`` seconds east of UTC.

        Raises:
            ValueError: beyond +-14 hours or not whole minutes.
        """
        self._call(lambda: self.emulator.set_time_zone(gmt_offset_s, name, dst))

    @property
    def session_count(self) -> int:
        """Open client connections now."""
        return self._call(lambda: self.emulator.session_count)

    def sessions(self) -> tuple[int, int, int]:
        """``(open now, accepted since start, most open at once)`` client connections."""
        em = self.emulator
        return self._call(lambda: (em.session_count, em.sessions_opened, em.peak_sessions))

    def __repr__(self) -> str:
        return f"<EmulatorHandle {self.identity} {self.profile.name} {self.host}:{self.port}>"


@contextlib.contextmanager
def running_emulators(
    count: int = 1, profile: str | Profile = "v7", tls: bool = False, **kw: Any
) -> Iterator[list[EmulatorHandle]]:
    """Run ``count`` routers in a background thread; yield one handle per router.

    Args:
        count: number of routers.
        profile: profile name (``v6``, ``v6-legacy``, ``v7``, ``v7-empty``, ``chr``,
            ``mixed``) or a :class:`Profile`.
        tls: serve API-SSL too (``tls_mode="cert"`` default, or ``"adh"``).
        **kw: more :class:`Fleet` options (``tls_mode``, ``username``, ``password``,
            ``clock``, ``identities``, ``traffic_swing``). ``host`` and ``base_port``
            are fixed to 127.0.0.1 and 0.

    Raises:
        ValueError: bad options. OSError: the routers could not be started.
    """
    kw.pop("host", None)
    kw.pop("base_port", None)
    fleet = Fleet(count, profile=profile, tls=tls, **kw)
    loop = event_loop.new_event_loop()
    started: Future[None] = Future()

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(fleet.start())
        except BaseException as err:
            started.set_exception(err)
            loop.close()
            return
        started.set_result(None)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(fleet.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=main, name="mikromon-emulators", daemon=True)
    thread.start()
    started.result(timeout=60)
    try:
        yield [EmulatorHandle(r, loop) for r in fleet.routers]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


@contextlib.asynccontextmanager
async def async_emulators(
    count: int = 1, profile: str | Profile = "v7", tls: bool = False, **kw: Any
) -> AsyncIterator[list[RouterEmulator]]:
    """Run ``count`` routers in the current event loop (async tests).

    Yields :class:`RouterEmulator` objects (same attributes and methods as
    :class:`EmulatorHandle`, called directly). Arguments as for
    :func:`running_emulators`.
    """
    kw.pop("host", None)
    kw.pop("base_port", None)
    fleet = Fleet(count, profile=profile, tls=tls, **kw)
    await fleet.start()
    try:
        yield fleet.routers
    finally:
        await fleet.stop()
