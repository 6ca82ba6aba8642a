"""Alerting in a collector that shares the fleet with others (RuleSet.polled): it
raises no "no data" alerts for devices another collector polls, a device handed
to another collector leaves its open alerts open (the other collector carries
them on), and a device taken over brings its stored open alerts with it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import DeviceInfo, OpenAlert, Restored, RuleSet
from mikromon.alerting.runner import AlertRunner
from mikromon.domain.alerts import AlertState
from mikromon.domain.samples import Sample

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEVICES = {i: DeviceInfo(id=i, name=f"r{i}") for i in (1, 2)}
CPU = rule_from_mapping({"id": 1, "name": "cpu", "kind": "threshold",
                         "metric": "system.cpu.load_pct", "threshold": 90})
NO_DATA = rule_from_mapping({"id": 2, "name": "silent", "kind": "no_data",
                             "metric": "system.cpu.load_pct", "params": {"intervals": 3}})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_no_data_only_for_the_devices_polled_here() -> None:
    eng = AlertEngine(started=T0)
    eng.set_rules(RuleSet((NO_DATA,), {}, DEVICES, polled=frozenset({1})), T0)
    eng.tick(at(60))
    assert {t.device_id for t in eng.drain()} == {1}


def test_a_device_handed_over_keeps_its_alert_open() -> None:
    eng = AlertEngine(started=T0)
    eng.set_rules(RuleSet((CPU,), {}, DEVICES, polled=frozenset({1, 2})), T0)
    eng.observe_samples(2, [Sample("system.cpu.load_pct", 99, at(1))])
    assert [t.state for t in eng.drain()] == [AlertState.PENDING, AlertState.FIRING]
    eng.set_rules(RuleSet((CPU,), {}, DEVICES, polled=frozenset({1})), at(2))
    assert eng.drain() == []  # not resolved: the other collector carries it on
    eng.tick(at(100))
    assert eng.drain() == []


def test_without_polled_a_device_gone_from_the_rules_is_still_resolved() -> None:
    eng = AlertEngine(started=T0)
    eng.set_rules(RuleSet((CPU,), {}, DEVICES), T0)
    eng.observe_samples(2, [Sample("system.cpu.load_pct", 99, at(1))])
    eng.drain()
    eng.set_rules(RuleSet((CPU,), {}, {1: DEVICES[1]}), at(2))
    assert [t.state for t in eng.drain()] == [AlertState.RESOLVED]


class Store:
    def __init__(self) -> None:
        self.rules = RuleSet((CPU,), {}, DEVICES, polled=frozenset({1}))
        self.open = Restored(open=tuple(
            OpenAlert(rule_id=1, device_id=d, subject="", state=AlertState.FIRING,
                      since=T0, fired_at=T0, value=99.0, threshold=90.0) for d in (1, 2)))
        self.loads = 0

    def load_rules(self) -> RuleSet:
        return self.rules

    def load_open(self) -> Restored:
        self.loads += 1
        return self.open

    def save_transitions(self, transitions) -> int:
        return len(transitions)


def test_the_runner_restores_the_open_alerts_of_devices_taken_over() -> None:
    store = Store()
    runner = AlertRunner(store)
    runner.load(T0)
    # At start: only the open alerts of the devices polled here.
    assert {t.device_id for t in runner.engine.open_alerts()} == {1}
    runner.load(at(1))
    assert store.loads == 1  # nothing new taken over: not read again
    store.rules = dataclasses.replace(store.rules, polled=frozenset({1, 2}))
    runner.load(at(2))
    assert store.loads == 2
    assert {t.device_id for t in runner.engine.open_alerts()} == {1, 2}
    # Device 2's alert, taken back, resolves here when its value comes down.
    runner.engine.observe_samples(2, [Sample("system.cpu.load_pct", 10, at(3))])
    assert [(t.device_id, t.state) for t in runner.engine.drain()] == [
        (2, AlertState.RESOLVED)]
