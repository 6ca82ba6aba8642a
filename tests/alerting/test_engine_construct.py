"""An engine given its rules when built evaluates them as one given them later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import DeviceInfo, RuleSet
from mikromon.domain.samples import Sample

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def test_no_data_rules_given_to_the_constructor_are_evaluated():
    rule = rule_from_mapping({"id": 1, "name": "quiet", "kind": "no_data",
                              "metric": "system.cpu.load_pct", "params": {"intervals": 3}})
    rules = RuleSet((rule,), {}, {1: DeviceInfo(id=1, name="edge-1")})
    eng = AlertEngine(rules, started=T0)
    eng.observe_samples(1, [Sample("system.cpu.load_pct", 10.0, T0)])
    eng.tick(T0 + timedelta(seconds=16))  # 3 x 5 s passed
    assert [t.state.value for t in eng.drain()] == ["pending", "firing"]
