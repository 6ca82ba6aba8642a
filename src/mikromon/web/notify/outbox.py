"""The outbox's state changes: claiming a due message for an attempt, recording
its outcome (sent, retrying with backoff, failed), and "send test".

Every change is a conditional ``UPDATE`` (compare and swap on ``status`` and
``attempts``), so two workers never send one attempt twice and a late result of
an abandoned attempt cannot overwrite a newer state.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from django.db.models import F, Q
from django.utils import timezone

from mikromon.notify.channels import Channel, DeliveryError
from mikromon.notify.message import Notification, NotificationKind
from mikromon.web.notify.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    NotificationChannel,
)

log = logging.getLogger("mikromon.notify")

#: Seconds added to a channel's timeout for its lease: an attempt still
#: ``sending`` after timeout + grace belonged to a process that died.
LEASE_GRACE_S = 30.0
#: Longest error text kept.
ERROR_CHARS = 2000


def due_filter(now: datetime) -> Q:
    """Rows ready for an attempt at ``now``: pending/retrying and due, or a
    ``sending`` row whose lease ran out (its process died mid-attempt)."""
    ready = Q(status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
              not_before__lte=now, next_attempt_at__lte=now)
    orphaned = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    return ready | orphaned


def claim(channel: NotificationChannel, now: datetime | None = None) -> Delivery | None:
    """Claim the channel's oldest due message for one attempt; ``None`` when none.

    The row becomes ``sending`` with ``attempts`` + 1 and a lease of the channel's
    timeout plus :data:`LEASE_GRACE_S`.
    """
    now = now or timezone.now()
    lease = now + timedelta(seconds=channel.timeout_s + LEASE_GRACE_S)
    for row in Delivery.objects.filter(due_filter(now), channel=channel).order_by("id")[:5]:
        taken = Delivery.objects.filter(pk=row.pk, status=row.status,
                                        attempts=row.attempts).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, lease_until=lease
        )
        if taken:
            if row.status == DeliveryStatus.SENDING:
                log.warning("message %s to %s: the previous attempt never finished "
                            "(process stopped?); trying again", row.key, channel.name)
            row.refresh_from_db()
            return row
    return None


def finish(
    delivery: Delivery,
    *,
    ok: bool,
    receipt: str = "",
    error: str = "",
    retryable: bool = True,
    now: datetime | None = None,
) -> str:
    """Record the outcome of the attempt ``delivery`` was claimed for; return the
    new status (``sent``, ``retrying``, ``failed``), or ``""`` when the row had
    moved on (the attempt was abandoned as timed out, or another worker took it).
    """
    now = now or timezone.now()
    mine = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING,
                                   attempts=delivery.attempts)
    if ok:
        changed = mine.update(status=DeliveryStatus.SENT, sent_at=now, lease_until=None,
                              receipt=receipt[:200], last_error="")
        return DeliveryStatus.SENT if changed else ""
    policy = delivery.channel.retry_policy()
    delay = policy.delay_after(delivery.attempts) if retryable else None
    error = error[:ERROR_CHARS]
    if delay is None:
        changed = mine.update(status=DeliveryStatus.FAILED, lease_until=None, last_error=error)
        if changed:
            log.error("message %s to channel %s failed after %d attempt(s): %s",
                      delivery.key, delivery.channel.name, delivery.attempts, error)
        return DeliveryStatus.FAILED if changed else ""
    changed = mine.update(status=DeliveryStatus.RETRYING, lease_until=None, last_error=error,
                          next_attempt_at=now + timedelta(seconds=delay))
    if changed:
        log.warning("message %s to channel %s: attempt %d failed (%s); retrying in %.0f s",
                    delivery.key, delivery.channel.name, delivery.attempts, error, delay)
    return DeliveryStatus.RETRYING if changed else ""


def purge(*, now: datetime | None = None, days: float | None = None) -> int:
    """Delete ``sent`` and ``failed`` outbox rows older than ``days`` (default: the
    event retention, ``MIKROMON_RETENTION_EVENT_DAYS``); return how many."""
    from django.conf import settings

    now = now or timezone.now()
    if days is None:
        days = float(getattr(settings, "MIKROMON_RETENTION_DAYS", {}).get("events", 365))
    deleted, _ = Delivery.objects.filter(
        status__in=(DeliveryStatus.SENT, DeliveryStatus.FAILED),
        created_at__lt=now - timedelta(days=days),
    ).delete()
    return deleted


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send.

    Attributes:
        ok: delivered.
        detail: the receipt (``HTTP 200``) or the error, for people.
        duration_s: how long the attempt took, seconds.
        delivery_id: the outbox row recording it (``None`` if none was written).
    """

    ok: bool
    detail: str
    duration_s: float
    delivery_id: int | None = None


def send_bounded(channel: Channel, notification: Notification,
                 grace_s: float = 5.0) -> tuple[bool, str, bool]:
    """Send in a daemon thread, waiting at most the channel's timeout + ``grace_s``.

    Returns ``(ok, receipt_or_error, retryable)``. A send still running then is
    abandoned (its thread ends on its own socket timeout) and reported as a timeout.
    """
    outcome: list[tuple[bool, str, bool]] = []

    def run() -> None:
        outcome.append(attempt(channel, notification))

    thread = threading.Thread(target=run, name="mikromon-notify-send", daemon=True)
    thread.start()
    thread.join(channel.timeout_s + grace_s)
    if outcome:
        return outcome[0]
    return False, f"no answer within {channel.timeout_s:g} s (timed out)", True


def attempt(channel: Channel, notification: Notification) -> tuple[bool, str, bool]:
    """One send, never raising: ``(ok, receipt_or_error, retryable)``."""
    try:
        return True, channel.send(notification), True
    except DeliveryError as err:
        return False, str(err), err.retryable
    except Exception as err:  # a library bug must not kill the worker
        log.exception("sending %s through %s raised", notification.key, channel.describe())
        return False, f"{type(err).__name__}: {err}", True


def send_test(channel_id: int) -> SendResult:
    """Send a test message to the channel now, bypassing routing and the queue;
    record it in the outbox (kind ``test``, status ``sent`` or ``failed``).

    Returns a :class:`SendResult`; a failure is a result (``ok=False`` with the
    reason), not an exception. Waits at most the channel's timeout plus a few seconds.

    Raises:
        NotificationChannel.DoesNotExist: no channel with this id.
    """
    row = NotificationChannel.objects.get(pk=channel_id)
    now = timezone.now()
    key = f"test-{uuid.uuid4().hex[:16]}"
    note = Notification(key=key, kind=NotificationKind.TEST, rule_name="test",
                        severity="info", created=now)
    started = time.monotonic()
    try:
        channel = row.build()
    except Exception as err:
        ok, detail = False, f"the channel's settings are not usable: {err}"
    else:
        ok, detail, _ = send_bounded(channel, note)
    took = time.monotonic() - started
    delivery = Delivery.objects.create(
        channel=row, key=key, kind=DeliveryKind.TEST,
        status=DeliveryStatus.SENT if ok else DeliveryStatus.FAILED, payload=note.to_json(),
        not_before=now, next_attempt_at=now, attempts=1, created_at=now,
        sent_at=timezone.now() if ok else None, receipt=detail[:200] if ok else "",
        last_error="" if ok else detail[:ERROR_CHARS],
    )
    return SendResult(ok=ok, detail=detail, duration_s=took, delivery_id=delivery.pk)


class ChannelStatus(TypedDict):
    """A channel's delivery state (:func:`channel_status`)."""

    counts: dict[str, int]  # deliveries per status (every status, 0 included)
    last_error: str  # the newest error, "" when none
    last_sent_at: datetime | None  # when the last message went out


def channel_status(channel: NotificationChannel) -> ChannelStatus:
    """Per-channel delivery state for pages and the API: counts by status, the
    last error and the time of the last message sent."""
    from django.db.models import Count

    counts: dict[str, int] = {s: 0 for s in DeliveryStatus.values}
    for row in channel.deliveries.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    last_error = (channel.deliveries.exclude(last_error="")
                  .order_by("-updated_at").values_list("last_error", flat=True).first())
    last_sent = (channel.deliveries.filter(status=DeliveryStatus.SENT)
                 .order_by("-sent_at").values_list("sent_at", flat=True).first())
    return {"counts": counts, "last_error": last_error or "", "last_sent_at": last_sent}
