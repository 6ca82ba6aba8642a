"""Emulated routers do not contradict themselves: traffic only where an interface is
running (little on a loopback), routerboard facts that match /system/resource and
the RouterOS version, v7-empty's empty menus, traffic that moves with its counters,
and identities chosen by the fleet."""

from __future__ import annotations

import pytest
from emu_raw import RawClient

from mikromon.emulator import ManualClock, Router
from mikromon.emulator.boards import BOARDS
from mikromon.emulator.fleet import Fleet
from mikromon.emulator.profiles import PROFILES, V6, V7, V7_EMPTY
from mikromon.emulator.testing import running_emulators


def rows(router: Router, path: str) -> list[dict[str, str]]:
    table = router.table(path)
    return [table.row(i) for i in range(len(table))]


def by_name(router: Router, path: str) -> dict[str, dict[str, str]]:
    return {r["name"]: r for r in rows(router, path)}


#: Interface tables with per-interface byte counters: path -> (rx, tx) keys.
COUNTER_TABLES = {"/interface": ("rx-byte", "tx-byte"),
                  "/interface/ethernet": ("rx-bytes", "tx-bytes")}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_traffic_flows_only_through_running_interfaces(name: str) -> None:
    clock = ManualClock()
    router = Router(PROFILES[name], clock=clock)
    before = {path: by_name(router, path) for path in COUNTER_TABLES}
    clock.advance(10.0)
    after = {path: by_name(router, path) for path in COUNTER_TABLES}
    interfaces = after["/interface"]
    down = {n for n, r in interfaces.items()
            if r.get("running") != "true" or r.get("disabled") == "true"}
    for path, keys in COUNTER_TABLES.items():
        for iface, row in after[path].items():
            grew = [int(row[k]) - int(before[path][iface][k]) for k in keys]
            if iface in down:
                assert grew == [0, 0], f"{name} {path} {iface} is not running"
            elif interfaces[iface]["type"] == "loopback":
                assert 0 < max(grew) * 8 / 10 <= 100_000, f"{name} {iface}: {grew}"
            else:
                assert min(grew) > 0, f"{name} {path} {iface} is running"
    # monitor-traffic says the same.
    # (dynamic interfaces, PPPoE sessions and CAP interfaces, are not the router's
    # ports: monitor-traffic reads their counters, tests/emulator/test_emulator_commands)
    ports = [n for n, r in interfaces.items() if r.get("dynamic") != "true"]
    for row in router.monitor_traffic(ports):
        rx = int(row["rx-bits-per-second"])
        if row["name"] in down:
            assert rx == 0
        elif interfaces[row["name"]]["type"] == "loopback":
            assert rx <= 100_000
    # The busiest interface is never a loopback or a down one.
    busiest = max(router.rates.items(), key=lambda item: item[1].rx_bps + item[1].tx_bps)
    assert busiest[0] not in down
    assert interfaces[busiest[0]]["type"] != "loopback"


def test_v6_l2tp_in_is_down_and_quiet() -> None:
    router = Router(V6, clock=ManualClock())
    row = by_name(router, "/interface")["l2tp-in1"]
    assert row["running"] == "false"
    assert router.rates["l2tp-in1"].rx_bps == 0
    assert (row["rx-byte"], row["tx-byte"]) == ("0", "0")


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_routerboard_matches_resource_and_version(name: str) -> None:
    profile = PROFILES[name]
    router = Router(profile, index=3, clock=ManualClock())
    (board,) = rows(router, "/system/routerboard")
    resource = router.resource_row(router.moment())
    assert resource["version"].split(" ")[0] == profile.version
    if not profile.routerboard:
        # What a CHR/x86 answers (napalm-ros test_get_facts/pc): nothing else.
        assert board == {"routerboard": "false"}
        assert "bad-blocks" not in resource
        return
    facts = BOARDS[profile.board]
    assert board["routerboard"] == "true"
    assert board["board-name"] == resource["board-name"] == profile.board
    assert (board["model"], board["firmware-type"]) == (facts.model, facts.firmware_type)
    assert board["current-firmware"] == board["upgrade-firmware"] == profile.version
    factory = tuple(int(p) for p in board["factory-firmware"].split("."))
    assert factory <= profile.version_tuple
    other = Router(profile, index=4, clock=ManualClock())
    assert rows(other, "/system/routerboard")[0]["serial-number"] != board["serial-number"]


def test_profiles_are_internally_consistent() -> None:
    for profile in PROFILES.values():
        if profile.routerboard:
            assert profile.board in BOARDS, profile.name
        resource = Router(profile, clock=ManualClock()).resource_row(
            Router(profile, clock=ManualClock()).moment())
        assert resource["architecture-name"] == profile.architecture
        assert resource["cpu-count"] == str(profile.cpu_count)


def test_v7_empty_is_a_7_18_router_with_empty_menus() -> None:
    router = Router(V7_EMPTY, clock=ManualClock())
    assert V7_EMPTY.sends_empty
    assert V7_EMPTY.board != V7.board
    for path in V7_EMPTY.empty_menus | {"/ip/dhcp-server/lease", "/ppp/active",
                                        "/ip/hotspot/active", "/interface/wifi"}:
        assert path in router.menus, path
        assert rows(router, path) == [], path
    assert [r["type"] for r in rows(router, "/system/health")] == ["V", "C"]  # a hEX
    # Other menus are not empty.
    assert rows(router, "/ip/route")
    assert rows(router, "/routing/bgp/connection")
    with (running_emulators(1, V7_EMPTY, clock=ManualClock()) as (r,),
          RawClient(r.host, r.port) as c):
        c.login(r.username, r.password)
        assert c.call("/queue/simple/print") == [["!empty"], ["!done"]]
        assert c.call("/ip/dhcp-server/lease/print") == [["!empty"], ["!done"]]


def test_no_swing_keeps_rates_constant() -> None:
    clock = ManualClock()
    router = Router(V7, clock=clock)
    first = router.monitor_traffic(["ether1"])
    clock.advance(123.0)
    assert router.monitor_traffic(["ether1"]) == first
    assert first[0]["rx-bits-per-second"] == str(router.rates["ether1"].rx_bps)


def test_swinging_traffic_moves_and_counters_follow_it() -> None:
    clock = ManualClock()
    router = Router(V7.replace(traffic_swing=0.6), clock=clock)
    mean = router.rates["ether2"].rx_bps
    seen = []
    previous = int(by_name(router, "/interface")["ether2"]["rx-byte"])
    for _ in range(120):
        reported = int(router.monitor_traffic(["ether2"])[0]["rx-bits-per-second"])
        clock.advance(1.0)
        now = int(by_name(router, "/interface")["ether2"]["rx-byte"])
        from_counters = (now - previous) * 8
        previous = now
        # Over one second the rate barely moves: counters and monitor-traffic agree.
        assert from_counters == pytest.approx(reported, rel=0.02)
        assert 0.4 * mean - 8 <= from_counters <= 1.6 * mean + 8
        seen.append(reported)
    assert max(seen) - min(seen) > 0.1 * mean  # it moves
    # Interfaces move independently; a down one stays at zero.
    swung = Router(V6.replace(traffic_swing=0.6), clock=clock)
    assert by_name(swung, "/interface")["l2tp-in1"]["rx-byte"] == "0"


def test_swing_must_stay_below_one() -> None:
    with pytest.raises(ValueError, match="traffic_swing"):
        V7.replace(traffic_swing=1.0)


def test_fleet_identities_and_swing() -> None:
    fleet = Fleet(2, profile="mixed", identities=["demo-1-v6", "demo-2-v7"],
                  traffic_swing=0.5)
    assert [r.router.identity for r in fleet.routers] == ["demo-1-v6", "demo-2-v7"]
    assert {r.profile.traffic_swing for r in fleet.routers} == {0.5}
    assert rows(fleet.routers[1].router, "/system/identity") == [{"name": "demo-2-v7"}]
    assert Fleet(1).routers[0].router.identity == "rtr-0001"
    assert Fleet(1).routers[0].profile.traffic_swing == 0.0
    with pytest.raises(ValueError, match="1 identities given for 2 routers"):
        Fleet(2, identities=["x"])
