"""The menus a router serves: :data:`MENU_TABLE`, the one list of every menu with
the version, package and board feature it needs, and the builders of the core
menus. :func:`menus_for` picks a profile's menus from the table; tests
(tests/emulator/test_menus_walk.py, which holds RouterOS's documented menu list
per major version) and docs read it.

Core menus built here (v6 or v7 shape by profile version; sources are the capture
files, or :mod:`mikromon.emulator.reconstructed` where no capture exists):
``/interface`` (the ports, then the dynamic interfaces of :data:`DYNAMIC_INTERFACES`),
``/interface/ethernet``, ``/interface/wireless`` and its
``/registration-table`` (package wireless, v6 or v7), ``/caps-man/interface``,
``/caps-man/registration-table``, ``/remote-cap``, ``/radio``, ``/configuration`` and
``/manager`` (package wireless; rows, and the manager on, with the ``capsman`` profile
package), ``/interface/wifi`` and its ``/registration-table`` (package wifi, 7.13+;
``/interface/wifiwave2/...`` before) and ``/capsman`` with ``/remote-cap`` (7.13+;
the manager on and its CAPs with ``wifi-capsman``), ``/interface/pppoe-server/server``
(every router; the concentrator's servers with ``pppoe-server``),
``/ip/address``, ``/ip/arp``, ``/ip/dhcp-server/lease``, ``/ip/firewall/connection``,
``/ip/firewall/filter``, ``/ip/firewall/mangle``, ``/ip/firewall/nat``,
``/ip/hotspot/active`` (package hotspot), ``/ip/neighbor``, ``/ip/route``,
``/ip/service``, ``/log``, ``/ppp/active``, ``/queue/simple``, ``/routing/bgp/peer``
(v6) or ``/routing/bgp/connection`` + ``/session`` (v7) (package bgp),
``/routing/ospf/neighbor`` (package ospf), ``/system/clock``, ``/system/health``
(empty without the health package, as on CHR), ``/system/identity``,
``/system/resource``, ``/system/resource/cpu``, ``/system/routerboard``, ``/user``,
``/user/active``. v7 capture files served to a v6 or pre-7.10 router get the old
date format.

Further menus, each module with its own tuple of entries that :data:`MENU_TABLE`
includes: system
(:mod:`~mikromon.emulator.menus_system`: ``/system/package``, ``/system/logging``,
``/system/license``, ``/user/group``, ``/certificate``, ``/tool/netwatch``,
``/routing/stats/process`` (v7)), IPv4 services and queues
(:mod:`~mikromon.emulator.menus_ip`: ``/ip/pool`` and ``used``, ``/ip/dns``,
``/ip/cloud``, ``/ip/firewall/raw``, ``/ip/firewall/address-list``, ``/queue/tree``,
``/queue/type``), IPv6 (:mod:`~mikromon.emulator.menus_ipv6`: ``/ipv6/address``,
``route``, ``neighbor``, ``pool``, ``firewall/*``; v7, or v6 with the ipv6
package) and interfaces (:mod:`~mikromon.emulator.menus_interface`:
``/interface/vlan`` (one row per ``vlanN`` interface), ``/interface/bridge`` with
``port``, ``host``, ``vlan``; ``/interface/ethernet/poe`` on PoE-out boards;
``/interface/wireguard`` and ``peers`` (v7); ``/interface/eoip``, ``gre``,
``ipip``). A menu absent from a profile traps ``no such command prefix``
(:mod:`mikromon.emulator.session`).

Adding a menu, the one way: one ``Menu(path, builder, package, major=...,
since=..., before=..., feature=...)`` entry (:class:`~mikromon.emulator.menu_base.Menu`)
in :data:`MENU_TABLE` or the tuple of the module that builds its kind, a builder
(``static("<capture base>")`` serves a capture file), and the path in
tests/emulator/routeros_menus.py with its documentation page. The conditions say
only where RouterOS has the menu. A special-purpose profile (the PPPoE concentrator
of :mod:`~mikromon.emulator.profiles_isp`, the CAPsMAN managers of
:mod:`~mikromon.emulator.menus_capsman`) never adds a menu: its package (``pppoe-server``,
``wifi-capsman``, ``capsman``) names a builder in the entry's
``variants=((package, builder),)`` that builds the same menu with its rows, and the
interfaces it creates go in :data:`DYNAMIC_INTERFACES`. :func:`menus_for` is all a
router asks (:class:`~mikromon.emulator.router.Router`).

Where the emulator departs from a real router on purpose: the wifi menu exists only
with the ``wifi`` package, although a real 7.13+ router always has it, possibly
empty (interface_wifi_registration_table.v7 notes); profiles such as ``chr`` leave
the package out so that clients meet a missing wireless menu.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Final

import mikromon.emulator.generated as generated
import mikromon.emulator.interfaces as interfaces
import mikromon.emulator.menus_capsman as capsman
import mikromon.emulator.profiles_isp as isp
import mikromon.emulator.reconstructed as reconstructed
from mikromon.emulator.data import capture
from mikromon.emulator.dynamics import smooth_noise
from mikromon.emulator.generated import Moment
from mikromon.emulator.menu_base import (
    Builder,
    Menu,
    RouterView,
    empty,
    rows_of,
    serial_number,
)
from mikromon.emulator.menu_base import generated as _generated
from mikromon.emulator.menu_base import static as _static
from mikromon.emulator.menus_interface import INTERFACE_MENUS
from mikromon.emulator.menus_ip import IP_MENUS
from mikromon.emulator.menus_ipv6 import IPV6_MENUS
from mikromon.emulator.menus_system import SYSTEM_MENUS
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.tables import ConcatTable, FixedTable, Table

__all__ = ["DYNAMIC_INTERFACES", "MENU_TABLE", "Builder", "Menu", "RouterView",
           "dynamic_interface_names", "menus_for"]

#: Interfaces a server or manager package creates, listed in ``/interface`` after
#: the router's own, in this order: (package, their rows from a first ``.id`` on,
#: their names (kept as they are where rows name them:
#: :class:`~mikromon.emulator.coherence.InterfaceNames`) or ``None``). The PPPoE
#: concentrator's ``<pppoe-USER>`` interfaces (:mod:`~mikromon.emulator.profiles_isp`),
#: the wifi CAPsMAN's ``cap-wifiN`` and the legacy CAPsMAN's ``capN``
#: (:mod:`~mikromon.emulator.menus_capsman`).
DYNAMIC_INTERFACES: Final[tuple[tuple[str, Callable[[Moment, int], Table],
                                      Callable[[], tuple[str, ...]] | None], ...]] = (
    ("pppoe-server", isp.pppoe_interfaces, None),
    ("wifi-capsman", capsman.interface_rows, capsman.cap_interfaces),
    ("capsman", capsman.legacy_interface_rows, reconstructed.capsman_names),
)


def dynamic_interface_names(profile: Profile) -> tuple[str, ...]:
    """Names of the interfaces a router with ``profile`` has besides its ports that
    rows keep as they are (:data:`DYNAMIC_INTERFACES`)."""
    return tuple(name for package, _, names in DYNAMIC_INTERFACES
                 if names is not None and package in profile.packages for name in names())


def _identity(router: RouterView, m: Moment) -> Table:
    return FixedTable([{"name": router.identity}])


def _routerboard(router: RouterView, m: Moment) -> Table:
    """``/system/routerboard``: ``routerboard=false`` alone on CHR/x86 (napalm-ros
    test_get_facts/pc, system_routerboard.v6 notes); on a RouterBOARD the capture's
    key set with the profile's board (:data:`~mikromon.emulator.boards.BOARDS`),
    a serial number of the router's own, and current/upgrade firmware equal to the
    RouterOS version (RouterBOOT follows RouterOS once upgraded: captures show
    ``current-firmware`` 6.49 on 6.49, 7.18.2 on 7.18.2)."""
    p = router.profile
    if not p.routerboard:
        return FixedTable([{"routerboard": "false"}])
    row = dict(capture("system_routerboard.v6" if p.major < 7 else "system_routerboard.v7")
               .rows[0])
    board = p.board_facts
    row.pop("revision", None)
    if board is not None and board.revision is not None:
        row["revision"] = board.revision
    row.update({
        "board-name": p.board,
        "serial-number": serial_number(router.seed),
        "current-firmware": p.version, "upgrade-firmware": p.version,
    })
    if board is not None:
        row.update({"model": board.model, "firmware-type": board.firmware_type,
                    "factory-firmware": board.factory_firmware})
    else:  # a board the table does not know: say nothing rather than contradict it
        for key in ("model", "firmware-type", "factory-firmware"):
            row.pop(key, None)
    return FixedTable([row])


def _interface(router: RouterView, m: Moment) -> Table:
    """``/interface``: the router's ports, then the dynamic interfaces of its
    packages (:data:`DYNAMIC_INTERFACES`), ``.id`` numbers following on."""
    table: Table = interfaces.interface_table(router.profile, router.seed, m.uptime,
                                              router.port_rates, router.ports)
    for package, rows, _ in DYNAMIC_INTERFACES:
        if package in router.profile.packages:
            table = ConcatTable(table, rows(m, len(table) + 1))
    return table


def _ethernet(router: RouterView, m: Moment) -> Table:
    return interfaces.ethernet_table(router.profile, router.seed, m.uptime,
                                     router.port_rates, router.ports)


def _resource(router: RouterView, m: Moment) -> Table:
    return FixedTable([router.resource_row(m)])


def _cpu(router: RouterView, m: Moment) -> Table:
    p = router.profile
    rows = []
    for c in range(p.cpu_count):
        load = int(100 * smooth_noise(router.seed, 100 + c, m.now, 7.0) ** 3)
        if router.controls.cpu_load is not None:
            load = router.controls.cpu_load
        rows.append({".id": f"*{c:X}", "cpu": f"cpu{c}", "load": str(load), "irq": "0",
                     "disk": "0"})
    return FixedTable(rows)


def _health(router: RouterView, m: Moment) -> Table:
    """``/system/health`` from the board's capture, temperatures drifting, with
    :meth:`Router.set_temperature` and :meth:`Router.set_health_state` applied.
    v7 state rows (type ``""``) read ``ok`` unless set (the captured
    ``psu2-state=fail`` is a second PSU left unplugged); a state sensor the board
    lacks is added as a row of type ``""`` (v6: a key of the flat row)."""
    p = router.profile
    if "health" not in p.packages:
        return FixedTable([])
    drift = int(4 * smooth_noise(router.seed, 200, m.now, 120.0)) - 2
    temps = dict(router.controls.temperatures)
    states = dict(router.controls.health_states)
    if p.major < 7:
        row = dict(capture("system_health.v6").rows[0])
        row["temperature"] = str(int(row["temperature"]) + drift)
        row.update({name: str(value) for name, value in temps.items() if name in row})
        row.update(states)
        return FixedTable([row])
    rows = []
    board = p.board_facts
    for r in capture(board.health if board else "system_health.v7").rows:
        row = dict(r)
        if row["type"] == "C":
            row["value"] = str(int(row["value"]) + drift)
        elif row["type"] == "":
            row["value"] = states.pop(row["name"], "ok")
        if row.get("name") in temps:
            row["value"] = str(temps[row["name"]])
        rows.append(row)
    for k, (sensor, state) in enumerate(sorted(states.items())):
        rows.append({".id": f"*2{k:03X}", "name": sensor, "value": state, "type": ""})
    return FixedTable(rows)


def _bgp_peers(router: RouterView, m: Moment) -> Table:
    """v6 ``/routing/bgp/peer`` as captured, with :meth:`Router.set_bgp` applied."""
    rows = rows_of(_static("routing_bgp_peer.v6")(router, m))
    for row in rows:
        up = router.controls.bgp.get(row.get("name", ""))
        if up is None:
            continue
        row["state"] = "established" if up else "idle"
        row["established"] = "true" if up else "false"
        if not up:
            for key in ("uptime", "prefix-count", "remote-id"):
                row.pop(key, None)
        else:
            row.setdefault("uptime", "1m")
            row.setdefault("prefix-count", "0")
    return FixedTable(rows)


def _bgp_sessions(router: RouterView, m: Moment) -> Table:
    """v7 ``/routing/bgp/session`` as captured, with :meth:`Router.set_bgp` applied: a
    session named ``<peer>`` or ``<peer>-<n>`` is (not) established; an established
    connection without a session gets one (``<connection>-1``)."""
    rows = rows_of(_static("routing_bgp_session.v7")(router, m))
    controls = router.controls.bgp
    for row in rows:
        name = row.get("name", "")
        up = controls.get(name)
        if up is None:
            up = next((v for peer, v in controls.items() if name.startswith(peer + "-")), None)
        if up is not None:
            row["established"] = "true" if up else "false"
    connections = rows_of(_static("routing_bgp_connection.v7")(router, m))
    for conn in connections:
        peer = conn.get("name", "")
        if controls.get(peer) and not any(r.get("name", "").startswith(peer + "-")
                                          for r in rows):
            rows.append({".id": f"*B{len(rows):X}", "name": f"{peer}-1",
                         "remote.address": conn.get("remote.address", ""),
                         "remote.as": conn.get("remote.as", ""), "established": "true",
                         "uptime": "1m", "prefix-count": "0"})
    return FixedTable(rows)


def _ospf_neighbors(router: RouterView, m: Moment) -> Table:
    """``/routing/ospf/neighbor`` as captured, with :meth:`Router.set_ospf` applied
    (by router-id or address); a neighbour set ``Down`` is left out, as RouterOS
    drops a dead neighbour."""
    rows = []
    controls = router.controls.ospf
    for row in rows_of(_static("routing_ospf_neighbor")(router, m)):
        state = controls.get(row.get("address", "")) or controls.get(row.get("router-id", ""))
        if state == "Down":
            continue
        if state is not None:
            row["state"] = state
            if state != "Full":
                row.pop("adjacency", None)
        rows.append(row)
    return FixedTable(rows)


def _wireless(router: RouterView, m: Moment) -> Table:
    return reconstructed.wireless_interfaces(m, router.ports)


def _capsman_interfaces(router: RouterView, m: Moment) -> Table:
    return reconstructed.capsman_interfaces(m, "capsman" in router.profile.packages)


def _capsman_clients(router: RouterView, m: Moment) -> Table:
    return reconstructed.capsman_clients(m, "capsman" in router.profile.packages)


def _wifi(router: RouterView, m: Moment) -> Table:
    return reconstructed.wifi_interfaces(m, router.ports)


#: The menu table: every menu the emulator serves and where it exists (version,
#: package, board feature), one entry per path and condition, with the builders a
#: profile package swaps in (``variants``). Tests and docs read it; :func:`menus_for`
#: picks a profile's menus from it. Further menus are added as one more
#: ``Menu(...)`` line here or in a module's tuple of menus.
MENU_TABLE: Final[tuple[Menu, ...]] = (
    Menu("/interface", _interface, commands=frozenset({"monitor-traffic"})),
    Menu("/interface/ethernet", _ethernet, commands=frozenset({"monitor"})),
    Menu("/interface/wireless", _wireless, "wireless"),
    Menu("/interface/wireless/registration-table",
         _static("interface_wireless_registration_table.v6"), "wireless"),
    Menu("/caps-man/interface", _capsman_interfaces, "wireless"),
    Menu("/caps-man/registration-table", _capsman_clients, "wireless"),
    Menu("/caps-man/remote-cap", empty, "wireless",
         variants=(("capsman", capsman.legacy_remote_caps),)),
    Menu("/caps-man/radio", empty, "wireless", variants=(("capsman", capsman.legacy_radios),)),
    Menu("/caps-man/configuration", empty, "wireless",
         variants=(("capsman", capsman.legacy_configuration),)),
    Menu("/caps-man/manager", capsman.legacy_manager, "wireless"),
    Menu("/interface/wifiwave2", _wifi, "wifi", major=7, before=(7, 13)),
    Menu("/interface/wifiwave2/registration-table",
         _static("interface_wifi_registration_table.v7"), "wifi", major=7, before=(7, 13)),
    Menu("/interface/wifi", _wifi, "wifi", since=(7, 13),
         variants=(("wifi-capsman", capsman.wifi),)),
    Menu("/interface/wifi/registration-table",
         _static("interface_wifi_registration_table.v7"), "wifi", since=(7, 13),
         variants=(("wifi-capsman", capsman.registration_table),)),
    Menu("/interface/wifi/capsman", capsman.capsman_settings, "wifi", since=(7, 13)),
    Menu("/interface/wifi/capsman/remote-cap", empty, "wifi", since=(7, 13),
         variants=(("wifi-capsman", capsman.remote_caps),)),
    Menu("/interface/pppoe-server/server", empty,
         variants=(("pppoe-server", isp.pppoe_servers),)),
    Menu("/ip/address", _static("ip_address")),
    Menu("/ip/arp", _generated(generated.arp)),
    Menu("/ip/dhcp-server/lease", _generated(generated.dhcp_leases)),
    Menu("/ip/firewall/connection", _generated(generated.connections),
         variants=(("pppoe-server", isp.connections),)),
    Menu("/ip/firewall/filter", _static("ip_firewall_filter")),
    Menu("/ip/firewall/mangle", _generated(reconstructed.mangle)),
    Menu("/ip/firewall/nat", _static("ip_firewall_nat")),
    Menu("/ip/hotspot/active", _generated(generated.hotspot_active), "hotspot"),
    Menu("/ip/neighbor", _static("ip_neighbor")),
    Menu("/ip/route", _generated(generated.routes)),
    Menu("/ip/service", _static("ip_service")),
    Menu("/log", _static("log")),
    Menu("/ppp/active", _generated(generated.ppp_active),
         variants=(("pppoe-server", isp.ppp_active),)),
    Menu("/queue/simple", _static("queue_simple"),
         variants=(("pppoe-server", isp.simple_queues),)),
    Menu("/routing/bgp/peer", _bgp_peers, "bgp", major=6),
    Menu("/routing/bgp/connection", _static("routing_bgp_connection.v7"), "bgp", major=7),
    Menu("/routing/bgp/session", _bgp_sessions, "bgp", major=7),
    Menu("/routing/ospf/neighbor", _ospf_neighbors, "ospf"),
    Menu("/system/clock", _generated(reconstructed.clock)),
    Menu("/system/health", _health),
    Menu("/system/identity", _identity),
    Menu("/system/resource", _resource),
    Menu("/system/resource/cpu", _cpu),
    Menu("/system/routerboard", _routerboard),
    Menu("/user", _static("user")),
    Menu("/user/active", _static("user_active")),
    *SYSTEM_MENUS,
    *IP_MENUS,
    *IPV6_MENUS,
    *INTERFACE_MENUS,
)


def menus_for(profile: Profile, table: tuple[Menu, ...] = MENU_TABLE) -> dict[str, Menu]:
    """Return the menus a router with ``profile`` has, keyed by path: the entries of
    ``table`` present on its version, packages and board, each with the builder of
    its packages (:meth:`Menu.builder`); a path in the profile's ``empty_menus`` is
    served with no rows.

    Raises:
        ValueError: ``table`` has two entries for one path on this profile.
    """
    present: dict[str, Menu] = {}
    for menu in table:
        if not menu.present(profile):
            continue
        if menu.path in present:
            raise ValueError(f"menu table: two entries for {menu.path} on {profile.name}")
        build = menu.builder(profile)
        present[menu.path] = menu if build is menu.build else dataclasses.replace(
            menu, build=build, variants=())
    for path in profile.empty_menus & present.keys():
        present[path] = dataclasses.replace(present[path], build=empty)
    return present
