"""Notification channels (with their routing), the outbox of messages, the
router's cursor over the alert history, and what each channel was told about
each alert.

Secrets (an Apprise URL holds passwords and tokens; a webhook's HMAC key) are
stored encrypted with the same Fernet keys as router passwords
(:mod:`mikromon.web.monitor.crypto`) and never shown back in full:
:meth:`NotificationChannel.target_display` masks them.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mikromon.domain.alerts import Severity
from mikromon.notify.channels import Channel, ChannelKind, build_channel
from mikromon.notify.policy import RetryPolicy
from mikromon.web.alerts.models import SeverityChoices
from mikromon.web.monitor import crypto

#: Seconds between repeats of a still-firing alert, by default (4 h, as Alertmanager).
DEFAULT_REPEAT_INTERVAL_S = 4 * 3600
#: Seconds a group stays open for more alerts of the same rule and severity.
DEFAULT_GROUP_WINDOW_S = 30


class ChannelKindChoices(models.TextChoices):
    """:class:`mikromon.notify.channels.ChannelKind`."""

    APPRISE = ChannelKind.APPRISE.value, "Apprise URL (mail, chat, push...)"
    WEBHOOK = ChannelKind.WEBHOOK.value, "Signed JSON webhook"
    ALERTMANAGER = ChannelKind.ALERTMANAGER.value, "Prometheus Alertmanager (API v2)"


class DeliveryStatus(models.TextChoices):
    """The state of one outbox message."""

    PENDING = "pending", "Pending"  # waiting for its group window or first attempt
    SENDING = "sending", "Sending"  # an attempt is in progress (lease_until)
    RETRYING = "retrying", "Retrying"  # failed, next attempt at next_attempt_at
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # gave up: attempts exhausted or rejected


class DeliveryKind(models.TextChoices):
    """:class:`mikromon.notify.message.NotificationKind`."""

    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    REPEAT = "repeat", "Repeat"
    TEST = "test", "Test"


class NotificationChannel(models.Model):
    """One destination and what is routed to it.

    Routing: alerts of at least ``min_severity``, from devices in one of ``sites``
    (none chosen: every site, and devices without a site) and carrying one of
    ``tags`` (none chosen: any device). Alerts of one rule and severity that
    start within ``group_window_s`` go out as one message. A firing alert not
    acknowledged is told again every ``repeat_interval_s`` (0: never).
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ChannelKindChoices.choices)
    enabled = models.BooleanField(default=True)
    url_encrypted = models.TextField(editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    min_severity = models.CharField(
        "minimum severity", max_length=10, choices=SeverityChoices.choices,
        default=SeverityChoices.WARNING,
    )
    sites = models.ManyToManyField("monitor.Site", blank=True, related_name="+")
    tags = models.ManyToManyField("monitor.Tag", blank=True, related_name="+")
    send_resolved = models.BooleanField(default=True, help_text="Also tell when alerts resolve.")
    repeat_interval_s = models.PositiveIntegerField(
        "repeat interval (s)", default=DEFAULT_REPEAT_INTERVAL_S,
        help_text="Tell again about an alert still firing and not acknowledged; 0: never.",
    )
    group_window_s = models.PositiveIntegerField(
        "group window (s)", default=DEFAULT_GROUP_WINDOW_S,
        validators=[MaxValueValidator(3600, "The group window is at most 3600 seconds.")],
        help_text="Alerts of one rule and severity starting within this time share a message.",
    )
    timeout_s = models.PositiveIntegerField(
        "timeout (s)", default=10,
        validators=[MinValueValidator(1, "The timeout is at least 1 second."),
                    MaxValueValidator(300, "The timeout is at most 300 seconds.")],
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(1, "At least 1 attempt."),
                    MaxValueValidator(50, "At most 50 attempts.")],
    )
    retry_base_s = models.PositiveIntegerField(
        "first retry after (s)", default=10,
        validators=[MinValueValidator(1, "The first retry waits at least 1 second.")],
        help_text="Doubles after each failure, up to an hour.",
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def __repr__(self) -> str:
        return f"<NotificationChannel {self.pk} {self.name!r} {self.kind}>"

    # Secrets ---------------------------------------------------------------

    def set_url(self, url: str) -> None:
        """Store the target URL (Apprise URL, webhook URL, Alertmanager URL) encrypted.

        Raises:
            ValueError: the URL is not valid for the channel's kind (checked by
                building the channel), naming what is wrong.
        """
        build_channel(self.kind, url=url, secret="x", timeout_s=float(self.timeout_s or 10))
        self.url_encrypted = crypto.encrypt(url.strip())

    def get_url(self) -> str:
        """The stored URL in clear (for delivery only; never show it).

        Raises:
            PasswordDecryptError: the Fernet key changed since it was stored.
        """
        return crypto.decrypt(self.url_encrypted, what=f"URL of channel {self.name!r}") \
            if self.url_encrypted else ""

    def set_secret(self, secret: str) -> None:
        """Store the webhook's HMAC secret encrypted (``''`` clears it)."""
        self.secret_encrypted = crypto.encrypt(secret) if secret else ""

    def get_secret(self) -> str:
        """The webhook secret in clear (for signing only)."""
        return crypto.decrypt(self.secret_encrypted, what=f"secret of channel {self.name!r}") \
            if self.secret_encrypted else ""

    @property
    def has_secret(self) -> bool:
        """Whether a webhook secret is stored."""
        return bool(self.secret_encrypted)

    def build(self) -> Channel:
        """The delivery object (:mod:`mikromon.notify.channels`) for this channel.

        Raises:
            ValueError: stored settings no longer valid; PasswordDecryptError.
        """
        return build_channel(self.kind, url=self.get_url(), secret=self.get_secret(),
                             timeout_s=float(self.timeout_s))

    def target_display(self) -> str:
        """The target with passwords, tokens and query values masked; safe to show."""
        try:
            return self.build().describe()
        except Exception as err:  # a broken channel still gets a page
            return f"(cannot read the target: {err})"

    def retry_policy(self) -> RetryPolicy:
        """Backoff for this channel: ``retry_base_s`` doubling up to an hour."""
        base = float(max(self.retry_base_s, 1))
        return RetryPolicy(max_attempts=max(int(self.max_attempts), 1), base_s=base,
                           max_s=max(3600.0, base))

    def accepts(self, severity: str, site_id: int | None, tag_ids: set[int]) -> bool:
        """Whether an alert of ``severity`` on a device of ``site_id`` with
        ``tag_ids`` is routed here (uses prefetched ``sites``/``tags``)."""
        if Severity(severity).rank < Severity(self.min_severity).rank:
            return False
        site_ids = {site.pk for site in self.sites.all()}
        if site_ids and site_id not in site_ids:
            return False
        wanted_tags = {tag.pk for tag in self.tags.all()}
        return not wanted_tags or bool(wanted_tags & tag_ids)


class Delivery(models.Model):
    """One message for one channel: the outbox row.

    ``key`` is unique per channel and stays the same across retries (receivers
    can drop duplicates by it). ``payload`` is
    :meth:`mikromon.notify.message.Notification.to_json`. A row is ``pending``
    until ``not_before`` (the end of its group window), then each attempt sets it
    ``sending`` with a lease (``lease_until``): a row still ``sending`` after its
    lease belonged to a process that died and is tried again.
    """

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=DeliveryKind.choices)
    group_key = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    payload = models.JSONField()
    item_count = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(help_text="Nothing is sent before (group window), UTC.")
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    receipt = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="notify_delivery_key_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due_idx"),
            models.Index(fields=["channel", "status"], name="notify_delivery_chan_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} to {self.channel_id}: {self.status}"


class AlertNotice(models.Model):
    """What one channel was last told about one alert: drives resolved messages
    (only for alerts announced there), repeats, and "flapping: notify once"."""

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="notices"
    )
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    last_state = models.CharField(max_length=10)
    last_sent_at = models.DateTimeField()
    repeats = models.PositiveIntegerField(default=0)
    flapping_notified = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "alert"], name="notify_notice_unique"),
        ]
        indexes = [
            models.Index(fields=["channel", "last_state", "last_sent_at"],
                         name="notify_notice_repeat_idx"),
        ]

    def __str__(self) -> str:
        return f"alert {self.alert_id} on channel {self.channel_id}: {self.last_state}"


class NotifyCursor(models.Model):
    """The last ``alerts.AlertEvent`` id the router handled (one row, id 1).

    Advanced in the same transaction as the outbox rows it produced, so a
    restart neither loses an event nor routes it twice.
    """

    last_event_id = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="notify_cursor_single")]

    def __str__(self) -> str:
        return f"notify cursor at event {self.last_event_id}"
