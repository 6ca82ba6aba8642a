"""The ethernet link rate collector: ``/interface/ethernet/monitor`` with ``numbers`` and
``once`` for the running ports, ``iface.link_speed_bps`` per port with link."""

from __future__ import annotations

from pathlib import Path

import pytest
from collector_fakes import FakeRouter, context, load

from mikromon.collectors import registry
from mikromon.collectors.interface_ethernet_monitor import (
    BATCH,
    COMMAND,
    PATH,
    InterfaceEthernetMonitorCollector,
)
from mikromon.domain import catalog
from mikromon.domain.errors import CommandFailed, ValueParseError
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.rates import parse_link_rate

COLLECTOR = InterfaceEthernetMonitorCollector()


def speeds(result) -> dict[str, float]:
    return {s.label("interface"): s.value for s in result.samples
            if s.key == "iface.link_speed_bps"}


def ports(*names: str, running: str = "true") -> list[dict[str, str]]:
    return [{".id": f"*{i + 1:X}", "name": n, "running": running, "disabled": "false"}
            for i, n in enumerate(names)]


@pytest.mark.parametrize(("text", "bps"), [
    ("10Mbps", 10e6), ("100Mbps", 100e6), ("1Gbps", 1e9), ("2.5Gbps", 2.5e9),
    ("5Gbps", 5e9), ("10Gbps", 10e9), ("25Gbps", 25e9), ("40Gbps", 40e9),
    ("100Gbps", 100e9),
])
def test_link_rates_of_every_ethernet_speed(text: str, bps: float) -> None:
    assert parse_link_rate(text) == bps


@pytest.mark.parametrize("text", ["", "0Mbps", "0", "fast", "1 Gbps", "-1Gbps", "500Tbps",
                                  "n/a"])
def test_impossible_link_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueParseError, match="link rate"):
        parse_link_rate(text)


def test_registered_on_the_medium_tier_and_in_the_catalog() -> None:
    assert registry.by_name("interface_ethernet_monitor").tier == Tier.MEDIUM
    spec = catalog.lookup("iface.link_speed_bps")
    assert (spec.tier, spec.unit, spec.labels) == (Tier.MEDIUM, catalog.BITS_PER_SECOND,
                                                   ("interface",))


async def test_capture_rate_for_the_port_with_link_only(captures: Path) -> None:
    router = FakeRouter({PATH: ports("ether1", "ether2")},
                        commands={COMMAND: load(captures, "interface_ethernet_monitor.v7")})
    result = await COLLECTOR.collect(router, context())
    assert speeds(result) == {"ether1": 1e9}  # ether2: no-link, no rate
    assert not result.bad_values
    assert not result.failures
    print_call, monitor = router.calls
    assert set(print_call.proplist) == {".id", "name", "running", "disabled"}
    assert monitor.kind == "call"
    assert monitor.args == {"numbers": "*1,*2", "once": ""}
    assert router.reply_limits[COMMAND].rows == 3


async def test_only_running_enabled_ports_are_monitored(captures: Path) -> None:
    rows = load(captures, "interface_ethernet.v7")  # ether3, running
    rows += [{".id": "*4", "name": "ether4"},  # v7 leaves false flags out
             {".id": "*5", "name": "ether5", "running": "false"},
             {".id": "*6", "name": "ether6", "running": "true", "disabled": "true"}]
    monitor = [{"name": "ether3", "status": "link-ok", "rate": "100Mbps"}]
    router = FakeRouter({PATH: rows}, commands={COMMAND: monitor})
    result = await COLLECTOR.collect(router, context())
    assert speeds(result) == {"ether3": 100e6}
    assert router.calls[1].args == {"numbers": "*3", "once": ""}


async def test_no_running_port_sends_no_monitor() -> None:
    router = FakeRouter({PATH: ports("ether1", running="false")}, commands={COMMAND: []})
    result = await COLLECTOR.collect(router, context())
    assert result.samples == []
    assert router.asked() == [PATH]


async def test_a_bad_rate_costs_that_port_only() -> None:
    monitor = [{"name": "ether1", "status": "link-ok", "rate": "fast"},
               {"name": "ether2", "status": "link-ok", "rate": "2.5Gbps"},
               {"name": "ether3", "status": "link-ok", "rate": "0Mbps"},
               {"name": "ether4", "status": "link-ok"},  # link, rate not shown
               {"name": "ether5", "status": "no-link", "rate": "1Gbps"}]
    router = FakeRouter({PATH: ports("ether1", "ether2", "ether3", "ether4", "ether5")},
                        commands={COMMAND: monitor})
    result = await COLLECTOR.collect(router, context())
    assert speeds(result) == {"ether2": 2.5e9}
    assert [(b.path, b.field, b.raw, b.row) for b in result.bad_values] == [
        (COMMAND, "rate", "fast", "ether1"), (COMMAND, "rate", "0Mbps", "ether3")]


async def test_rows_without_names_are_matched_by_order() -> None:
    # The reply's shape decides: no ``name`` in the rows, one row per port asked.
    monitor = [{".id": "*1", "status": "link-ok", "rate": "10Mbps"},
               {".id": "*2", "status": "link-ok", "rate": "1Gbps"}]
    router = FakeRouter({PATH: ports("wan", "lan")}, commands={COMMAND: monitor})
    result = await COLLECTOR.collect(router, context())
    assert speeds(result) == {"wan": 10e6, "lan": 1e9}


async def test_a_reply_that_cannot_be_matched_is_a_failure_not_a_guess() -> None:
    router = FakeRouter({PATH: ports("ether1", "ether2")}, commands={COMMAND: []})

    async def short_reply(command, args=None, *, limit=None):
        return [{"status": "link-ok", "rate": "1Gbps"}]

    router.call = short_reply  # type: ignore[method-assign]
    result = await COLLECTOR.collect(router, context())
    assert result.samples == []
    assert result.failures == [
        f"interface_ethernet_monitor: {COMMAND} rows carry no names and are not one per "
        "port asked; link rates not read"]


async def test_many_ports_are_asked_in_bounded_batches() -> None:
    names = [f"sfp{i}" for i in range(BATCH + 6)]
    monitor = [{"name": n, "status": "link-ok", "rate": "10Gbps"} for n in names]
    router = FakeRouter({PATH: ports(*names)}, commands={COMMAND: monitor})
    result = await COLLECTOR.collect(router, context())
    assert len(speeds(result)) == BATCH + 6
    calls = [c for c in router.calls if c.kind == "call"]
    assert [len(c.args["numbers"].split(",")) for c in calls] == [BATCH, 6]
    assert router.reply_limits[COMMAND].rows == 7


async def test_absent_menu_and_trap() -> None:
    router = FakeRouter({})
    result = await COLLECTOR.collect(router, context())
    assert result.absent == [PATH]
    assert result.samples == []
    # A port removed between the print and the monitor: the router's trap.
    router = FakeRouter({PATH: ports("ether1", "ether9")},
                        commands={COMMAND: [{"name": "ether1", "status": "link-ok"}]})
    with pytest.raises(CommandFailed, match="input does not match any value of numbers"):
        await COLLECTOR.collect(router, context())
