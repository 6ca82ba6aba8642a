"""Extended-tier collectors: BGP, OSPF, wireless and wifi, log, users, services,
neighbors, identity and routerboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from collector_fakes import TS, FakeRouter, context, load

from mikromon.collectors import ip_neighbor, ip_service, user, user_active
from mikromon.collectors._wireless import CLIENT_COLUMNS
from mikromon.collectors.caps_man import CapsManCollector
from mikromon.collectors.interface_wifi import InterfaceWifiCollector
from mikromon.collectors.interface_wireless import InterfaceWirelessCollector
from mikromon.collectors.log import LogCollector
from mikromon.collectors.routing_bgp import (
    V7_CONNECTION_PATH,
    V7_SESSION_PATH,
    RoutingBgpCollector,
)
from mikromon.collectors.routing_ospf_neighbor import RoutingOspfNeighborCollector
from mikromon.collectors.system_identity import SystemIdentityCollector
from mikromon.collectors.system_routerboard import SystemRouterboardCollector
from mikromon.domain.inventory import CollectResult, DeviceFacts


def by_label(result: CollectResult, label: str) -> dict[tuple[str, str | None], float]:
    return {(s.key, s.label(label)): s.value for s in result.samples}


# --- BGP -------------------------------------------------------------------------------

async def test_bgp_v6_peers(captures: Path) -> None:
    router = FakeRouter({"/routing/bgp/peer": load(captures, "routing_bgp_peer.v6")})
    result = await RoutingBgpCollector().collect(router, context(major=6))
    assert by_label(result, "peer") == {
        ("bgp.prefix_count", "peer-a"): 1.0,
        ("bgp.uptime_seconds", "peer-a"): 11884941.0,  # 19w4d13h22m21s
        ("bgp.prefix_count", "SRV-R1"): 1836.0,
        ("bgp.uptime_seconds", "SRV-R1"): 4758576.0,  # 7w6d1h49m36s
    }
    (snap,) = result.inventory
    assert (snap.table, snap.key_fields) == ("bgp_peers", ("name",))
    srv = snap.rows[1]
    assert (srv["remote-address"], srv["remote-as"], srv["updates-received"],
            srv["withdrawn-received"], srv["hold-time"], srv["state"]) == (
        "192.0.2.4", 64512, 237257, 84853, 180.0, "established")
    hub = snap.rows[2]
    assert (hub["established"], hub["uptime"], hub["prefix-count"]) == (False, None, None)
    assert router.asked() == ["/routing/bgp/peer"]


async def test_bgp_v7_sessions_and_connections(captures: Path) -> None:
    router = FakeRouter({
        "/routing/bgp/connection": load(captures, "routing_bgp_connection.v7"),
        "/routing/bgp/session": load(captures, "routing_bgp_session.v7"),
    })
    result = await RoutingBgpCollector().collect(router, context())
    assert by_label(result, "peer") == {
        # the captured session belongs to no captured connection: its own name
        ("bgp.prefix_count", "bogon-1"): 0.0,
        ("bgp.uptime_seconds", "bogon-1"): pytest.approx(3190.72),  # 53m10s720ms
    }
    connections, sessions = result.inventory
    assert connections.table == "bgp_connections"
    assert connections.rows == [{
        "name": "c1", "as": 65002, "router-id": "10.10.10.2", "routing-table": "main",
        "remote.address": "10.10.10.1", "remote.as": 65001, "local.address": "10.10.10.2",
        "local.role": "ebgp", "disabled": False,
    }]
    assert sessions.table == "bgp_sessions"
    assert sessions.rows == [{
        "name": "bogon-1", "remote.address": "10.10.100.56", "remote.as": 65533,
        "remote.id": "10.10.100.56", "local.address": "10.10.100.57", "local.as": 65532,
        "local.id": "10.10.100.57", "remote.messages": 54, "local.messages": 55,
        "remote.bytes": 1026, "local.bytes": 1109, "prefix-count": 0,
        "uptime": pytest.approx(3190.72), "last-started": "2024-03-01T13:13:32",
        "hold-time": 180.0, "established": True, "ebgp": True, "ibgp": False,
        "stopped": False,
    }]
    # /system/clock is asked for last-started's zone (absent here: it stays local)
    assert router.asked() == ["/routing/bgp/connection", "/routing/bgp/session",
                              "/system/clock"]


async def test_bgp_v7_session_joins_its_connection(captures: Path) -> None:
    session = {**load(captures, "routing_bgp_session.v7")[0], "name": "c1-1",
               "prefix-count": "812"}
    router = FakeRouter({
        "/routing/bgp/connection": load(captures, "routing_bgp_connection.v7"),
        "/routing/bgp/session": [session],
    })
    result = await RoutingBgpCollector().collect(router, context())
    assert by_label(result, "peer") == {
        ("bgp.prefix_count", "c1"): 812.0,
        ("bgp.uptime_seconds", "c1"): pytest.approx(3190.72),
    }


async def test_bgp_v6_path_never_asked_where_v7_paths_answer(captures: Path) -> None:
    router = FakeRouter({V7_CONNECTION_PATH: load(captures, "routing_bgp_connection.v7"),
                         V7_SESSION_PATH: []})
    result = await RoutingBgpCollector().collect(router, context())
    assert result.absent == []
    assert router.asked() == [V7_CONNECTION_PATH, V7_SESSION_PATH]


async def test_bgp_without_either_path_is_asked_once_each() -> None:
    """Neither BGP path: both are reported absent once, then nothing is asked."""
    router = FakeRouter()
    result = await RoutingBgpCollector().collect(router, context())
    assert result.absent == [V7_CONNECTION_PATH, "/routing/bgp/peer"]
    again = FakeRouter()
    await RoutingBgpCollector().collect(again, context(absent=set(result.absent)))
    assert again.asked() == []


# --- OSPF ------------------------------------------------------------------------------

async def test_ospf_v6(captures: Path) -> None:
    router = FakeRouter({"/routing/ospf/neighbor": load(captures, "routing_ospf_neighbor.v6")})
    result = await RoutingOspfNeighborCollector().collect(router, context(major=6))
    assert result.samples == []  # counts and states: routing_ospf_state (short)
    (snap,) = result.inventory
    assert snap.rows[0] == {
        "instance": "default", "router-id": "198.51.100.2", "address": "198.51.100.81",
        "interface": "vlan68", "priority": 128, "dr-address": "0.0.0.0",
        "backup-dr-address": "0.0.0.0", "state": "Full", "state-changes": 5,
        "adjacency": 7 * 604800 + 5 * 86400 + 8 * 3600 + 40 * 60 + 21.0,
    }
    assert snap.rows[2]["state"] == "2-Way"
    assert snap.rows[2]["adjacency"] is None


async def test_ospf_v7_renamed_fields(captures: Path) -> None:
    router = FakeRouter({"/routing/ospf/neighbor": load(captures, "routing_ospf_neighbor.v7")})
    result = await RoutingOspfNeighborCollector().collect(router, context())
    assert result.samples == []  # counts and states: routing_ospf_state (short)
    rows = result.inventory[0].rows
    assert rows[1] == {
        "instance": "default-v2", "router-id": "10.88.0.250", "address": "10.88.0.250",
        "interface": "bridge", "area": "backbone-v2", "priority": 1, "dr": "10.88.0.1",
        "bdr": "10.88.0.250", "state": "Full", "state-changes": 5,
        "adjacency": 2 * 86400 + 3 * 3600 + 11 * 60 + 4.0, "timeout": 33.0,
    }
    assert (rows[0]["priority"], rows[0]["dr"], rows[0]["timeout"]) == (None, None, 36.0)
    assert rows[2]["address"] == "fe80::2a4:ff:fe00:10%bridge"
    assert rows[2]["adjacency"] is None
    # one print asks for both versions' names; the rows' own names decide
    assert all("dr-address" not in row for row in rows)
    assert {"dr-address", "dr"} <= set(router.calls[0].proplist)


async def test_ospf_v6_rows_read_as_v6_whatever_the_version_says(captures: Path) -> None:
    router = FakeRouter({"/routing/ospf/neighbor": load(captures, "routing_ospf_neighbor.v6")})
    result = await RoutingOspfNeighborCollector().collect(router, context(major=7))
    rows = result.inventory[0].rows
    assert rows[0]["dr-address"] == "0.0.0.0"
    assert "dr" not in rows[0]


# --- wireless --------------------------------------------------------------------------

async def test_legacy_wireless_v6(captures: Path) -> None:
    router = FakeRouter({
        "/interface/wireless": [{".id": "*5", "name": "wlan1", "ssid": "example-net",
                                 "running": "true", "disabled": "false"},
                                {".id": "*6", "name": "wlan2", "running": "false",
                                 "disabled": "true"}],
        "/interface/wireless/registration-table": load(
            captures, "interface_wireless_registration_table.v6"),
    })
    result = await InterfaceWirelessCollector().collect(router, context(major=6))
    assert by_label(result, "interface") == {
        ("wireless.clients", "wlan1"): 1.0, ("wireless.clients", "wlan2"): 0.0}
    clients, interfaces = result.inventory
    assert interfaces.table == "wireless_interfaces"
    assert interfaces.rows[1]["disabled"] is True
    assert (clients.table, clients.key_fields) == (
        "wireless_clients", ("interface", "mac-address"))
    # the one client schema: signal-strength -> signal, authentication-type -> auth-type
    assert clients.rows == [{
        "interface": "wlan1", "ap": None, "mac-address": "02:11:22:3E:1C:EE",
        "ssid": None, "last-ip": "10.88.0.10", "band": None, "auth-type": "wpa2-psk",
        "signal": -51.0, "signal-to-noise": 50, "tx-ccq": 113,
        "tx-rate": 48_000_000.0, "rx-rate": 65_000_000.0,
        "tx-bits-per-second": None, "rx-bits-per-second": None,
        "bytes.tx": 6689896, "bytes.rx": 2094536, "packets.tx": 34591, "packets.rx": 20635,
        "uptime": 432551.0, "last-activity": 4.75,  # 5d9m11s, 4s750ms
    }]
    assert list(clients.rows[0]) == list(CLIENT_COLUMNS)
    assert "signal-strength" in router.calls[1].proplist  # asked by the router's name
    assert router.calls[1].args == {"stats": ""}
    assert [(c.kind, c.path) for c in router.calls] == [
        ("count", "/interface/wireless/registration-table"),
        ("print", "/interface/wireless/registration-table"),
        ("print", "/interface/wireless")]


async def test_wifi_v7_13(captures: Path) -> None:
    router = FakeRouter({
        "/interface/wifi": [{"name": "wifi1"}, {"name": "wifi2"}, {"name": "wifi3"}],
        "/interface/wifi/registration-table": load(
            captures, "interface_wifi_registration_table.v7"),
    })
    result = await InterfaceWifiCollector().collect(router, context(version=(7, 16, 2)))
    assert by_label(result, "interface") == {
        ("wireless.clients", "wifi1"): 1.0, ("wireless.clients", "wifi2"): 1.0,
        ("wireless.clients", "wifi3"): 0.0}
    clients = result.inventory[0]
    assert clients.table == "wifi_clients"
    assert clients.rows[0] == {
        "interface": "wifi1", "ap": None, "mac-address": "02:A4:5E:10:22:31",
        "ssid": "example-net", "last-ip": None, "band": "5ghz-ax", "auth-type": "wpa2-psk",
        "signal": -55.0, "signal-to-noise": None, "tx-ccq": None,
        "tx-rate": 1_200_900_000.0, "rx-rate": 864_800_000.0,
        "tx-bits-per-second": 2114480.0, "rx-bits-per-second": 118232.0,
        "bytes.tx": 512301441, "bytes.rx": 27811930, "packets.tx": 412233, "packets.rx": 198812,
        "uptime": 3720.0, "last-activity": 0.03,
    }
    assert list(clients.rows[0]) == list(CLIENT_COLUMNS)
    assert (clients.rows[1]["signal"], clients.rows[1]["uptime"],
            clients.rows[1]["tx-rate"]) == (-71.0, 274327.0, 72_200_000.0)


async def test_wifi_capsman_clients_name_their_ap() -> None:
    """7.13+ CAPsMAN: the manager lists the CAPs' clients in its own wifi
    registration table; the CAP interface's ``cap`` (identity@base-mac%id) names the AP."""
    router = FakeRouter({
        "/interface/wifi": [{"name": "wifi1"},
                            {"name": "cap-wifi1", "cap": "hall-ap@02:AA:BB:CC:DD:01%*3"}],
        "/interface/wifi/registration-table": [
            {"interface": "cap-wifi1", "mac-address": "02:00:00:00:00:09", "signal": "-60"},
            {"interface": "wifi1", "mac-address": "02:00:00:00:00:0A", "signal": "-40"}],
    })
    result = await InterfaceWifiCollector().collect(router, context(version=(7, 16, 2)))
    clients = next(s for s in result.inventory if s.table == "wifi_clients")
    assert [(r["interface"], r["ap"], r["signal"]) for r in clients.rows] == [
        ("cap-wifi1", "hall-ap", -60.0), ("wifi1", None, -40.0)]


async def test_legacy_capsman_clients_same_schema() -> None:
    router = FakeRouter({
        "/caps-man/interface": [{"name": "cap1", "mac-address": "02:AA:BB:CC:DD:02",
                                 "current-state": "running-ap", "current-channel": "2412/20/gn",
                                 "current-registered-clients": "1", "disabled": "false"}],
        "/caps-man/registration-table": [
            {".id": "*1", "interface": "cap1", "ssid": "example-net",
             "mac-address": "02:00:00:00:00:0B", "tx-rate": "72.2Mbps-20MHz/1S/SGI",
             "rx-rate": "65Mbps", "rx-signal": "-63", "uptime": "1h", "packets": "10,20",
             "bytes": "1000,2000", "eap-identity": "", "comment": ""}],
    })
    result = await CapsManCollector().collect(router, context(major=6))
    assert by_label(result, "interface") == {("wireless.clients", "cap1"): 1.0}
    clients, interfaces = result.inventory
    assert (clients.table, interfaces.table) == ("capsman_clients", "capsman_interfaces")
    assert clients.rows == [{
        "interface": "cap1", "ap": None, "mac-address": "02:00:00:00:00:0B",
        "ssid": "example-net", "last-ip": None, "band": None, "auth-type": None,
        "signal": -63.0, "signal-to-noise": None, "tx-ccq": None,
        "tx-rate": 72_200_000.0, "rx-rate": 65_000_000.0,
        "tx-bits-per-second": None, "rx-bits-per-second": None,
        "bytes.tx": 1000, "bytes.rx": 2000, "packets.tx": 10, "packets.rx": 20,
        "uptime": 3600.0, "last-activity": None,
    }]
    assert "rx-signal" in router.calls[1].proplist
    assert interfaces.rows[0]["current-registered-clients"] == 1
    assert CapsManCollector().name == "caps_man"


async def test_capsman_absent_is_asked_once() -> None:
    router = FakeRouter()
    result = await CapsManCollector().collect(router, context())
    assert result.absent == ["/caps-man/registration-table"]
    assert router.asked() == ["/caps-man/registration-table"]


async def test_wifi_paths_by_version() -> None:
    old = FakeRouter({"/interface/wifiwave2": [], "/interface/wifiwave2/registration-table": []})
    await InterfaceWifiCollector().collect(old, context(version=(7, 12, 1)))
    assert old.asked() == ["/interface/wifiwave2/registration-table",  # count-only, print
                           "/interface/wifiwave2/registration-table", "/interface/wifiwave2"]
    v6 = FakeRouter()
    assert (await InterfaceWifiCollector().collect(v6, context(major=6))).absent == []
    assert v6.asked() == []


async def test_wireless_package_missing_is_reported_once() -> None:
    router = FakeRouter()
    result = await InterfaceWirelessCollector().collect(router, context())
    path = "/interface/wireless/registration-table"
    assert result.absent == [path]
    assert result.inventory == []
    assert router.asked() == [path]
    again = await InterfaceWirelessCollector().collect(router, context(absent={path}))
    assert again.absent == []
    assert router.asked() == [path]


async def test_clients_counted_even_without_the_interface_list(captures: Path) -> None:
    router = FakeRouter({"/interface/wifi/registration-table": load(
        captures, "interface_wifi_registration_table.v7")})
    result = await InterfaceWifiCollector().collect(router, context())
    assert by_label(result, "interface") == {
        ("wireless.clients", "wifi1"): 1.0, ("wireless.clients", "wifi2"): 1.0}
    assert result.absent == ["/interface/wifi"]
    assert [s.table for s in result.inventory] == ["wifi_clients"]


# --- log -------------------------------------------------------------------------------

async def test_log_v6_times_get_the_router_date(captures: Path) -> None:
    router = FakeRouter({"/log": load(captures, "log.v6"),
                         "/system/clock": [{"date": "jul/20/2023", "time": "11:02:00"}]})
    result = await LogCollector().collect(router, context(major=6))
    (snap,) = result.inventory
    assert (snap.table, snap.key_fields, snap.append_only) == (
        "logs", ("time", "topics", "message"), True)
    assert [(r["time"], r["topics"]) for r in snap.rows] == [
        ("2023-07-19T14:27:01", "script,info"),
        ("2023-07-19T03:05:02", "script,warning"),
        ("2023-07-20T03:07:40", "interface,info"),
        ("2023-07-20T03:07:46", "interface,info"),
        ("2023-07-20T03:07:46", "dhcp,info"),
        ("2023-07-20T10:41:02", "system,error,critical"),  # 'HH:MM:SS' = today
    ]
    assert snap.rows[0]["message"] == "Ping testA: Packets Sent = 18, Packets Loss = 10 % "
    assert [(c.kind, c.path) for c in router.calls] == [
        ("count", "/log"), ("print", "/log"), ("print", "/system/clock")]


async def test_log_date_without_year_in_the_future_is_last_year() -> None:
    router = FakeRouter({"/log": [{"time": "dec/31 23:59:00", "topics": "system,info",
                                   "message": "a"}],
                         "/system/clock": [{"date": "jan/02/2024"}]})
    (snap,) = (await LogCollector().collect(router, context(major=6))).inventory
    assert snap.rows[0]["time"] == "2023-12-31T23:59:00"


async def test_log_v7_keeps_last_100_without_a_clock(captures: Path) -> None:
    rows = load(captures, "log.v7")
    router = FakeRouter({"/log": rows})
    (snap,) = (await LogCollector().collect(router, context())).inventory
    assert len(snap.rows) == 13
    assert snap.rows[0] == {
        "time": "2025-12-09T11:40:26", "topics": "system,error,critical",
        "message": "router rebooted without proper shutdown, probably power outage"}
    # count-only, then print, then the clock (absent here: times stay router-local)
    assert router.asked() == ["/log", "/log", "/system/clock"]
    many = [{"time": f"2025-12-09 10:{i // 60:02d}:{i % 60:02d}", "topics": "info",
             "message": f"m{i}"} for i in range(150)]
    (snap,) = (await LogCollector().collect(FakeRouter({"/log": many}), context())).inventory
    assert [r["message"] for r in snap.rows] == [f"m{i}" for i in range(50, 150)]


async def test_log_without_clock_uses_collector_date() -> None:
    router = FakeRouter({"/log": [{"time": "10:41:02", "topics": "x", "message": "y"}]})
    result = await LogCollector().collect(router, context(major=6))
    assert result.inventory[0].rows[0]["time"] == f"{TS.date().isoformat()}T10:41:02"
    assert result.absent == ["/system/clock"]


# --- users, services, neighbors --------------------------------------------------------

async def test_users(captures: Path) -> None:
    router = FakeRouter({"/user": load(captures, "user.v7"),
                         "/user/active": load(captures, "user_active.v7")})
    (users,) = (await user.COLLECTOR.collect(router, context())).inventory
    assert users.rows == [
        {"name": "admin", "group": "full", "address": "",
         "last-logged-in": "2023-06-30T01:08:59", "disabled": False,
         "comment": "system default user"},
        {"name": "monitor", "group": "read", "address": "10.0.0.0/8",
         "last-logged-in": "2023-07-18T05:12:46", "disabled": False, "comment": None},
    ]
    (sessions,) = (await user_active.COLLECTOR.collect(router, context())).inventory
    assert (sessions.table, sessions.key_fields) == ("user_sessions", (".id",))
    assert [(r[".id"], r["when"], r["name"], r["via"], r["group"], r["radius"])
            for r in sessions.rows] == [
        ("*51", "2024-12-18T10:54:02", "operator", "ssh", "full", False),
        ("*52", "2024-12-18T10:55:02", "monitor", "api", "read", False),
        ("*53", "2024-12-18T09:12:40", "admin", "winbox", "full", False),
    ]
    assert sessions.rows[2]["address"] == "02:1A:2B:3C:4D:5E"


async def test_ip_services_skip_dynamic_rows(captures: Path) -> None:
    rows = [*load(captures, "ip_service.v7"),
            {".id": "*10", "name": "api", "port": "8728", "dynamic": "true",
             "disabled": "false", "invalid": "false"}]
    (snap,) = (await ip_service.COLLECTOR.collect(FakeRouter({"/ip/service": rows}),
                                                  context())).inventory
    assert [(r["name"], r["port"], r["disabled"]) for r in snap.rows] == [
        ("telnet", 23, True), ("ftp", 21, True), ("www", 80, False), ("ssh", 22, False),
        ("www-ssl", 443, False), ("api", 8728, False), ("winbox", 8291, False),
        ("api-ssl", 8729, False),
    ]
    api = snap.rows[5]
    assert api == {"name": "api", "port": 8728, "address": "10.0.0.0/8", "certificate": None,
                   "tls-version": None, "vrf": "main", "max-sessions": 20, "disabled": False,
                   "invalid": False, "dynamic": False}
    assert (snap.rows[7]["certificate"], snap.rows[7]["tls-version"]) == ("none", "any")


async def test_neighbors_v6(captures: Path) -> None:
    router = FakeRouter({"/ip/neighbor": load(captures, "ip_neighbor.v6")})
    (snap,) = (await ip_neighbor.COLLECTOR.collect(router, context(major=6))).inventory
    assert snap.rows == [{
        "interface": "ether3,br-lan", "address": "10.31.1.12", "address4": "10.31.1.12",
        "address6": None, "mac-address": "02:5E:0C:12:AA:CC", "identity": "sw",
        "platform": "MikroTik", "version": "6.40.8 (bugfix)", "board": "CRS112-8G-4S",
        "software-id": "AAAA-AAAA", "interface-name": "ether1",
        "system-caps": "bridge,router", "system-caps-enabled": "router",
        "discovered-by": None, "ipv6": False, "age": 49.0,
        "uptime": 5379497.0,  # 8w6d6h18m17s
    }]


async def test_neighbors_v7(captures: Path) -> None:
    router = FakeRouter({"/ip/neighbor": load(captures, "ip_neighbor.v7")})
    (snap,) = (await ip_neighbor.COLLECTOR.collect(router, context())).inventory
    assert snap.key_fields == ("interface", "mac-address")
    assert [(r["identity"], r["discovered-by"], r["ipv6"], r["age"], r["uptime"])
            for r in snap.rows] == [
        ("upstream-gw", "cdp,lldp,mndp", False, 25.0, 4358.0),  # 1h12m38s
        ("sw-access-1", "mndp", True, 7.0, 117440.0),  # 1d8h37m20s
    ]
    assert snap.rows[1]["address6"] == "2001:db8:11a3:9d7:1f34:8a2e:7a0:765d"


# --- facts -----------------------------------------------------------------------------

async def test_identity(captures: Path) -> None:
    router = FakeRouter({"/system/identity": load(captures, "system_identity")})
    result = await SystemIdentityCollector().collect(router, context())
    assert result.facts == DeviceFacts(identity="rtr-core-01")


@pytest.mark.parametrize(
    ("capture", "serial", "row"),
    [
        ("system_routerboard.v6", "AB12CD34EF56", {
            "routerboard": True, "board-name": "hEX", "model": "RB750Gr3", "revision": "r4",
            "serial-number": "AB12CD34EF56", "firmware-type": "mt7621L",
            "factory-firmware": "6.48", "current-firmware": "6.49",
            "upgrade-firmware": "6.49"}),
        ("system_routerboard.v7", "HCQ0000AAAA", {
            "routerboard": True, "board-name": "hAP ac^3", "model": "RBD53iG-5HacD2HnD",
            "revision": None, "serial-number": "HCQ0000AAAA", "firmware-type": "ipq4000",
            "factory-firmware": "7.2.3", "current-firmware": "7.2.3",
            "upgrade-firmware": "7.5"}),
    ],
)
async def test_routerboard(captures: Path, capture: str, serial: str, row: dict) -> None:
    router = FakeRouter({"/system/routerboard": load(captures, capture)})
    result = await SystemRouterboardCollector().collect(router, context())
    assert result.facts == DeviceFacts(serial=serial)
    assert result.inventory[0].rows == [row]
    assert result.inventory[0].ts == TS


async def test_routerboard_on_chr_is_an_empty_table() -> None:
    """A CHR answers only ``routerboard=false``: no RouterBOARD, so no row (a row
    of blanks would read as a board with unknown facts)."""
    router = FakeRouter({"/system/routerboard": [{"routerboard": "false"}]})
    result = await SystemRouterboardCollector().collect(router, context())
    assert result.facts is None
    assert result.inventory[0].table == "routerboard"
    assert result.inventory[0].rows == []
