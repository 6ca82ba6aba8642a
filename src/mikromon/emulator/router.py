"""One emulated router's state and menus, independent of any connection.

:class:`Router` answers "what would ``<path>/print`` return now": it maps each menu to
a table built from the captures (package data) and the :class:`Profile`, computes
moving values from its clock when read, and knows which menus exist on its version
and packages. The protocol side lives in :mod:`mikromon.emulator.session`.

Menus served (v6 or v7 shape by profile version; sources are the capture files):
``/interface``, ``/interface/ethernet``, ``/interface/wireless/registration-table``
(package wireless), ``/interface/wifi/registration-table`` (package wifi, 7.13+;
``/interface/wifiwave2/...`` before), ``/ip/address``, ``/ip/arp``,
``/ip/dhcp-server/lease``, ``/ip/firewall/connection``, ``/ip/firewall/filter``,
``/ip/firewall/nat``, ``/ip/hotspot/active`` (package hotspot), ``/ip/neighbor``,
``/ip/route``, ``/ip/service``, ``/log``, ``/ppp/active``, ``/queue/simple``,
``/routing/bgp/peer`` (v6) or ``/routing/bgp/connection`` + ``/session`` (v7) (package
bgp), ``/routing/ospf/neighbor`` (package ospf), ``/system/health``,
``/system/identity``, ``/system/resource``, ``/system/resource/cpu``,
``/system/routerboard``, ``/user``, ``/user/active``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from mikromon.emulator import generated, interfaces
from mikromon.emulator.data import capture, legacy_row
from mikromon.emulator.dynamics import Clock, MonotonicClock, render_duration, smooth_noise
from mikromon.emulator.generated import Moment
from mikromon.emulator.profiles import InterfaceRates, Profile
from mikromon.emulator.tables import FixedTable, Row, Table

#: Commands every printable menu accepts (``getall`` is the API alias of ``print``).
PRINT_COMMANDS: Final = frozenset({"print", "getall", "listen"})

Builder = Callable[["Router", Moment], Table]


@dataclass(frozen=True, slots=True)
class Menu:
    """A printable menu.

    Attributes:
        path: API path (``/ip/route``).
        build: makes the table for one read.
        package: the optional package it needs, or ``None``.
        commands: extra commands besides print/getall/listen.
    """

    path: str
    build: Builder
    package: str | None = None
    commands: frozenset[str] = frozenset()


@functools.cache
def _legacy(name: str) -> tuple[Mapping[str, str], ...]:
    return tuple(legacy_row(r) for r in capture(name).rows)


def _static(base: str) -> Builder:
    """Serve ``base.v6``/``base.v7`` (or the unversioned file) as captured."""

    def build(router: Router, m: Moment) -> Table:
        p = router.profile
        names = ([f"{base}.v6"] if p.major < 7 else []) + [f"{base}.v7", base]
        for name in names:
            try:
                rows = capture(name).rows
            except FileNotFoundError:
                continue
            if name.endswith(".v7") and not p.iso_dates:
                rows = _legacy(name)
            return FixedTable(rows)
        raise LookupError(f"no capture for {base}")

    return build


def _generated(fn: Callable[[Moment], Table]) -> Builder:
    return lambda router, m: fn(m)


def _identity(router: Router, m: Moment) -> Table:
    return FixedTable([{"name": router.identity}])


def _routerboard(router: Router, m: Moment) -> Table:
    if not router.profile.routerboard:
        return FixedTable([{"routerboard": "false"}])
    return _static("system_routerboard")(router, m)


def _interface(router: Router, m: Moment) -> Table:
    return interfaces.interface_table(router.profile, router.seed, m.uptime,
                                      router.port_rates, router.ports)


def _ethernet(router: Router, m: Moment) -> Table:
    return interfaces.ethernet_table(router.profile, router.seed, m.uptime,
                                     router.port_rates, router.ports)


def _resource(router: Router, m: Moment) -> Table:
    return FixedTable([router.resource_row(m)])


def _cpu(router: Router, m: Moment) -> Table:
    p = router.profile
    rows = []
    for c in range(p.cpu_count):
        load = int(100 * smooth_noise(router.seed, 100 + c, m.now, 7.0) ** 3)
        rows.append({".id": f"*{c:X}", "cpu": f"cpu{c}", "load": str(load), "irq": "0",
                     "disk": "0"})
    return FixedTable(rows)


def _health(router: Router, m: Moment) -> Table:
    p = router.profile
    if "health" not in p.packages:
        return FixedTable([])
    drift = int(4 * smooth_noise(router.seed, 200, m.now, 120.0)) - 2
    if p.major < 7:
        row = dict(capture("system_health.v6").rows[0])
        row["temperature"] = str(int(row["temperature"]) + drift)
        return FixedTable([row])
    rows = []
    for r in capture("system_health.v7").rows:
        row = dict(r)
        if row["type"] == "C":
            row["value"] = str(int(row["value"]) + drift)
        rows.append(row)
    return FixedTable(rows)


def _wifi_path(profile: Profile) -> str:
    return ("/interface/wifi" if profile.version_tuple[:2] >= (7, 13)
            else "/interface/wifiwave2") + "/registration-table"


def _menus(profile: Profile) -> dict[str, Menu]:
    v7 = profile.major >= 7
    menus = [
        Menu("/interface", _interface, commands=frozenset({"monitor-traffic"})),
        Menu("/interface/ethernet", _ethernet, commands=frozenset({"monitor"})),
        Menu("/interface/wireless/registration-table",
             _static("interface_wireless_registration_table.v6"), "wireless"),
        Menu("/ip/address", _static("ip_address")),
        Menu("/ip/arp", _generated(generated.arp)),
        Menu("/ip/dhcp-server/lease", _generated(generated.dhcp_leases)),
        Menu("/ip/firewall/connection", _generated(generated.connections)),
        Menu("/ip/firewall/filter", _static("ip_firewall_filter")),
        Menu("/ip/firewall/nat", _static("ip_firewall_nat")),
        Menu("/ip/hotspot/active", _generated(generated.hotspot_active), "hotspot"),
        Menu("/ip/neighbor", _static("ip_neighbor")),
        Menu("/ip/route", _generated(generated.routes)),
        Menu("/ip/service", _static("ip_service")),
        Menu("/log", _static("log")),
        Menu("/ppp/active", _generated(generated.ppp_active)),
        Menu("/queue/simple", _static("queue_simple")),
        Menu("/routing/ospf/neighbor", _static("routing_ospf_neighbor"), "ospf"),
        Menu("/system/health", _health),
        Menu("/system/identity", _identity),
        Menu("/system/resource", _resource),
        Menu("/system/resource/cpu", _cpu),
        Menu("/system/routerboard", _routerboard),
        Menu("/user", _static("user")),
        Menu("/user/active", _static("user_active")),
    ]
    if v7:
        menus += [
            Menu(_wifi_path(profile), _static("interface_wifi_registration_table.v7"), "wifi"),
            Menu("/routing/bgp/connection", _static("routing_bgp_connection.v7"), "bgp"),
            Menu("/routing/bgp/session", _static("routing_bgp_session.v7"), "bgp"),
        ]
    else:
        menus.append(Menu("/routing/bgp/peer", _static("routing_bgp_peer.v6"), "bgp"))
    return {m.path: m for m in menus if m.package is None or m.package in profile.packages}


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


class Router:
    """The state of one emulated router. Thread-safe for :meth:`reboot`.

    Args:
        profile: what the router is.
        index: position in its fleet (default identity ``rtr-0001`` for index 0).
        seed: pseudo-random seed (default: ``index``).
        clock: time source (default :class:`MonotonicClock`).
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
        self.clock: Clock = clock or MonotonicClock()
        self.identity = identity or f"rtr-{index + 1:04d}"
        self.menus: dict[str, Menu] = _menus(profile)
        self._prefixes = {path.rsplit("/", k)[0] for path in self.menus
                          for k in range(1, path.count("/"))}
        self._lock = threading.Lock()
        self._boot = self.clock.monotonic()
        self._uptime0 = profile.uptime_s
        self.reboots = 0
        self.ports = interfaces.ports(profile)
        self.port_rates: list[InterfaceRates] = [
            profile.rates_for(p.index, p.name) for p in self.ports]

    # -- time -------------------------------------------------------------------
    def uptime(self) -> float:
        """Seconds since boot (float)."""
        with self._lock:
            return self._uptime0 + self.clock.monotonic() - self._boot

    def reboot(self) -> None:
        """Restart: uptime and every interface counter start again from 0."""
        with self._lock:
            self._boot = self.clock.monotonic()
            self._uptime0 = 0.0
            self.reboots += 1

    def moment(self) -> Moment:
        """Snapshot of "now" for building tables."""
        with self._lock:
            now = self.clock.monotonic()
            return Moment(self.profile, self.seed, now, self._uptime0 + now - self._boot)

    # -- menus ------------------------------------------------------------------
    @property
    def rates(self) -> dict[str, InterfaceRates]:
        """Configured traffic per interface name (what monitor-traffic reports)."""
        return {p.name: r for p, r in zip(self.ports, self.port_rates, strict=True)}

    def resolve(self, word: str) -> Resolved:
        """Classify a command word (``/ip/route/print``) for this router."""
        if word in ("/login", "/cancel", "/quit"):
            return Resolved("api", "", word[1:])
        menu, _, command = word.rpartition("/")
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
        if menu in self._prefixes or menu == "":
            return Resolved("no-command", menu, command)
        return Resolved("no-prefix", menu, command)

    def table(self, path: str, moment: Moment | None = None) -> Table:
        """Build the table of menu ``path`` for one read.

        Raises:
            KeyError: the menu does not exist on this router.
        """
        return self.menus[path].build(self, moment or self.moment())

    def resource_row(self, m: Moment) -> Row:
        """``/system/resource`` now (capture system_resource.v6/v7 key set)."""
        p = self.profile
        row = dict(capture("system_resource.v7" if p.major >= 7 else "system_resource.v6")
                   .rows[0])
        load = int(3 + 60 * smooth_noise(self.seed, 1, m.now, 10.0) ** 2)
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
        if token not in self.rates:
            raise KeyError(token)
        return token

    def monitor_traffic(self, names: Sequence[str]) -> list[Row]:
        """One ``monitor-traffic`` row per interface (name or ``.id``), in the order
        given, carrying the configured rates.

        Raises:
            KeyError: an unknown interface.
        """
        rates = self.rates
        out = []
        for token in names:
            name = self.port_name(token)
            out.append(interfaces.traffic_row(self.profile, name, rates[name]))
        return out

    def ethernet_monitor(self, names: Sequence[str]) -> list[Row]:
        """One ``/interface/ethernet/monitor`` row per ether name.

        Raises:
            KeyError: an unknown or non-ethernet name.
        """
        ethers = {p.name for p in self.ports if p.kind == "ether"}
        out = []
        for token in names:
            name = self.port_name(token)
            if name not in ethers:
                raise KeyError(token)
            out.append(interfaces.ethernet_monitor_row(name, link=True))
        return out
