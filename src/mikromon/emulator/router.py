"""One emulated router's state, independent of any connection.

:class:`Router` answers "what would ``<path>/print`` return now": its menus
(:mod:`mikromon.emulator.menus`) build tables from the captures and the
:class:`Profile`, moving values are computed from its clock when read, and
:meth:`Router.resolve` classifies command words for the session
(:mod:`mikromon.emulator.session`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mikromon.emulator.commands as commands
import mikromon.emulator.interfaces as interfaces
from mikromon.domain.clock import Clock, SystemClock
from mikromon.emulator.coherence import CoherentTable, InterfaceNames
from mikromon.emulator.controls import StateControls
from mikromon.emulator.data import capture, legacy_row
from mikromon.emulator.dynamics import render_duration, smooth_noise
from mikromon.emulator.generated import Moment
from mikromon.emulator.menus import Menu, dynamic_interface_names, menus_for
from mikromon.emulator.profile_model import InterfaceRates, Profile, check_link_rate
from mikromon.emulator.tables import OverriddenTable, Row, Table


@dataclass(frozen=True, slots=True)
class Resolved:
    """How a command word resolves on this router.

    Attributes:
        kind: ``"print"`` (print/getall), ``"listen"``, ``"command"`` (a menu's own
            command such as ``monitor-traffic``), ``"api"`` (login/cancel/quit),
            ``"no-command"`` (known menu, unknown command) or ``"no-prefix"``
            (unknown menu, also for paths of absent packages).
        menu: the menu path (``/interface``), ``""`` for API commands.
        command: the last word (``print``).
    """

    kind: str
    menu: str
    command: str


#: OSPF neighbour states (RouterOS spelling, /routing/ospf/neighbor ``state``).
OSPF_STATES = ("Down", "Attempt", "Init", "2-Way", "ExStart", "Exchange", "Loading", "Full")


class Router:
    """The state of one emulated router. Thread-safe for :meth:`reboot`.

    Args:
        profile: what the router is.
        index: position in its fleet (default identity ``rtr-0001`` for index 0).
        seed: pseudo-random seed (default: ``index``).
        clock: time source (default :class:`SystemClock`); its ``time()``, when
            it has one, is the router's wall clock (``/system/clock``, in UTC).
        identity: ``/system/identity`` name.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        index: int = 0,
        seed: int | None = None,
        clock: Clock | None = None,
        identity: str | None = None,
    ) -> None:
        self.profile = profile
        self.index = index
        self.seed = index if seed is None else seed
        self.clock: Clock = clock or SystemClock()
        self.identity = identity or f"rtr-{index + 1:04d}"
        self.menus: dict[str, Menu] = menus_for(profile)
        self._prefixes = {path.rsplit("/", k)[0] for path in self.menus
                          for k in range(1, path.count("/"))}
        self._lock = threading.Lock()
        self._boot = self.clock.monotonic()
        self._wall: Callable[[], float] = getattr(self.clock, "time", None) or _anchored(
            self.clock)
        self._uptime0 = profile.uptime_s
        self.reboots = 0
        self.ports = interfaces.ports(profile)
        self.port_rates: list[InterfaceRates] = [
            profile.rates_for(p.index, p.name, kind=p.kind, running=p.running)
            for p in self.ports]
        self._rates = {p.name: r for p, r in zip(self.ports, self.port_rates, strict=True)}
        self._port_index = {p.name: p.index for p in self.ports}
        self._names = InterfaceNames(self.ports, dynamic_interface_names(profile))
        self._zone = (profile.gmt_offset_s, profile.time_zone_name, False)
        #: menu path -> values set by :meth:`set_value` (row, field, text).
        self._values: dict[str, list[tuple[int | None, str, str | None]]] = {}
        self.controls = StateControls()

    # -- time -------------------------------------------------------------------
    def uptime(self) -> float:
        """Seconds since boot (float)."""
        with self._lock:
            return self._uptime0 + self.clock.monotonic() - self._boot

    def age(self, seconds: float) -> None:
        """Add ``seconds`` (>= 0) to the uptime, as if the router had booted that much
        earlier (a restarted demo continues its routers' uptime); counters follow."""
        with self._lock:
            self._uptime0 += max(0.0, seconds)

    def reboot(self) -> None:
        """Restart: uptime and every interface counter start again from 0."""
        with self._lock:
            self._boot = self.clock.monotonic()
            self._uptime0 = 0.0
            self.reboots += 1

    def set_time_zone(self, gmt_offset_s: int, name: str = "manual", dst: bool = False) -> None:
        """Put the router in another time zone: ``/system/clock`` then shows local
        ``date``/``time`` at ``gmt_offset_s`` seconds east of UTC, ``gmt-offset``
        (``+03:00``), ``time-zone-name`` ``name`` and ``dst-active`` ``dst``.

        Raises:
            ValueError: the offset is beyond +-14 hours or not whole minutes.
        """
        if abs(gmt_offset_s) > 14 * 3600 or gmt_offset_s % 60:
            raise ValueError(f"gmt offset {gmt_offset_s} s: whole minutes within +-14 h")
        with self._lock:
            self._zone = (int(gmt_offset_s), name, bool(dst))

    # -- state controls (tests, simulate) -----------------------------------------------
    def set_cpu_load(self, percent: float | None) -> None:
        """Report ``percent`` (0-100) as the CPU load from now on; ``None``: as before.

        Raises:
            ValueError: outside 0-100.
        """
        if percent is not None and not 0 <= percent <= 100:
            raise ValueError(f"cpu load must be 0-100 %, got {percent}")
        self.controls.cpu_load = None if percent is None else int(percent)

    def set_temperature(self, celsius: float | None, sensor: str = "temperature") -> None:
        """Report ``celsius`` for health sensor ``sensor`` (``temperature``,
        ``cpu-temperature``...); ``None``: as before.

        Raises:
            ValueError: below -60 or above 200 °C.
        """
        if celsius is None:
            self.controls.temperatures.pop(sensor, None)
            return
        if not -60 <= celsius <= 200:
            raise ValueError(f"temperature must be -60..200 °C, got {celsius}")
        self.controls.temperatures[sensor] = int(celsius)

    def set_health_state(self, sensor: str, state: str | bool | None) -> None:
        """Report ``state`` for the state sensor ``sensor`` (``psu1-state``,
        ``fan1-state``, ``fan-state``) from now on: v7 a row of type ``""`` (added
        when the board has no such sensor), v6 a key of the flat row. ``state`` is
        the router's word (``ok``, ``fail`` or any other), ``True``/``False`` for
        ``ok``/``fail``, or ``None``: as before. Without a call, v7 state rows read
        ``ok``.

        Raises:
            ValueError: ``sensor`` or the word is empty or has spaces or ``=``.
        """
        if state is None:
            self.controls.health_states.pop(sensor, None)
            return
        word = ("ok" if state else "fail") if isinstance(state, bool) else state
        for text in (sensor, word):
            if not text or any(c.isspace() or c == "=" for c in text):
                raise ValueError(f"health sensor and state must be single words, got {text!r}")
        self.controls.health_states[sensor] = word

    def set_link(self, name: str, running: bool) -> None:
        """Set interface ``name``'s ``running`` flag (cable pulled / plugged back).

        Raises:
            KeyError: no such interface.
        """
        index = self._port_index[self.port_name(name)]
        self.ports[index] = dataclasses.replace(self.ports[index], running=bool(running))

    def set_link_rate(self, name: str, rate: str) -> None:
        """Set ether port ``name``'s negotiated rate (``100Mbps``, ``2.5Gbps``: the
        link renegotiated), shown by ``/interface/ethernet/monitor`` while it runs.

        Raises:
            KeyError: no such ether port.
            ValueError: ``rate`` is not a rate as RouterOS prints it.
        """
        name = self.port_name(name)
        index = self._port_index[name]
        if self.ports[index].kind != "ether":
            raise KeyError(name)
        self.ports[index] = dataclasses.replace(self.ports[index],
                                                rate=check_link_rate(rate))

    def set_bgp(self, peer: str, established: bool | None) -> None:
        """Report BGP peer ``peer`` established or not; ``None``: as captured."""
        if established is None:
            self.controls.bgp.pop(peer, None)
        else:
            self.controls.bgp[peer] = bool(established)

    def set_ospf(self, neighbor: str, state: str | None) -> None:
        """Report OSPF neighbour ``neighbor`` (router-id or address) in ``state``
        (``Full``, ``Down``...); ``None``: as captured.

        Raises:
            ValueError: not an OSPF state.
        """
        if state is None:
            self.controls.ospf.pop(neighbor, None)
            return
        match = next((s for s in OSPF_STATES if s.lower() == state.lower()), None)
        if match is None:
            raise ValueError(f"OSPF state must be one of {', '.join(OSPF_STATES)}, "
                             f"got {state!r}")
        self.controls.ospf[neighbor] = match

    def set_reachable(self, network: str, reachable: bool) -> None:
        """Make the addresses of ``network`` (``192.0.2.7`` or ``10.0.0.0/8``) time out
        in ``/ping`` and ``/tool/traceroute`` (``False``) or answer as the router's
        tables say (``True``; :mod:`mikromon.emulator.commands_tools`).

        Raises:
            ValueError: not an address or network.
        """
        text = str(ipaddress.ip_network(network, strict=False))
        if reachable:
            self.controls.unreachable.discard(text)
        else:
            self.controls.unreachable.add(text)

    def moment(self) -> Moment:
        """Snapshot of "now" for building tables."""
        with self._lock:
            now = self.clock.monotonic()
            offset, zone, dst = self._zone
            return Moment(self.profile, self.seed, now, self._uptime0 + now - self._boot,
                          self._wall(), offset, zone, dst)

    # -- menus ------------------------------------------------------------------
    @property
    def rates(self) -> dict[str, InterfaceRates]:
        """Configured (mean) traffic per interface name: what monitor-traffic reports
        and the counters grow at when the profile has no ``traffic_swing``."""
        return dict(self._rates)

    def resolve(self, word: str) -> Resolved:
        """Classify a command word (``/ip/route/print``) for this router."""
        if word in ("/login", "/cancel", "/quit"):
            return Resolved("api", "", word[1:])
        menu, _, command = word.rpartition("/")
        if commands.available(self.profile, word) is not None:
            return Resolved("command", menu, command)
        if not word.startswith("/") or not command:
            return Resolved("no-prefix", menu, command)
        if menu in self.menus:
            if command in ("print", "getall"):
                return Resolved("print", menu, command)
            if command == "listen":
                return Resolved("listen", menu, command)
            if command in self.menus[menu].commands:
                return Resolved("command", menu, command)
            return Resolved("no-command", menu, command)
        if menu in self._prefixes or menu == "" or menu in commands.prefixes(self.profile):
            return Resolved("no-command", menu, command)
        return Resolved("no-prefix", menu, command)

    def table(self, path: str, moment: Moment | None = None) -> Table:
        """Build the table of menu ``path`` for one read, its rows made to agree with
        this router (:mod:`mikromon.emulator.coherence`).

        Raises:
            KeyError: the menu does not exist on this router.
        """
        m = moment or self.moment()
        table: Table = CoherentTable(self.menus[path].build(self, m), self._names, m.uptime)
        values = self._values.get(path)
        return OverriddenTable(table, values) if values else table

    def set_value(self, path: str, field: str, text: str | None, row: int | None = None) -> None:
        """Serve ``text`` as ``field`` of ``path`` from now on (tests of odd values:
        ``set_value("/system/resource", "cpu-load", "n/a")``); ``None`` leaves the
        field out. Later calls for the same row and field replace earlier ones.

        Args:
            path: menu path (``/interface``).
            field: property name (``rx-byte``).
            text: the raw text to send, or ``None`` to drop the field.
            row: position of the row in the table (``0`` first), ``None`` for every row.

        Raises:
            KeyError: the router has no such menu.
        """
        if path not in self.menus:
            raise KeyError(f"no menu {path} on this router")
        values = [v for v in self._values.get(path, []) if (v[0], v[1]) != (row, field)]
        values.append((row, field, text))
        self._values[path] = values

    def clear_values(self) -> None:
        """Forget every value set by :meth:`set_value`."""
        self._values.clear()

    def resource_row(self, m: Moment) -> Row:
        """``/system/resource`` now (capture system_resource.v6/v7 key set)."""
        p = self.profile
        row = dict(capture("system_resource.v7" if p.major >= 7 else "system_resource.v6")
                   .rows[0])
        load = int(3 + 60 * smooth_noise(self.seed, 1, m.now, 10.0) ** 2)
        if self.controls.cpu_load is not None:
            load = self.controls.cpu_load
        free = int(p.total_memory * (0.35 + 0.3 * smooth_noise(self.seed, 2, m.now, 60.0)))
        row.update({
            "uptime": render_duration(int(m.uptime)),
            "version": f"{p.version} ({p.channel})",
            "free-memory": str(free - free % 4096), "total-memory": str(p.total_memory),
            "cpu": p.cpu, "cpu-count": str(p.cpu_count),
            "cpu-frequency": str(p.cpu_frequency), "cpu-load": str(load),
            "free-hdd-space": str(int(p.total_hdd * 0.69) // 4096 * 4096),
            "total-hdd-space": str(p.total_hdd),
            "write-sect-since-reboot": str(int(m.uptime // 60)),
            "architecture-name": p.architecture, "board-name": p.board,
        })
        if p.major >= 7 and not p.iso_dates:
            row["build-time"] = legacy_row(row)["build-time"].capitalize()
        if p.cpu_frequency is None:
            del row["cpu-frequency"]
        if not p.routerboard:
            row.pop("bad-blocks", None)
        return row

    def port_name(self, token: str) -> str:
        """Map an interface reference (name or ``.id`` such as ``*3``) to its name.

        Raises:
            KeyError: no such interface.
        """
        if token.startswith("*"):
            try:
                return self.ports[int(token[1:], 16) - 1].name
            except (ValueError, IndexError):
                raise KeyError(token) from None
        if token not in self._rates:
            raise KeyError(token)
        return token

    def monitor_traffic(self, names: Sequence[str]) -> list[Row]:
        """One ``monitor-traffic`` row per interface (name or ``.id``), in the order
        given, carrying the configured rates (moved by the profile's
        ``traffic_swing``, as the counters are, when it has one).

        Raises:
            KeyError: an unknown interface.
        """
        out = []
        uptime = self.uptime()
        for token in names:
            name = self.port_name(token)
            now = interfaces.rates_now(self.profile, self.seed, self._port_index[name], uptime,
                                       self._rates[name])
            out.append(interfaces.traffic_row(self.profile, name, now))
        return out

    def ethernet_monitor(self, names: Sequence[str]) -> list[Row]:
        """One ``/interface/ethernet/monitor`` row per ether port (name or ``.id``),
        in the order given: ``status=link-ok`` and the port's ``rate`` while it
        runs, ``status=no-link`` without a rate while not (:meth:`set_link`).

        Raises:
            KeyError: an unknown or non-ethernet name.
        """
        ethers = {p.name for p in self.ports if p.kind == "ether"}
        out = []
        for token in names:
            name = self.port_name(token)
            if name not in ethers:
                raise KeyError(token)
            port = self.ports[self._port_index[name]]
            row = interfaces.ethernet_monitor_row(name, port.rate if port.running else None)
            if name.startswith("sfp"):
                row.update(interfaces.sfp_fields(self.seed, port.index, self.clock.monotonic(),
                                                 port.running))
            out.append(row)
        return out


def _anchored(clock: Clock) -> Callable[[], float]:
    """Wall time for a clock without ``time()``: :func:`time.time` at creation,
    then moving with the clock's monotonic reading."""
    offset = time.time() - clock.monotonic()
    return lambda: offset + clock.monotonic()
