"""The router model: menus per version/package, counters driven by the clock, reboot,
churn, generated tables, durations."""

from __future__ import annotations

import tracemalloc

import pytest

from mikromon.emulator import ManualClock, Router
from mikromon.emulator import query as q
from mikromon.emulator.dynamics import churned, render_duration, smooth_noise
from mikromon.emulator.profile_model import InterfaceRates
from mikromon.emulator.profiles import CHR, V6, V7, V7_EMPTY, profile_for
from mikromon.emulator.tables import matching


def rows(router: Router, path: str) -> list[dict[str, str]]:
    table = router.table(path)
    return [table.row(i) for i in range(len(table))]


def by_name(router: Router, path: str = "/interface") -> dict[str, dict[str, str]]:
    return {r["name"]: r for r in rows(router, path)}


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (59, "59s"), (60, "1m"), (3600 + 1, "1h1s"), (694861, "1w1d1h1m1s"),
    (4.75, "4s750ms"), (3190.72, "53m10s720ms"), (-3, "0s"), (86400 * 14 + 9, "2w9s"),
])
def test_render_duration(seconds: float, text: str) -> None:
    assert render_duration(seconds) == text


def test_counters_grow_at_the_profile_rates() -> None:
    clock = ManualClock()
    router = Router(V7, clock=clock)
    before = by_name(router)
    clock.advance(10.0)
    after = by_name(router)
    for name, rate in router.rates.items():
        rx_bits = (int(after[name]["rx-byte"]) - int(before[name]["rx-byte"])) * 8 / 10
        tx_bits = (int(after[name]["tx-byte"]) - int(before[name]["tx-byte"])) * 8 / 10
        assert rx_bits == pytest.approx(rate.rx_bps, abs=1.6)
        assert tx_bits == pytest.approx(rate.tx_bps, abs=1.6)
        rx_pkts = int(after[name]["rx-packet"]) - int(before[name]["rx-packet"])
        assert rx_pkts == pytest.approx(rate.rx_pps * 10, abs=1)
        assert int(after[name]["fp-rx-byte"]) >= int(before[name]["fp-rx-byte"])


def test_errors_and_drops_grow_when_configured() -> None:
    rates = {"ether1": InterfaceRates(rx_bps=8000, tx_bps=0, rx_pps=10, tx_pps=0,
                                      rx_errors_ps=2, tx_drops_ps=1)}
    clock = ManualClock()
    router = Router(V7.replace(rates=rates, uptime_s=0.0), clock=clock)
    clock.advance(100)
    row = by_name(router)["ether1"]
    assert (row["rx-byte"], row["rx-packet"], row["rx-error"], row["tx-drop"]) == (
        "100000", "1000", "200", "100")
    assert row["tx-error"] == "0"


def test_v6_counters_are_64_bit() -> None:
    fast = V6.replace(rx_bps=10_000_000_000, uptime_s=30 * 86400)
    row = by_name(Router(fast, clock=ManualClock()))["ether1"]
    expected = 10_000_000_000 // 8 * 30 * 86400
    assert int(row["rx-byte"]) == expected > 2**32


def test_reboot_resets_uptime_and_counters() -> None:
    clock = ManualClock()
    router = Router(V7, clock=clock)
    clock.advance(30)
    assert router.resource_row(router.moment())["uptime"] == "3d4h5m36s"
    assert int(by_name(router)["ether1"]["rx-byte"]) > 10**9
    router.reboot()
    assert router.resource_row(router.moment())["uptime"] == "0s"
    assert by_name(router)["ether1"]["rx-byte"] == "0"
    clock.advance(5)
    rate = router.rates["ether1"]
    assert by_name(router)["ether1"]["rx-byte"] == str(rate.rx_bps // 8 * 5)
    assert router.resource_row(router.moment())["uptime"] == "5s"
    assert router.reboots == 1


def test_cpu_and_memory_move_deterministically() -> None:
    clock = ManualClock()
    a, b = Router(V7, clock=clock, seed=3), Router(V7, clock=clock, seed=3)
    loads, frees = set(), set()
    for _ in range(60):
        ra, rb = a.resource_row(a.moment()), b.resource_row(b.moment())
        assert ra == rb
        assert 0 <= int(ra["cpu-load"]) <= 100
        assert 0 < int(ra["free-memory"]) < int(ra["total-memory"])
        loads.add(ra["cpu-load"])
        frees.add(ra["free-memory"])
        clock.advance(5)
    assert len(loads) > 5
    assert len(frees) > 5
    assert 0.0 <= smooth_noise(1, 2, 3.5, 10.0) < 1.0


def test_leases_and_sessions_come_and_go() -> None:
    clock = ManualClock()
    profile = V7.replace(dhcp_leases=200, ppp_sessions=50, hotspot_users=40, churn=0.2)
    router = Router(profile, clock=clock)
    counts = set()
    for _ in range(30):
        n = len(router.table("/ip/dhcp-server/lease"))
        assert 160 <= n <= 200
        assert 40 <= len(router.table("/ppp/active")) <= 50
        assert 32 <= len(router.table("/ip/hotspot/active")) <= 40
        counts.add(n)
        clock.advance(profile.churn_period_s)
    assert len(counts) > 3
    assert churned(10, 0.0, 1, 1, 5.0, 60.0) == 10
    assert churned(0, 0.5, 1, 1, 5.0, 60.0) == 0


def test_generated_rows_are_unique_and_keep_capture_keys() -> None:
    router = Router(V7.replace(dhcp_leases=600, arp_entries=600), clock=ManualClock())
    leases = rows(router, "/ip/dhcp-server/lease")
    assert len({r[".id"] for r in leases}) == len(leases)
    assert len({r["mac-address"] for r in leases}) == len(leases)
    bound = [r for r in leases if r["status"] == "bound"]
    assert all(r["active-address"] == r["address"] for r in bound)
    arp = rows(router, "/ip/arp")
    assert len({r["address"] for r in arp}) == 600


def test_100k_routes_are_generated_on_demand() -> None:
    profile = V7.replace(routes=100_000)
    tracemalloc.start()
    routers = [Router(profile, index=i, clock=ManualClock()) for i in range(200)]
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert current < 20 * 1024 * 1024, f"200 routers hold {current} bytes"
    table = routers[0].table("/ip/route")
    assert len(table) == 100_000
    steps = q.parse(["?dst-address=100.1.2.0/24"])
    hits = list(matching(table, steps))
    assert len(hits) == 1
    row = table.row(hits[0])
    assert row["dst-address"] == "100.1.2.0/24"
    assert row["routing-table"] == "main"
    last = table.row(99_999)
    assert last[".id"] == f"*{0x40000000 + 100_000:X}"


def test_connection_table_count_and_rows() -> None:
    router = Router(V7.replace(connections=500, churn=0.0), clock=ManualClock())
    table = router.table("/ip/firewall/connection")
    assert len(table) == 500
    assert table.row(3)["protocol"] == "tcp"


def test_menus_follow_version_and_packages() -> None:
    v6, v7, chr_ = (Router(p, clock=ManualClock()) for p in (V6, V7, CHR))
    assert "/routing/bgp/peer" in v6.menus
    assert "/routing/bgp/session" not in v6.menus
    assert {"/routing/bgp/session", "/routing/bgp/connection"} <= v7.menus.keys()
    assert "/interface/wireless/registration-table" in v6.menus
    assert "/interface/wifi/registration-table" in v7.menus
    for path in ("/interface/wifi/registration-table", "/ip/hotspot/active",
                 "/interface/wireless/registration-table"):
        assert path not in chr_.menus
        assert chr_.resolve(path + "/print").kind == "no-prefix"
    assert rows(chr_, "/system/health") == []
    assert rows(chr_, "/system/routerboard") == [{"routerboard": "false"}]
    assert "bad-blocks" not in chr_.resource_row(chr_.moment())
    old_wifi = Router(V7.replace(version="7.12.1"), clock=ManualClock())
    assert "/interface/wifiwave2/registration-table" in old_wifi.menus


def test_health_shapes() -> None:
    v6 = rows(Router(V6, clock=ManualClock()), "/system/health")
    assert len(v6) == 1
    assert ".id" not in v6[0]
    assert "voltage" in v6[0]
    v7 = rows(Router(V7, clock=ManualClock()), "/system/health")
    assert {"name", "value", "type", ".id"} == set(v7[0])


def test_dates_follow_the_version() -> None:
    old = Router(V7.replace(version="7.8"), clock=ManualClock())
    assert rows(old, "/user")[0]["last-logged-in"] == "jun/30/2023 01:08:59"
    assert old.resource_row(old.moment())["build-time"] == "Nov/27/2025 08:17:04"
    v6_users = rows(Router(V6, clock=ManualClock()), "/user")
    assert v6_users[0]["last-logged-in"] == "jun/30/2023 01:08:59"
    assert rows(Router(V7, clock=ManualClock()), "/user")[0]["last-logged-in"] == (
        "2023-06-30 01:08:59")


@pytest.mark.parametrize(("word", "kind"), [
    ("/interface/print", "print"),
    ("/interface/getall", "print"),
    ("/interface/listen", "listen"),
    ("/interface/monitor-traffic", "command"),
    ("/interface/frobnicate", "no-command"),
    ("/ip/print", "no-command"),
    ("/ip/adress/print", "no-prefix"),
    ("/login", "api"),
    ("/cancel", "api"),
    ("print", "no-prefix"),
])
def test_resolve(word: str, kind: str) -> None:
    assert Router(V7, clock=ManualClock()).resolve(word).kind == kind


def test_profiles() -> None:
    assert V7_EMPTY.sends_empty
    assert not V7.sends_empty
    assert not V6.sends_empty
    assert V6.major == 6
    assert not V6.iso_dates
    assert V7.iso_dates
    assert [profile_for("mixed", i).name for i in range(9)] == [
        "v6", "v7", "v7-empty", "chr"] * 2 + ["v6"]
    assert profile_for("v6-legacy").version.startswith("6.42.")
    with pytest.raises(ValueError, match="unknown emulator profile"):
        profile_for("v8")
    with pytest.raises(ValueError, match="unknown packages"):
        V7.replace(packages=frozenset({"telepathy"}))
    with pytest.raises(ValueError, match="must be >= 0"):
        V7.replace(routes=-1)
    with pytest.raises(ValueError, match="wifi package needs RouterOS 7"):
        V6.replace(packages=frozenset({"wifi"}))
    with pytest.raises(ValueError, match="unknown comment_encoding"):
        V7.replace(comment_encoding="klingon-1")
    assert V7.rates_for(1, "ether2") == InterfaceRates(
        rx_bps=4_000_000, tx_bps=1_000_000, rx_pps=1000, tx_pps=250)


def test_monitor_accepts_names_and_ids() -> None:
    router = Router(V7, clock=ManualClock())
    rows = router.monitor_traffic(["*2", "bridge1"])
    assert [r["name"] for r in rows] == ["ether2", "bridge1"]
    assert rows[0]["rx-bits-per-second"] == str(router.rates["ether2"].rx_bps)
    for bad in (["nope"], ["*FFFF"], ["*zz"]):
        with pytest.raises(KeyError):
            router.monitor_traffic(bad)
    with pytest.raises(KeyError):
        router.ethernet_monitor(["bridge1"])
    assert hash(V7.replace(rates={"ether1": router.rates["ether1"]})) is not None


@pytest.mark.parametrize(("version", "accepted"), [
    ("6.40.5", True), ("6.42.12", True), ("6.43", True), ("6.45.1", True),
    ("6.45.2", False), ("6.47.6", False), ("6.49.15", False), ("7.16.2", False)])
def test_md5_login_follows_the_version(version: str, accepted: bool) -> None:
    profile = (V6 if version < "7" else V7).replace(version=version)
    assert profile.md5_login is None
    assert profile.md5_accepted is accepted
    assert profile.replace(md5_login=not accepted).md5_accepted is (not accepted)
    assert profile.plain_login is (profile.version_tuple[:2] >= (6, 43))


def test_legacy_profile_is_an_old_md5_router() -> None:
    legacy = profile_for("v6-legacy")
    assert legacy.md5_accepted
    assert not legacy.plain_login
    assert not V6.md5_accepted
    assert V6.plain_login
    assert legacy.radio_names == ["wlan1"]
    router = Router(legacy, clock=ManualClock())
    assert "/interface/wireless" in router.menus
    assert "/routing/bgp/peer" not in router.menus


def test_ethernet_monitor_follows_the_ports_link_and_rate() -> None:
    router = Router(V7.replace(link_rates={"ether2": "100Mbps"}), clock=ManualClock())
    rows = router.ethernet_monitor(["ether1", "*2", "ether3"])
    assert [(r["name"], r["status"], r.get("rate")) for r in rows] == [
        ("ether1", "link-ok", "1Gbps"), ("ether2", "link-ok", "100Mbps"),
        ("ether3", "link-ok", "1Gbps")]
    router.set_link("ether3", False)
    router.set_link_rate("ether1", "2.5Gbps")
    rows = router.ethernet_monitor(["ether1", "ether3"])
    assert (rows[0]["status"], rows[0]["rate"]) == ("link-ok", "2.5Gbps")
    assert rows[1]["status"] == "no-link"
    assert "rate" not in rows[1]
    assert "full-duplex" not in rows[1]
    ether = {r["name"]: r["running"] for r in (router.table("/interface/ethernet").row(i)
                                                for i in range(V7.ethernet))}
    assert (ether["ether3"], ether["ether1"]) == ("false", "true")
    for bad in ("1G", "0Mbps", "", "fast"):
        with pytest.raises(ValueError, match="link rate"):
            router.set_link_rate("ether1", bad)
    with pytest.raises(KeyError):
        router.set_link_rate("bridge1", "1Gbps")
    with pytest.raises(ValueError, match="link_rates"):
        V7.replace(link_rates={"ether1": "1000"})
