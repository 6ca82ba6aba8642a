"""Row bounds: every table that grows with the customers (or with the size of
an ISP's configuration) is counted with ``count-only`` before it is printed,
and above its limit it is skipped with one stable failure message.

Checked against the fake router: which requests are made at the limit and one
above it, and that the limits are written in the modules' docstrings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from collector_fakes import FakeRouter, context, load

from mikromon.collectors import (
    interface_wifi,
    interface_wireless,
    ip_address,
    ip_arp,
    ip_dhcp_server_lease,
    ip_firewall,
    ip_hotspot_active,
    ip_neighbor,
    log,
    ppp_active,
)
from mikromon.collectors.registry import COLLECTORS
from mikromon.collectors.table_collectors import ROW_LIMIT, BoundedTableCollector, TableCollector

#: collector -> (capture, its row limit)
BOUNDED = [
    (ip_arp.COLLECTOR, "ip_arp.v7", 20_000),
    (ip_address.COLLECTOR, "ip_address.v7", 20_000),
    (ip_firewall.FILTER, "ip_firewall_filter.v7", 5_000),
    (ip_firewall.NAT, "ip_firewall_nat.v7", 5_000),
    (ip_firewall.MANGLE, "ip_firewall_nat.v7", 5_000),
    (ip_neighbor.COLLECTOR, "ip_neighbor.v7", 20_000),
    (ip_dhcp_server_lease.TABLE, "ip_dhcp_server_lease.v7", 20_000),
    (ppp_active.TABLE, "ppp_active.v7", 20_000),
    (ip_hotspot_active.TABLE, "ip_hotspot_active.v7", 20_000),
]
IDS = [c.name for c, _, _ in BOUNDED]


@pytest.mark.parametrize(("collector", "capture", "limit"), BOUNDED, ids=IDS)
async def test_at_the_limit_the_table_is_printed(
    captures: Path, collector: BoundedTableCollector, capture: str, limit: int
) -> None:
    assert isinstance(collector, BoundedTableCollector)
    assert collector.limit == limit
    router = FakeRouter({collector.path: load(captures, capture)},
                        counts={collector.path: limit})
    result = await collector.collect(router, context())
    assert result.failures == []
    assert [s.table for s in result.inventory] == [collector.table]
    assert [c.kind for c in router.calls] == ["count", "print"]


@pytest.mark.parametrize(("collector", "capture", "limit"), BOUNDED, ids=IDS)
async def test_above_the_limit_only_the_count_is_asked(
    captures: Path, collector: BoundedTableCollector, capture: str, limit: int
) -> None:
    failures = []
    for rows in (limit + 1, limit * 3):
        router = FakeRouter({collector.path: load(captures, capture)},
                            counts={collector.path: rows})
        result = await collector.collect(router, context())
        assert result.inventory == []
        assert [c.kind for c in router.calls] == ["count"]
        failures.append(result.failures)
    # one message while the table stays too large: the scheduler logs it once
    assert failures[0] == failures[1] == [collector.over_limit()]
    message = collector.over_limit()
    assert message.startswith(f"{collector.name}: {collector.path} has more than {limit} rows")
    assert "not read" in message


@pytest.mark.parametrize(("collector", "capture", "limit"), BOUNDED, ids=IDS)
def test_the_limit_is_documented(
    collector: BoundedTableCollector, capture: str, limit: int
) -> None:
    doc = sys.modules[_module_of(collector)].__doc__
    assert f"{limit:,}" in (doc or ""), f"{_module_of(collector)} does not state its limit"


def _module_of(collector: object) -> str:
    for module in (ip_arp, ip_address, ip_firewall, ip_neighbor, ip_dhcp_server_lease,
                   ppp_active, ip_hotspot_active):
        if any(value is collector for value in vars(module).values()):
            return module.__name__
    raise AssertionError(f"no module defines {collector!r}")


def test_only_small_tables_are_printed_without_a_count() -> None:
    """The tables read without a bound are the router's own configuration of
    management users and services, which no customer makes grow."""
    unbounded = {c.name for c in COLLECTORS
                 if isinstance(c, TableCollector) and not isinstance(c, BoundedTableCollector)}
    assert unbounded == {"user", "user_active", "ip_service", "system_package"}


# --- /log ----------------------------------------------------------------------


async def test_log_at_its_limit_is_read(captures: Path) -> None:
    router = FakeRouter({"/log": load(captures, "log.v7")}, counts={"/log": log.ROW_LIMIT})
    result = await log.LogCollector().collect(router, context())
    assert result.failures == []
    assert [s.table for s in result.inventory] == ["logs"]
    # the clock is asked for the zone of the times (absent here: they stay local)
    assert [(c.kind, c.path) for c in router.calls] == [
        ("count", "/log"), ("print", "/log"), ("print", "/system/clock")]


async def test_log_above_its_limit_is_skipped(captures: Path) -> None:
    assert log.ROW_LIMIT == ROW_LIMIT
    router = FakeRouter({"/log": load(captures, "log.v7")},
                        counts={"/log": log.ROW_LIMIT + 1})
    result = await log.LogCollector().collect(router, context())
    assert result.inventory == []
    assert [c.kind for c in router.calls] == ["count"]
    assert result.failures == [
        "log: /log has more than 20000 rows; not read (lower /system/logging/action "
        "memory-lines to read the log)"]
    assert "20,000" in (log.__doc__ or "")


async def test_log_absent_is_reported_by_the_count() -> None:
    router = FakeRouter()
    result = await log.LogCollector().collect(router, context())
    assert (result.absent, result.failures, result.inventory) == (["/log"], [], [])


# --- wireless registration tables ----------------------------------------------

WIRELESS = "/interface/wireless"
WIFI = "/interface/wifi"


def wireless_router(captures: Path, clients: int | None = None) -> FakeRouter:
    rows = load(captures, "interface_wireless_registration_table.v6")
    counts = {} if clients is None else {f"{WIRELESS}/registration-table": clients}
    return FakeRouter({f"{WIRELESS}/registration-table": rows,
                       WIRELESS: [{"name": "wlan1"}, {"name": "wlan2"}]}, counts=counts)


async def test_wireless_clients_at_the_limit_are_read(captures: Path) -> None:
    router = wireless_router(captures, interface_wireless.ROW_LIMIT)
    result = await interface_wireless.InterfaceWirelessCollector().collect(
        router, context(major=6))
    assert result.failures == []
    assert {s.table for s in result.inventory} == {"wireless_clients", "wireless_interfaces"}
    assert [(c.kind, c.path) for c in router.calls] == [
        ("count", f"{WIRELESS}/registration-table"),
        ("print", f"{WIRELESS}/registration-table"),
        ("print", WIRELESS)]


async def test_wireless_clients_above_the_limit_are_counted_per_interface(
    captures: Path,
) -> None:
    assert interface_wireless.ROW_LIMIT == ROW_LIMIT
    router = wireless_router(captures, interface_wireless.ROW_LIMIT + 1)
    result = await interface_wireless.InterfaceWirelessCollector().collect(
        router, context(major=6))
    assert result.failures == [
        "interface_wireless: /interface/wireless/registration-table has more than 20000 "
        "rows; client table not read (clients still counted per interface)"]
    assert [s.table for s in result.inventory] == ["wireless_interfaces"]
    table = f"{WIRELESS}/registration-table"
    assert [(c.kind, c.path, c.query) for c in router.calls] == [
        ("count", table, ()), ("print", WIRELESS, ()),
        ("count", table, ("?interface=wlan1",)), ("count", table, ("?interface=wlan2",))]
    rows = load(captures, "interface_wireless_registration_table.v6")
    expected = {name: sum(r["interface"] == name for r in rows) for name in ("wlan1", "wlan2")}
    assert {dict(s.labels)["interface"]: s.value for s in result.samples} == expected
    assert "20,000" in (interface_wireless.__doc__ or "")


async def test_wifi_clients_above_the_limit_are_counted_per_interface(captures: Path) -> None:
    rows = load(captures, "interface_wifi_registration_table.v7")
    router = FakeRouter({f"{WIFI}/registration-table": rows, WIFI: [{"name": "wifi1"}]},
                        counts={f"{WIFI}/registration-table": interface_wifi.ROW_LIMIT + 1})
    result = await interface_wifi.InterfaceWifiCollector().collect(
        router, context(version=(7, 16, 2)))
    assert result.failures == [
        "interface_wifi: /interface/wifi/registration-table has more than 20000 rows; "
        "client table not read (clients still counted per interface)"]
    assert [s.table for s in result.inventory] == ["wifi_interfaces"]
    assert [s.value for s in result.samples] == [
        sum(r["interface"] == "wifi1" for r in rows)]
    assert "20,000" in (interface_wifi.__doc__ or "")


async def test_wireless_package_missing_is_found_by_the_count() -> None:
    router = FakeRouter()
    result = await interface_wireless.InterfaceWirelessCollector().collect(
        router, context(major=6))
    assert result.absent == [f"{WIRELESS}/registration-table"]
    assert [c.kind for c in router.calls] == ["count"]
