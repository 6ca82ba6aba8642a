"""Alerting end to end: an emulated router, the collector service over the Django
storage and alert store, alerts in the database. Runs on SQLite and, with the
db_backend marker, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mikromon.domain.clock import ManualClock
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.schedule import CollectorDeps, CollectorService, trigger
from waiting import until

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

#: Realtime polls every 0.5 s; alert durations are not scaled (wall-clock seconds),
#: except in the tests that drive a manual clock (time scale 1, alert windows on it).
SCALE = 0.1
REALTIME_S = 5 * SCALE
#: The realtime interval at time scale 1 (the tests on a manual clock), seconds.
REALTIME_1_S = DEFAULT_INTERVALS[Tier.REALTIME]

def make_device(router: EmulatorHandle):
    from mikromon.web.monitor.models import Device

    dev = Device(name="edge-1", host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    return dev


def start(services: list[CollectorService], clock: ManualClock | None = None) -> CollectorService:
    """Start a service over the database; with ``clock`` (time scale 1) its tiers
    and the alert windows move only as the test advances that manual clock."""
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    manual = {} if clock is None else {"deps": CollectorDeps(clock=clock), "config_poll_s": 0.05}
    svc = CollectorService(DjangoDeviceSource(), DjangoStorage(), DjangoCollectorLock(ttl=3.0),
                           time_scale=SCALE if clock is None else 1.0, lock_retry_s=0.1,
                           alerts=DjangoAlertStore(), **manual)  # type: ignore[arg-type]
    services.append(svc)
    svc.start()
    return svc


def cpu_rule(device, **fields):
    from mikromon.web.alerts.models import AlertRule

    values = dict(name="CPU hot (test)", kind="threshold", severity="high",
                  metric="system.cpu.load_pct", comparison=">", threshold=80.0,
                  recovery=50.0, for_seconds=1, device=device)
    values.update(fields)
    return AlertRule.objects.create(**values)


def alert_states(rule) -> list[str]:
    from mikromon.web.alerts.models import AlertEvent

    return list(AlertEvent.objects.filter(rule=rule).order_by("id")
                .values_list("state", flat=True))


def test_cpu_pushed_up_goes_pending_then_firing_then_resolves(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    """On a manual clock: one realtime poll at 95 % opens the alert (pending), the
    next one, 5 s later and past the rule's 1 s, fires it; one at 10 % resolves it."""
    from mikromon.web.alerts.models import Alert

    dev = make_device(router)
    rule = cpu_rule(dev)
    clock = ManualClock()
    svc = start(services, clock)
    router.set_cpu_load(95)
    assert clock.wait_sleeping(1, 20)  # realtime waits for its first run
    clock.advance(trigger.START_SPREAD_S)
    assert until(lambda: Alert.objects.filter(rule=rule, state="pending").exists(), 20)
    assert clock.wait_sleeping(len(Tier), 20)
    clock.advance(REALTIME_1_S)
    assert until(lambda: Alert.objects.filter(rule=rule, state="firing").exists(), 20)
    alert = Alert.objects.get(rule=rule)
    assert alert.fired_at - alert.started_at == timedelta(seconds=REALTIME_1_S)
    assert alert.value >= 95
    assert alert.threshold == 80
    assert "edge-1" in alert.message
    assert "95 %" in alert.message
    router.set_cpu_load(10)
    assert clock.wait_sleeping(len(Tier), 20)
    clock.advance(REALTIME_1_S)
    assert until(lambda: Alert.objects.filter(rule=rule, state="resolved").exists(), 20)
    assert alert_states(rule) == ["pending", "firing", "resolved"]
    stats = svc.status()["alerting"]
    assert stats["save_errors"] == 0
    assert stats["eval_errors"] == 0
    # No default rule fired on a healthy emulated router.
    assert set(Alert.objects.values_list("rule_id", flat=True)) == {rule.pk}


def test_a_router_that_stops_answering_fires_within_its_window_plus_a_poll(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    from mikromon.web.alerts.models import Alert, AlertRule
    from mikromon.web.monitor.models import Device

    dev = make_device(router)
    rule = AlertRule.objects.create(name="Unreachable (test)", kind="device_state",
                                    severity="critical", for_seconds=1,
                                    params={"states": ["down"]}, device=dev)
    start(services)
    assert until(lambda: Device.objects.filter(pk=dev.pk, state="up").exists(), 10)
    router.set_fault(blackhole=True)
    assert until(lambda: Alert.objects.filter(rule=rule, state="firing").exists(), 15)
    alert = Alert.objects.get(rule=rule)
    held = alert.fired_at - alert.started_at
    # Fired when the rule's window had passed, by the next tick (twice a second)
    # and well within one more poll.
    assert timedelta(seconds=1) <= held <= timedelta(seconds=1 + REALTIME_S + 1.5)
    assert alert.severity == "critical"


def test_a_restart_neither_notifies_again_nor_forgets(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    from mikromon.web.alerts.models import Alert, AlertEvent

    dev = make_device(router)
    rule = cpu_rule(dev)
    clock = ManualClock()
    first = start(services, clock)
    router.set_cpu_load(95)
    assert clock.wait_sleeping(1, 20)
    clock.advance(trigger.START_SPREAD_S)  # pending
    assert clock.wait_sleeping(len(Tier), 20)
    clock.advance(REALTIME_1_S)  # firing
    assert until(lambda: Alert.objects.filter(rule=rule, state="firing").exists(), 20)
    assert first.stop(10)
    services.remove(first)
    second = start(services, clock)
    # The restarted engine took the firing alert back and keeps evaluating it.
    assert until(lambda: (second.status()["alerting"] or {}).get("firing") == 1, 20)
    assert clock.wait_sleeping(1, 20)
    n = second.status()["alerting"]["samples_seen"]
    clock.advance(trigger.START_SPREAD_S)
    assert until(lambda: second.status()["alerting"]["samples_seen"] > n, 20)
    assert alert_states(rule) == ["pending", "firing"]
    router.set_cpu_load(10)
    assert clock.wait_sleeping(len(Tier), 20)
    clock.advance(REALTIME_1_S)
    assert until(lambda: Alert.objects.filter(rule=rule, state="resolved").exists(), 20)
    assert alert_states(rule) == ["pending", "firing", "resolved"]
    assert AlertEvent.objects.filter(rule=rule, state="firing").count() == 1


def test_a_rule_saved_while_running_applies_within_seconds(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    from mikromon.web.alerts.models import Alert

    dev = make_device(router)
    router.set_cpu_load(60)
    svc = start(services)
    assert until(lambda: (svc.status()["alerting"] or {}).get("samples_seen", 0) > 10, 10)
    rule = cpu_rule(dev, threshold=55.0, recovery=None, for_seconds=0)
    assert until(lambda: Alert.objects.filter(rule=rule, state="firing").exists(), 5)
    rule.threshold = 70.0
    rule.save()
    assert until(lambda: Alert.objects.filter(rule=rule, state="resolved").exists(), 5)


def test_utilisation_divides_by_the_link_rate_the_router_negotiated(
    services: list[CollectorService]
) -> None:
    """ether1 negotiated 10 Mbit/s and receives 2 Mbit/s: 20 % of its link. The rule
    has no speed of its own, so only the link rate read from the router fires it."""
    from mikromon.emulator.profiles import PROFILES
    from mikromon.web.alerts.models import Alert, AlertRule

    profile = PROFILES["v7"].replace(link_rates={"ether1": "10Mbps"})
    with running_emulators(count=1, profile=profile) as (router,):
        dev = make_device(router)
        rule = AlertRule.objects.create(name="Link busy (test)", kind="utilisation",
                                        severity="warning", metric="", comparison=">",
                                        threshold=15.0, recovery=10.0, for_seconds=1,
                                        device=dev)
        svc = start(services)
        assert until(lambda: Alert.objects.filter(rule=rule, state="firing").exists(), 15)
        svc.stop(10)  # before the router goes away
        alert = Alert.objects.get(rule=rule)
        assert alert.subject == "ether1 rx"
        assert alert.value == pytest.approx(100 * profile.rx_bps / 10e6, rel=0.05)
        # every other port runs at 1 Gbit/s; VLANs and bridges have no link rate
        assert list(Alert.objects.filter(rule=rule).values_list("subject", flat=True)) == [
            "ether1 rx"]
