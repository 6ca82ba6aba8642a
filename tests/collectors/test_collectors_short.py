"""Short-tier collectors: counts without downloading tables, per-core load."""

from __future__ import annotations

from pathlib import Path

import pytest
from collector_fakes import TS, FakeRouter, context, load, load_done

from mikromon.collectors import ip_firewall_connection, ip_hotspot_active, ppp_active
from mikromon.collectors.ip_dhcp_server_lease import DhcpServerLeaseCollector
from mikromon.collectors.system_resource_cpu import SystemResourceCpuCollector


@pytest.mark.parametrize(
    ("capture", "major", "total", "active"),
    [
        ("ip_dhcp_server_lease.v6", 6, 3, 3),
        # the fourth v7 lease is an offline static lease, status "waiting"
        ("ip_dhcp_server_lease.v7", 7, 4, 3),
    ],
)
async def test_dhcp_lease_counts(
    captures: Path, capture: str, major: int, total: int, active: int
) -> None:
    router = FakeRouter({"/ip/dhcp-server/lease": load(captures, capture)})
    result = await DhcpServerLeaseCollector().collect(router, context(major=major))
    assert {s.key: s.value for s in result.samples} == {
        "dhcp.total_leases": float(total), "dhcp.active_leases": float(active),
    }
    assert all(s.ts == TS for s in result.samples)
    # Counted by the router, never downloaded.
    assert [(c.kind, c.query) for c in router.calls] == [
        ("count", ()), ("count", ("?status=bound",)),
    ]


@pytest.mark.parametrize(
    ("module", "path", "capture", "key", "expected"),
    [
        (ppp_active, "/ppp/active", "ppp_active.v7", "ppp.active_sessions", 2),
        (ip_hotspot_active, "/ip/hotspot/active", "ip_hotspot_active.v7",
         "hotspot.active_users", 2),
    ],
)
async def test_count_collectors(
    captures: Path, module: object, path: str, capture: str, key: str, expected: int
) -> None:
    router = FakeRouter({path: load(captures, capture)})
    result = await module.COLLECTOR.collect(router, context())  # type: ignore[attr-defined]
    assert [(s.key, s.value, s.ts) for s in result.samples] == [(key, expected, TS)]
    assert [c.kind for c in router.calls] == ["count"]


async def test_connection_count_is_count_only(captures: Path) -> None:
    ret = int(load_done(captures, "ip_firewall_connection_count.v7")["ret"])
    router = FakeRouter(counts={"/ip/firewall/connection": ret})
    result = await ip_firewall_connection.COLLECTOR.collect(router, context())
    assert [(s.key, s.value) for s in result.samples] == [("firewall.connection_count", 4187)]
    assert [(c.kind, c.path) for c in router.calls] == [("count", "/ip/firewall/connection")]


async def test_hotspot_absent_is_reported() -> None:
    result = await ip_hotspot_active.COLLECTOR.collect(FakeRouter(), context())
    assert result.absent == ["/ip/hotspot/active"]
    assert result.samples == []


async def test_per_core_load(captures: Path) -> None:
    router = FakeRouter({"/system/resource/cpu": load(captures, "system_resource_cpu.v7")})
    result = await SystemResourceCpuCollector().collect(router, context())
    assert [(s.key, s.labels, s.value) for s in result.samples] == [
        ("system.cpu.core_load_pct", (("cpu", "cpu0"),), 0.0),
        ("system.cpu.core_load_pct", (("cpu", "cpu1"),), 1.0),
        ("system.cpu.core_load_pct", (("cpu", "cpu2"),), 0.0),
        ("system.cpu.core_load_pct", (("cpu", "cpu3"),), 1.0),
    ]
    assert router.calls[0].proplist == ("cpu", "load")
