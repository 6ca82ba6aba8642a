"""Interface menus beyond ``/interface`` and ``/interface/ethernet``:
``/interface/vlan``, ``/interface/bridge`` with ``port``, ``host`` and ``vlan``,
``/interface/ethernet/poe`` (boards with PoE-out), ``/interface/wireguard`` and
its ``peers`` (7.x), ``/interface/eoip``, ``/interface/gre`` and ``/interface/ipip``.

Key sets come from the reconstructed files in the emulator's data
(interface_bridge.v6/.v7, interface_bridge_port.v6/.v7, interface_bridge_vlan.v7,
interface_bridge_host, interface_ethernet_poe; each names its help.mikrotik.com
page). Rows agree with ``/interface``: a bridge row per
``bridgeN`` with its ``.id`` and MAC, the ports of the default configuration
(:func:`~mikromon.emulator.menus_ipv6.bridge_members`), their own MACs as local
hosts and the DHCP clients as learnt ones, a VLAN (``/interface/vlan``, VLAN id
``N``, on :func:`~mikromon.emulator.interfaces.vlan_parent`) and a bridge VLAN per
``vlanN`` interface, a PoE row per PoE-out port of the board
(:attr:`~mikromon.emulator.boards.Board.poe_out`) with its ethernet ``.id``. The
tunnel menus hold nothing: no profile configures tunnels, so ``/interface`` lists
none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import mikromon.emulator.generated as generated
import mikromon.emulator.interfaces as interfaces
from mikromon.emulator.data import capture
from mikromon.emulator.generated import Moment
from mikromon.emulator.interfaces import RADIO_MTU, mac_address, vlan_parent
from mikromon.emulator.menu_base import Menu, RouterView, empty, static_rows
from mikromon.emulator.menus_ipv6 import bridge_members
from mikromon.emulator.tables import FixedTable, GeneratedTable, Overrides, Row, Table

__all__ = ["INTERFACE_MENUS"]


def _bridges(router: RouterView, m: Moment) -> Table:
    """``/interface/bridge``: one row per ``bridgeN`` of ``/interface``."""
    template = static_rows("interface_bridge", router.profile)[0]
    return FixedTable([
        {**template, ".id": f"*{p.index + 1:X}", "name": p.name,
         "mac-address": mac_address(m.seed, p.index),
         "running": "true" if p.running else "false"}
        for p in router.ports if p.kind == "bridge"])


def _bridge_name(router: RouterView) -> str:
    return next(p.name for p in router.ports if p.kind == "bridge")


def _bridge_ports(router: RouterView, m: Moment) -> Table:
    """``/interface/bridge/port``: the members of the first bridge, radios without
    hardware offload."""
    members = bridge_members(router.ports)
    if not members:
        return FixedTable([])
    template = static_rows("interface_bridge_port", router.profile)[0]
    bridge = _bridge_name(router)
    rows: list[Row] = []
    for k, port in enumerate(members):
        row = {**template, ".id": f"*{k:X}", "interface": port.name, "bridge": bridge,
               "port-number": str(k + 1)}
        if port.kind in RADIO_MTU:
            row.update({"hw": "false", "hw-offload": "false"})
            if "hw-offload-group" in row:
                row["hw-offload-group"] = ""
        if not port.running:
            row.update({"status": "inactive", "inactive": "true", "forwarding": "false",
                        "learning": "false", "role": "disabled-port"})
        rows.append(row)
    return FixedTable(rows)


def _bridge_hosts(router: RouterView, m: Moment) -> Table:
    """``/interface/bridge/host``: the bridge's own MAC and a local entry per bridge
    port (its MAC), then a learnt entry per DHCP client, behind the wired ports in
    turn (capture interface_bridge_host: learnt, bridge and port rows)."""
    members = bridge_members(router.ports)
    if not members:
        return FixedTable([])
    learnt_t, _, bridge_t, local_t = capture("interface_bridge_host").rows[:4]
    bridge = next(p for p in router.ports if p.kind == "bridge")
    head = [{**bridge_t, "mac-address": mac_address(m.seed, bridge.index),
             "interface": bridge.name, "bridge": bridge.name, "on-interface": bridge.name}]
    head += [{**local_t, "mac-address": mac_address(m.seed, p.index), "on-interface": p.name,
              "interface": p.name, "bridge": bridge.name} for p in members]
    wired = [p.name for p in members if p.kind == "ether"] or [p.name for p in members]
    leases = generated.dhcp_leases(m)

    def template(i: int) -> Mapping[str, str]:
        return learnt_t

    def own(i: int) -> Overrides:
        n = i - len(head)
        port = wired[n % len(wired)]
        return {"mac-address": leases.get(n, "mac-address"), "on-interface": port,
                "interface": port, "bridge": bridge.name}

    return GeneratedTable(len(head) + len(leases), template, own, head=head)


def _bridge_vlans(router: RouterView, m: Moment) -> Table:
    """``/interface/bridge/vlan``: the dynamic entry of pvid 1 (every port
    untagged), then one per ``vlanN`` interface, tagged on the bridge and its
    first port."""
    members = bridge_members(router.ports)
    if not members:
        return FixedTable([])
    dynamic, static_t = capture("interface_bridge_vlan.v7").rows[:2]
    bridge = _bridge_name(router)
    running = [p.name for p in members if p.running]
    rows: list[Row] = [{**dynamic, "bridge": bridge,
                        "current-untagged": ",".join([bridge, *running])}]
    for port in router.ports:
        if port.kind != "vlan":
            continue
        tagged = f"{bridge},{members[0].name}"
        rows.append({**static_t, ".id": f"*{len(rows) + 1:X}", "bridge": bridge,
                     "vlan-ids": port.name.removeprefix("vlan"), "tagged": tagged,
                     "current-tagged": tagged})
    return FixedTable(rows)


def _vlans(router: RouterView, m: Moment) -> Table:
    """``/interface/vlan``: one row per ``vlanN`` interface of ``/interface`` (VLAN
    id ``N``), tagged on :func:`~mikromon.emulator.interfaces.vlan_parent`. The
    settings (``arp``, ``loop-protect``, ``use-service-tag``...) are
    :func:`~mikromon.emulator.interfaces.vlan_settings`; ``.id``, ``mtu``,
    ``actual-mtu``, ``l2mtu``, ``mac-address`` (the parent's), ``running``,
    ``disabled`` and ``comment`` are ``/interface``'s row of the same interface."""
    vlans = [p for p in router.ports if p.kind == "vlan"]
    parent = vlan_parent(router.ports)
    if not vlans or parent is None:
        return FixedTable([])
    listed = interfaces.interface_table(router.profile, router.seed, m.uptime,
                                        router.port_rates, router.ports)
    rows: list[Row] = []
    for k, port in enumerate(vlans):
        row = {**interfaces.vlan_settings(router.profile, k), "name": port.name,
               "vlan-id": port.name.removeprefix("vlan"), "interface": parent.name}
        row.pop("comment", None)
        for key in (".id", "mtu", "actual-mtu", "l2mtu", "mac-address", "running",
                    "disabled", "comment"):
            value = listed.get(port.index, key)
            if value is not None:
                row[key] = value
        rows.append(row)
    return FixedTable(rows)


def _poe(router: RouterView, m: Moment) -> Table:
    """``/interface/ethernet/poe``: one row per PoE-out port of the board."""
    board = router.profile.board_facts
    if board is None:
        return FixedTable([])
    template = capture("interface_ethernet_poe").rows[0]
    return FixedTable([
        {**template, ".id": f"*{p.index + 1:X}", "name": p.name}
        for p in router.ports if p.kind == "ether" and p.name in board.poe_out])


INTERFACE_MENUS: Final[tuple[Menu, ...]] = (
    Menu("/interface/vlan", _vlans),
    Menu("/interface/bridge", _bridges),
    Menu("/interface/bridge/port", _bridge_ports),
    Menu("/interface/bridge/host", _bridge_hosts),
    Menu("/interface/bridge/vlan", _bridge_vlans),
    Menu("/interface/ethernet/poe", _poe, feature="poe"),
    Menu("/interface/wireguard", empty, major=7),
    Menu("/interface/wireguard/peers", empty, major=7),
    Menu("/interface/eoip", empty),
    Menu("/interface/gre", empty),
    Menu("/interface/ipip", empty),
)
