"""What an emulated router is, as a value: :class:`Profile` (version, board,
table sizes, traffic rates, packages), its checks and the facts derived from it
(login methods, date format, radio kind, per-interface rates).

The named profiles (``v6``, ``v7``, ...) are in :mod:`mikromon.emulator.profiles`.
RouterOS facts behind the rules: shared/ROUTEROS-API.md §5 and §9 and the capture
files named in each docstring.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from mikromon.emulator.boards import BOARDS, Board

__all__ = ["LOOPBACK_RATES", "PACKAGES", "InterfaceRates", "Profile", "check_link_rate"]

#: An ethernet link rate as ``/interface/ethernet/monitor`` prints it (``10Mbps``,
#: ``100Mbps``, ``1Gbps``, ``2.5Gbps``, ``10Gbps``: interface_ethernet_monitor.v7).
_LINK_RATE: Final = re.compile(r"[1-9]\d*(?:\.\d+)?[MG]bps", re.ASCII)


def check_link_rate(rate: str) -> str:
    """Return ``rate`` when it is a link rate as RouterOS prints it (``1Gbps``).

    Raises:
        ValueError: anything else (``1G``, ``0Mbps``, ``""``).
    """
    if not isinstance(rate, str) or not _LINK_RATE.fullmatch(rate):
        raise ValueError(f"not an ethernet link rate as RouterOS prints it: {rate!r} "
                         "(e.g. 100Mbps, 1Gbps, 2.5Gbps)")
    return rate


#: Package names a profile may list in :attr:`Profile.packages`.
PACKAGES: Final = frozenset({"wireless", "wifi", "hotspot", "bgp", "ospf", "health",
                             "capsman", "wifi-capsman", "pppoe-server", "ipv6"})


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceRates:
    """Traffic through one interface, constant over time.

    Attributes:
        rx_bps: received bits/s (what ``monitor-traffic`` reports as
            ``rx-bits-per-second``; ``rx-byte`` grows by ``rx_bps / 8`` per second).
        tx_bps: transmitted bits/s.
        rx_pps: received packets/s (``rx-packet`` growth, ``rx-packets-per-second``).
        tx_pps: transmitted packets/s.
        rx_errors_ps: receive errors/s (``rx-error`` growth).
        tx_errors_ps: transmit errors/s.
        rx_drops_ps: receive drops/s (``rx-drop`` growth).
        tx_drops_ps: transmit drops/s (``tx-drop`` growth).
    """

    rx_bps: int
    tx_bps: int
    rx_pps: int
    tx_pps: int
    rx_errors_ps: float = 0.0
    tx_errors_ps: float = 0.0
    rx_drops_ps: float = 0.0
    tx_drops_ps: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """The shape and behaviour of one emulated router.

    Attributes:
        name: profile name (``"v7"``); reported by the fleet and ``simulate --json``.
        version: RouterOS version without channel (``"7.16.2"``); decides v6/v7 reply
            shapes, the date format (ISO since 7.10), ``!empty`` (7.18+), the
            login flavour (challenge only before 6.43) and whether the MD5 challenge
            response is accepted at all (see ``md5_login``).
        channel: release channel shown in ``/system/resource`` (``"stable"``).
        board: ``board-name`` (``"hAP ax^2"``).
        architecture: ``architecture-name`` (``"arm64"``, ``"x86_64"``).
        cpu: ``cpu`` field (``"ARM64"``).
        cpu_count: cores; also the row count of ``/system/resource/cpu``.
        cpu_frequency: MHz, or ``None`` for boards that omit the field.
        total_memory: bytes.
        total_hdd: bytes.
        routerboard: ``False`` for CHR/x86 (``/system/routerboard`` says so, no
            ``bad-blocks`` in ``/system/resource``).
        ethernet: number of Ethernet ports (``etherN``, then the SFP cages).
        sfp_ports: how many of the ``ethernet`` ports are SFP+ cages, named
            ``sfp-sfpplusN`` after the ``etherN`` ports (CCR boards); their
            ``/interface/ethernet/monitor`` rows carry the ``sfp-*`` fields and
            they run at ``10Gbps`` unless ``link_rates`` names them.
        vlans: number of ``vlanN`` interfaces.
        bridges: number of ``bridgeN`` interfaces.
        radios: number of wireless interfaces: ``wlanN`` (legacy ``wireless``
            package, listed in ``/interface/wireless``) or, without it, ``wifiN``
            (``wifi`` package, ``/interface/wifi``); none without either package.
        rx_bps: bits/s received by the first interface; interface ``i`` (0-based,
            in ``/interface`` order) receives ``rx_bps * (i % 4 + 1)`` unless
            ``rates`` names it.
        tx_bps: bits/s sent by the first interface (scaled like ``rx_bps``).
        packet_size: mean packet size in bytes used to derive packets/s from bits/s.
        rates: explicit :class:`InterfaceRates` per interface name.
        link_rates: negotiated rate per ether port name (``{"ether1": "100Mbps"}``),
            as ``/interface/ethernet/monitor`` shows it; ports not named run at
            ``1Gbps``.
        dhcp_leases: rows in ``/ip/dhcp-server/lease`` (upper bound; ``churn`` of
            them come and go).
        ppp_sessions: rows in ``/ppp/active`` (upper bound, churning).
        hotspot_users: rows in ``/ip/hotspot/active`` (upper bound, churning).
        arp_entries: rows in ``/ip/arp``.
        routes: rows in ``/ip/route`` (generated on demand; 100,000+ is fine).
        connections: ``/ip/firewall/connection`` count (varies by +-``churn``).
        packages: present optional packages, a subset of :data:`PACKAGES`. Paths of
            an absent package trap with ``no such command prefix``; an absent
            ``health`` gives an empty ``/system/health`` reply (CHR). ``capsman``
            (with ``wireless``): the legacy CAPsMAN manager is on, ``/caps-man``
            lists two CAP interfaces and their clients (without it the menus of
            the wireless package are there, empty). ``ipv6``: the RouterOS 6
            ipv6 package is enabled (``/ipv6/*`` menus); 7.x always has IPv6.
            ``wifi-capsman`` (with
            ``wifi``, 7.13+): the wifi package's CAPsMAN manager is on with its CAPs
            (:mod:`mikromon.emulator.menus_capsman`). ``pppoe-server``: a PPPoE
            concentrator whose ``ppp_sessions`` customers connect and disconnect
            (:mod:`mikromon.emulator.profiles_isp`).
        uptime_s: seconds of uptime the router has when the emulator starts.
        churn: fraction (0..1) of leases/sessions/users that come and go.
        churn_period_s: seconds between changes of the churning tables.
        traffic_swing: fraction (0 <= swing < 1) by which each interface's traffic
            swings around its configured rate, smoothly over minutes (a different
            phase per interface and router); counters stay the integral of the
            moving rate. 0 (default) keeps every rate constant, so that tests can
            compare computed rates with :attr:`RouterEmulator.rates` exactly.
        empty_menus: menus the router has but that hold no rows (``/queue/simple``
            on a router without queues); with 7.18+ their prints answer ``!empty``.
        md5_login: whether the challenge/response (MD5) login is accepted;
            ``None`` (default) follows the version, see :attr:`md5_accepted`.
            ``True``/``False`` force it either way.
        comment_encoding: ``None`` (default): comments as captured (ASCII). A
            codec name (``"cp1251"``, ``"utf-8"``): some interface and DHCP lease
            comments are Cyrillic text sent as raw bytes in that encoding, as
            when an operator typed them in Winbox on a PC with that codepage
            (shared/ROUTEROS-API.md §7 "Text encoding": RouterOS stores bytes,
            word lengths are byte counts).
        gmt_offset_s: the router's ``gmt-offset`` in seconds east of UTC (0:
            UTC). ``/system/clock`` shows local ``date``/``time`` at this offset
            (settable later with :meth:`Router.set_time_zone`).
        time_zone_name: ``/system/clock`` ``time-zone-name`` (``manual`` or a TZ
            database name such as ``Europe/Riga``).
    """

    name: str
    version: str
    channel: str = "stable"
    board: str = "hAP ax^2"
    architecture: str = "arm64"
    cpu: str = "ARM64"
    cpu_count: int = 4
    cpu_frequency: int | None = 864
    total_memory: int = 1073741824
    total_hdd: int = 134217728
    routerboard: bool = True
    ethernet: int = 5
    sfp_ports: int = 0
    vlans: int = 2
    bridges: int = 1
    radios: int = 2
    rx_bps: int = 2_000_000
    tx_bps: int = 500_000
    packet_size: int = 500
    rates: Mapping[str, InterfaceRates] = field(default_factory=dict, hash=False)
    link_rates: Mapping[str, str] = field(default_factory=dict, hash=False)
    dhcp_leases: int = 20
    ppp_sessions: int = 2
    hotspot_users: int = 2
    arp_entries: int = 24
    routes: int = 5
    connections: int = 4187
    packages: frozenset[str] = frozenset({"hotspot", "bgp", "ospf", "health"})
    uptime_s: float = 3 * 86400 + 4 * 3600 + 5 * 60 + 6
    churn: float = 0.1
    churn_period_s: float = 60.0
    traffic_swing: float = 0.0
    empty_menus: frozenset[str] = frozenset()
    md5_login: bool | None = None
    comment_encoding: str | None = None
    gmt_offset_s: int = 0
    time_zone_name: str = "manual"

    def __post_init__(self) -> None:
        unknown = set(self.packages) - PACKAGES
        if unknown:
            raise ValueError(f"profile {self.name!r}: unknown packages {sorted(unknown)}")
        if self.version_tuple < (6, 0):
            raise ValueError(f"profile {self.name!r}: version {self.version!r} is not 6.x/7.x")
        if "capsman" in self.packages and "wireless" not in self.packages:
            raise ValueError(f"profile {self.name!r}: capsman needs the wireless package")
        if "wifi-capsman" in self.packages and ("wifi" not in self.packages
                                                 or self.version_tuple < (7, 13)):
            raise ValueError(f"profile {self.name!r}: wifi-capsman needs the wifi package "
                             "of RouterOS 7.13+")
        if "wifi" in self.packages and self.version_tuple < (7, 0):
            raise ValueError(f"profile {self.name!r}: the wifi package needs RouterOS 7")
        if not 0 <= self.sfp_ports <= self.ethernet:
            raise ValueError(f"profile {self.name!r}: sfp_ports must be within 0..ethernet")
        for attr in ("ethernet", "vlans", "bridges", "radios", "dhcp_leases", "ppp_sessions",
                     "hotspot_users", "arp_entries", "routes", "connections", "cpu_count"):
            if getattr(self, attr) < 0:
                raise ValueError(f"profile {self.name!r}: {attr} must be >= 0")
        if not 0.0 <= self.churn <= 1.0:
            raise ValueError(f"profile {self.name!r}: churn must be within 0..1")
        if not 0.0 <= self.traffic_swing < 1.0:
            raise ValueError(f"profile {self.name!r}: traffic_swing must be within 0..1 "
                             "(1 excluded: counters never go back)")
        if abs(self.gmt_offset_s) > 14 * 3600:
            raise ValueError(f"profile {self.name!r}: gmt_offset_s must be within +-14 h")
        for port, rate in self.link_rates.items():
            try:
                check_link_rate(rate)
            except ValueError as err:
                raise ValueError(f"profile {self.name!r}: link_rates[{port!r}]: {err}") from None
        if self.comment_encoding is not None:
            try:
                codecs.lookup(self.comment_encoding)
            except LookupError:
                raise ValueError(f"profile {self.name!r}: unknown comment_encoding "
                                 f"{self.comment_encoding!r}") from None

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        """``(major, minor, patch)`` parsed from :attr:`version` (missing parts are 0)."""
        parts = [int(p) if p.isdigit() else 0 for p in self.version.split(".")[:3]]
        while len(parts) < 3:
            parts.append(0)
        return parts[0], parts[1], parts[2]

    @property
    def major(self) -> int:
        """6 or 7."""
        return self.version_tuple[0]

    @property
    def sends_empty(self) -> bool:
        """Whether replies without data start with ``!empty`` (RouterOS 7.18+)."""
        return self.version_tuple[:2] >= (7, 18)

    @property
    def iso_dates(self) -> bool:
        """Whether dates are ``2024-10-08 11:14:27`` (7.10+) rather than ``oct/08/2024 ...``."""
        return self.version_tuple[:2] >= (7, 10)

    @property
    def plain_login(self) -> bool:
        """Whether ``/login =name= =password=`` logs in (6.43+); older answers ``=ret=``."""
        return self.version_tuple[:2] >= (6, 43)

    @property
    def md5_accepted(self) -> bool:
        """Whether the MD5 challenge response completes a login.

        :attr:`md5_login` when set; otherwise ``True`` up to 6.45.1 and ``False``
        after. The wiki calls the challenge method "deprecated and no longer
        supported in versions above 6.45.1", and a 6.47.6 router was seen to
        answer a bare ``/login`` with ``=ret=`` yet refuse the MD5 response with
        ``invalid user name or password (6)`` (shared/ROUTEROS-API.md §5). 6.43 to
        6.45.1 accept both logins, so that is where the cut is made.
        """
        if self.md5_login is not None:
            return self.md5_login
        return self.version_tuple <= (6, 45, 1)

    @property
    def radio_kind(self) -> str | None:
        """``/interface`` type of the radios: ``wlan`` (wireless package), ``wifi``
        (wifi package, 7.13+), ``wifiwave2`` (wifi package before 7.13) or ``None``."""
        if self.radios == 0:
            return None
        if "wireless" in self.packages:
            return "wlan"
        if "wifi" in self.packages:
            return "wifi" if self.version_tuple[:2] >= (7, 13) else "wifiwave2"
        return None

    @property
    def radio_names(self) -> list[str]:
        """Names of the wireless interfaces (``wlan1``.. or ``wifi1``..; may be empty)."""
        kind = self.radio_kind
        if kind is None:
            return []
        prefix = "wlan" if kind == "wlan" else "wifi"
        return [f"{prefix}{i + 1}" for i in range(self.radios)]

    @property
    def interface_count(self) -> int:
        """Ethernet + radio + VLAN + bridge interfaces."""
        return self.ethernet + len(self.radio_names) + self.vlans + self.bridges

    @property
    def board_facts(self) -> Board | None:
        """The :class:`Board` of :attr:`board` (``None`` for CHR/x86 and unknown boards)."""
        return BOARDS.get(self.board) if self.routerboard else None

    def rates_for(
        self, index: int, name: str, *, kind: str = "ether", running: bool = True
    ) -> InterfaceRates:
        """Return the mean traffic of interface ``name`` at position ``index`` (0-based).

        Explicit :attr:`rates` win. Otherwise an interface that is not running (or
        disabled) carries nothing, as on a real router; a loopback (``kind``
        ``loopback``) carries :data:`LOOPBACK_RATES` (a few kbit/s of the router
        talking to itself); any other interface ``rx_bps``/``tx_bps`` scaled by
        ``index % 4 + 1``, packets/s = bits/s / 8 / ``packet_size`` (rounded down).

        Args:
            index: position in ``/interface``.
            name: interface name.
            kind: ``/interface`` type (``ether``, ``bridge``, ``loopback``, ...).
            running: whether ``/interface`` shows it running (and not disabled).
        """
        explicit = self.rates.get(name)
        if explicit is not None:
            return explicit
        if not running:
            return InterfaceRates(rx_bps=0, tx_bps=0, rx_pps=0, tx_pps=0)
        if kind == "loopback":
            return LOOPBACK_RATES
        scale = index % 4 + 1
        rx, tx = self.rx_bps * scale, self.tx_bps * scale
        size = max(1, self.packet_size) * 8
        return InterfaceRates(rx_bps=rx, tx_bps=tx, rx_pps=rx // size, tx_pps=tx // size)

    def replace(self, **changes: Any) -> Profile:
        """Return a copy with ``changes`` applied (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


#: Traffic of a loopback interface: the router's own services talking to
#: themselves, a few kbit/s of small packets (the same in both directions).
LOOPBACK_RATES: Final = InterfaceRates(rx_bps=24_000, tx_bps=24_000, rx_pps=25, tx_pps=25)
