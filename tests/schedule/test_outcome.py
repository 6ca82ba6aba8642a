"""run_outcome: one completed run's result and the device's memory in; samples,
events, snapshots, status and the new memory out, with no argument changed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from mikromon.domain.events import DeviceState, EventKind
from mikromon.domain.inventory import BadValue, CollectResult, DeviceFacts, InventorySnapshot
from mikromon.domain.samples import (
    CounterBlock,
    Sample,
    SampleBlock,
    each_sample,
    make_labels,
    sample_count,
)
from mikromon.domain.tiers import Tier
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.outcome import Reported, remembered_version, run_outcome

TS = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CPU = BadValue(path="/system/resource", field="cpu-load", raw="n/a", reason="not a percent")


def health(**words: str) -> InventorySnapshot:
    return InventorySnapshot(table="health_states", key_fields=("name",), ts=TS,
                             rows=[{"name": n, "state": w} for n, w in words.items()])


def run(result: CollectResult, memory: DeviceMemory | None = None,
        reported: Reported | None = None, **kw: object):
    return run_outcome(result, memory or DeviceMemory(state=DeviceState.UP),
                       reported or Reported(), tier=kw.pop("tier", Tier.REALTIME),  # type: ignore[arg-type]
                       device_id=7, ts=TS, mono=100.0, **kw)  # type: ignore[arg-type]


def test_no_argument_is_changed() -> None:
    memory = DeviceMemory(state=DeviceState.UP, health={"psu1-state": "ok"})
    reported = Reported(version="7.16", absent=frozenset({"/ppp/active"}))
    result = CollectResult(facts=DeviceFacts(version="7.17", uptime_s=5.0),
                           inventory=[health(**{"psu1-state": "fail"})],
                           absent=["/ip/hotspot/active"], bad_values=[CPU])
    before = (copy.deepcopy(memory), copy.deepcopy(reported), copy.deepcopy(result))
    out = run(result, memory, reported)
    assert (memory, reported, result) == before
    assert out.memory is not memory
    assert out.memory.state is DeviceState.DEGRADED


def test_samples_keep_the_non_negative_rates_and_name_the_dropped() -> None:
    gauge = Sample("system.cpu.load_pct", 5.0, TS)
    up, down = Sample("interface.rx_bps", 10.0, TS), Sample("interface.tx_bps", -1.0, TS)
    out = run(CollectResult(samples=[gauge]), rates=[up, down])
    assert out.samples == [gauge, up]
    assert out.dropped == [down]


def test_a_block_of_rates_goes_as_it_is_or_without_its_negative_values() -> None:
    e1, e2 = make_labels(interface="ether1"), make_labels(interface="ether2")
    keys = ("iface.rx_bps", "iface.tx_bps")
    fine = SampleBlock(keys, [e1, e2], [1.0, 0.0, None, 3.0], TS)
    out = run(CollectResult(), rates=[fine])
    assert out.samples == [fine]
    assert out.samples[0] is fine
    wrong = SampleBlock(keys, [e1, e2], [1.0, -2.0, None, -0.5], TS)
    out = run(CollectResult(), rates=[wrong])
    assert out.samples == [SampleBlock(keys, [e1, e2], [1.0, None, None, None], TS)]
    assert out.dropped == [Sample("iface.tx_bps", -2.0, TS, e1),
                           Sample("iface.tx_bps", -0.5, TS, e2)]
    # NaN is not ">= 0" either: left out (not a negative rate), as for a sample
    for values in ([1.0, float("nan"), None, 3.0], [float("nan"), 1.0, None, 3.0]):
        out = run(CollectResult(), rates=[SampleBlock(keys, [e1, e2], values, TS),
                                          Sample("iface.rx_bps", float("nan"), TS, e1)])
        assert out.samples == [SampleBlock(keys, [e1, e2], [1.0, None, None, 3.0], TS)
                               if values[0] == 1.0 else
                               SampleBlock(keys, [e1, e2], [None, 1.0, None, 3.0], TS)]
        assert out.dropped == []


def test_status_carries_state_facts_error_and_last_seen() -> None:
    out = run(CollectResult(facts=DeviceFacts(identity="core", version="7.16.2")),
              error="log: timeout")
    status = out.status
    assert (status.device_id, status.state, status.identity, status.version) == (
        7, DeviceState.UP, "core", "7.16.2")
    assert (status.last_error, status.ts, status.last_seen) == ("log: timeout", TS, TS)
    assert out.facts_changed


def test_uptime_alone_is_no_facts_change() -> None:
    memory = DeviceMemory(state=DeviceState.UP, facts=DeviceFacts(identity="core"))
    out = run(CollectResult(facts=DeviceFacts(uptime_s=50.0)), memory)
    assert not out.facts_changed
    assert out.events == []


def test_degraded_while_a_sensor_fails_and_up_again() -> None:
    first = run(CollectResult(inventory=[health(**{"fan1-state": "ok"})]))
    assert not first.degraded_changed
    failing = run(CollectResult(inventory=[health(**{"fan1-state": "fail"})]), first.memory)
    assert failing.degraded_changed
    assert failing.failing == ["fan1-state"]
    assert failing.memory.state is DeviceState.DEGRADED
    assert [e.kind for e in failing.events] == [EventKind.HEALTH_FAILED]
    assert failing.snapshots[0].table == "health_states"
    ok = run(CollectResult(inventory=[health(**{"fan1-state": "ok"})]), failing.memory)
    assert ok.degraded_changed
    assert ok.memory.state is DeviceState.UP


def test_a_slow_or_down_device_is_not_made_up_by_a_run() -> None:
    out = run(CollectResult(inventory=[health(**{"fan1-state": "ok"})]),
              DeviceMemory(state=DeviceState.SLOW))
    assert out.memory.state is DeviceState.SLOW
    assert not out.degraded_changed


def test_absent_paths_are_announced_once_until_the_version_changes() -> None:
    memory = DeviceMemory(state=DeviceState.UP, facts=DeviceFacts(version="7.16"))
    first = run(CollectResult(absent=["/caps-man/interface", "/caps-man/interface"]), memory,
                Reported(version="7.16"))
    assert first.newly_absent == ["/caps-man/interface"]
    assert [e.kind for e in first.events] == [EventKind.PATH_ABSENT]
    assert first.events[0].message.startswith("/caps-man/interface is not on this router "
                                              "(RouterOS 7.16)")
    again = run(CollectResult(absent=["/caps-man/interface"]), first.memory, first.reported)
    assert again.events == []
    upgraded = run(CollectResult(facts=DeviceFacts(version="7.17"),
                                 absent=["/caps-man/interface"]), again.memory, again.reported)
    assert upgraded.version_changed
    assert [e.kind for e in upgraded.events] == [EventKind.VERSION_CHANGED,
                                                  EventKind.PATH_ABSENT]
    assert upgraded.reported == Reported(version="7.17",
                                         absent=frozenset({"/caps-man/interface"}))


def test_bad_values_reported_once_per_text_and_forgotten_after_a_clean_run() -> None:
    first = run(CollectResult(bad_values=[CPU, CPU]))
    assert first.newly_bad == [CPU]
    assert [e.kind for e in first.events] == [EventKind.BAD_VALUE]
    assert "unreadable value 'n/a'" in first.events[0].message
    same = run(CollectResult(bad_values=[CPU]), first.memory, first.reported)
    assert same.newly_bad == []
    other_tier_clean = run(CollectResult(), first.memory, first.reported, tier=Tier.SHORT)
    assert other_tier_clean.reported.bad_values == first.reported.bad_values
    failing_run = run(CollectResult(failures=["system_health: timeout"]), first.memory,
                      first.reported)
    assert failing_run.reported.bad_values == first.reported.bad_values
    clean = run(CollectResult(), first.memory, first.reported)
    assert clean.reported.bad_values == {}
    assert run(CollectResult(bad_values=[CPU]), clean.memory, clean.reported).newly_bad == [CPU]


def test_remembered_version_forgets_absent_paths_of_another_version() -> None:
    assert remembered_version(None, {"/a"}, "7.16") == ("7.16", {"/a"})
    assert remembered_version("7.15", {"/a"}, "7.16") == ("7.16", set())
    assert remembered_version("7.16", {"/a"}, "garbage") == ("7.16", {"/a"})
    assert remembered_version("7.16", {"/a"}, "7.16", changed=True) == ("7.16", set())


def test_raw_counters_go_to_the_writer_as_the_block_they_were_read_in() -> None:
    """A reply's counters are one item of the samples (not a sample per counter);
    they stand for the same samples as before: the raw values, after the gauges
    and rates."""
    labels = make_labels(interface="ether1")
    block = CounterBlock(("iface.rx_bytes", "iface.tx_bytes"), [labels], ["*1"], [10, 20],
                         TS, 100.0, 64)
    cpu = Sample("system.cpu.load_pct", 3.0, TS)
    rate = Sample("iface.rx_bps", 8.0, TS, labels)
    out = run(CollectResult(samples=[cpu], counter_blocks=[block]), rates=[rate])
    assert out.samples == [cpu, rate, block]
    assert sample_count(out.samples) == 4
    assert each_sample(out.samples)[2:] == [Sample("iface.rx_bytes", 10.0, TS, labels),
                                            Sample("iface.tx_bytes", 20.0, TS, labels)]
