"""``/interface``, ``/interface/ethernet`` and the interface monitor commands.

Rows take their key set from the captures (interface.v6/v7, interface_ethernet.v7,
interface_monitor_traffic.v7, interface_ethernet_monitor.v7); names, ids, MACs and
counters are the router's own. Counters are ``rate * uptime`` (64-bit, wrapping), so
they grow at exactly the profile's rates and restart from 0 after a reboot; fp-*
counters grow like their plain counterparts (everything is fast-pathed). With
:attr:`Profile.traffic_swing` the rate moves smoothly (:func:`swing_factor`) and the
counters are ``rate * traffic_time(uptime)``, the integral of the moving rate, so
``monitor-traffic`` and the counters agree at every moment.

An interface that is not running carries no traffic and a loopback very little
(:meth:`Profile.rates_for`), in every table: ``/interface``, ``/interface/ethernet``
and ``monitor-traffic``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from mikromon.emulator.codec import raw_text
from mikromon.emulator.data import capture
from mikromon.emulator.dynamics import counter, mix, noise, smooth_noise
from mikromon.emulator.profile_model import InterfaceRates, Profile
from mikromon.emulator.tables import GeneratedTable, Overrides, Row

#: Interfaces every router has after its ports, per RouterOS major (capture rows).
EXTRAS: Final = {6: ("l2tp-in1",), 7: ("lo", "pppoe-out1")}
#: Comments an operator with a Cyrillic Windows codepage might give ports and
#: leases (sent when :attr:`Profile.comment_encoding` is set). None of them is valid
#: UTF-8 once encoded in cp1251, so a client must fall back to the codepage.
LOCAL_COMMENTS: Final = ("Бухгалтерия", "Склад №2", "Гостевая сеть", "Камеры наблюдения",
                         "Приёмная")
#: Rate of an ether port the profile does not name (interface_ethernet_monitor.v7).
DEFAULT_LINK_RATE: Final = "1Gbps"
#: Rate of an SFP+ cage the profile does not name (ntc-templates
#: interface_ethernet_monitor_name_once3: sfp-sfpplus24 at 10Gbps).
SFP_LINK_RATE: Final = "10Gbps"
#: ``/interface`` type -> (l2mtu, max-l2mtu) of radio rows (reconstructed).
RADIO_MTU: Final = {"wlan": ("1600", "2290"), "wifi": ("1560", "2290"),
                    "wifiwave2": ("1560", "2290")}


@dataclass(frozen=True, slots=True)
class Port:
    """One interface of a router.

    Attributes:
        index: position in ``/interface`` (0-based); also the ``.id`` (``*index+1``).
        name: interface name (``ether1``, ``bridge1``, ``vlan10``, ``lo``).
        kind: ``ether``, a radio (``wlan``, ``wifi``, ``wifiwave2``), ``bridge``,
            ``vlan`` or the extra row's capture type (``loopback``, ``l2tp-in``).
        running: ``running`` in ``/interface`` (and not disabled): the ports are;
            an extra row is as captured (interface.v6 ``l2tp-in1`` is not).
        rate: an ``ether`` port's negotiated rate as ``/interface/ethernet/monitor``
            shows it while the link is up (``1Gbps``: :data:`DEFAULT_LINK_RATE`,
            or the profile's :attr:`~Profile.link_rates`).
    """

    index: int
    name: str
    kind: str
    running: bool = True
    rate: str = "1Gbps"


def ports(profile: Profile) -> list[Port]:
    """Return every interface of ``profile`` in ``/interface`` order."""
    copper = profile.ethernet - profile.sfp_ports
    names = [f"ether{k + 1}" for k in range(copper)]
    names += [f"sfp-sfpplus{k + 1}" for k in range(profile.sfp_ports)]
    out = [Port(i, n, "ether", rate=profile.link_rates.get(
               n, SFP_LINK_RATE if n.startswith("sfp") else DEFAULT_LINK_RATE))
           for i, n in enumerate(names)]
    kind = profile.radio_kind
    out += [Port(len(out) + k, name, kind or "") for k, name in enumerate(profile.radio_names)]
    out += [Port(len(out) + k, f"bridge{k + 1}", "bridge") for k in range(profile.bridges)]
    out += [Port(len(out) + k, f"vlan{k + 10}", "vlan") for k in range(profile.vlans)]
    for name in EXTRAS[7 if profile.major >= 7 else 6]:
        row = _extra_rows(profile.major)[name]
        running = row.get("running") == "true" and row.get("disabled") != "true"
        out.append(Port(len(out), name, row["type"], running))
    return out


#: Periods (seconds) and weights of the two waves that move traffic with
#: :attr:`Profile.traffic_swing` (weights sum to 1, so the rate stays within
#: ``mean * (1 +- swing)``).
SWING_WAVES: Final = ((600.0, 0.65), (97.0, 0.35))


def _phases(seed: int, index: int) -> tuple[float, ...]:
    return tuple(2 * math.pi * noise(seed, 300 + index, k) for k in range(len(SWING_WAVES)))


def swing_factor(profile: Profile, seed: int, index: int, uptime: float) -> float:
    """Return how much of its mean rate interface ``index`` carries at ``uptime``:
    ``1 + swing * w(uptime)`` with ``w`` a sum of :data:`SWING_WAVES` in ``[-1, 1]``
    (phases from the router's seed); exactly 1 when the profile has no swing."""
    swing = profile.traffic_swing
    if not swing:
        return 1.0
    wave = sum(weight * math.sin(2 * math.pi * uptime / period + phase)
               for (period, weight), phase in zip(SWING_WAVES, _phases(seed, index),
                                                  strict=True))
    return 1.0 + swing * wave


def traffic_time(profile: Profile, seed: int, index: int, uptime: float) -> float:
    """Return the integral of :func:`swing_factor` from boot to ``uptime`` (seconds):
    counters of interface ``index`` are ``mean rate * traffic_time``. Equals
    ``uptime`` without swing; never decreases (swing < 1)."""
    swing = profile.traffic_swing
    uptime = max(0.0, uptime)
    if not swing:
        return uptime
    extra = 0.0
    for (period, weight), phase in zip(SWING_WAVES, _phases(seed, index), strict=True):
        omega = 2 * math.pi / period
        extra += weight * (math.cos(phase) - math.cos(omega * uptime + phase)) / omega
    return uptime + swing * extra


def rates_now(profile: Profile, seed: int, index: int, uptime: float,
              mean: InterfaceRates) -> InterfaceRates:
    """Return ``mean`` scaled by :func:`swing_factor` (what ``monitor-traffic``
    reports at ``uptime``; ``mean`` itself without swing)."""
    f = swing_factor(profile, seed, index, uptime)
    if f == 1.0:
        return mean
    return InterfaceRates(
        rx_bps=int(mean.rx_bps * f), tx_bps=int(mean.tx_bps * f),
        rx_pps=int(mean.rx_pps * f), tx_pps=int(mean.tx_pps * f),
        rx_errors_ps=mean.rx_errors_ps * f, tx_errors_ps=mean.tx_errors_ps * f,
        rx_drops_ps=mean.rx_drops_ps * f, tx_drops_ps=mean.tx_drops_ps * f)


@functools.cache
def _extra_rows(major: int) -> dict[str, Mapping[str, str]]:
    rows = capture("interface.v7" if major >= 7 else "interface.v6").rows
    return {r["name"]: r for r in rows if r["name"] in EXTRAS[7 if major >= 7 else 6]}


@functools.cache
def _templates(major: int) -> dict[str, Mapping[str, str]]:
    rows = capture("interface.v7" if major >= 7 else "interface.v6").rows
    by_type: dict[str, Mapping[str, str]] = {}
    for row in rows:
        by_type.setdefault(row["type"], row)
    bridge = dict(by_type["bridge"])
    bridge.pop("comment", None)
    vlan = {**bridge, "type": "vlan", "mtu": "1500"}
    ether = by_type["ether"]
    # An ether port in a bridge carries the 'slave' flag (interface.v7 ether2).
    slave = next((r for r in rows if r["type"] == "ether" and "slave" in r), ether)
    radios = {}
    for kind, (l2mtu, max_l2mtu) in RADIO_MTU.items():
        radio = {**slave, "type": kind, "l2mtu": l2mtu}
        if "max-l2mtu" in radio:
            radio["max-l2mtu"] = max_l2mtu
        radios[kind] = radio
    return {"ether1": ether, "ether": slave, "bridge": by_type["bridge"], "vlan": vlan,
            **radios, **_extra_rows(major)}


def local_comment(profile: Profile, k: int) -> str | None:
    """Return comment number ``k`` (cycling :data:`LOCAL_COMMENTS`) as the raw bytes
    of ``profile.comment_encoding`` (see :func:`mikromon.emulator.codec.raw_text`),
    or ``None`` when the profile keeps the captured comments."""
    if profile.comment_encoding is None:
        return None
    return raw_text(LOCAL_COMMENTS[k % len(LOCAL_COMMENTS)], profile.comment_encoding)


def mac_address(seed: int, index: int) -> str:
    """A locally administered MAC for interface ``index`` of router ``seed``."""
    octets = (seed >> 8, seed, index >> 8, index)
    return "02:4D:" + ":".join(f"{o & 0xFF:02X}" for o in octets)


def vlan_parent(items: Sequence[Port]) -> Port | None:
    """The interface a router's ``vlanN`` interfaces are tagged on: its first
    bridge (a VLAN-aware bridge, as ``/interface/bridge/vlan`` shows), else its
    first SFP cage (a concentrator's customer trunk), else ``ether2``, else its first
    ethernet port; ``None`` without any."""
    ethers = [p for p in items if p.kind == "ether"]
    return (next((p for p in items if p.kind == "bridge"), None)
            or next((p for p in ethers if p.name.startswith("sfp")), None)
            or next((p for p in ethers if p.name == "ether2"), None)
            or (ethers[0] if ethers else None))


def vlan_settings(profile: Profile, k: int) -> Mapping[str, str]:
    """The settings of the ``k``-th VLAN interface (0-based): the rows of capture
    interface_vlan.v6 (v6) or .v7 in turn, whose ``comment`` ``/interface`` shows too."""
    rows = capture("interface_vlan.v7" if profile.major >= 7 else "interface_vlan.v6").rows
    return rows[k % len(rows)]


def port_mac(seed: int, items: Sequence[Port], port: Port) -> str:
    """``mac-address`` of ``port`` on router ``seed``: its own, except that a VLAN
    interface has its parent's (help.mikrotik.com "VLAN": read-only ``mac-address``;
    interface_vlan notes)."""
    if port.kind == "vlan":
        parent = vlan_parent(items)
        if parent is not None:
            return mac_address(seed, parent.index)
    return mac_address(seed, port.index)


def interface_table(
    profile: Profile, seed: int, uptime: float, rates: list[InterfaceRates], items: list[Port]
) -> GeneratedTable:
    """Build ``/interface`` for one read.

    Args:
        profile: the router's profile (v6/v7 key set).
        seed: the router's seed (MAC addresses).
        uptime: seconds since boot now; counters are ``rate * uptime``.
        rates: per port, same order as ``items``.
        items: the router's ports (:func:`ports`).
    """
    templates = _templates(profile.major)
    parent = vlan_parent(items)
    vlan_order = {p.index: k for k, p in enumerate(p for p in items if p.kind == "vlan")}
    vlan_order = {p.index: k for k, p in enumerate(p for p in items if p.kind == "vlan")}

    def template(i: int) -> Mapping[str, str]:
        port = items[i]
        if port.kind == "ether":
            return templates["ether1"] if port.name == "ether1" else templates["ether"]
        return templates.get(port.kind) or templates[port.name]

    # A VLAN's l2mtu is its parent's less the 4-byte tag (interface_vlan notes).
    parent_l2mtu = template(parent.index).get("l2mtu", "") if parent is not None else ""
    vlan_l2mtu = str(int(parent_l2mtu) - 4) if parent_l2mtu.isdigit() else None

    def overrides(i: int) -> Overrides:
        port, r = items[i], rates[i]
        t = traffic_time(profile, seed, i, uptime)
        rx_b = counter(0, r.rx_bps / 8, t)
        tx_b = counter(0, r.tx_bps / 8, t)
        rx_p = counter(0, r.rx_pps, t)
        tx_p = counter(0, r.tx_pps, t)
        own: dict[str, str | None] = {
            ".id": f"*{i + 1:X}", "name": port.name,
            "rx-byte": str(rx_b), "tx-byte": str(tx_b),
            "rx-packet": str(rx_p), "tx-packet": str(tx_p),
            "rx-drop": str(counter(0, r.rx_drops_ps, t)),
            "tx-drop": str(counter(0, r.tx_drops_ps, t)),
            "rx-error": str(counter(0, r.rx_errors_ps, t)),
            "tx-error": str(counter(0, r.tx_errors_ps, t)),
            "fp-rx-byte": str(rx_b), "fp-tx-byte": str(tx_b),
            "fp-rx-packet": str(rx_p), "fp-tx-packet": str(tx_p),
        }
        if "tx-queue-drop" in template(i):
            own["tx-queue-drop"] = own["tx-drop"]
        if port.kind == "ether" or port.kind in RADIO_MTU:
            own["default-name"] = port.name
        if port.kind in ("ether", "bridge", "vlan") or port.kind in RADIO_MTU:
            own["mac-address"] = port_mac(seed, items, port)
            own["running"] = "true" if port.running else "false"
            own["comment"] = "WAN" if port.name == "ether1" else None
            if port.name == "ether1":
                own["slave"] = None
            if port.kind == "vlan":
                own["comment"] = None
                if vlan_l2mtu is not None and "l2mtu" in template(i):
                    own["l2mtu"] = vlan_l2mtu
            if port.kind != "bridge" and port.name != "ether1":
                own["comment"] = local_comment(profile, i)
            if port.kind == "vlan" and own["comment"] is None:
                own["comment"] = vlan_settings(profile, vlan_order[i]).get("comment")
        return own

    return GeneratedTable(len(items), template, overrides)


def ethernet_table(
    profile: Profile, seed: int, uptime: float, rates: list[InterfaceRates], items: list[Port]
) -> GeneratedTable:
    """Build ``/interface/ethernet`` (one row per ``ether`` port; capture
    interface_ethernet.v7 key set, used for v6 too). Byte counters grow like
    ``/interface``'s."""
    template_row = capture("interface_ethernet.v7").rows[0]
    ethers = [p for p in items if p.kind == "ether"]

    def overrides(i: int) -> Overrides:
        port, r = ethers[i], rates[ethers[i].index]
        mac = mac_address(seed, port.index)
        t = traffic_time(profile, seed, port.index, uptime)
        rx_b, tx_b = counter(0, r.rx_bps / 8, t), counter(0, r.tx_bps / 8, t)
        rx_p, tx_p = counter(0, r.rx_pps, t), counter(0, r.tx_pps, t)
        return {
            ".id": f"*{port.index + 1:X}", "name": port.name, "default-name": port.name,
            "mac-address": mac, "orig-mac-address": mac,
            "running": "true" if port.running else "false",
            "driver-rx-byte": str(rx_b), "driver-tx-byte": str(tx_b),
            "driver-rx-packet": str(rx_p), "driver-tx-packet": str(tx_p),
            "rx-bytes": str(rx_b), "tx-bytes": str(tx_b), "rx-unicast": str(rx_p),
            "slave": None if port.name == "ether1" else "true",
        }

    return GeneratedTable(len(ethers), lambda i: template_row, overrides)


def traffic_row(profile: Profile, name: str, r: InterfaceRates) -> Row:
    """Return one ``/interface/monitor-traffic`` reply row carrying the configured
    rates (bits/s and packets/s as integers; v6 has no fp-* keys)."""
    values = {
        "name": name,
        "rx-packets-per-second": r.rx_pps, "rx-bits-per-second": r.rx_bps,
        "fp-rx-packets-per-second": r.rx_pps, "fp-rx-bits-per-second": r.rx_bps,
        "rx-drops-per-second": int(r.rx_drops_ps), "rx-errors-per-second": int(r.rx_errors_ps),
        "tx-packets-per-second": r.tx_pps, "tx-bits-per-second": r.tx_bps,
        "fp-tx-packets-per-second": r.tx_pps, "fp-tx-bits-per-second": r.tx_bps,
        "tx-drops-per-second": int(r.tx_drops_ps), "tx-queue-drops-per-second": 0,
        "tx-errors-per-second": int(r.tx_errors_ps),
    }
    keys = capture("interface_monitor_traffic.v7").rows[0].keys()
    return {k: str(values[k]) for k in keys
            if k in values and (profile.major >= 7 or not k.startswith("fp-"))}


def ethernet_monitor_row(name: str, rate: str | None) -> Row:
    """Return one ``/interface/ethernet/monitor`` row (capture
    interface_ethernet_monitor.v7): with link (``rate`` given) row 0 with that
    ``rate`` and ``status=link-ok``; without (``None``) row 1, ``status=no-link``
    and no ``rate`` or ``full-duplex``, as a port without link shows. An SFP cage
    (``sfp-`` name) adds :func:`sfp_fields`."""
    rows = capture("interface_ethernet_monitor.v7").rows
    if rate is None:
        return {**rows[1], "name": name}
    return {**rows[0], "name": name, "rate": rate}


def sfp_fields(seed: int, index: int, now: float, link: bool = True) -> Row:
    """The ``sfp-*`` fields of an SFP+ cage with a 10G SR module, as the API sends them:
    numbers without units, booleans ``true``/``false`` (key set and module facts:
    ntc-templates interface_ethernet_monitor_name_once3, a CCR ``sfp-sfpplus24``; API
    rendering as clients read it, e.g. ``sfp-rx-power=-5.22``, ``sfp-temperature=33``).
    Temperature and optical powers drift slowly; the serial number is the router's own.
    Without ``link`` (the far end dark) the module reports ``sfp-rx-loss`` and no
    received light (-40 dBm, the floor modules report)."""
    drift = smooth_noise(seed, 400 + index, now, 300.0)
    rx_power = f"{-1.2 - 0.4 * drift - 0.7 * (index % 3):.3f}" if link else "-40.000"
    return {
        "advertising": "", "link-partner-advertising": "",
        "sfp-module-present": "true", "sfp-rx-loss": "false" if link else "true",
        "sfp-tx-fault": "false",
        "sfp-type": "SFP/SFP+/SFP28", "sfp-connector-type": "LC",
        "sfp-vendor-name": "Mikrotik", "sfp-vendor-part-number": "S+85DLC03D",
        "sfp-vendor-revision": "A",
        "sfp-vendor-serial": f"ST{mix(seed, 0x5F9, index) % 10**12:012d}",
        "sfp-manufacturing-date": "21-03-15", "sfp-wavelength": "850",
        "sfp-temperature": str(31 + int(6 * drift)),
        "sfp-supply-voltage": f"{3.25 + 0.02 * drift:.3f}",
        "sfp-tx-bias-current": str(6 + index % 2),
        "sfp-tx-power": f"{-2.9 + 0.2 * drift:.3f}",
        "sfp-rx-power": rx_power,
        "eeprom-checksum": "good",
    }
