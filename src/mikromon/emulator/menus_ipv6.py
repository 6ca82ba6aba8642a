"""IPv6 menus: ``/ipv6/address``, ``/ipv6/route``, ``/ipv6/neighbor``, ``/ipv6/pool``
and ``/ipv6/firewall/*`` (``filter``, ``nat`` (7.x only: NAT66 came with RouterOS
7), ``mangle``, ``raw``, ``address-list``, ``connection``).

They exist on every RouterOS 7 router and on a RouterOS 6 router whose ``ipv6``
package is enabled (:func:`~mikromon.emulator.menu_base.has_package`; its
``/system/package`` row says so). Key sets come from the reconstructed files in
the emulator's data (ipv6_address.v7, ipv6_route.v6/.v7, ipv6_neighbor.v7,
ipv6_pool.v7, ipv6_firewall_filter.v7, ipv6_firewall_address_list.v7,
ipv6_firewall_connection.v7; each names its help.mikrotik.com page); nat, mangle
and raw hold no rules (nothing configured). Rows agree with the router: every
running interface that is not a bridge port has a link-local address made from
its MAC (EUI-64, as RouterOS does); the LAN (the first bridge, else ether2) has
a global address from the delegated pool; neighbours and connections are the
hosts of the DHCP leases.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Final

import mikromon.emulator.generated as generated
from mikromon.emulator.generated import Moment
from mikromon.emulator.interfaces import RADIO_MTU, Port, port_mac
from mikromon.emulator.menu_base import Menu, RouterView, empty, static, static_rows
from mikromon.emulator.tables import FixedTable, GeneratedTable, Overrides, Row, Table

__all__ = ["IPV6_MENUS", "LAN_PREFIX", "bridge_members", "eui64", "lan_port"]

#: The /64 of the LAN, the first of the pool delegated by the ISP (ipv6_pool.v7).
LAN_PREFIX: Final = "2001:db8:4a00:1::"
#: Neighbours and connections listed at most (the first DHCP hosts).
_HOSTS: Final = 16


def eui64(prefix: str, mac: str) -> str:
    """The address of ``mac`` in the /64 ``prefix`` by modified EUI-64 (RFC 4291
    appendix A: ``ff:fe`` in the middle, the universal/local bit flipped), as
    RouterOS forms link-local addresses."""
    octets = [int(b, 16) for b in mac.split(":")]
    iid = bytes([octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:6]])
    base = ipaddress.IPv6Address(prefix).packed[:8]
    return str(ipaddress.IPv6Address(base + iid))


def bridge_members(ports: list[Port]) -> list[Port]:
    """The ports of the first bridge: every ethernet port but ether1 (the WAN) and
    every radio, as in the default configuration; none without a bridge."""
    if not any(p.kind == "bridge" for p in ports):
        return []
    return [p for p in ports
            if (p.kind == "ether" and p.name != "ether1") or p.kind in RADIO_MTU]


def lan_port(ports: list[Port]) -> Port | None:
    """The LAN interface: the first bridge, else ether2, else ``None``."""
    return (next((p for p in ports if p.kind == "bridge"), None)
            or next((p for p in ports if p.name == "ether2"), None))


def _address(router: RouterView, m: Moment) -> Table:
    """``/ipv6/address``: the LAN's global address, then a link-local one per running
    interface that is not a bridge port (ethernet, bridge, VLAN, radio)."""
    global_row, local_row = static_rows("ipv6_address", router.profile)[:2]
    ports, members = router.ports, {p.name for p in bridge_members(router.ports)}
    rows: list[Row] = []
    lan = lan_port(ports)
    if lan is not None:
        rows.append({**global_row, ".id": "*1", "address": f"{LAN_PREFIX}1/64",
                     "interface": lan.name, "actual-interface": lan.name})
    for port in ports:
        if (port.name in members or not port.running
                or not (port.kind in ("ether", "bridge", "vlan") or port.kind in RADIO_MTU)):
            continue
        address = eui64("fe80::", port_mac(m.seed, ports, port))
        rows.append({**local_row, ".id": f"*{len(rows) + 1:X}", "address": f"{address}/64",
                     "interface": port.name, "actual-interface": port.name})
    return FixedTable(rows)


def _route(router: RouterView, m: Moment) -> Table:
    """``/ipv6/route``: the default route via the ISP's router on ether1 and the
    LAN's connected /64."""
    default, connected = static_rows("ipv6_route", router.profile)[:2]
    rows: list[Row] = [dict(default)]
    lan = lan_port(router.ports)
    if lan is not None:
        rows.append({**connected, "gateway": lan.name,
                     **({"immediate-gw": lan.name} if "immediate-gw" in connected else {})})
    return FixedTable(rows)


def _hosts(m: Moment) -> list[tuple[str, str]]:
    """(MAC, global address) of the first DHCP hosts."""
    leases = generated.dhcp_leases(m)
    out = []
    for i in range(min(len(leases), _HOSTS)):
        mac = leases.get(i, "mac-address")
        if mac:
            out.append((mac, eui64(LAN_PREFIX, mac)))
    return out


def _neighbor(router: RouterView, m: Moment) -> Table:
    """``/ipv6/neighbor``: the ISP's router on ether1, then the DHCP hosts on the LAN."""
    gateway, host = static_rows("ipv6_neighbor", router.profile)[:2]
    rows: list[Row] = [dict(gateway)]
    lan = lan_port(router.ports)
    if lan is not None:
        for k, (mac, address) in enumerate(_hosts(m)):
            rows.append({**host, ".id": f"*{k + 2:X}", "address": address,
                         "interface": lan.name, "mac-address": mac,
                         "status": "reachable" if k % 3 == 0 else "stale"})
    return FixedTable(rows)


def _connection(router: RouterView, m: Moment) -> Table:
    """``/ipv6/firewall/connection``: a TCP or UDP flow per LAN host (the capture's
    two shapes, alternating), from the host's global address."""
    shapes = static_rows("ipv6_firewall_connection", router.profile)
    hosts = _hosts(m) if lan_port(router.ports) is not None else []

    def template(i: int) -> Mapping[str, str]:
        return shapes[i % len(shapes)]

    def own(i: int) -> Overrides:
        shape, address = template(i), hosts[i][1]
        sport = 50412 + i
        return {".id": f"*{i + 1:X}",
                "src-address": f"[{address}]:{sport}",
                "reply-dst-address": f"[{address}]:{sport}",
                "dst-address": shape["dst-address"]}

    return GeneratedTable(len(hosts), template, own)


IPV6_MENUS: Final[tuple[Menu, ...]] = (
    Menu("/ipv6/address", _address, "ipv6"),
    Menu("/ipv6/route", _route, "ipv6"),
    Menu("/ipv6/neighbor", _neighbor, "ipv6"),
    Menu("/ipv6/pool", static("ipv6_pool"), "ipv6"),
    Menu("/ipv6/firewall/filter", static("ipv6_firewall_filter"), "ipv6"),
    Menu("/ipv6/firewall/nat", empty, "ipv6", major=7),
    Menu("/ipv6/firewall/mangle", empty, "ipv6"),
    Menu("/ipv6/firewall/raw", empty, "ipv6"),
    Menu("/ipv6/firewall/address-list", static("ipv6_firewall_address_list"), "ipv6"),
    Menu("/ipv6/firewall/connection", _connection, "ipv6"),
)
