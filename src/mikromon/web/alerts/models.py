"""Models of :mod:`mikromon.web.alerts`: rules, per-device overrides, alerts,
the alert history (:class:`AlertEvent`, append-only) and silences.

The value sets mirror :mod:`mikromon.domain.alerts` (a test checks they match).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mikromon.domain.alerts import AlertState, RuleKind, Severity

__all__ = [
    "OPEN_STATES",
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertStateChoices",
    "ComparisonChoices",
    "EventStateChoices",
    "RuleKindChoices",
    "RuleOverride",
    "SeverityChoices",
    "Silence",
]


class SeverityChoices(models.TextChoices):
    """:class:`mikromon.domain.alerts.Severity`, lowest first."""

    INFO = Severity.INFO.value, Severity.INFO.label
    WARNING = Severity.WARNING.value, Severity.WARNING.label
    HIGH = Severity.HIGH.value, Severity.HIGH.label
    CRITICAL = Severity.CRITICAL.value, Severity.CRITICAL.label


class AlertStateChoices(models.TextChoices):
    """:class:`mikromon.domain.alerts.AlertState`."""

    PENDING = AlertState.PENDING.value, "Pending"
    FIRING = AlertState.FIRING.value, "Firing"
    RESOLVED = AlertState.RESOLVED.value, "Resolved"


class EventStateChoices(models.TextChoices):
    """States an :class:`AlertEvent` records: the alert states plus ``acknowledged``."""

    PENDING = AlertState.PENDING.value, "Pending"
    FIRING = AlertState.FIRING.value, "Firing"
    RESOLVED = AlertState.RESOLVED.value, "Resolved"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class RuleKindChoices(models.TextChoices):
    """:class:`mikromon.domain.alerts.RuleKind`."""

    THRESHOLD = RuleKind.THRESHOLD.value, "Threshold on a metric"
    NO_DATA = RuleKind.NO_DATA.value, "No data"
    RATE = RuleKind.RATE.value, "Rate of change"
    DEVICE_STATE = RuleKind.DEVICE_STATE.value, "Device state"
    LINK_DOWN = RuleKind.LINK_DOWN.value, "Interface link down"
    REBOOT = RuleKind.REBOOT.value, "Router rebooted"
    BGP_DOWN = RuleKind.BGP_DOWN.value, "BGP session down"
    OSPF_DOWN = RuleKind.OSPF_DOWN.value, "OSPF neighbour left Full"
    HEALTH_FAIL = RuleKind.HEALTH_FAIL.value, "Health sensor failed (PSU, fan)"
    FACT_CHANGED = RuleKind.FACT_CHANGED.value, "Version, board or identity changed"
    COUNT = RuleKind.COUNT.value, "Count above or below a level"
    UTILISATION = RuleKind.UTILISATION.value, "Interface utilisation (% of link speed)"
    LOG = RuleKind.LOG.value, "Router log line"


class ComparisonChoices(models.TextChoices):
    """How a value is compared with the threshold."""

    ABOVE = ">", "above"
    BELOW = "<", "below"


#: Alert states that count as open (at most one open alert per rule, device, subject).
OPEN_STATES = (AlertState.PENDING.value, AlertState.FIRING.value)


def severity_rank() -> models.Case:
    """A database expression: the row's ``severity`` rank (0 info .. 3 critical,
    :attr:`mikromon.domain.alerts.Severity.rank`; -1 for an unknown word), for
    sorting the most severe first."""
    return models.Case(*(models.When(severity=s.value, then=models.Value(s.rank))
                         for s in Severity),
                       default=models.Value(-1), output_field=models.IntegerField())


class AlertRule(models.Model):
    """A condition to watch, on every device or on a site, a tag or one device.

    ``params`` holds kind-specific settings, e.g. ``{"intervals": 3}`` (no_data),
    ``{"states": ["down"]}`` (device_state), ``{"name_pattern": "ether*"}``
    (fnmatch on the interface, sensor or peer name), ``{"facts": ["version"]}``
    (fact_changed), ``{"flap_count": 4, "flap_window_seconds": 3600}`` (flapping).
    All scope fields empty: the rule applies to every device.
    """

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=RuleKindChoices.choices)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(
        max_length=10, choices=SeverityChoices.choices, default=SeverityChoices.WARNING
    )
    metric = models.CharField(
        max_length=200, blank=True, default="", help_text="Catalog metric key (threshold, rate)."
    )
    comparison = models.CharField(
        max_length=1, choices=ComparisonChoices.choices, default=ComparisonChoices.ABOVE
    )
    threshold = models.FloatField(null=True, blank=True)
    recovery = models.FloatField(
        null=True, blank=True, help_text="Level at which the alert resolves (hysteresis)."
    )
    for_seconds = models.PositiveIntegerField(
        default=0, help_text="How long the condition must hold before the alert fires."
    )
    params = models.JSONField(default=dict, blank=True)
    site = models.ForeignKey(
        "monitor.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    tag = models.ForeignKey(
        "monitor.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules"
    )
    device = models.ForeignKey(
        "monitor.Device",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
    )
    is_default = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(comparison__in=[">", "<"]), name="alerts_rule_comparison_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Check the fields together; see :func:`mikromon.alerting.rule_parsing.rule_from_mapping`.

        Raises:
            ValidationError: naming the field that is wrong.
        """
        from mikromon.alerting.rule_parsing import rule_from_mapping
        from mikromon.domain.errors import ConfigError

        if not isinstance(self.params, dict):
            raise ValidationError({"params": "Parameters must be a JSON object."})
        try:
            rule_from_mapping(self.as_mapping())
        except ConfigError as exc:
            raise ValidationError(str(exc)) from None

    def as_mapping(self) -> dict[str, object]:
        """Return the rule as the plain mapping the engine reads (no Django types)."""
        return {
            "id": self.pk or 0,
            "name": self.name,
            "kind": self.kind,
            "enabled": self.enabled,
            "severity": self.severity,
            "metric": self.metric,
            "comparison": self.comparison,
            "threshold": self.threshold,
            "recovery": self.recovery,
            "for_seconds": self.for_seconds,
            "params": dict(self.params or {}),
            "site_id": self.site_id,
            "tag_id": self.tag_id,
            "device_id": self.device_id,
            "is_default": self.is_default,
        }


class RuleOverride(models.Model):
    """One device's own threshold/recovery for a rule, or the rule turned off for it."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="overrides")
    device = models.ForeignKey(
        "monitor.Device", on_delete=models.CASCADE, related_name="alert_overrides"
    )
    threshold = models.FloatField(null=True, blank=True)
    recovery = models.FloatField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "device"], name="alerts_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} on {self.device_id}"


class Alert(models.Model):
    """One rule's finding on one device (and subject): pending, firing or resolved.

    At most one open (pending or firing) alert exists per rule, device and subject.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    device = models.ForeignKey("monitor.Device", on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=10, choices=AlertStateChoices.choices)
    severity = models.CharField(max_length=10, choices=SeverityChoices.choices)
    started_at = models.DateTimeField(help_text="When the condition began (pending since), UTC.")
    fired_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    flapping = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acknowledged_alerts",
    )
    ack_comment = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "device", "subject"],
                condition=Q(state__in=OPEN_STATES),
                name="alerts_alert_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "severity"], name="alerts_alert_state_idx"),
            models.Index(fields=["device", "state"], name="alerts_alert_device_idx"),
        ]

    def __str__(self) -> str:
        where = f"{self.device_id}/{self.subject}" if self.subject else str(self.device_id)
        return f"{self.rule_id} on {where}: {self.state}"


class AlertEvent(models.Model):
    """The alert history: one row per state change (or acknowledgement), appended,
    never updated. The notification side reads rows above its own cursor."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alert_events")
    device = models.ForeignKey(
        "monitor.Device", on_delete=models.CASCADE, related_name="alert_events"
    )
    subject = models.CharField(max_length=200, blank=True, default="")
    ts = models.DateTimeField()
    state = models.CharField(max_length=12, choices=EventStateChoices.choices)
    severity = models.CharField(max_length=10, choices=SeverityChoices.choices)
    value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    flapping = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["ts"], name="alerts_event_ts_idx"),
            models.Index(fields=["device", "ts"], name="alerts_event_device_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ts:%Y-%m-%d %H:%M:%S} {self.state}: {self.message}"


class Silence(models.Model):
    """A maintenance window: notifications for matching alerts are suppressed from
    ``starts_at`` to ``ends_at`` (alerts and their history are still recorded).

    Every filled field must match (device, site, tag, rule); an empty one matches all.
    """

    device = models.ForeignKey(
        "monitor.Device", null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    site = models.ForeignKey(
        "monitor.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    tag = models.ForeignKey(
        "monitor.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="silences",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="alerts_silence_ends_after"
            ),
        ]
        indexes = [models.Index(fields=["ends_at"], name="alerts_silence_ends_idx")]

    def __str__(self) -> str:
        return f"silence {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"
