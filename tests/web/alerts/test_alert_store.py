"""DjangoAlertStore: rules in, transitions stored idempotently, open alerts back after
a restart. Runs on SQLite and, with the db_backend marker, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.alerts import AlertState, AlertTransition, Severity

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def device(db):
    from mikromon.web.monitor.models import Device, Site, Tag

    site = Site.objects.create(name="tower-1")
    tag = Tag.objects.create(name="core")
    dev = Device(name="edge-1", host="127.0.0.1", username="monitor", site=site)
    dev.set_password("s3cret-pass")
    dev.save()
    dev.tags.add(tag)
    return dev


@pytest.fixture
def cpu_rule(db):
    from mikromon.web.alerts.models import AlertRule

    return AlertRule.objects.get(name="CPU load high")


def tr(rule, device, state, previous, seconds, **kw) -> AlertTransition:
    fields = dict(alert_id=None, rule_id=rule.pk, rule_name=rule.name, device_id=device.pk,
                  subject="", state=state, previous=previous, severity=Severity.WARNING,
                  ts=T0 + timedelta(seconds=seconds), value=95.0, threshold=90.0,
                  message=f"cpu {state}", since=T0, flapping=False)
    fields.update(kw)
    return AlertTransition(**fields)


def test_default_rules_exist_after_migrate_and_load_with_device_scopes(device, cpu_rule):
    from mikromon.web.alerts.models import AlertRule, RuleOverride
    from mikromon.web.alerts.store import DjangoAlertStore

    assert AlertRule.objects.filter(is_default=True).count() == 16
    assert cpu_rule.threshold == 90
    assert cpu_rule.recovery == 87
    assert cpu_rule.for_seconds == 300
    RuleOverride.objects.create(rule=cpu_rule, device=device, threshold=97.0)
    rules = DjangoAlertStore().load_rules()
    assert {r.name for r in rules.rules} >= {"Device unreachable", "BGP session down"}
    info = rules.devices[device.pk]
    assert info.name == "edge-1"
    assert info.site_id == device.site_id
    assert info.tag_ids == {device.tags.get().pk}
    assert rules.overrides[(cpu_rule.pk, device.pk)].threshold == 97.0


def test_transitions_are_stored_once_and_pending_that_never_fired_leaves_no_history(
    device, cpu_rule
):
    from mikromon.web.alerts.models import Alert, AlertEvent
    from mikromon.web.alerts.store import DjangoAlertStore

    store = DjangoAlertStore()
    P, F, R = AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED
    assert store.save_transitions([tr(cpu_rule, device, P, None, 0)]) == 1
    assert store.save_transitions([tr(cpu_rule, device, R, P, 10)]) == 1
    assert not Alert.objects.exists()
    assert not AlertEvent.objects.exists()

    changed = store.save_transitions([tr(cpu_rule, device, P, None, 20),
                                      tr(cpu_rule, device, F, P, 320)])
    assert changed == 2
    # A replayed firing transition (a restart) records nothing.
    assert store.save_transitions([tr(cpu_rule, device, F, P, 320)]) == 0
    alert = Alert.objects.get()
    assert alert.state == "firing"
    assert alert.fired_at == T0 + timedelta(seconds=320)
    assert list(AlertEvent.objects.values_list("state", flat=True)) == ["pending", "firing"]

    store.save_transitions([tr(cpu_rule, device, R, F, 400, value=50.0)])
    assert store.save_transitions([tr(cpu_rule, device, R, F, 400)]) == 0
    alert.refresh_from_db()
    assert alert.state == "resolved"
    assert alert.resolved_at == T0 + timedelta(seconds=400)
    assert list(AlertEvent.objects.values_list("state", flat=True)) == [
        "pending", "firing", "resolved"]
    # A new firing opens a new alert.
    store.save_transitions([tr(cpu_rule, device, F, P, 500)])
    assert Alert.objects.filter(state="firing").count() == 1
    assert Alert.objects.count() == 2


def test_transitions_of_deleted_devices_or_rules_are_skipped(device, cpu_rule):
    from mikromon.web.alerts.models import Alert, AlertRule
    from mikromon.web.alerts.store import DjangoAlertStore

    other = AlertRule.objects.get(name="Memory use high")
    gone_rule = tr(other, device, AlertState.FIRING, AlertState.PENDING, 0)
    other.delete()
    good = tr(cpu_rule, device, AlertState.FIRING, AlertState.PENDING, 0)
    gone_device = tr(cpu_rule, device, AlertState.FIRING, AlertState.PENDING, 0,
                     device_id=device.pk + 1000)
    assert DjangoAlertStore().save_transitions([gone_rule, good, gone_device]) == 1
    assert Alert.objects.get().rule == cpu_rule


def test_open_alerts_and_recent_firings_come_back(device, cpu_rule):
    from mikromon.web.alerts.store import DjangoAlertStore

    store = DjangoAlertStore()
    now = datetime.now(UTC)
    store.save_transitions([
        tr(cpu_rule, device, AlertState.FIRING, AlertState.PENDING, 0, ts=now, since=now,
           subject="x"),
        tr(cpu_rule, device, AlertState.PENDING, None, 0, ts=now, since=now, subject="y"),
    ])
    restored = store.load_open()
    assert sorted((a.subject, a.state.value) for a in restored.open) == [
        ("x", "firing"), ("y", "pending")]
    assert [(f[0], f[1], f[2]) for f in restored.firings] == [(cpu_rule.pk, device.pk, "x")]


def test_saving_a_rule_bumps_the_configuration_version(cpu_rule):
    from mikromon.web.monitor.models import ConfigVersion

    before = ConfigVersion.current()
    cpu_rule.threshold = 95
    cpu_rule.save()
    assert ConfigVersion.current() != before


def test_model_validation_names_the_wrong_field(cpu_rule):
    from django.core.exceptions import ValidationError

    cpu_rule.recovery = 99
    with pytest.raises(ValidationError, match="recovery 99 must be at or below"):
        cpu_rule.full_clean()


def test_silenced_matches_device_site_tag_and_rule(device, cpu_rule):
    from mikromon.web.alerts.models import Silence
    from mikromon.web.alerts.silences import silenced
    from mikromon.web.monitor.models import Site

    now = datetime.now(UTC)
    window = dict(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=5))
    assert silenced(device.pk, cpu_rule.pk, now) is None
    Silence.objects.create(site=Site.objects.create(name="elsewhere"), **window)
    assert silenced(device.pk, cpu_rule.pk, now) is None
    s = Silence.objects.create(tag=device.tags.get(), rule=cpu_rule, **window)
    assert silenced(device.pk, cpu_rule.pk, now) == s
    assert silenced(device.pk, cpu_rule.pk + 1, now) is None
    assert silenced(device.pk, cpu_rule.pk, now + timedelta(minutes=6)) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        silenced(device.pk, cpu_rule.pk, now.replace(tzinfo=None))


def test_retention_deletes_old_resolved_alerts_and_keeps_open_ones(device, cpu_rule, settings):
    from mikromon.web.alerts.models import Alert, AlertEvent
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.monitor import maintenance

    settings.MIKROMON_RETENTION_DAYS = {**settings.MIKROMON_RETENTION_DAYS, "alerts": 30}
    store = DjangoAlertStore()
    F, R, P = AlertState.FIRING, AlertState.RESOLVED, AlertState.PENDING
    store.save_transitions([tr(cpu_rule, device, F, P, 0, subject="old"),
                            tr(cpu_rule, device, R, F, 10, subject="old"),
                            tr(cpu_rule, device, F, P, 0, subject="open"),
                            tr(cpu_rule, device, F, P, 40 * 86400, subject="recent"),
                            tr(cpu_rule, device, R, F, 40 * 86400 + 5, subject="recent")])
    counts = maintenance.apply_retention((T0 + timedelta(days=45)).timestamp())
    assert counts["alert_history"] == 2
    assert sorted(Alert.objects.values_list("subject", flat=True)) == ["open", "recent"]
    assert AlertEvent.objects.count() == 3


def test_model_choices_mirror_the_domain_values():
    from mikromon.domain.alerts import RULE_KINDS, AlertState, Severity
    from mikromon.web.alerts import models

    assert list(models.SeverityChoices.values) == [s.value for s in Severity]
    assert list(models.AlertStateChoices.values) == [s.value for s in AlertState]
    assert list(models.RuleKindChoices.values) == list(RULE_KINDS)
    assert list(models.EventStateChoices.values) == [*(s.value for s in AlertState),
                                                     "acknowledged"]
    assert [s.rank for s in Severity] == [0, 1, 2, 3]
