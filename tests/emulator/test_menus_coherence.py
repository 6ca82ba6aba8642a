"""The menus rebuilt from MikroTik's manual agree with the rest of the router:
packages with versions and menus, pools with leases, bridge ports, hosts and VLANs
with /interface, PoE rows with the board, IPv6 addresses with MACs, routing
processes with the protocols that run."""

from __future__ import annotations

import ipaddress

from mikromon.emulator import ManualClock, Router
from mikromon.emulator.boards import BOARDS
from mikromon.emulator.menus_ipv6 import eui64
from mikromon.emulator.profiles import CHR, V6, V6_LEGACY, V7, V7_EMPTY


def rows(router: Router, path: str) -> list[dict[str, str]]:
    table = router.table(path)
    return [table.row(i) for i in range(len(table))]


def test_package_list_follows_version_and_packages() -> None:
    """6.x: the bundle and its parts, a part whose menus are absent disabled; the
    menus trap exactly where the package is disabled. 7.x: the main package and
    the radio package."""
    legacy = Router(V6_LEGACY, clock=ManualClock())
    packages = {r["name"]: r for r in rows(legacy, "/system/package")}
    assert next(iter(packages)) == "routeros-smips"
    assert {r["version"] for r in packages.values()} == {"6.42.12"}
    disabled = {name for name, r in packages.items() if r["disabled"] == "true"}
    assert disabled == {"ipv6", "hotspot", "routing"}
    assert legacy.resolve("/ipv6/address/print").kind == "no-prefix"
    assert legacy.resolve("/ip/hotspot/active/print").kind == "no-prefix"
    v6 = Router(V6, clock=ManualClock())
    assert not [r for r in rows(v6, "/system/package") if r["disabled"] == "true"]
    assert v6.resolve("/ipv6/address/print").kind == "print"
    build = v6.resource_row(v6.moment())["build-time"]
    assert {r["build-time"] for r in rows(v6, "/system/package")} == {build}
    assert [r["name"] for r in rows(Router(V7, clock=ManualClock()), "/system/package")] == [
        "routeros", "wifi-qcom"]
    assert [r["name"] for r in rows(Router(V7.replace(version="7.12.1"), clock=ManualClock()),
                                    "/system/package")] == ["routeros", "wifiwave2"]
    assert [r["name"] for r in rows(Router(CHR, clock=ManualClock()), "/system/package")] == [
        "routeros"]


def test_dhcp_pool_spans_the_leases_and_used_lists_them() -> None:
    router = Router(V7.replace(dhcp_leases=600, churn=0.0), clock=ManualClock())
    [pool] = [r for r in rows(router, "/ip/pool") if r["name"] == "dhcp_pool0"]
    first, last = (ipaddress.ip_address(a) for a in pool["ranges"].split("-"))
    leases = rows(router, "/ip/dhcp-server/lease")
    assert len(leases) == 600
    assert all(first <= ipaddress.ip_address(r["address"]) <= last for r in leases)
    used = rows(router, "/ip/pool/used")
    assert [(u["address"], u["owner"]) for u in used] == [
        (r["address"], r["mac-address"]) for r in leases]
    assert {u["pool"] for u in used} == {"dhcp_pool0"}


def test_bridge_menus_name_the_routers_interfaces() -> None:
    router = Router(V6, clock=ManualClock())
    listed = {r["name"]: r for r in rows(router, "/interface")}
    [bridge] = rows(router, "/interface/bridge")
    assert (bridge[".id"], bridge["mac-address"]) == (listed["bridge1"][".id"],
                                                       listed["bridge1"]["mac-address"])
    ports = rows(router, "/interface/bridge/port")
    assert [p["interface"] for p in ports] == ["ether2", "ether3", "ether4", "ether5",
                                               "wlan1", "wlan2"]
    assert all(listed[p["interface"]].get("slave") == "true" for p in ports
               if p["interface"].startswith("ether"))
    hosts = rows(router, "/interface/bridge/host")
    local = [h for h in hosts if h["local"] == "true"]
    assert {h["mac-address"] for h in local} == {
        listed[name]["mac-address"] for name in ["bridge1", *(p["interface"] for p in ports)]}
    learnt = {h["mac-address"] for h in hosts if h["local"] == "false"}
    assert learnt == {r["mac-address"] for r in rows(router, "/ip/dhcp-server/lease")}
    vlans = rows(router, "/interface/bridge/vlan")
    assert [v["vlan-ids"] for v in vlans] == ["1"] + [
        n[4:] for n, r in listed.items() if r["type"] == "vlan"]
    assert rows(Router(CHR, clock=ManualClock()), "/interface/bridge") == []
    assert rows(Router(CHR, clock=ManualClock()), "/interface/bridge/port") == []


def test_poe_rows_only_on_poe_out_ports() -> None:
    assert "/interface/ethernet/poe" not in Router(V7, clock=ManualClock()).menus
    assert "/interface/ethernet/poe" not in Router(V7_EMPTY, clock=ManualClock()).menus
    router = Router(V7.replace(board="hEX PoE", radios=0), clock=ManualClock())
    ether = {r["name"]: r[".id"] for r in rows(router, "/interface/ethernet")}
    poe = rows(router, "/interface/ethernet/poe")
    assert [r["name"] for r in poe] == list(BOARDS["hEX PoE"].poe_out)
    assert all(r[".id"] == ether[r["name"]] for r in poe)
    small = Router(V7.replace(board="CRS328-24P-4S+", ethernet=4), clock=ManualClock())
    assert [r["name"] for r in rows(small, "/interface/ethernet/poe")] == [
        "ether1", "ether2", "ether3", "ether4"]


def test_ipv6_link_local_addresses_come_from_the_macs() -> None:
    router = Router(V7, clock=ManualClock())
    listed = {r["name"]: r for r in rows(router, "/interface")}
    addresses = rows(router, "/ipv6/address")
    local = {a["interface"]: a["address"] for a in addresses if a["link-local"] == "true"}
    members = {p["interface"] for p in rows(router, "/interface/bridge/port")}
    assert not members & local.keys()
    assert {"ether1", "bridge1"} <= local.keys()
    for name, address in local.items():
        assert address == eui64("fe80::", listed[name]["mac-address"]) + "/64"
    [lan] = [a for a in addresses if a["link-local"] == "false"]
    assert lan["interface"] == "bridge1"
    [pool] = rows(router, "/ipv6/pool")
    assert ipaddress.ip_interface(lan["address"]).network.subnet_of(
        ipaddress.ip_network(pool["prefix"]))
    assert eui64("fe80::", "02:4D:00:00:00:05") == "fe80::4d:ff:fe00:5"


def test_routing_processes_follow_the_protocols() -> None:
    with_both = {r["id"] for r in rows(Router(V7, clock=ManualClock()),
                                       "/routing/stats/process")}
    assert {"main", "fib", "ospf", "bgp"} <= with_both
    bare = Router(V7.replace(packages=frozenset({"wifi"})), clock=ManualClock())
    ids = {r["id"] for r in rows(bare, "/routing/stats/process")}
    assert "main" in ids
    assert not {"ospf", "bgp"} & ids


def test_dns_without_doh_before_6_47_and_cloud_names_the_serial() -> None:
    old = Router(V6_LEGACY, clock=ManualClock())
    [dns] = rows(old, "/ip/dns")
    assert "use-doh-server" not in dns
    assert "use-doh-server" in rows(Router(V6, clock=ManualClock()), "/ip/dns")[0]
    router = Router(V7, clock=ManualClock())
    serial = rows(router, "/system/routerboard")[0]["serial-number"]
    assert rows(router, "/ip/cloud")[0]["dns-name"] == f"{serial.lower()}.sn.mynetname.net"
