"""The RouterOS menus the emulator serves, as MikroTik documents them per major
version: a data table for tests/emulator/test_menus_walk.py, written from the
documentation, not from the emulator's code.

Each path maps to ``(condition, source)``. The condition says where the menu
exists: alternatives separated by ``|``, each a space-separated list of tokens
that must all hold: ``v6``/``v7`` (major version), ``7.13+`` / ``<7.13`` (first
version with / without it), ``poe`` (a board with PoE-out ports) or a package name
(``wireless``, ``wifi``, ``hotspot``, ``bgp``, ``ospf``, ``ipv6`` (the RouterOS 6
package; 7.x has IPv6 built in)). An empty condition: every router. A server or
manager switched on (PPPoE server, CAPsMAN) changes a menu's rows, not whether it
exists: a router with nothing configured answers an empty table (or the
settings' defaults).
"""

from __future__ import annotations

from typing import Final

_HELP: Final = "help.mikrotik.com/docs/display/ROS/"
_WIKI6: Final = "wiki.mikrotik.com/wiki/Manual:"

DOCUMENTED_MENUS: Final[dict[str, tuple[str, str]]] = {
    # interfaces
    "/interface": ("", _HELP + "Interface (interface list and stats)"),
    "/interface/ethernet": ("", _HELP + "Ethernet"),
    "/interface/ethernet/poe": ("poe", _HELP + "PoE-Out (boards with PoE-out only)"),
    "/interface/vlan": ("", _HELP + "VLAN"),
    "/interface/bridge": ("", _HELP + "Bridging and Switching"),
    "/interface/bridge/port": ("", _HELP + "Bridging and Switching (port settings)"),
    "/interface/bridge/host": ("", _HELP + "Bridging and Switching (host table)"),
    "/interface/bridge/vlan": ("", _HELP + "Bridge VLAN Table (6.41+)"),
    "/interface/wireguard": ("v7", _HELP + "WireGuard (RouterOS 7)"),
    "/interface/wireguard/peers": ("v7", _HELP + "WireGuard (peers)"),
    "/interface/eoip": ("", _HELP + "EoIP"),
    "/interface/gre": ("", _HELP + "GRE"),
    "/interface/ipip": ("", _HELP + "IPIP"),
    "/interface/wireless": ("wireless", _HELP + "Wireless Interface (wireless package)"),
    "/interface/wireless/registration-table": ("wireless", _HELP + "Wireless Interface"),
    "/caps-man/interface": ("wireless", _HELP + "CAPsMAN (wireless package)"),
    "/caps-man/registration-table": ("wireless", _HELP + "CAPsMAN"),
    "/caps-man/remote-cap": ("wireless", _HELP + "CAPsMAN (remote CAPs)"),
    "/caps-man/radio": ("wireless", _HELP + "CAPsMAN (radios)"),
    "/caps-man/configuration": ("wireless", _HELP + "CAPsMAN (configurations)"),
    "/caps-man/manager": ("wireless", _HELP + "CAPsMAN (manager settings, enabled=no by default)"),
    "/interface/wifi/capsman": ("v7 wifi 7.13+", _HELP + "WiFi (CAPsMAN manager settings)"),
    "/interface/wifi/capsman/remote-cap": ("v7 wifi 7.13+", _HELP + "WiFi (CAPsMAN remote CAPs)"),
    "/interface/pppoe-server/server": ("", _HELP + "PPPoE (PPPoE server; ppp is in every "
                                       "RouterOS 7 and 6.x bundle)"),
    "/interface/wifiwave2": ("v7 wifi <7.13", _HELP + "WifiWave2 (before 7.13)"),
    "/interface/wifiwave2/registration-table": ("v7 wifi <7.13", _HELP + "WifiWave2"),
    "/interface/wifi": ("v7 wifi 7.13+", _HELP + "WiFi (7.13+, renamed from wifiwave2)"),
    "/interface/wifi/registration-table": ("v7 wifi 7.13+", _HELP + "WiFi"),
    # IPv4
    "/ip/address": ("", _HELP + "IP Addressing"),
    "/ip/arp": ("", _HELP + "ARP"),
    "/ip/cloud": ("", _HELP + "Cloud (6.14+)"),
    "/ip/dhcp-server/lease": ("", _HELP + "DHCP (DHCP server leases)"),
    "/ip/dns": ("", _HELP + "DNS"),
    "/ip/firewall/address-list": ("", _HELP + "Address-lists"),
    "/ip/firewall/connection": ("", _HELP + "Connection tracking"),
    "/ip/firewall/filter": ("", _HELP + "Filter"),
    "/ip/firewall/mangle": ("", _HELP + "Mangle"),
    "/ip/firewall/nat": ("", _HELP + "NAT"),
    "/ip/firewall/raw": ("", _HELP + "Building Advanced Firewall (RAW table)"),
    "/ip/hotspot/active": ("hotspot", _HELP + "HotSpot (hotspot package on 6.x)"),
    "/ip/neighbor": ("", _HELP + "Neighbor discovery"),
    "/ip/pool": ("", _HELP + "IP Pools"),
    "/ip/pool/used": ("", _HELP + "IP Pools (used addresses)"),
    "/ip/route": ("", _HELP + "IP Routing"),
    "/ip/service": ("", _HELP + "Services"),
    # IPv6: built into 7.x; the ipv6 package on 6.x
    "/ipv6/address": ("v7|v6 ipv6", _HELP + "IP Addressing (IPv6); " + _WIKI6 + "IPv6/Address"),
    "/ipv6/route": ("v7|v6 ipv6", _HELP + "IP Routing; " + _WIKI6 + "IPv6/Route"),
    "/ipv6/neighbor": ("v7|v6 ipv6", _HELP + "IPv6 Neighbor Discovery"),
    "/ipv6/pool": ("v7|v6 ipv6", _HELP + "IP Pools (IPv6 pool)"),
    "/ipv6/firewall/filter": ("v7|v6 ipv6", _HELP + "Filter (/ipv6 firewall filter)"),
    "/ipv6/firewall/nat": ("v7", _HELP + "NAT (IPv6 NAT since RouterOS 7)"),
    "/ipv6/firewall/mangle": ("v7|v6 ipv6", _HELP + "Mangle (/ipv6 firewall mangle)"),
    "/ipv6/firewall/raw": ("v7|v6 ipv6", _HELP + "Building Advanced Firewall (IPv6 RAW)"),
    "/ipv6/firewall/address-list": ("v7|v6 ipv6", _HELP + "Address-lists (IPv6)"),
    "/ipv6/firewall/connection": ("v7|v6 ipv6", _HELP + "Connection tracking (IPv6)"),
    # queues, PPP, logs, tools
    "/queue/simple": ("", _HELP + "Queues (simple queues)"),
    "/queue/tree": ("", _HELP + "Queues (queue tree)"),
    "/queue/type": ("", _HELP + "Queue types"),
    "/ppp/active": ("", _HELP + "PPP AAA (active connections)"),
    "/log": ("", _HELP + "Log"),
    "/tool/netwatch": ("", _HELP + "Netwatch"),
    "/certificate": ("", _HELP + "Certificates"),
    # routing: v6 /routing/bgp/peer, v7 connection + session; stats are 7.x
    "/routing/bgp/peer": ("v6 bgp", _WIKI6 + "Routing/BGP (6.x peer menu)"),
    "/routing/bgp/connection": ("v7 bgp", _HELP + "BGP (RouterOS 7 connection menu)"),
    "/routing/bgp/session": ("v7 bgp", _HELP + "BGP (RouterOS 7 session menu)"),
    "/routing/ospf/neighbor": ("ospf", _HELP + "OSPF (routing package on 6.x)"),
    "/routing/stats/process": ("v7", _HELP + "Routing Debugging Tools (RouterOS 7)"),
    # system and users
    "/system/clock": ("", _HELP + "Clock"),
    "/system/health": ("", _HELP + "Hardware (system health)"),
    "/system/identity": ("", _HELP + "Identity"),
    "/system/license": ("", _HELP + "RouterOS license keys"),
    "/system/logging": ("", _HELP + "Log (logging rules)"),
    "/system/package": ("", _HELP + "Packages"),
    "/system/resource": ("", _HELP + "Resource"),
    "/system/resource/cpu": ("", _HELP + "Resource (CPU)"),
    "/system/routerboard": ("", _HELP + "RouterBOARD"),
    "/user": ("", _HELP + "User"),
    "/user/active": ("", _HELP + "User (active users)"),
    "/user/group": ("", _HELP + "User (groups)"),
}


def documented_for(major: int, version: tuple[int, int], packages: frozenset[str],
                   poe: bool) -> set[str]:
    """The documented menus of a router: major version, ``(major, minor)``, its
    packages (6.x ``ipv6`` included) and whether its board has PoE-out."""

    def holds(token: str) -> bool:
        if token in ("v6", "v7"):
            return major == int(token[1])
        if token.endswith("+"):
            return version >= tuple(int(x) for x in token[:-1].split("."))
        if token.startswith("<"):
            return version < tuple(int(x) for x in token[1:].split("."))
        if token == "poe":
            return poe
        return token in packages

    return {path for path, (condition, _) in DOCUMENTED_MENUS.items()
            if not condition or any(all(holds(t) for t in alt.split())
                                    for alt in condition.split("|"))}
