"""DjangoAlertStore: the :class:`mikromon.storage.protocols.AlertStore` implementation.

Rules, overrides and device scopes are read in three queries; transitions are
written one transaction per call. Storage is idempotent per alert (rule,
device, subject): the partial unique constraint ``alerts_alert_one_open`` keeps
one open alert, a ``firing`` transition for an alert already firing records
nothing, a ``resolved`` one for an alert not open records nothing, so a
restarted collector that replays a transition neither records nor notifies it
twice. A pending alert that never fired is deleted when its condition goes
(its ``pending`` history row goes with it): only what fired stays in the history.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from types import MappingProxyType

from django.db import IntegrityError, transaction
from django.utils import timezone

from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import (
    DEFAULT_FLAP_WINDOW_S,
    DeviceInfo,
    OpenAlert,
    Override,
    Restored,
    Rule,
    RuleSet,
)
from mikromon.domain.alerts import AlertState, AlertTransition
from mikromon.domain.errors import ConfigError
from mikromon.domain.tiers import Tier
from mikromon.web.alerts.models import OPEN_STATES, Alert, AlertEvent, AlertRule, RuleOverride
from mikromon.web.monitor.dbutil import close_connection, usable_connection
from mikromon.web.monitor.models import INTERVAL_FIELDS, Device

log = logging.getLogger(__name__)

__all__ = ["DjangoAlertStore", "load_ruleset"]


def load_ruleset(using: str = "default") -> RuleSet:
    """Return the enabled rules, their overrides and every device's scope facts.

    A stored rule that does not pass :func:`rule_from_mapping` (edited by hand in
    the database) is left out and logged; the others load.
    """
    rules: list[Rule] = []
    for row in AlertRule.objects.using(using).filter(enabled=True).order_by("pk"):
        try:
            rules.append(rule_from_mapping(row.as_mapping()))
        except ConfigError as err:
            log.error("alert rule %s not loaded: %s", row.pk, err)
    overrides = {
        (o.rule_id, o.device_id): Override(o.threshold, o.recovery, o.enabled)
        for o in RuleOverride.objects.using(using).all()
    }
    tags: dict[int, set[int]] = {}
    through = Device.tags.through.objects.using(using).values_list("device_id", "tag_id")
    for device_id, tag_id in through:
        tags.setdefault(device_id, set()).add(tag_id)
    fields = ["pk", "name", "site_id", "enabled", *INTERVAL_FIELDS.values()]
    devices = {}
    for d in Device.objects.using(using).values(*fields):
        devices[d["pk"]] = DeviceInfo(
            id=d["pk"], name=d["name"], site_id=d["site_id"],
            tag_ids=frozenset(tags.get(d["pk"], ())),
            intervals=MappingProxyType({tier: float(d[f]) for tier, f in INTERVAL_FIELDS.items()
                                        if isinstance(tier, Tier)}),
            enabled=d["enabled"],
        )
    return RuleSet(tuple(rules), overrides, devices)


class DjangoAlertStore:
    """Stores alerts with the Django ORM (from one thread; see the module docstring).

    Args:
        using: database alias.
    """

    def __init__(self, *, using: str = "default") -> None:
        self._using = using

    def load_rules(self) -> RuleSet:
        """Return the rules in force (:func:`load_ruleset`)."""
        usable_connection(self._using)
        return load_ruleset(self._using)

    def load_open(self) -> Restored:
        """Return the pending and firing alerts and the firings of the last flapping
        window (the longest any rule uses)."""
        usable_connection(self._using)
        rows = Alert.objects.using(self._using).filter(state__in=OPEN_STATES)
        opened = tuple(
            OpenAlert(rule_id=a.rule_id, device_id=a.device_id, subject=a.subject,
                      state=AlertState(a.state), since=a.started_at, fired_at=a.fired_at,
                      value=a.value, threshold=a.threshold, flapping=a.flapping)
            for a in rows
        )
        windows = [DEFAULT_FLAP_WINDOW_S]
        for params in AlertRule.objects.using(self._using).values_list("params", flat=True):
            value = (params or {}).get("flap_window_seconds") if isinstance(params, dict) else None
            if isinstance(value, int | float) and value > 0:
                windows.append(float(value))
        since = timezone.now() - timedelta(seconds=max(windows))
        firings = tuple(
            AlertEvent.objects.using(self._using)
            .filter(state=AlertState.FIRING.value, ts__gte=since)
            .order_by("id")
            .values_list("rule_id", "device_id", "subject", "ts")
        )
        return Restored(opened, firings)

    def save_transitions(self, transitions: Sequence[AlertTransition]) -> int:
        """Store ``transitions`` in order, in one transaction; return how many changed
        something. See :class:`mikromon.storage.protocols.AlertStore`."""
        if not transitions:
            return 0
        usable_connection(self._using)
        rule_ids = set(AlertRule.objects.using(self._using)
                       .filter(pk__in={t.rule_id for t in transitions})
                       .values_list("pk", flat=True))
        device_ids = set(Device.objects.using(self._using)
                         .filter(pk__in={t.device_id for t in transitions})
                         .values_list("pk", flat=True))
        changed = 0
        with transaction.atomic(using=self._using):
            for t in transitions:
                if t.rule_id not in rule_ids or t.device_id not in device_ids:
                    continue  # deleted meanwhile: its alerts went with it
                try:
                    with transaction.atomic(using=self._using):
                        changed += self._save(t)
                except IntegrityError as err:
                    log.warning("alert transition %s of rule %s on device %s not stored: %s",
                                t.state, t.rule_id, t.device_id, err)
        return changed

    def _save(self, t: AlertTransition) -> int:
        alerts = Alert.objects.using(self._using)
        alert = (alerts.select_for_update()
                 .filter(rule_id=t.rule_id, device_id=t.device_id, subject=t.subject,
                         state__in=OPEN_STATES)
                 .first())
        if t.state is AlertState.PENDING:
            if alert is not None:
                return 0
            alert = alerts.create(
                rule_id=t.rule_id, device_id=t.device_id, subject=t.subject,
                state=AlertState.PENDING.value, severity=t.severity.value, started_at=t.since,
                value=t.value, threshold=t.threshold, message=t.message, flapping=t.flapping,
            )
        elif t.state is AlertState.FIRING:
            if alert is not None and alert.state == AlertState.FIRING.value:
                return 0
            if alert is None:
                alert = Alert(rule_id=t.rule_id, device_id=t.device_id, subject=t.subject,
                              started_at=t.since)
            alert.state = AlertState.FIRING.value
            alert.fired_at = t.ts
            alert.severity = t.severity.value
            alert.value, alert.threshold = t.value, t.threshold
            alert.message, alert.flapping = t.message, t.flapping
            alert.save(using=self._using)
        else:
            if alert is None:
                return 0
            if alert.state == AlertState.PENDING.value:
                alert.delete()  # never fired: no history
                return 1
            alert.state = AlertState.RESOLVED.value
            alert.resolved_at = t.ts
            if t.value is not None:
                alert.value = t.value
            alert.message, alert.flapping = t.message, t.flapping
            alert.save(using=self._using)
        AlertEvent.objects.using(self._using).create(
            alert=alert, rule_id=t.rule_id, device_id=t.device_id, subject=t.subject, ts=t.ts,
            state=t.state.value, severity=t.severity.value, value=t.value,
            threshold=t.threshold, message=t.message, flapping=t.flapping,
        )
        return 1

    def close(self) -> None:
        """Close this thread's database connection."""
        close_connection(self._using)
