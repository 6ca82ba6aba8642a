"""run_tier over whole routers made of captures: v6, v7, a CHR lacking
packages, failures that must not stop the other collectors, the catalog
covering everything produced, and every capture accounted for."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from collector_fakes import FakeRouter, context, load, load_done

from mikromon.collectors import context_for, failure_text, run_tier
from mikromon.collectors.registry import COLLECTORS, by_name, collectors_for
from mikromon.domain.catalog import CATALOG, lookup
from mikromon.domain.errors import (
    CommandFailed,
    CommandTimeout,
    ConnectionLost,
    ValueParseError,
)
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.pipeline.rates import rate_key

#: capture file -> the path it answers (identical shapes serve both versions).
V6 = {
    "/system/resource": "system_resource.v6",
    "/system/health": "system_health.v6",
    "/interface": "interface.v6",
    "/interface/ethernet": "interface_ethernet.v7",
    "/interface/vlan": "interface_vlan.v6",
    "/system/resource/cpu": "system_resource_cpu.v7",
    "/ip/dhcp-server/lease": "ip_dhcp_server_lease.v6",
    "/ppp/active": "ppp_active.v7",
    "/ip/hotspot/active": "ip_hotspot_active.v7",
    "/queue/simple": "queue_simple.v7",
    "/ip/address": "ip_address.v6",
    "/ip/arp": "ip_arp.v6",
    "/ip/route": "ip_route.v6",
    "/ip/firewall/filter": "ip_firewall_filter.v7",
    "/ip/firewall/nat": "ip_firewall_nat.v7",
    "/system/identity": "system_identity",
    "/system/routerboard": "system_routerboard.v6",
    "/routing/bgp/peer": "routing_bgp_peer.v6",
    "/routing/ospf/neighbor": "routing_ospf_neighbor.v6",
    "/interface/wireless/registration-table": "interface_wireless_registration_table.v6",
    "/user": "user.v7",
    "/user/active": "user_active.v7",
    "/ip/service": "ip_service.v7",
    "/ip/neighbor": "ip_neighbor.v6",
    "/log": "log.v6",
    "/system/package": "system_package.v6",
}
V7 = {
    **V6,
    "/system/resource": "system_resource.v7",
    "/system/health": "system_health.v7",
    "/interface": "interface.v7",
    "/interface/vlan": "interface_vlan.v7",
    "/ip/dhcp-server/lease": "ip_dhcp_server_lease.v7",
    "/ip/address": "ip_address.v7",
    "/ip/arp": "ip_arp.v7",
    "/ip/route": "ip_route.v7",
    "/system/routerboard": "system_routerboard.v7",
    "/routing/bgp/connection": "routing_bgp_connection.v7",
    "/routing/bgp/session": "routing_bgp_session.v7",
    "/routing/ospf/neighbor": "routing_ospf_neighbor.v7",
    "/interface/wifi/registration-table": "interface_wifi_registration_table.v7",
    "/ip/neighbor": "ip_neighbor.v7",
    "/log": "log.v7",
    "/system/package": "system_package.v7",
}
del V7["/routing/bgp/peer"]
del V7["/interface/wireless/registration-table"]

#: Why a capture no collector reads is there.
_SERVED_ONLY = "served by the emulator's menu walk; no collector reads it"
#: Captures no collector reads, and why.
NOT_READ = {
    "interface_monitor_traffic.v7": "rates come from /interface counters, one print for all",
    "interface_ethernet_monitor.v7": "a command, not a print: answers build_router's "
                                     "/interface/ethernet/monitor",
    "system_health.v7-hex": "second v7 health shape, read in test_collectors_realtime",
    # menus the emulator serves so that clients walking every menu get a router's
    # answer (tests/emulator/test_menus_walk.py); no collector reads them yet
    "certificate.v7": _SERVED_ONLY,
    "interface_bridge.v6": _SERVED_ONLY,
    "interface_bridge.v7": _SERVED_ONLY,
    "interface_bridge_host": _SERVED_ONLY,
    "interface_bridge_port.v6": _SERVED_ONLY,
    "interface_bridge_port.v7": _SERVED_ONLY,
    "interface_bridge_vlan.v7": _SERVED_ONLY,
    "interface_ethernet_poe": _SERVED_ONLY,
    "ip_cloud.v6": _SERVED_ONLY,
    "ip_cloud.v7": _SERVED_ONLY,
    "ip_dns.v6": _SERVED_ONLY,
    "ip_dns.v7": _SERVED_ONLY,
    "ip_firewall_address_list.v7": _SERVED_ONLY,
    "ip_firewall_raw.v7": _SERVED_ONLY,
    "ip_pool.v7": _SERVED_ONLY,
    "ip_pool_used.v7": _SERVED_ONLY,
    "ipv6_address.v7": _SERVED_ONLY,
    "ipv6_firewall_address_list.v7": _SERVED_ONLY,
    "ipv6_firewall_connection.v7": _SERVED_ONLY,
    "ipv6_firewall_filter.v7": _SERVED_ONLY,
    "ipv6_neighbor.v7": _SERVED_ONLY,
    "ipv6_pool.v7": _SERVED_ONLY,
    "ipv6_route.v6": _SERVED_ONLY,
    "ipv6_route.v7": _SERVED_ONLY,
    "queue_tree.v7": _SERVED_ONLY,
    "queue_type.v7": _SERVED_ONLY,
    "routing_stats_process.v7": _SERVED_ONLY,
    "system_license.v6": _SERVED_ONLY,
    "system_license.v7": _SERVED_ONLY,
    "system_license.v7-chr": _SERVED_ONLY,
    "system_logging": _SERVED_ONLY,
    "tool_netwatch.v6": _SERVED_ONLY,
    "tool_netwatch.v7": _SERVED_ONLY,
    "user_group.v6": _SERVED_ONLY,
    "user_group.v7": _SERVED_ONLY,
    # commands no collector runs: reply shapes of the emulator's commands with arguments
    # (tests/emulator/test_emulator_commands.py checks the emulator against them)
    "ping.v6": "the emulator's /ping reply (6.x)",
    "ping.v7": "the emulator's /ping reply (7.x)",
    "tool_traceroute.v7": "the emulator's /tool/traceroute reply",
    "interface_wifi_monitor.v7": "the emulator's /interface/wifi/monitor reply",
    "interface_wireless_monitor.v6": "the emulator's /interface/wireless/monitor reply",
}


def build_router(captures: Path, paths: dict[str, str]) -> FakeRouter:
    tables = {path: load(captures, name) for path, name in paths.items()}
    tables["/ip/firewall/mangle"] = []
    tables["/system/clock"] = [{"date": "jul/20/2023", "time": "12:00:00"}]
    if "/routing/bgp/peer" in tables:
        tables["/interface/wireless"] = [{"name": "wlan1"}]
    else:
        tables["/interface/wifi"] = [{"name": "wifi1"}, {"name": "wifi2"}]
    ret = int(load_done(captures, "ip_firewall_connection_count.v7")["ret"])
    monitor = load(captures, "interface_ethernet_monitor.v7")
    # interface_ethernet.v7's one port, ether3, with the captured link of ether1
    monitor.append({**monitor[0], "name": "ether3"})
    return FakeRouter(tables, counts={"/ip/firewall/connection": ret},
                      commands={"/interface/ethernet/monitor": monitor})


async def run_all(router: FakeRouter, major: int, absent: set[str] | None = None,
                  ) -> CollectResult:
    """Run every tier in turn; like the scheduler, a tier skips the paths an
    earlier tier found absent (the short tier's count finds a missing hotspot
    before the medium tier's table would ask)."""
    ctx = context(major=major, version=(major, 16, 2), absent=absent)
    result = CollectResult()
    for tier in Tier:
        part = await run_tier(router, tier, ctx)
        ctx.absent.update(part.absent)
        result.merge(part)
    return result


@pytest.mark.parametrize(
    ("major", "paths", "absent"),
    # a v7 board with wifi only; neither runs the legacy CAPsMAN manager
    [(6, V6, ["/caps-man/registration-table"]),
     (7, V7, ["/interface/wireless/registration-table", "/caps-man/registration-table"])],
    ids=["v6", "v7"],
)
async def test_every_tier_reads_everything_without_failures(
    captures: Path, major: int, paths: dict[str, str], absent: list[str]
) -> None:
    router = build_router(captures, paths)
    result = await run_all(router, major)
    assert result.failures == []
    # what real routers answered is never an unreadable value (v7's loopback has
    # mtu=65536, interface.v7.json)
    assert [(b.path, b.field, b.raw) for b in result.bad_values] == []
    assert result.absent == absent
    asked = set(router.asked())
    assert set(paths) <= asked, f"never read: {sorted(set(paths) - asked)}"
    assert {s.table for s in result.inventory} >= {
        "interfaces", "simple_queues", "dhcp_leases", "ppp_active", "hotspot_active", "arp",
        "ip_addresses", "routes", "firewall_filter", "firewall_nat", "firewall_mangle",
        "routerboard", "ospf_neighbors", "users", "user_sessions", "ip_services", "neighbors",
        "logs", "packages"}
    assert {s.label("interface"): s.value for s in result.samples
            if s.key == "iface.link_speed_bps"} == {"ether3": 1e9}
    assert result.facts is not None
    assert result.facts.identity == "rtr-core-01"
    assert result.facts.serial is not None
    assert result.facts.version is not None
    assert result.facts.uptime_s is not None
    # Polite: every print names its fields; the connection table is only counted.
    assert all(c.proplist for c in router.calls if c.kind == "print")
    assert [c.kind for c in router.calls if c.path == "/ip/firewall/connection"] == ["count"]


@pytest.mark.parametrize(("major", "paths"), [(6, V6), (7, V7)], ids=["v6", "v7"])
async def test_catalog_covers_everything_produced(
    captures: Path, major: int, paths: dict[str, str]
) -> None:
    result = await run_all(build_router(captures, paths), major)
    for s in result.samples:
        spec = lookup(s.key)
        assert spec.kind == "gauge", s.key
        assert tuple(name for name, _ in s.labels) == spec.labels, s.key
    for c in result.readings():
        spec = lookup(c.key)
        assert spec.kind == "counter", c.key
        assert tuple(name for name, _ in c.labels) == spec.labels
        rate = lookup(rate_key(c.key))
        assert rate.kind == "rate"
        assert rate.labels == spec.labels
    # and each tier produces only what the catalog says it produces
    for tier in Tier:
        tier_result = await run_tier(build_router(captures, paths), tier,
                                     context(major=major, version=(major, 16, 2)))
        assert {lookup(s.key).tier for s in tier_result.samples} <= {tier}


async def test_chr_lacking_packages_is_reported_once_then_skipped(captures: Path) -> None:
    """A CHR: no health sensors, no hotspot, no wireless or wifi package."""
    router = build_router(captures, V7)
    for path in ("/ip/hotspot/active", "/interface/wifi", "/interface/wifi/registration-table"):
        router.tables.pop(path)
    router.tables["/system/health"] = []
    router.tables["/system/routerboard"] = [{"routerboard": "false"}]
    first = await run_all(router, 7)
    assert first.failures == []
    # no wifi menu: the older wifiwave2 one is asked too (the reply decides, not
    # the version), once
    assert first.absent == ["/ip/hotspot/active", "/interface/wifi/registration-table",
                            "/interface/wifiwave2/registration-table",
                            "/interface/wireless/registration-table",
                            "/caps-man/registration-table"]
    assert not [s for s in first.samples if s.key.startswith("system.health.")]
    assert not [s for s in first.samples if s.key == "wireless.clients"]
    calls_before = len(router.calls)
    second = await run_all(router, 7, absent=set(first.absent))
    assert second.absent == []
    assert second.failures == []
    assert not set(first.absent) & set(router.asked()[calls_before:])
    assert "hotspot.active_users" not in {s.key for s in second.samples}


async def test_empty_replies_everywhere_are_not_errors() -> None:
    """7.18+ answers a print with no rows with !empty: every collector copes."""
    paths = {c.path for c in COLLECTORS if hasattr(c, "path")}
    paths |= {"/system/resource", "/system/health", "/interface", "/system/resource/cpu",
              "/ip/dhcp-server/lease", "/queue/simple", "/ip/route", "/system/identity",
              "/system/routerboard", "/routing/bgp/connection", "/routing/bgp/session",
              "/routing/ospf/neighbor", "/interface/wireless",
              "/interface/wireless/registration-table", "/interface/wifi",
              "/interface/wifi/registration-table", "/caps-man/registration-table",
              "/caps-man/interface", "/log"}
    router = FakeRouter({path: [] for path in paths})
    result = await run_all(router, 7)
    assert result.failures == []
    assert result.absent == []
    assert result.readings() == []
    assert result.facts is None
    assert {s.key: s.value for s in result.samples if not s.labels} == {
        "dhcp.total_leases": 0.0, "dhcp.active_leases": 0.0, "ppp.active_sessions": 0.0,
        "hotspot.active_users": 0.0, "firewall.connection_count": 0.0, "routes.count": 0.0,
        "ospf.neighbors": 0.0, "ospf.neighbors_full": 0.0,
    }
    assert all(not snap.rows for snap in result.inventory)


async def test_one_failing_collector_never_stops_the_others(captures: Path) -> None:
    router = build_router(captures, V7)
    router.errors["/queue/simple"] = CommandFailed("no such item", device="t",
                                                   command="/queue/simple/print")
    router.tables["/system/resource"] = [{"cpu-load": "lots", "uptime": "1s"}]
    medium = await run_tier(router, Tier.MEDIUM, context())
    assert medium.failures == [
        "queue_simple: no such item (command /queue/simple/print)"]
    assert [s.table for s in medium.inventory] == [
        "interfaces", "dhcp_leases", "ppp_active", "hotspot_active"]
    realtime = await run_tier(router, Tier.REALTIME, context())
    # an unreadable value costs that value only: no failure, the uptime is read
    assert realtime.failures == []
    assert [(b.field, b.raw) for b in realtime.bad_values] == [("cpu-load", "lots")]
    assert {s.key for s in realtime.samples} >= {"system.uptime_seconds"}
    assert realtime.readings()  # interface counters were still read
    assert any(s.key.startswith("system.health.") for s in realtime.samples)


async def test_repeated_failures_are_not_logged_above_debug(
    captures: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Logging a failure (once, when it starts and ends) is the scheduler's job:
    run_tier records it in ``failures`` and logs at DEBUG only, the traceback of
    an unexpected exception included."""
    router = build_router(captures, V7)
    router.errors["/queue/simple"] = CommandFailed("no such item", device="t",
                                                   command="/queue/simple/print")
    router.errors["/ip/dhcp-server/lease"] = KeyError("a bug")
    caplog.set_level(logging.DEBUG, logger="mikromon.collectors")
    for _ in range(3):
        medium = await run_tier(router, Tier.MEDIUM, context())
        assert medium.failures == [
            "queue_simple: no such item (command /queue/simple/print)",
            "ip_dhcp_server_lease_table: KeyError: 'a bug'",
        ]
    records = [r for r in caplog.records if r.name == "mikromon.collectors"]
    assert [r.levelno for r in records] == [logging.DEBUG] * 6
    assert [bool(r.exc_info) for r in records[:2]] == [False, True]


def test_failure_text_names_neither_device_nor_itself_twice() -> None:
    timeout = CommandTimeout("no complete reply within 5 s", device="r1",
                             command="/ip/arp/print")
    assert failure_text("ip_arp", timeout) == (
        "ip_arp: no complete reply within 5 s (command /ip/arp/print)")
    assert failure_text("log", CommandFailed("busy", device="r1")) == "log: busy"
    assert failure_text("x", ValueParseError("int", "lots")) == "x: not a RouterOS int: 'lots'"
    assert failure_text("x", RuntimeError()) == "x: RuntimeError"


@pytest.mark.parametrize("error", [
    ConnectionLost("connection closed", device="t"),
    CommandTimeout("no reply in 20 s", device="t"),
])
async def test_a_broken_session_ends_the_tier(captures: Path, error: Exception) -> None:
    router = build_router(captures, V7)
    router.errors["/system/health"] = error
    with pytest.raises(type(error)):
        await run_tier(router, Tier.REALTIME, context())
    assert router.asked() == ["/system/resource", "/system/health"]


def test_every_capture_is_read_or_explained(captures: Path) -> None:
    names = {p.stem for p in captures.glob("*.json")}
    read = set(V6.values()) | set(V7.values()) | {"ip_firewall_connection_count.v7"}
    assert names == read | set(NOT_READ), "a capture is neither read nor explained"
    for path, name in {**V6, **V7}.items():
        declared = json.loads((captures / f"{name}.json").read_text())["path"]
        assert declared == path, name


def test_registry_is_complete_and_ordered() -> None:
    names = [c.name for c in COLLECTORS]
    assert len(names) == len(set(names))
    assert collectors_for(Tier.REALTIME)[0].name == "system_resource"
    assert sum(len(collectors_for(t)) for t in Tier) == len(COLLECTORS)
    assert by_name("log").tier is Tier.EXTENDED
    with pytest.raises(KeyError):
        by_name("nope")


@pytest.mark.parametrize(("text", "major", "version"), [
    ("7.16.2 (stable)", 7, (7, 16, 2)),
    ("6.48.6 (long-term)", 6, (6, 48, 6)),
    ("6.49", 6, (6, 49, 0)),
    (None, 7, ()),
    ("not a version", 7, ()),
])
def test_context_for(text: str | None, major: int, version: tuple[int, ...]) -> None:
    ctx = context_for("r1", text, absent=["/ip/hotspot/active"])
    assert (ctx.major, ctx.version, ctx.absent) == (major, version, {"/ip/hotspot/active"})


def test_context_version_checks() -> None:
    assert context_for("r", "7.13").at_least(7, 13)
    assert not context_for("r", "7.12.1").at_least(7, 13)
    assert context_for("r", None).at_least(7, 13)  # unknown: judged by major only
    assert not context_for("r", "6.49").at_least(7)


def test_catalog_entries() -> None:
    keys = [spec.key for spec in CATALOG]
    assert len(keys) == len(set(keys))
    for key in ("system.cpu.load_pct", "system.memory.used_pct", "system.memory.free_bytes",
                "system.memory.total_bytes", "system.disk.used_pct", "system.uptime_seconds",
                "iface.rx_bps", "iface.tx_bps", "dhcp.active_leases", "dhcp.total_leases",
                "ppp.active_sessions", "firewall.connection_count", "hotspot.active_users"):
        assert lookup(key).key == key
    assert lookup("iface.rx_bps").unit == "bits/s"
    assert lookup("iface.rx_bps").labels == ("interface",)
    assert lookup("system.health.psu1-state").unit == "state"
    assert lookup("system.health.poe-out-consumption").unit == "watts"
    assert lookup("system.health.mystery").unit == ""
    assert lookup("system.health.cpu-temperature").tier is Tier.REALTIME
    for bad in ("system.health.", "iface.rx_bytez", ""):
        with pytest.raises(KeyError):
            lookup(bad)
    for spec in CATALOG:
        if spec.kind == "counter":
            assert lookup(rate_key(spec.key)).kind == "rate"
