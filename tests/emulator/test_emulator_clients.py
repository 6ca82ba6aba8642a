"""Real client libraries against the emulator: librouteros (sync and async) and
RouterOS-api (as mktxp uses it) log in and read every menu; rows carry the fields
of their capture files (shared/routeros-captures via the ``captures`` fixture)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import librouteros
import pytest
import routeros_api
from librouteros.exceptions import TrapError
from librouteros.login import async_token, token
from librouteros.query import Key
from routeros_api.exceptions import RouterOsApiCommunicationError

from mikromon.emulator import PROFILES, ManualClock
from mikromon.emulator.testing import EmulatorHandle, async_emulators, running_emulators

#: capture file -> (API path, profile that serves that shape). Commands and the
#: count-only capture are checked by their own tests below.
CAPTURE_PATHS: dict[str, tuple[str, str]] = {
    "interface.v6": ("/interface", "v6"),
    "interface.v7": ("/interface", "v7"),
    "interface_ethernet.v7": ("/interface/ethernet", "v7"),
    "interface_vlan.v6": ("/interface/vlan", "v6"),
    "interface_vlan.v7": ("/interface/vlan", "v7"),
    "interface_wifi_registration_table.v7": ("/interface/wifi/registration-table", "v7"),
    "interface_wireless_registration_table.v6": (
        "/interface/wireless/registration-table", "v6"),
    "ip_address.v6": ("/ip/address", "v6"),
    "ip_address.v7": ("/ip/address", "v7"),
    "ip_arp.v6": ("/ip/arp", "v6"),
    "ip_arp.v7": ("/ip/arp", "v7"),
    "ip_dhcp_server_lease.v6": ("/ip/dhcp-server/lease", "v6"),
    "ip_dhcp_server_lease.v7": ("/ip/dhcp-server/lease", "v7"),
    "ip_firewall_filter.v7": ("/ip/firewall/filter", "v7"),
    "ip_firewall_nat.v7": ("/ip/firewall/nat", "v7"),
    "ip_hotspot_active.v7": ("/ip/hotspot/active", "v7"),
    "ip_neighbor.v6": ("/ip/neighbor", "v6"),
    "ip_neighbor.v7": ("/ip/neighbor", "v7"),
    "ip_route.v6": ("/ip/route", "v6"),
    "ip_route.v7": ("/ip/route", "v7"),
    "ip_service.v7": ("/ip/service", "v7"),
    "log.v6": ("/log", "v6"),
    "log.v7": ("/log", "v7"),
    "ppp_active.v7": ("/ppp/active", "v7"),
    "queue_simple.v7": ("/queue/simple", "v7"),
    "routing_bgp_connection.v7": ("/routing/bgp/connection", "v7"),
    "routing_bgp_peer.v6": ("/routing/bgp/peer", "v6"),
    "routing_bgp_session.v7": ("/routing/bgp/session", "v7"),
    "routing_ospf_neighbor.v6": ("/routing/ospf/neighbor", "v6"),
    "routing_ospf_neighbor.v7": ("/routing/ospf/neighbor", "v7"),
    "system_health.v6": ("/system/health", "v6"),
    "system_health.v7": ("/system/health", "v7"),
    "system_health.v7-hex": ("/system/health", "v7-empty"),  # a hEX
    "system_identity": ("/system/identity", "v7"),
    "system_resource.v6": ("/system/resource", "v6"),
    "system_resource.v7": ("/system/resource", "v7"),
    "system_resource_cpu.v7": ("/system/resource/cpu", "v7"),
    "system_routerboard.v6": ("/system/routerboard", "v6"),
    "system_routerboard.v7": ("/system/routerboard", "v7"),
    "user.v7": ("/user", "v7"),
    "user_active.v7": ("/user/active", "v7"),
    # menus rebuilt from MikroTik's manual (reconstructed files, see their source)
    "certificate.v7": ("/certificate", "v7"),
    "interface_bridge.v6": ("/interface/bridge", "v6"),
    "interface_bridge.v7": ("/interface/bridge", "v7"),
    "interface_bridge_host": ("/interface/bridge/host", "v7"),
    "interface_bridge_port.v6": ("/interface/bridge/port", "v6"),
    "interface_bridge_port.v7": ("/interface/bridge/port", "v7"),
    "interface_bridge_vlan.v7": ("/interface/bridge/vlan", "v7"),
    "interface_ethernet_poe": ("/interface/ethernet/poe", "v7-poe"),
    "ip_cloud.v6": ("/ip/cloud", "v6"),
    "ip_cloud.v7": ("/ip/cloud", "v7"),
    "ip_dns.v6": ("/ip/dns", "v6"),
    "ip_dns.v7": ("/ip/dns", "v7"),
    "ip_firewall_address_list.v7": ("/ip/firewall/address-list", "v7"),
    "ip_firewall_raw.v7": ("/ip/firewall/raw", "v7"),
    "ip_pool.v7": ("/ip/pool", "v7"),
    "ip_pool_used.v7": ("/ip/pool/used", "v7"),
    "ipv6_address.v7": ("/ipv6/address", "v7"),
    "ipv6_firewall_address_list.v7": ("/ipv6/firewall/address-list", "v7"),
    "ipv6_firewall_connection.v7": ("/ipv6/firewall/connection", "v7"),
    "ipv6_firewall_filter.v7": ("/ipv6/firewall/filter", "v7"),
    "ipv6_neighbor.v7": ("/ipv6/neighbor", "v7"),
    "ipv6_pool.v7": ("/ipv6/pool", "v7"),
    "ipv6_route.v6": ("/ipv6/route", "v6"),
    "ipv6_route.v7": ("/ipv6/route", "v7"),
    "queue_tree.v7": ("/queue/tree", "v7"),
    "queue_type.v7": ("/queue/type", "v7"),
    "routing_stats_process.v7": ("/routing/stats/process", "v7"),
    "system_license.v6": ("/system/license", "v6"),
    "system_license.v7": ("/system/license", "v7"),
    "system_license.v7-chr": ("/system/license", "chr"),
    "system_logging": ("/system/logging", "v7"),
    "system_package.v6": ("/system/package", "v6"),
    "system_package.v7": ("/system/package", "v7"),
    "tool_netwatch.v6": ("/tool/netwatch", "v6"),
    "tool_netwatch.v7": ("/tool/netwatch", "v7"),
    "user_group.v6": ("/user/group", "v6"),
    "user_group.v7": ("/user/group", "v7"),
}
COMMAND_CAPTURES = {"interface_monitor_traffic.v7", "interface_ethernet_monitor.v7",
                    "ip_firewall_connection_count.v7",
                    # checked in test_emulator_commands
                    "ping.v6", "ping.v7", "tool_traceroute.v7", "interface_wifi_monitor.v7",
                    "interface_wireless_monitor.v6"}
#: Served exactly as captured (no moving values, no generated rows).
VERBATIM = {"ip_address", "ip_neighbor", "log", "ip_firewall_filter", "ip_firewall_nat",
            "ip_service", "queue_simple", "routing_bgp_connection", "routing_bgp_peer",
            "routing_bgp_session", "routing_ospf_neighbor", "user_active",
            "interface_wifi_registration_table", "interface_wireless_registration_table",
            "certificate", "ip_dns", "ip_firewall_address_list",
            "ip_firewall_raw", "ipv6_firewall_address_list", "ipv6_firewall_filter",
            "ipv6_pool", "queue_type", "system_logging", "tool_netwatch", "user_group"}

#: Flag keys that a row omits when the flag is not set.
FLAGS = {"slave", "dynamic", "running", "active", "inactive", "comment"}


def load(captures: Path, name: str) -> dict[str, Any]:
    return json.loads((captures / f"{name}.json").read_text(encoding="utf-8"))


def as_text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


@pytest.fixture(scope="module")
def fleet() -> Iterator[dict[str, EmulatorHandle]]:
    """One frozen-clock router per named profile (smaller connection table: a full
    print of 4,000 rows only costs client time here)."""
    with contextlib.ExitStack() as stack:
        handles = {}
        poe = PROFILES["v7"].replace(name="v7-poe", board="hEX PoE", radios=0)
        for name in ("v6", "v6-legacy", "v7", "v7-empty", "chr", "isp-bras", "capsman",
                     "capsman-v6", "v7-poe"):
            base = poe if name == "v7-poe" else PROFILES[name]
            # (isp-bras: 60 customers, whose connections number ~2,000)
            profile = base.replace(connections=120, ppp_sessions=60) \
                if name == "isp-bras" else base.replace(connections=120)
            (handle,) = stack.enter_context(running_emulators(1, profile, clock=ManualClock()))
            handles[name] = handle
        yield handles


def test_every_capture_is_mapped(captures: Path) -> None:
    files = {p.name[:-5] for p in captures.glob("*.json")}
    assert files == set(CAPTURE_PATHS) | COMMAND_CAPTURES


@pytest.mark.parametrize("name", sorted(CAPTURE_PATHS))
def test_rows_carry_the_capture_fields(
    name: str, captures: Path, fleet: dict[str, EmulatorHandle]
) -> None:
    path, profile = CAPTURE_PATHS[name]
    r = fleet[profile]
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        served = list(api.path(path))
    finally:
        api.close()
    captured = load(captures, name)["rows"]
    assert served, f"{path} served no rows"
    served_keys = set().union(*(row.keys() for row in served))
    captured_keys = set().union(*(row.keys() for row in captured))
    assert served_keys == captured_keys
    # flags such as 'slave' are absent when unset (shared/ROUTEROS-API.md §7)
    required = set.intersection(*(set(row) for row in captured)) - FLAGS
    for row in served:
        assert required <= row.keys(), f"{path} row lacks {required - row.keys()}"
        assert row.keys() <= captured_keys | required


@pytest.mark.parametrize("name", sorted(n for n in CAPTURE_PATHS if n.split(".")[0] in VERBATIM))
def test_static_menus_are_served_verbatim(
    name: str, captures: Path, fleet: dict[str, EmulatorHandle]
) -> None:
    """RouterOS-api keeps the strings (it renames ``.id`` to ``id``); the values the
    router makes agree with itself (mikromon.emulator.coherence: interface names,
    networks, uptimes, percentages) are compared by key only."""
    path, profile = CAPTURE_PATHS[name]
    r = fleet[profile]
    pool = routeros_api.RouterOsApiPool(r.host, username=r.username, password=r.password,
                                        port=r.port, plaintext_login=True)
    try:
        served = pool.get_api().get_resource(path).get()
    finally:
        pool.disconnect()
    renamed = [{(".id" if k == "id" else k): v for k, v in row.items()} for row in served]
    captured = load(captures, name)["rows"]
    assert [list(row) for row in renamed] == [list(row) for row in captured]
    assert [_verbatim(row) for row in renamed] == [_verbatim(row) for row in captured]


#: Values the emulator makes agree with the router (mikromon.emulator.coherence).
COHERENT_KEYS = frozenset({"interface", "actual-interface", "in-interface", "out-interface",
                           "vrf-interface", "gateway", "immediate-gw", "network", "uptime",
                           "ccq", "tx-ccq", "rx-ccq"})


def _verbatim(row: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if k not in COHERENT_KEYS}


@pytest.mark.parametrize("profile", ["v6", "v6-legacy", "v7", "v7-empty", "chr", "isp-bras",
                                     "capsman", "capsman-v6"])
def test_librouteros_sync_reads_every_menu(profile: str, fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet[profile]
    # librouteros never falls back on its own: a pre-6.43 router needs the token login
    method = {"login_method": token} if profile == "v6-legacy" else {}
    api = librouteros.connect(r.host, r.username, r.password, port=r.port, **method)
    try:
        for path in r.emulator.router.menus:
            rows = list(api.path(path))
            expected = len(r.emulator.router.table(path))
            assert len(rows) == expected, path
    finally:
        api.close()


@pytest.mark.parametrize("profile", ["v6", "v7", "v7-empty", "chr", "isp-bras", "capsman",
                                     "capsman-v6"])
def test_routeros_api_reads_every_menu(profile: str, fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet[profile]
    pool = routeros_api.RouterOsApiPool(r.host, username=r.username, password=r.password,
                                        port=r.port, plaintext_login=True)
    try:
        api = pool.get_api()
        for path in r.emulator.router.menus:
            rows = api.get_resource(path).get()
            assert len(rows) == len(r.emulator.router.table(path)), path
            assert all(isinstance(v, str) for row in rows for v in row.values())
        done = api.get_resource("/ip/firewall/connection").call(
            "print", {"count-only": ""}).done_message
        assert int(done["ret"]) == len(r.emulator.router.table("/ip/firewall/connection"))
    finally:
        pool.disconnect()


def test_routeros_api_md5_login(fleet: dict[str, EmulatorHandle]) -> None:
    """RouterOS-api's challenge login works on 6.42 and is refused on 6.49, where
    the bare /login still answers a challenge (shared/ROUTEROS-API.md §5)."""
    r = fleet["v6-legacy"]
    pool = routeros_api.RouterOsApiPool(r.host, username=r.username, password=r.password,
                                        port=r.port, plaintext_login=False)
    try:
        assert pool.get_api().get_resource("/system/identity").get() == [
            {"name": r.identity}]
    finally:
        pool.disconnect()
    new = fleet["v6"]
    pool = routeros_api.RouterOsApiPool(new.host, username=new.username,
                                        password=new.password, port=new.port,
                                        plaintext_login=False)
    with pytest.raises(RouterOsApiCommunicationError, match=r"invalid user name or password"):
        pool.get_api()
    pool.disconnect()


@pytest.mark.parametrize("name", ["v6", "v7"])
async def test_librouteros_async_reads_every_menu(name: str) -> None:
    profile = PROFILES[name].replace(connections=100)
    async with async_emulators(1, profile=profile, clock=ManualClock()) as routers:
        for r in routers:
            api = await librouteros.async_connect(r.host, r.username, r.password, port=r.port)
            try:
                for path in r.router.menus:
                    rows = [row async for row in api.path(path)]
                    assert len(rows) == len(r.router.table(path)), path
            finally:
                await api.close()


@pytest.mark.parametrize(("method", "profile"), [
    ("plain", "v7"), ("plain", "v6"), ("token", "v6-legacy")])
def test_librouteros_sync_logins(method: str, profile: str,
                                 fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet[profile]
    api = librouteros.connect(r.host, r.username, r.password, port=r.port,
                              **({"login_method": token} if method == "token" else {}))
    try:
        assert list(api.path("/system/identity")) == [{"name": r.identity}]
    finally:
        api.close()


@pytest.mark.parametrize("profile", ["v6", "v7"])
def test_token_login_refused_after_6_45_1(profile: str,
                                          fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet[profile]
    with pytest.raises(TrapError) as err:
        librouteros.connect(r.host, r.username, r.password, port=r.port, login_method=token)
    assert err.value.message == "invalid user name or password (6)"


async def test_librouteros_async_token_login() -> None:
    async with async_emulators(1, profile="v6-legacy", password="t0ken") as (r,):
        api = await librouteros.async_connect(r.host, r.username, "t0ken", port=r.port,
                                              login_method=async_token)
        try:
            rows = [row async for row in api.path("/system/resource")]
            assert rows[0]["version"].startswith("6.42")
        finally:
            await api.close()


def test_wrong_password_is_a_trap(fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet["v7"]
    with pytest.raises(TrapError) as err:
        librouteros.connect(r.host, r.username, "wrong", port=r.port)
    assert err.value.message == "invalid user name or password (6)"
    with pytest.raises(TrapError, match="invalid user name or password"):
        librouteros.connect(r.host, r.username, "wrong", port=r.port, login_method=token)


@pytest.mark.parametrize("profile", ["chr", "v6"])
def test_missing_package_traps(profile: str, fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet[profile]
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        missing = ("/interface/wifi/registration-table" if profile == "chr"
                   else "/routing/bgp/session")
        with pytest.raises(TrapError) as err:
            list(api.path(missing))
        assert err.value.message == "no such command prefix"
        assert err.value.category == 0
        # the connection is still usable afterwards
        assert len(list(api.path("/system/resource"))) == 1
    finally:
        api.close()


def test_proplist_query_and_count_only(fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet["v7"]
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        ether = list(api.path("/interface").select(Key("name"), Key("type"))
                     .where(Key("type") == "ether"))
        assert ether
        assert all(row.keys() == {"name", "type"} for row in ether)
        assert {row["type"] for row in ether} == {"ether"}
        assert [row["name"] for row in ether] == [f"ether{i + 1}" for i in range(len(ether))]
        either = list(api.path("/interface").select(Key("name"))
                      .where(Key("type").In("ether", "vlan")))
        assert len(either) == len(ether) + r.profile.vlans
        ids = list(api.rawCmd("/interface/print", "=.proplist=.id,name", "?name=ether2"))
        assert ids == [{".id": "*2", "name": "ether2"}]
        count = list(api("/ip/route/print", **{"count-only": ""}))
        assert count == [{"ret": r.profile.routes}]
        counted = list(api.rawCmd("/interface/print", "=count-only=", "?type=ether"))
        assert counted == [{"ret": len(ether)}]
    finally:
        api.close()


def test_monitor_traffic_once_reports_configured_rates(fleet: dict[str, EmulatorHandle],
                                                       captures: Path) -> None:
    r = fleet["v7"]
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        rows = list(api("/interface/monitor-traffic", interface="ether1,ether3", once=""))
        eth = list(api("/interface/ethernet/monitor", numbers="ether2", once=""))
    finally:
        api.close()
    assert [row["name"] for row in rows] == ["ether1", "ether3"]
    for row in rows:
        rate = r.rates[row["name"]]
        assert (row["rx-bits-per-second"], row["tx-bits-per-second"]) == (rate.rx_bps,
                                                                         rate.tx_bps)
        assert row["rx-packets-per-second"] == rate.rx_pps
    assert set(rows[0]) == set(load(captures, "interface_monitor_traffic.v7")["rows"][0])
    assert eth[0]["name"] == "ether2"
    assert set(eth[0]) == set(load(captures, "interface_ethernet_monitor.v7")["rows"][0])


def test_connection_count_reply_shape(fleet: dict[str, EmulatorHandle], captures: Path) -> None:
    r = fleet["v6"]
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        reply = list(api("/ip/firewall/connection/print", **{"count-only": ""}))
    finally:
        api.close()
    assert reply[0].keys() == load(captures, "ip_firewall_connection_count.v7")["done"].keys()
    assert 0.9 * r.profile.connections <= reply[0]["ret"] <= r.profile.connections
