"""Realtime collectors over the v6 and v7 captures: /system/resource,
/system/health, /interface counters. Expected values are read off the capture
files by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from collector_fakes import MONO, TS, FakeRouter, context, load

from mikromon.collectors.interface import InterfaceCountersCollector
from mikromon.collectors.system_health import (
    PROPLIST,
    STATES_REFRESH_S,
    TYPE_UNITS,
    SystemHealthCollector,
)
from mikromon.collectors.system_resource import SystemResourceCollector
from mikromon.domain.catalog import lookup
from mikromon.domain.inventory import CollectResult, DeviceFacts


def gauges(result: CollectResult) -> dict[str, float]:
    """Unlabelled samples as key -> value (every sample stamped with TS)."""
    assert all(s.ts == TS for s in result.samples)
    assert all(not s.labels for s in result.samples)
    out = {s.key: s.value for s in result.samples}
    assert len(out) == len(result.samples), "duplicate keys"
    return out


async def test_system_resource_v6(captures: Path) -> None:
    router = FakeRouter({"/system/resource": load(captures, "system_resource.v6")})
    result = await SystemResourceCollector().collect(router, context(major=6))
    assert gauges(result) == {
        "system.cpu.load_pct": 1.0,
        "system.cpu.count": 1.0,
        "system.cpu.frequency_hz": 650_000_000.0,
        "system.memory.used_pct": pytest.approx((67108864 - 42151936) * 100 / 67108864),
        "system.memory.free_bytes": 42151936.0,
        "system.memory.total_bytes": 67108864.0,
        "system.disk.used_pct": pytest.approx(92.7001953125),
        "system.disk.free_bytes": 1224704.0,
        "system.disk.total_bytes": 16777216.0,
        "system.uptime_seconds": 4103745.0,  # 6w5d11h55m45s
    }
    assert result.facts == DeviceFacts(
        version="6.48.6 (long-term)", board="hEX PoE lite", architecture="mipsbe",
        uptime_s=4103745.0,
    )
    assert result.absent == []
    assert result.readings() == []
    assert result.inventory == []


async def test_system_resource_v7(captures: Path) -> None:
    router = FakeRouter({"/system/resource": load(captures, "system_resource.v7")})
    result = await SystemResourceCollector().collect(router, context())
    assert gauges(result) == {
        "system.cpu.load_pct": 7.0,
        "system.cpu.count": 4.0,
        "system.cpu.frequency_hz": 864_000_000.0,
        "system.memory.used_pct": pytest.approx(368041984 * 100 / 1073741824),
        "system.memory.free_bytes": 705699840.0,
        "system.memory.total_bytes": 1073741824.0,
        "system.disk.used_pct": pytest.approx(41238528 * 100 / 134217728),
        "system.disk.free_bytes": 92979200.0,
        "system.disk.total_bytes": 134217728.0,
        "system.uptime_seconds": 4360.0,
    }
    assert result.facts == DeviceFacts(
        version="7.20.5 (stable)", board="hAP ax^2", architecture="arm64", uptime_s=4360.0
    )
    (call,) = router.calls
    assert call.kind == "print"
    assert "cpu-load" in call.proplist


async def test_system_resource_without_cpu_frequency(captures: Path) -> None:
    """CCR2004 7.12.2 has no cpu-frequency: no frequency sample, the rest stays."""
    row = {k: v for k, v in load(captures, "system_resource.v7")[0].items()
           if k != "cpu-frequency"}
    result = await SystemResourceCollector().collect(
        FakeRouter({"/system/resource": [row]}), context()
    )
    assert "system.cpu.frequency_hz" not in gauges(result)
    assert gauges(result)["system.cpu.load_pct"] == 7.0


async def test_system_health_v6_flat_row(captures: Path) -> None:
    router = FakeRouter({"/system/health": load(captures, "system_health.v6")})
    result = await SystemHealthCollector().collect(router, context(major=6))
    assert gauges(result) == {"system.health.voltage": 24.1, "system.health.temperature": 41.0}
    assert lookup("system.health.voltage").unit == "volts"
    assert lookup("system.health.temperature").unit == "celsius"


async def test_system_health_v7_rows(captures: Path) -> None:
    rows = load(captures, "system_health.v7")
    router = FakeRouter({"/system/health": rows})
    result = await SystemHealthCollector().collect(router, context(version=(7, 4, 0)))
    assert gauges(result) == {
        "system.health.temperature": 46.0,
        "system.health.cpu-temperature": 58.0,
        "system.health.sfp-temperature": 46.0,
        "system.health.fan1-speed": 6090.0,
        "system.health.fan2-speed": 6030.0,
        "system.health.board-temperature1": 45.0,
        "system.health.board-temperature2": 48.0,
    }  # states stay states: no number for psu1-state / psu2-state
    (states,) = result.inventory
    assert (states.table, states.key_fields) == ("health_states", ("name",))
    assert states.rows == [{"name": "psu1-state", "state": "ok"},
                           {"name": "psu2-state", "state": "fail"}]
    # one proplist for both shapes: the reply's shape decides
    assert router.calls[0].proplist == PROPLIST
    assert PROPLIST[:3] == ("name", "value", "type")
    # The catalog's unit (judged from the name) agrees with the router's type.
    for row in rows:
        assert lookup(f"system.health.{row['name']}").unit == TYPE_UNITS[row["type"]]


async def test_system_health_v6_states_keep_the_router_word() -> None:
    row = {"voltage": "24.1", "psu1-state": "ok", "psu2-state": "no-power",
           "fan-state": "fail", "use-fan": "main", "fan-mode": "auto"}
    router = FakeRouter({"/system/health": [row]})
    result = await SystemHealthCollector().collect(router, context(major=6))
    assert gauges(result) == {"system.health.voltage": 24.1}
    (states,) = result.inventory
    assert states.rows == [{"name": "psu1-state", "state": "ok"},
                           {"name": "psu2-state", "state": "no-power"},
                           {"name": "fan-state", "state": "fail"}]
    assert {"fan-state", "fan1-state", "psu1-state"} <= set(router.calls[0].proplist)


async def test_system_health_states_sent_when_changed_or_aged() -> None:
    rows = [{"name": "psu1-state", "value": "ok", "type": ""},
            {"name": "temperature", "value": "40", "type": "C"}]
    router = FakeRouter({"/system/health": rows})
    now = [1000.0]
    ctx = context()
    ctx.monotonic = lambda: now[0]
    collector = SystemHealthCollector()
    assert len((await collector.collect(router, ctx)).inventory) == 1
    now[0] += 5
    again = await collector.collect(router, ctx)
    assert again.inventory == []  # unchanged: no table every realtime poll
    assert gauges(again) == {"system.health.temperature": 40.0}
    rows[0]["value"] = "fail"
    now[0] += 5
    (changed,) = (await collector.collect(router, ctx)).inventory
    assert changed.rows == [{"name": "psu1-state", "state": "fail"}]
    now[0] += STATES_REFRESH_S
    assert len((await collector.collect(router, ctx)).inventory) == 1  # aged: sent again


async def test_system_health_without_state_sensors_has_no_state_table(captures: Path) -> None:
    for major, name in ((6, "system_health.v6"), (7, "system_health.v7-hex")):
        router = FakeRouter({"/system/health": load(captures, name)})
        result = await SystemHealthCollector().collect(router, context(major=major))
        assert result.inventory == []


async def test_system_health_v7_small_board(captures: Path) -> None:
    router = FakeRouter({"/system/health": load(captures, "system_health.v7-hex")})
    result = await SystemHealthCollector().collect(router, context())
    assert gauges(result) == {"system.health.voltage": 23.9, "system.health.temperature": 42.0}


async def test_system_health_na_and_empty_cost_one_sensor_each() -> None:
    rows = [
        {".id": "*1", "name": "temperature", "value": "n/a", "type": "C"},
        {".id": "*2", "name": "voltage", "value": "", "type": "V"},
        {"state": "disabled"},
        {".id": "*3", "name": "fan-state", "value": "ok", "type": ""},
    ]
    result = await SystemHealthCollector().collect(
        FakeRouter({"/system/health": rows}), context()
    )
    assert gauges(result) == {}
    assert [r for s in result.inventory for r in s.rows] == [{"name": "fan-state",
                                                               "state": "ok"}]
    assert result.failures == []
    assert [(b.path, b.field, b.raw) for b in result.bad_values] == [
        ("/system/health", "temperature", "n/a"), ("/system/health", "voltage", "")]


@pytest.mark.parametrize("major", [6, 7])
async def test_system_health_empty_on_chr(major: int) -> None:
    """x86/CHR (and cAP ac on 7.10) answer with no rows (7.18+: !empty)."""
    result = await SystemHealthCollector().collect(
        FakeRouter({"/system/health": []}), context(major=major)
    )
    assert result.samples == []
    assert result.absent == []


async def test_interface_counters_v6(captures: Path) -> None:
    router = FakeRouter({"/interface": load(captures, "interface.v6")})
    result = await InterfaceCountersCollector().collect(router, context(major=6))
    assert len(result.readings()) == 4 * 8
    assert all(r.ts == TS and r.mono == MONO and r.width == 64 for r in result.readings())
    table = {(r.labels, r.key): (r.value, r.identity) for r in result.readings()}
    bridge = (("interface", "bridge1"),)
    assert table[(bridge, "iface.rx_bytes")] == (1325381950539, "*2")
    assert table[(bridge, "iface.tx_bytes")] == (2786508773388, "*2")
    assert table[(bridge, "iface.rx_packets")] == (2216725736, "*2")
    assert table[(bridge, "iface.tx_packets")] == (2703349720, "*2")
    ether3 = (("interface", "ether3"),)
    assert table[(ether3, "iface.rx_bytes")] == (38784330741, "*3")
    assert table[(ether3, "iface.tx_packets")] == (68227154, "*3")
    assert table[(ether3, "iface.rx_errors")] == (0, "*3")
    assert table[(ether3, "iface.tx_drops")] == (0, "*3")
    l2tp = (("interface", "l2tp-in1"),)
    assert table[(l2tp, "iface.tx_bytes")] == (6624707528, "*51")
    assert {r.key for r in result.readings()} == {
        "iface.rx_bytes", "iface.tx_bytes", "iface.rx_packets", "iface.tx_packets",
        "iface.rx_errors", "iface.tx_errors", "iface.rx_drops", "iface.tx_drops",
    }


async def test_interface_counters_v7(captures: Path) -> None:
    router = FakeRouter({"/interface": load(captures, "interface.v7")})
    result = await InterfaceCountersCollector().collect(router, context())
    assert len(result.readings()) == 7 * 8
    table = {(dict(r.labels)["interface"], r.key): r.value for r in result.readings()}
    assert table[("ether1", "iface.rx_bytes")] == 205164277
    assert table[("ether1", "iface.tx_bytes")] == 147977500
    assert table[("ether1", "iface.rx_packets")] == 158254
    assert table[("ether1", "iface.tx_packets")] == 150156
    assert table[("ether2", "iface.rx_packets")] == 19
    assert table[("pppoe-out1", "iface.rx_bytes")] == 760847150783
    assert table[("pppoe-out1", "iface.tx_bytes")] == 253066573450
    assert table[("lo", "iface.rx_bytes")] == 13473216
    assert table[("sfp1", "iface.rx_bytes")] == 0
    call = router.calls[0]
    assert call.proplist[:2] == (".id", "name")


async def test_interface_counters_empty_reply() -> None:
    """7.18+ answers a print with no rows with !empty: an empty list, no error."""
    result = await InterfaceCountersCollector().collect(FakeRouter({"/interface": []}),
                                                        context())
    assert result.readings() == []
    assert result.absent == []
    assert result.failures == []
