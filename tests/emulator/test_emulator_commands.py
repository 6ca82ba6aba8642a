"""Commands with arguments over the real protocol (librouteros, RouterOS-api and the
raw client): replies, RouterOS's traps for wrong arguments, ``/cancel`` of
streaming commands; and the coherence of the isp-bras and CAPsMAN profiles."""

from __future__ import annotations

import re
from collections.abc import Iterator

import librouteros
import pytest
import routeros_api
from emu_raw import RawClient
from librouteros.exceptions import TrapError
from routeros_api.exceptions import RouterOsApiCommunicationError

from mikromon.emulator import PROFILES, ManualClock, Router
from mikromon.emulator.data import capture
from mikromon.emulator.menus_capsman import CAPS, clients_per_interface
from mikromon.emulator.testing import EmulatorHandle, running_emulators

V7_TIME = re.compile(r"(\d+ms)?(\d+us)?")


@pytest.fixture(scope="module")
def fleet() -> Iterator[dict[str, EmulatorHandle]]:
    names = ("v6", "v7", "isp-bras", "capsman")
    profiles = {n: PROFILES[n] for n in names}
    profiles["isp-bras"] = profiles["isp-bras"].replace(ppp_sessions=400)
    with (running_emulators(1, profiles["v6"]) as (v6,),
          running_emulators(1, profiles["v7"]) as (v7,),
          running_emulators(1, profiles["isp-bras"]) as (bras,),
          running_emulators(1, profiles["capsman"], clock=ManualClock()) as (caps,)):
        yield {"v6": v6, "v7": v7, "isp-bras": bras, "capsman": caps}


def _lib(r: EmulatorHandle) -> librouteros.api.Api:
    return librouteros.connect(r.host, r.username, r.password, port=r.port)


def _trap(api: librouteros.api.Api, path: str, **args: str) -> str:
    with pytest.raises(TrapError) as err:
        list(api(path, **args))
    return str(err.value.message)


def test_ethernet_monitor_several_ports_with_sfp_fields(fleet: dict[str, EmulatorHandle]
                                                        ) -> None:
    api = _lib(fleet["isp-bras"])
    try:
        rows = list(api("/interface/ethernet/monitor", numbers="ether1,sfp-sfpplus2",
                        once=""))
        only = list(api("/interface/ethernet/monitor", numbers="sfp-sfpplus1", once="",
                        **{".proplist": "name,sfp-rx-power,sfp-temperature"}))
    finally:
        api.close()
    assert [r["name"] for r in rows] == ["ether1", "sfp-sfpplus2"]
    assert not any(k.startswith("sfp-") for k in rows[0])
    sfp = rows[1]
    assert sfp["rate"] == "10Gbps"
    assert sfp["status"] == "link-ok"
    assert sfp["sfp-module-present"] is True
    assert sfp["sfp-tx-fault"] is False
    assert -40 < float(sfp["sfp-rx-power"]) < 5
    assert -40 < float(sfp["sfp-tx-power"]) < 5
    assert 0 < int(sfp["sfp-temperature"]) < 90
    assert {"sfp-vendor-name", "sfp-vendor-serial", "sfp-wavelength"} <= sfp.keys()
    assert set(only[0]) == {"name", "sfp-rx-power", "sfp-temperature"}


def test_a_dark_sfp_port_reports_rx_loss() -> None:
    router = Router(PROFILES["isp-bras"], clock=ManualClock())
    router.set_link("sfp-sfpplus3", False)
    dark, lit = router.ethernet_monitor(["sfp-sfpplus3", "sfp-sfpplus4"])
    assert (dark["status"], dark["sfp-rx-loss"], dark["sfp-rx-power"]) == (
        "no-link", "true", "-40.000")
    assert "rate" not in dark
    assert (lit["status"], lit["sfp-rx-loss"]) == ("link-ok", "false")


def test_wrong_arguments_get_the_routers_traps(fleet: dict[str, EmulatorHandle]) -> None:
    api = _lib(fleet["v7"])
    try:
        assert _trap(api, "/interface/ethernet/monitor", numbers="nope", once="") == \
            "no such item"
        assert _trap(api, "/interface/ethernet/monitor", numbers="bridge1", once="") == \
            "no such item"
        assert _trap(api, "/interface/ethernet/monitor", once="") == \
            "missing value(s) of argument(s) numbers"
        assert _trap(api, "/interface/ethernet/monitor", numbers="ether1", once="",
                     colour="red") == "unknown parameter"
        assert _trap(api, "/interface/monitor-traffic", interface="ether1,nope", once="") \
            == "input does not match any value of interface"
        assert _trap(api, "/ping", count="2") == "missing value(s) of argument(s) address"
        assert _trap(api, "/ping", address="10.1.2", count="1") == \
            "invalid value for argument address"
        assert _trap(api, "/ping", address="10.88.0.1", count="many") == \
            "invalid value for argument count"
        assert _trap(api, "/ping", address="10.88.0.1", count="1", interval="9s") == \
            "invalid value for argument interval"
        assert _trap(api, "/tool/traceroute", address="10.88.0.1", hops="3") == \
            "unknown parameter"
        assert _trap(api, "/interface/wifi/monitor", numbers="ether1", once="") == \
            "no such item"
        # the legacy wireless package is absent on this 7.x router
        assert _trap(api, "/interface/wireless/monitor", numbers="wlan1", once="") == \
            "no such command prefix"
    finally:
        api.close()


def test_wireless_and_wifi_monitors_count_their_clients(fleet: dict[str, EmulatorHandle]
                                                        ) -> None:
    for name, path, monitor, key in (
            ("v6", "/interface/wireless", "wlan1", "registered-clients"),
            ("v7", "/interface/wifi", "wifi1", "registered-peers")):
        api = _lib(fleet[name])
        try:
            rows = list(api(f"{path}/monitor", numbers=monitor, once=""))
            clients = [r for r in api(f"{path}/registration-table/print")
                       if r["interface"] == monitor]
        finally:
            api.close()
        assert len(rows) == 1
        assert rows[0][key] == len(clients) > 0
        assert "running-ap" in (rows[0].get("status"), rows[0].get("state"))


def test_wifi_monitor_on_a_controllers_cap_interfaces(fleet: dict[str, EmulatorHandle]
                                                      ) -> None:
    api = _lib(fleet["capsman"])
    try:
        rows = list(api("/interface/wifi/monitor", numbers="cap-wifi1,wifi1,cap-wifi8",
                        once=""))
        clients = list(api("/interface/wifi/registration-table/print"))
        remote = list(api("/interface/wifi/capsman/remote-cap/print"))
    finally:
        api.close()
    for row, name in zip(rows, ("cap-wifi1", "wifi1", "cap-wifi8"), strict=True):
        assert row["registered-peers"] == sum(c["interface"] == name for c in clients)
    assert rows[0]["registered-peers"] > 0
    assert [r["identity"] for r in remote] == [c[0] for c in CAPS]


def test_ping_answers_from_the_routers_own_tables(fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet["v7"]
    pool = routeros_api.RouterOsApiPool(r.host, username=r.username, password=r.password,
                                        port=r.port, plaintext_login=True)
    try:
        api = pool.get_api()

        def ping(address: str, **more: str) -> list[dict[str, str]]:
            args = {"address": address, "count": "3", "interval": "10ms", **more}
            return list(api.get_resource("/").call("ping", args))

        own = ping("10.88.0.1", size="100")  # the router's own address
        lan_host = ping("10.88.0.10")  # in its ARP table
        nobody = ping("10.88.0.200")  # in a connected network, unknown
        remote = ping("8.8.8.8")  # through the default route's gateway
        r.emulator.router.set_reachable("8.8.8.0/24", False)
        dark = ping("8.8.8.8")
        r.emulator.router.set_reachable("8.8.8.0/24", True)
        with pytest.raises(RouterOsApiCommunicationError, match="invalid value"):
            ping("not-an-address")
    finally:
        pool.disconnect()
    assert [row["seq"] for row in own] == ["0", "1", "2"]
    assert own[-1]["sent"] == own[-1]["received"] == "3"
    assert own[-1]["packet-loss"] == "0"
    assert own[0]["ttl"] == "64"
    assert own[0]["size"] == "100"
    assert all(V7_TIME.fullmatch(row["time"]) for row in own + lan_host + remote)
    assert {"min-rtt", "avg-rtt", "max-rtt"} <= own[-1].keys()
    assert lan_host[-1]["received"] == "3"
    assert lan_host[0]["ttl"] == "64"
    assert int(remote[0]["ttl"]) < 63  # several hops away
    for lost in (nobody, dark):
        assert [row["status"] for row in lost] == ["timeout"] * 3
        assert lost[-1]["packet-loss"] == "100"
        assert lost[-1]["received"] == "0"
        assert "time" not in lost[0]
        assert "avg-rtt" not in lost[-1]


def test_v6_ping_shape(fleet: dict[str, EmulatorHandle]) -> None:
    api = _lib(fleet["v6"])
    try:
        rows = list(api("/ping", address="10.56.0.200", count="2", interval="10ms"))
    finally:
        api.close()
    assert rows[0]["size"] == 64
    assert rows[0]["ttl"] == 64
    assert re.fullmatch(r"\d+ms", rows[0]["time"])
    assert rows[-1]["sent"] == 2
    assert rows[-1]["packet-loss"] == 0


def test_traceroute_streams_hop_rows_per_round(fleet: dict[str, EmulatorHandle]) -> None:
    api = _lib(fleet["v7"])
    try:
        rows = list(api("/tool/traceroute", address="8.8.8.8", count="2", timeout="10ms"))
        lost = list(api("/tool/traceroute", address="10.88.0.200", count="1",
                        timeout="10ms", **{"max-hops": "5"}))
    finally:
        api.close()
    first = [r for r in rows if r[".section"] == 0]
    second = [r for r in rows if r[".section"] == 1]
    assert len(first) == len(second) >= 3
    assert first[0]["address"] == "10.17.0.1"  # the default route's gateway
    assert first[-1]["address"] == "8.8.8.8"
    assert all(r["sent"] == 2 and r["loss"] == 0 for r in second)
    assert all(r["last"].endswith("ms") for r in second)
    assert [(r["address"], r["loss"], r["status"]) for r in lost] == [("", 100, "timeout")] * 5


@pytest.mark.parametrize("words", [
    ("/ping", "=address=10.88.0.1", "=interval=10ms"),
    ("/tool/traceroute", "=address=8.8.8.8", "=timeout=10ms"),
    ("/interface/wifi/monitor", "=numbers=wifi1", "=interval=1"),
])
def test_streaming_commands_end_on_cancel(fleet: dict[str, EmulatorHandle],
                                          words: tuple[str, ...]) -> None:
    r = fleet["v7"]
    with RawClient(r.host, r.port) as c:
        c.login(r.username, r.password)
        c.send(*words, ".tag=s")
        first = [c.read(), c.read()]
        assert all(s[0] == "!re" and ".tag=s" in s for s in first)
        c.send("/cancel", "=tag=s", ".tag=c")
        tail = c.read_until_done("s")
        tail = [s for s in tail if s[0] != "!re"]
        assert tail == [["!trap", ".tag=s", "=category=2", "=message=interrupted"],
                        ["!done", ".tag=c"], ["!done", ".tag=s"]]


def test_monitor_traffic_on_pppoe_sessions(fleet: dict[str, EmulatorHandle]) -> None:
    api = _lib(fleet["isp-bras"])
    try:
        sessions = [r for r in api("/interface/print", **{".proplist": "name,type"})
                    if r["type"] == "pppoe-in"]
        names = [s["name"] for s in sessions[:2]]
        rows = list(api("/interface/monitor-traffic", interface=",".join(names), once=""))
    finally:
        api.close()
    assert [r["name"] for r in rows] == names
    assert all(r["tx-bits-per-second"] > r["rx-bits-per-second"] > 0 for r in rows)


def _names(router: Router, path: str, **match: str) -> set[str]:
    table = router.table(path)
    return {table.get(i, "name") or "" for i in range(len(table))
            if all(table.get(i, k) == v for k, v in match.items())}


def test_isp_bras_tables_agree_and_churn() -> None:
    clock = ManualClock()
    router = Router(PROFILES["isp-bras"], clock=clock)
    seen = []
    for _ in range(3):
        users = _names(router, "/ppp/active")
        pppoe = _names(router, "/interface", type="pppoe-in", dynamic="true")
        queues = _names(router, "/queue/simple", dynamic="true")
        assert {f"<pppoe-{u}>" for u in users} == pppoe == queues
        assert 3900 < len(users) <= 4000
        connections = len(router.table("/ip/firewall/connection"))
        assert 30 * len(users) <= connections <= 45 * len(users)
        seen.append(users)
        clock.advance(3600.0)
    # customers come and go: each hour some leave and others come back
    assert seen[0] != seen[1] != seen[2]
    assert len(seen[0] ^ seen[1]) > 10
    servers = router.table("/interface/pppoe-server/server")
    assert [servers.get(i, "interface") for i in range(len(servers))] == [
        p.name for p in router.ports if p.kind == "vlan"]


def test_isp_bras_counts_over_the_protocol(fleet: dict[str, EmulatorHandle]) -> None:
    api = _lib(fleet["isp-bras"])
    try:
        ppp = next(iter(api.rawCmd("/ppp/active/print", "=count-only=")))["ret"]
        dynamic = list(api.rawCmd("/interface/print", "=count-only=", "?type=pppoe-in"))
    finally:
        api.close()
    assert 380 < ppp <= 400
    assert dynamic[0]["ret"] == ppp


def test_capsman_controllers_agree() -> None:
    clock = ManualClock()
    router = Router(PROFILES["capsman"], clock=clock)
    for _ in range(2):
        caps = router.table("/interface/wifi/capsman/remote-cap")
        assert [caps.get(i, "identity") for i in range(len(caps))] == [c[0] for c in CAPS]
        registered = router.table("/interface/wifi/registration-table")
        on_caps = [registered.get(i, "interface") for i in range(len(registered))
                   if (registered.get(i, "interface") or "").startswith("cap-")]
        counts = clients_per_interface(router.moment())
        assert len(on_caps) == sum(counts)
        assert set(on_caps) <= _names(router, "/interface", type="wifi", dynamic="true")
        clock.advance(600.0)
    legacy = Router(PROFILES["capsman-v6"], clock=ManualClock())
    interfaces = legacy.table("/caps-man/interface")
    remote = legacy.table("/caps-man/remote-cap")
    clients = legacy.table("/caps-man/registration-table")
    assert len(remote) == len(interfaces) == len(legacy.table("/caps-man/radio")) == 2
    assert sum(int(interfaces.get(i, "current-registered-clients") or 0)
               for i in range(len(interfaces))) == len(clients)
    assert {interfaces.get(i, "name") for i in range(len(interfaces))} <= _names(
        legacy, "/interface", type="cap")


def _keys(sentence: list[str]) -> list[str]:
    return [w[1:].partition("=")[0] for w in sentence if w.startswith("=")]


@pytest.mark.parametrize(("profile", "words", "capture_name"), [
    ("v7", ("/ping", "=address=10.88.0.1", "=count=1"), "ping.v7"),
    ("v6", ("/ping", "=address=10.56.0.200", "=count=1"), "ping.v6"),
    ("v7", ("/tool/traceroute", "=address=10.88.0.10", "=count=1", "=timeout=10ms"),
     "tool_traceroute.v7"),
    ("v7", ("/interface/wifi/monitor", "=numbers=wifi2", "=once="),
     "interface_wifi_monitor.v7"),
    ("v6", ("/interface/wireless/monitor", "=numbers=wlan1", "=once="),
     "interface_wireless_monitor.v6"),
])
def test_replies_carry_their_documented_fields_in_order(
        fleet: dict[str, EmulatorHandle], profile: str, words: tuple[str, ...],
        capture_name: str) -> None:
    r = fleet[profile]
    with RawClient(r.host, r.port) as c:
        c.login(r.username, r.password)
        reply = c.call(*words)
    assert reply[-1] == ["!done"]
    assert [_keys(s) for s in reply[:-1]] == [list(capture(capture_name).rows[0])]


def test_a_lost_ping_carries_the_timeout_fields(fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet["v7"]
    with RawClient(r.host, r.port) as c:
        c.login(r.username, r.password)
        reply = c.call("/ping", "=address=10.88.0.99", "=count=1")
    timeout_row = capture("ping.v7").rows[1]
    assert _keys(reply[0]) == [k for k in timeout_row if not k.endswith("-rtt")]


def test_tool_ping_alias_and_unknown_tool_words(fleet: dict[str, EmulatorHandle]) -> None:
    r = fleet["v7"]
    with RawClient(r.host, r.port) as c:
        c.login(r.username, r.password)
        reply = c.call("/tool/ping", "=address=10.88.0.1", "=count=1", ".tag=t")
        assert [s[0] for s in reply] == ["!re", "!done"]
        # /tool exists (it holds ping and traceroute): another word there is no command
        assert c.call("/tool/nosuch")[0] == [
            "!trap", "=category=0", "=message=no such command or directory (nosuch)"]
        reply = c.call("/tool/traceroute", "=address=10.88.0.1", "=max-hops=0")
        assert reply[0] == ["!trap", "=category=1",
                            "=message=invalid value for argument max-hops"]


def test_set_reachable_checks_its_network() -> None:
    router = Router(PROFILES["v7"], clock=ManualClock())
    with pytest.raises(ValueError, match="does not appear to be"):
        router.set_reachable("not-a-network", False)
    router.set_reachable("192.0.2.7", False)
    assert router.controls.unreachable == {"192.0.2.7/32"}
    router.set_reachable("192.0.2.7/32", True)
    assert router.controls.unreachable == set()
