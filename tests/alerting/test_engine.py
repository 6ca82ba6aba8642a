"""The rule engine, pure: samples, events and statuses in, transitions out, with
times given by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.alerting.defaults import default_rules
from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import DeviceInfo, OpenAlert, Override, Restored, RuleSet
from mikromon.domain.alerts import AlertState, Severity
from mikromon.domain.errors import ConfigError
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.samples import CounterBlock, Sample, SampleBlock, make_labels

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
DEV = DeviceInfo(id=1, name="edge-1", site_id=10, tag_ids=frozenset({20}))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rule(rule_id: int = 1, **fields: object):
    data = {"id": rule_id, "name": f"rule {rule_id}", "kind": "threshold",
            "metric": "system.cpu.load_pct", "threshold": 90, "severity": "warning"}
    data.update(fields)
    return rule_from_mapping(data)


def engine(*rules, devices=(DEV,), overrides=None) -> AlertEngine:
    eng = AlertEngine(started=T0)
    eng.set_rules(RuleSet(tuple(rules), overrides or {}, {d.id: d for d in devices}), T0)
    return eng


def cpu(value: float, t: float, device_id: int = 1, eng: AlertEngine | None = None) -> Sample:
    return Sample("system.cpu.load_pct", value, at(t))


def feed(eng: AlertEngine, key: str, value: float, t: float, device_id: int = 1,
         **labels: str) -> None:
    eng.observe_samples(device_id, [Sample(key, value, at(t), make_labels(**labels))])


def states(eng: AlertEngine) -> list[tuple[str, str | None]]:
    return [(t.state.value, t.previous.value if t.previous else None) for t in eng.drain()]


# -- threshold, for-duration, hysteresis ------------------------------------------------

def test_threshold_goes_pending_then_fires_after_its_duration_then_resolves_below_recovery():
    eng = engine(rule(for_seconds=300, recovery=87))
    feed(eng, "system.cpu.load_pct", 95, 0)
    [pending] = eng.drain()
    assert pending.state is AlertState.PENDING
    assert pending.previous is None
    assert pending.since == at(0)
    assert pending.value == 95
    assert pending.threshold == 90
    feed(eng, "system.cpu.load_pct", 96, 295)
    assert eng.drain() == []
    feed(eng, "system.cpu.load_pct", 97, 300)
    [firing] = eng.drain()
    assert firing.state is AlertState.FIRING
    assert firing.previous is AlertState.PENDING
    assert firing.severity is Severity.WARNING
    assert firing.value == 97
    assert "edge-1" in firing.message
    assert "97 %" in firing.message
    assert "90 %" in firing.message
    assert "2026-12-01 12:00:00 UTC" in firing.message
    # Between recovery and threshold: still firing (hysteresis).
    feed(eng, "system.cpu.load_pct", 88, 305)
    assert eng.drain() == []
    feed(eng, "system.cpu.load_pct", 86, 310)
    [resolved] = eng.drain()
    assert resolved.state is AlertState.RESOLVED
    assert resolved.previous is AlertState.FIRING
    assert resolved.value == 86
    assert resolved.since == at(0)


def test_a_pending_alert_whose_condition_goes_is_dropped_not_fired():
    eng = engine(rule(for_seconds=300, recovery=87))
    feed(eng, "system.cpu.load_pct", 95, 0)
    feed(eng, "system.cpu.load_pct", 89, 100)  # below the threshold: pending ends
    feed(eng, "system.cpu.load_pct", 95, 200)  # a new pending period starts here
    feed(eng, "system.cpu.load_pct", 95, 400)
    assert states(eng) == [("pending", None), ("resolved", "pending"), ("pending", None)]
    feed(eng, "system.cpu.load_pct", 95, 500)
    assert states(eng) == [("firing", "pending")]


def test_below_comparison_and_no_recovery_level():
    eng = engine(rule(metric="dhcp.active_leases", kind="count", comparison="<", threshold=5))
    feed(eng, "dhcp.active_leases", 3, 0)
    assert states(eng) == [("pending", None), ("firing", "pending")]
    feed(eng, "dhcp.active_leases", 5, 60)
    assert states(eng) == [("resolved", "firing")]


def test_labelled_metric_alerts_per_subject_and_name_pattern_filters():
    eng = engine(rule(metric="iface.rx_errors_ps", threshold=2, params={"name_pattern": "ether*"}))
    eng.observe_samples(1, [
        Sample("iface.rx_errors_ps", 5, at(0), make_labels(interface="ether1")),
        Sample("iface.rx_errors_ps", 5, at(0), make_labels(interface="wlan1")),
        Sample("iface.rx_errors_ps", 1, at(0), make_labels(interface="ether2")),
    ])
    out = eng.drain()
    assert [(t.subject, t.state.value) for t in out] == [("ether1", "pending"),
                                                          ("ether1", "firing")]


def test_per_device_override_changes_the_level_or_turns_the_rule_off():
    other = DeviceInfo(id=2, name="edge-2")
    eng = engine(rule(), devices=(DEV, other),
                 overrides={(1, 1): Override(threshold=98.0), (1, 2): Override(enabled=False)})
    feed(eng, "system.cpu.load_pct", 95, 0, device_id=1)
    feed(eng, "system.cpu.load_pct", 95, 0, device_id=2)
    assert eng.drain() == []
    feed(eng, "system.cpu.load_pct", 99, 5, device_id=1)
    assert [t.threshold for t in eng.drain()] == [98.0, 98.0]


@pytest.mark.parametrize(("scope", "fires"), [
    ({}, True), ({"site_id": 10}, True), ({"site_id": 11}, False), ({"tag_id": 20}, True),
    ({"tag_id": 21}, False), ({"device_id": 1}, True), ({"device_id": 2}, False),
])
def test_scopes(scope, fires):
    eng = engine(rule(**scope))
    feed(eng, "system.cpu.load_pct", 95, 0)
    assert bool(eng.drain()) is fires


def test_rate_of_change():
    eng = engine(rule(kind="rate", metric="routes.count", threshold=10))
    feed(eng, "routes.count", 1000, 0)
    feed(eng, "routes.count", 1100, 60)   # 1.7/s
    assert eng.drain() == []
    feed(eng, "routes.count", 2000, 120)  # 15/s
    out = eng.drain()
    assert [t.state.value for t in out] == ["pending", "firing"]
    assert out[0].value == pytest.approx(15.0)
    feed(eng, "routes.count", 2000, 180)
    assert states(eng) == [("resolved", "firing")]


def test_utilisation_as_percent_of_link_speed():
    eng = engine(rule(kind="utilisation", metric="", threshold=80,
                      params={"speed_bps": 100e6}))
    feed(eng, "iface.rx_bps", 85e6, 0, interface="ether1")
    feed(eng, "iface.tx_bps", 10e6, 0, interface="ether1")
    out = eng.drain()
    assert [(t.subject, t.state.value) for t in out] == [("ether1 rx", "pending"),
                                                          ("ether1 rx", "firing")]
    assert out[1].value == pytest.approx(85.0)


def test_utilisation_uses_the_link_speed_the_router_reports():
    # the rule's speed_bps (1 Gbit/s) is only the fallback: ether1 negotiated 100 Mbit/s
    eng = engine(rule(kind="utilisation", metric="", threshold=80,
                      params={"speed_bps": 1e9}))
    feed(eng, "iface.link_speed_bps", 100e6, 0, interface="ether1")
    feed(eng, "iface.rx_bps", 85e6, 1, interface="ether1")
    feed(eng, "iface.rx_bps", 85e6, 1, interface="ether2")  # no link speed: 8.5 % of 1G
    out = eng.drain()
    assert [(t.subject, t.state.value) for t in out] == [("ether1 rx", "pending"),
                                                          ("ether1 rx", "firing")]
    assert out[1].value == pytest.approx(85.0)
    # the link renegotiated to 1 Gbit/s: 85 Mbit/s is 8.5 %, the alert resolves
    feed(eng, "iface.link_speed_bps", 1e9, 300, interface="ether1")
    feed(eng, "iface.rx_bps", 85e6, 301, interface="ether1")
    assert [(t.subject, t.state.value) for t in eng.drain()] == [("ether1 rx", "resolved")]


def test_utilisation_without_any_speed_evaluates_nothing():
    eng = engine(rule(kind="utilisation", metric="iface.tx_bps", threshold=50))
    feed(eng, "iface.tx_bps", 999e6, 0, interface="ether1")  # no speed known: nothing
    feed(eng, "iface.link_speed_bps", 0, 1, interface="ether1")  # no speed either
    feed(eng, "iface.link_speed_bps", float("nan"), 1, interface="ether1")
    feed(eng, "iface.tx_bps", 999e6, 2, interface="ether1")
    assert eng.drain() == []
    feed(eng, "iface.link_speed_bps", 1e9, 3, interface="ether1")
    feed(eng, "iface.tx_bps", 600e6, 4, interface="ether1")
    feed(eng, "iface.tx_bps", 600e6, 4, interface="ether2")  # another port: still nothing
    out = eng.drain()
    assert [(t.subject, t.state.value) for t in out] == [("ether1 tx", "pending"),
                                                          ("ether1 tx", "firing")]
    assert out[1].value == pytest.approx(60.0)
    # one device's link speed is not another's
    feed(eng, "iface.tx_bps", 600e6, 5, device_id=2, interface="ether1")
    assert eng.drain() == []


# -- state kinds -------------------------------------------------------------------------

def test_link_down_only_for_an_interface_that_was_running():
    eng = engine(rule(kind="link_down", metric="", threshold=None))
    feed(eng, "iface.running", 0, 0, interface="ether5")  # never up: nothing
    feed(eng, "iface.running", 1, 0, interface="ether1")
    assert eng.drain() == []
    feed(eng, "iface.running", 0, 60, interface="ether1")
    out = eng.drain()
    assert [(t.subject, t.state.value) for t in out] == [("ether1", "pending"),
                                                          ("ether1", "firing")]
    assert "link down" in out[1].message
    feed(eng, "iface.running", 1, 120, interface="ether1")
    assert states(eng) == [("resolved", "firing")]


def test_disabling_a_down_interface_resolves_its_alert():
    eng = engine(rule(kind="link_down", threshold=None))
    feed(eng, "iface.running", 1, 0, interface="ether1")
    feed(eng, "iface.running", 0, 60, interface="ether1")
    eng.drain()
    feed(eng, "iface.disabled", 1, 120, interface="ether1")
    assert states(eng) == [("resolved", "firing")]
    feed(eng, "iface.running", 0, 180, interface="ether1")  # no longer "was running"
    assert eng.drain() == []


def test_bgp_session_no_longer_established():
    eng = engine(rule(kind="bgp_down", threshold=None, severity="high"))
    feed(eng, "bgp.established", 1, 0, peer="upstream")
    feed(eng, "bgp.established", 0, 60, peer="upstream")
    out = eng.drain()
    assert out[-1].state is AlertState.FIRING
    assert out[-1].subject == "upstream"
    assert out[-1].severity is Severity.HIGH


def test_ospf_neighbour_that_left_full_or_vanished():
    eng = engine(rule(kind="ospf_down", threshold=None))
    eng.observe_samples(1, [
        Sample("ospf.neighbors", 2, at(0)),
        Sample("ospf.neighbor_full", 1, at(0), make_labels(neighbor="10.0.0.2")),
        Sample("ospf.neighbor_full", 1, at(0), make_labels(neighbor="10.0.0.3")),
    ])
    eng.observe_samples(1, [
        Sample("ospf.neighbors", 1, at(60)),
        Sample("ospf.neighbor_full", 0, at(60), make_labels(neighbor="10.0.0.2")),
    ])
    out = eng.drain()
    assert sorted((t.subject, t.state.value) for t in out) == [
        ("10.0.0.2", "firing"), ("10.0.0.2", "pending"),
        ("10.0.0.3", "firing"), ("10.0.0.3", "pending")]
    # A batch without the neighbour count says nothing about missing neighbours.
    eng.observe_samples(1, [Sample("ospf.neighbor_full", 1, at(120),
                                   make_labels(neighbor="10.0.0.2"))])
    assert [(t.subject, t.state.value) for t in eng.drain()] == [("10.0.0.2", "resolved")]


def test_health_sensor_failing_state():
    eng = engine(rule(kind="health_fail", threshold=None))
    eng.observe_health(1, [{"name": "psu1-state", "state": "ok"},
                           {"name": "psu2-state", "state": "fail"}], at(0))  # never ok
    eng.observe_samples(1, [Sample("system.health.fan1-speed", 0, at(0))])
    assert eng.drain() == []
    eng.observe_health(1, [{"name": "psu1-state", "state": "no-power"},
                           {"name": "psu2-state", "state": "fail"}], at(5))
    out = eng.drain()
    assert [(t.subject, t.state.value) for t in out] == [("psu1-state", "pending"),
                                                          ("psu1-state", "firing")]
    assert "no-power" in out[-1].message
    eng.observe_health(1, [{"name": "psu1-state", "state": "ok"}, {"name": None}], at(9))
    assert [(t.subject, t.state.value) for t in eng.drain()] == [("psu1-state", "resolved")]


def test_device_down_fires_after_its_duration_from_tick_and_resolves_when_up():
    eng = engine(rule(kind="device_state", threshold=None, for_seconds=180,
                      params={"states": ["down"]}, severity="critical"))
    eng.observe_status(DeviceStatus(device_id=1, state=DeviceState.DOWN, ts=at(0),
                                    last_error="no route"))
    assert states(eng) == [("pending", None)]
    eng.tick(at(179))
    assert eng.drain() == []
    eng.tick(at(180))
    [firing] = eng.drain()
    assert firing.state is AlertState.FIRING
    assert firing.severity is Severity.CRITICAL
    eng.observe_status(DeviceStatus(device_id=1, state=DeviceState.UP, ts=at(200)))
    assert states(eng) == [("resolved", "firing")]


def test_device_states_added_later_match_by_value():
    eng = engine(rule(kind="device_state", threshold=None, params={"states": ["slow"]}))

    class Slow(str):
        pass

    status = DeviceStatus(device_id=1, state=Slow("slow"), ts=at(0))  # type: ignore[arg-type]
    eng.observe_status(status)
    assert states(eng) == [("pending", None), ("firing", "pending")]


def test_disabled_device_closes_its_alerts():
    eng = engine(rule())
    feed(eng, "system.cpu.load_pct", 99, 0)
    eng.drain()
    eng.observe_status(DeviceStatus(device_id=1, state=DeviceState.DISABLED, ts=at(5)))
    assert states(eng) == [("resolved", "firing")]


def test_reboot_and_fact_changes_fire_at_once_and_resolve_after_the_hold_time():
    eng = engine(rule(1, kind="reboot", threshold=None, params={"hold_seconds": 600}),
                 rule(2, kind="fact_changed", threshold=None))
    eng.observe_events([Event(device_id=1, ts=at(0), kind=EventKind.REBOOT,
                              message="router rebooted (uptime 00:00:10)")])
    eng.observe_events([Event(device_id=1, ts=at(0), kind=EventKind.VERSION_CHANGED,
                              message="RouterOS version changed from 7.15 to 7.16")])
    eng.observe_status(DeviceStatus(device_id=1, state=DeviceState.UP, ts=at(0),
                                    identity="a"))
    eng.observe_status(DeviceStatus(device_id=1, state=DeviceState.UP, ts=at(5),
                                    identity="b"))
    out = eng.drain()
    assert [(t.rule_id, t.subject, t.state.value) for t in out if t.state.value == "firing"] \
        == [(1, "", "firing"), (2, "version", "firing"), (2, "identity", "firing")]
    eng.tick(at(599))
    assert eng.drain() == []
    eng.tick(at(606))
    assert {(t.rule_id, t.state.value) for t in eng.drain()} == {(1, "resolved"),
                                                                 (2, "resolved")}


def test_no_data_for_n_intervals():
    eng = engine(rule(kind="no_data", metric="system.cpu.load_pct", threshold=None,
                      params={"intervals": 3}))
    feed(eng, "system.cpu.load_pct", 10, 0)
    eng.tick(at(15))   # 3 x 5 s: not more than that yet
    assert eng.drain() == []
    eng.tick(at(16))
    assert states(eng) == [("pending", None), ("firing", "pending")]
    feed(eng, "system.cpu.load_pct", 10, 20)
    eng.tick(at(21))
    assert states(eng) == [("resolved", "firing")]


# -- flapping, restart, rule changes ---------------------------------------------------

def test_an_alert_firing_and_resolving_too_often_is_marked_flapping():
    eng = engine(rule(params={"flap_count": 2, "flap_window_seconds": 600}))
    flags = []
    for i in range(4):
        feed(eng, "system.cpu.load_pct", 99, i * 20)
        feed(eng, "system.cpu.load_pct", 50, i * 20 + 10)
        flags.append([t.flapping for t in eng.drain() if t.state is AlertState.FIRING])
    assert flags == [[False], [False], [True], [True]]
    # After the window, it calms down.
    feed(eng, "system.cpu.load_pct", 99, 2000)
    assert [t.flapping for t in eng.drain() if t.state is AlertState.FIRING] == [False]


def test_restored_alerts_neither_fire_again_nor_get_forgotten():
    r = rule(kind="device_state", threshold=None, for_seconds=180, params={"states": ["down"]})
    cpu_rule = rule(2, for_seconds=0, recovery=87)
    eng = AlertEngine()
    eng.set_rules(RuleSet((r, cpu_rule), {}, {1: DEV}), T0)
    eng.restore(Restored(open=(
        OpenAlert(rule_id=1, device_id=1, subject="", state=AlertState.PENDING, since=at(0)),
        OpenAlert(rule_id=2, device_id=1, subject="", state=AlertState.FIRING, since=at(0),
                  fired_at=at(0), value=99.0, threshold=90.0),
    )))
    # The pending timer goes on from its stored start.
    eng.observe_status(DeviceStatus(device_id=1, state=DeviceState.DOWN, ts=at(100)))
    feed(eng, "system.cpu.load_pct", 95, 100)  # still firing: no new transition
    assert eng.drain() == []
    eng.tick(at(180))
    assert [(t.rule_id, t.state.value, t.since) for t in eng.drain()] == [
        (1, "firing", at(0))]
    feed(eng, "system.cpu.load_pct", 50, 200)
    assert [(t.rule_id, t.state.value) for t in eng.drain()] == [(2, "resolved")]


def test_removing_a_rule_resolves_its_alerts_and_a_new_rule_set_applies_at_once():
    eng = engine(rule())
    feed(eng, "system.cpu.load_pct", 99, 0)
    eng.drain()
    eng.set_rules(RuleSet((), {}, {1: DEV}), at(10))
    assert states(eng) == [("resolved", "firing")]
    eng.set_rules(RuleSet((rule(threshold=50),), {}, {1: DEV}), at(20))
    feed(eng, "system.cpu.load_pct", 60, 30)
    assert states(eng) == [("pending", None), ("firing", "pending")]


def test_odd_values_never_break_evaluation():
    eng = engine(rule())
    eng.observe_samples(1, [Sample("system.cpu.load_pct", float("nan"), at(0)),
                            Sample("no.such.metric", 1.0, at(0)),
                            Sample("system.cpu.load_pct", float("inf"), at(0))])
    assert [t.state.value for t in eng.drain()] == ["pending", "firing"]
    eng.observe_samples(99, [cpu(99, 0)])  # an unknown device: every-device rules apply
    assert [t.device_id for t in eng.drain()] == [99, 99]


def test_default_rules_are_valid_and_fire_on_a_hot_router():
    rules = tuple(rule_from_mapping({**r, "id": i}) for i, r in enumerate(default_rules(), 1))
    assert len({r.name for r in rules}) == len(rules)
    eng = engine(*rules)
    for t in range(0, 301, 5):
        eng.observe_samples(1, [Sample("system.cpu.load_pct", 95, at(t)),
                                Sample("system.health.temperature", 62, at(t)),
                                Sample("system.health.cpu-temperature", 60, at(t))])
    fired = {t.rule_name: t.severity for t in eng.drain() if t.state is AlertState.FIRING}
    assert fired == {"CPU load high": Severity.WARNING,
                     "Temperature above 50 °C": Severity.WARNING,
                     "Temperature above 60 °C": Severity.HIGH}


@pytest.mark.parametrize(("fields", "words"), [
    ({"kind": "nope"}, "unknown kind"),
    ({"severity": "urgent"}, "unknown severity"),
    ({"comparison": ">="}, "comparison"),
    ({"metric": ""}, "needs a metric"),
    ({"threshold": None}, "needs a threshold"),
    ({"threshold": "high"}, "must be a number"),
    ({"recovery": 95}, "recovery 95 must be at or below"),
    ({"for_seconds": -1}, "for_seconds must be at least 0"),
    ({"kind": "device_state", "params": {"states": ["sleepy"]}}, "unknown device state"),
    ({"params": {"facts": ["colour"]}}, "unknown fact"),
    ({"name": ""}, "name is empty"),
    ({"params": {"flap_count": 0}}, "flap_count must be at least 1"),
])
def test_bad_rules_are_refused_with_the_field_named(fields, words):
    with pytest.raises(ConfigError, match=words):
        rule(**fields)


# -- raw counters handed as a block ---------------------------------------------------

def counters(rx: list[int], t: float) -> CounterBlock:
    """A reply's raw counters as the collector hands them: one row per interface."""
    names = [f"ether{i + 1}" for i in range(len(rx))]
    values = [v for pair in zip(rx, [0] * len(rx), strict=True) for v in pair]
    return CounterBlock(("iface.rx_bytes", "iface.tx_bytes"),
                        [make_labels(interface=n) for n in names], [f"*{i}" for i in names],
                        values, at(t), t, 64)


def test_a_rule_on_a_raw_counter_reads_it_from_the_block_it_came_in():
    eng = engine(rule(metric="iface.rx_bytes", threshold=1000))
    eng.observe_samples(1, [cpu(10, 0), counters([5, 5000], 0)])
    got = eng.drain()
    assert [(t.state.value, t.subject) for t in got] == [("pending", "ether2"),
                                                          ("firing", "ether2")]
    assert eng.samples_seen == 5


def test_a_block_no_rule_reads_is_not_made_into_samples(monkeypatch):
    def made(self):
        raise AssertionError("the block's samples were made")

    eng = engine(rule())
    monkeypatch.setattr(CounterBlock, "samples", made)
    eng.observe_samples(1, [cpu(95, 0), counters([5, 5000], 0)])
    assert states(eng) == [("pending", None), ("firing", "pending")]


def test_no_data_of_a_raw_counter_is_kept_fresh_by_its_block():
    eng = engine(rule(kind="no_data", metric="iface.tx_bytes", threshold=None,
                      params={"intervals": 3}))
    eng.observe_samples(1, [counters([1], 0)])
    eng.tick(at(14))
    eng.observe_samples(1, [cpu(10, 14), counters([2], 14)])
    eng.tick(at(28))
    assert eng.drain() == []
    eng.tick(at(30))
    assert states(eng) == [("pending", None), ("firing", "pending")]


def test_a_rule_on_a_rate_reads_its_column_of_a_block_of_rates(monkeypatch):
    """Of a block of rates only the columns a rule reads are made into samples."""
    made = []
    real = SampleBlock.samples

    def samples(self, only=None):
        made.append(only)
        return real(self, only)

    monkeypatch.setattr(SampleBlock, "samples", samples)
    eng = engine(rule(metric="iface.rx_errors_ps", threshold=2))
    rates = SampleBlock(("iface.rx_bps", "iface.rx_errors_ps"),
                        [make_labels(interface="ether1"), make_labels(interface="ether2")],
                        [1e9, 0.0, 5.0, 9.0], at(0))
    eng.observe_samples(1, [rates])
    assert [(t.state.value, t.subject) for t in eng.drain()] == [("pending", "ether2"),
                                                                 ("firing", "ether2")]
    assert made == [{"iface.rx_errors_ps"}]
