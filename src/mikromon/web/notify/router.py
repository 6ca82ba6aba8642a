"""From alert events to outbox rows: routing, grouping, silences, repeats.

:func:`route_events` reads ``alerts.AlertEvent`` rows above the cursor
(:class:`~mikromon.web.notify.models.NotifyCursor`), and for each ``firing`` or
``resolved`` event and each enabled channel that accepts it (severity, sites,
tags) adds the alert to an open message of the same rule, severity and kind
(created when none is open; it stays open for the channel's group window) or
skips it when:

- a silence covers the device and rule at the event's time
  (:func:`mikromon.web.alerts.silences.silenced`): no message, the history stays;
- it is a ``resolved`` event for an alert the channel was never told about
  (it fired while silenced or before the channel existed), or the channel does
  not want resolved messages;
- the alert is flapping and the channel was already told so (flapping alerts
  notify once, until they stop flapping).

``pending`` and ``acknowledged`` events send nothing (acknowledging stops repeats).

The cursor moves in the same transaction as the rows written, by compare and
swap, so two workers on one database never route an event twice and a crash
loses nothing.

:func:`schedule_repeats` queues a ``repeat`` message for alerts still firing,
not acknowledged and not silenced, once their channel's repeat interval passed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from mikromon.notify.message import AlertItem, Notification, NotificationKind
from mikromon.web.alerts.models import Alert, AlertEvent
from mikromon.web.alerts.silences import silenced
from mikromon.web.notify.models import (
    AlertNotice,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    NotificationChannel,
    NotifyCursor,
)

log = logging.getLogger("mikromon.notify")

#: Events handled per transaction.
BATCH = 500
ROUTED_STATES = ("firing", "resolved")


def device_url(device_id: int) -> str:
    """The device's page under ``MIKROMON_BASE_URL`` (``''`` when it is not set)."""
    base = str(getattr(settings, "MIKROMON_BASE_URL", "") or "").rstrip("/")
    if not base:
        return ""
    try:
        path = reverse("ui:device_dashboard", args=[device_id])
    except NoReverseMatch:
        path = f"/devices/{device_id}/"
    return base + path


@dataclass
class _DeviceInfo:
    name: str
    site_id: int | None
    site: str
    tag_ids: set[int] = field(default_factory=set)


def _devices(ids: Iterable[int]) -> dict[int, _DeviceInfo]:
    from mikromon.web.monitor.models import Device

    out: dict[int, _DeviceInfo] = {}
    for dev in Device.objects.filter(pk__in=set(ids)).select_related("site").prefetch_related(
        "tags"
    ):
        out[dev.pk] = _DeviceInfo(dev.name, dev.site_id, dev.site.name if dev.site else "",
                                  {tag.pk for tag in dev.tags.all()})
    return out


def _channels() -> list[NotificationChannel]:
    return list(
        NotificationChannel.objects.filter(enabled=True).prefetch_related("sites", "tags")
    )


def item_from_event(event: AlertEvent, alert: Alert, device: _DeviceInfo) -> AlertItem:
    """The message item for ``event`` (rule name from the alert's rule)."""
    return _item(event, alert, device, alert_id=event.alert_id, state=event.state,
                 ts=event.ts, event_id=event.pk)


def item_from_alert(alert: Alert, device: _DeviceInfo, now: datetime) -> AlertItem:
    """The item for a repeat: the alert as it stands now."""
    return _item(alert, alert, device, alert_id=alert.pk, state="firing",
                 ts=alert.fired_at or now, event_id=None)


def _item(row: AlertEvent | Alert, alert: Alert, device: _DeviceInfo, *, alert_id: int | None,
          state: str, ts: datetime, event_id: int | None) -> AlertItem:
    """An item of ``row`` (a history row or the alert itself: both carry the rule,
    device, subject, severity, value, threshold, message and flapping)."""
    return AlertItem(
        alert_id=alert_id, rule_id=row.rule_id, rule_name=alert.rule.name,
        device_id=row.device_id, device_name=device.name, site=device.site,
        subject=row.subject, state=state, severity=row.severity, since=alert.started_at,
        ts=ts, value=row.value, threshold=row.threshold, message=row.message,
        url=device_url(row.device_id), flapping=row.flapping, event_id=event_id,
    )


class _Groups:
    """The open messages of one routing batch: items are collected in memory and
    each message is written once at the end of the batch (:meth:`flush`), so a
    group of 1,000 alerts costs one row write, not 1,000 growing ones."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        # (channel id, group key) -> [row or None, the channel, items, key seed, kind]
        self.open: dict[tuple[int, str], list[Any]] = {}

    def add(self, channel: NotificationChannel, kind: str, item: AlertItem,
            key_seed: str) -> None:
        """Add ``item`` to the channel's open message of its rule, severity and kind."""
        group_key = f"{kind}:{item.rule_id}:{item.severity}"
        slot = self.open.get((channel.pk, group_key))
        if slot is None:
            row = None
            if channel.group_window_s:
                row = (Delivery.objects.filter(
                    channel=channel, group_key=group_key, status=DeliveryStatus.PENDING,
                    attempts=0, not_before__gt=self.now,
                ).order_by("id").first())
            slot = [row, channel, [], key_seed, kind]
            if channel.group_window_s or row is None:
                self.open[(channel.pk, group_key)] = slot
        if not channel.group_window_s and slot[2]:
            # No grouping: every alert is a message of its own.
            self._write(slot)
            slot[0], slot[2], slot[3] = None, [], key_seed
        slot[2].append(item)

    def flush(self) -> None:
        """Write every message touched in this batch."""
        for slot in self.open.values():
            if slot[2]:
                self._write(slot)
        self.open.clear()

    def _write(self, slot: list[Any]) -> None:
        row, channel, items, key_seed, kind = slot
        if row is not None:
            note = Notification.from_json(row.payload)
            note = note.with_items([*note.items, *items])
            # Conditional: if the worker claimed the row meanwhile, open a new one.
            if Delivery.objects.filter(pk=row.pk, status=DeliveryStatus.PENDING,
                                       attempts=0).update(payload=note.to_json(),
                                                          item_count=len(note.items)):
                return
        first = items[0]
        note = Notification(key=key_seed, kind=NotificationKind(kind),
                            rule_name=first.rule_name, severity=first.severity,
                            items=tuple(items), created=self.now)
        not_before = self.now + timedelta(seconds=channel.group_window_s)
        Delivery.objects.create(
            channel=channel, key=key_seed, kind=kind,
            group_key=f"{kind}:{first.rule_id}:{first.severity}",
            status=DeliveryStatus.PENDING, payload=note.to_json(), item_count=len(items),
            not_before=not_before, next_attempt_at=not_before, created_at=self.now,
        )


def _cursor() -> int:
    row, _ = NotifyCursor.objects.get_or_create(pk=1)
    return row.last_event_id


#: Seconds a gap in the event ids may be a transaction still running (PostgreSQL
#: hands out ids before commit, so id 11 can be visible while 10 is not yet);
#: after that it is taken for a rolled-back insert and passed.
GAP_WAIT_S = 10.0
_gaps: dict[int, datetime] = {}


def _before_fresh_gap(start: int, events: list[AlertEvent], now: datetime) -> list[AlertEvent]:
    """The leading events without a gap in their ids, or past a gap first seen more
    than :data:`GAP_WAIT_S` ago (the cursor never skips an event still being written)."""
    expected = start + 1 if start > 0 else None  # the very first id may be anything
    for index, event in enumerate(events):
        if expected is not None and event.pk != expected:
            first_seen = _gaps.setdefault(expected, now)
            if (now - first_seen).total_seconds() < GAP_WAIT_S:
                return events[:index]
            log.debug("alert event ids %s..%s never appeared; passing them", expected,
                      event.pk - 1)
        if expected is not None:
            _gaps.pop(expected, None)
        expected = event.pk + 1
    return events


def route_events(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Route up to ``batch`` new alert events to outbox rows; return how many events
    were consumed (0: nothing new, or another worker moved the cursor first).

    The rows and the cursor move commit together or not at all.
    """
    now = now or timezone.now()
    start = _cursor()
    events = list(
        AlertEvent.objects.filter(pk__gt=start).select_related("alert", "alert__rule")
        .order_by("pk")[:batch]
    )
    events = _before_fresh_gap(start, events, now)
    if not events:
        return 0
    last = events[-1].pk
    try:
        with transaction.atomic():
            moved = NotifyCursor.objects.filter(pk=1, last_event_id=start).update(
                last_event_id=last
            )
            if not moved:
                return 0  # another worker took this batch
            _route(events, now)
    except IntegrityError:
        # A row with this key exists: the batch was routed by another worker
        # that moved the cursor back and forth in between. Nothing to do again.
        log.warning("alert events %s..%s were already routed", events[0].pk, last)
        return 0
    return len(events)


def _route(events: list[AlertEvent], now: datetime) -> None:
    from mikromon.web.alerts.models import Silence

    channels = _channels()
    if not channels:
        return
    wanted = [e for e in events if e.state in ROUTED_STATES]
    if not wanted:
        return
    devices = _devices(e.device_id for e in wanted)
    notices: dict[tuple[int, int], AlertNotice] = {
        (n.channel_id, n.alert_id): n
        for n in AlertNotice.objects.filter(alert_id__in={e.alert_id for e in wanted})
    }
    # (channel, rule, device, subject) told "flapping" (across re-opened alerts).
    told_flapping: set[tuple[int, int, int, str]] = {
        (n["channel_id"], n["alert__rule_id"], n["alert__device_id"], n["alert__subject"])
        for n in AlertNotice.objects.filter(
            flapping_notified=True, alert__device_id__in={e.device_id for e in wanted},
        ).values("channel_id", "alert__rule_id", "alert__device_id", "alert__subject")
    }
    # Most of the time no silence is in force: then no event needs the lookup.
    any_silence = Silence.objects.filter(starts_at__lte=max(e.ts for e in wanted),
                                         ends_at__gt=min(e.ts for e in wanted)).exists()
    groups = _Groups(now)
    changed: dict[tuple[int, int], AlertNotice] = {}
    for event in wanted:
        device = devices.get(event.device_id)
        if device is None:
            continue  # the device was deleted since
        if any_silence and silenced(event.device_id, event.rule_id, event.ts) is not None:
            log.info("alert %s %s on %s is silenced: not notified", event.alert_id,
                     event.state, device.name)
            continue
        item = item_from_event(event, event.alert, device)
        for channel in channels:
            if not channel.accepts(event.severity, device.site_id, device.tag_ids):
                continue
            pair = (channel.pk, event.alert_id)
            notice = notices.get(pair)
            if event.state == "firing":
                # Each resolution opens a new alert: "flapping notifies once" holds
                # for the rule, device and subject across those alerts.
                same = (channel.pk, event.rule_id, event.device_id, event.subject)
                if not (event.flapping and same in told_flapping):
                    groups.add(channel, DeliveryKind.FIRING, item, f"event-{event.pk}")
                    if event.flapping:
                        told_flapping.add(same)
                    elif same in told_flapping:
                        told_flapping.discard(same)
                        AlertNotice.objects.filter(
                            channel=channel, alert__rule_id=event.rule_id,
                            alert__device_id=event.device_id, alert__subject=event.subject,
                            flapping_notified=True,
                        ).update(flapping_notified=False)
                if notice is None:
                    notice = notices[pair] = AlertNotice(channel=channel,
                                                         alert_id=event.alert_id)
                notice.last_state = "firing"
                notice.last_sent_at = now
                notice.flapping_notified = event.flapping
                changed[pair] = notice
            else:
                if notice is None or notice.last_state != "firing":
                    continue  # never announced here
                notice.last_state = "resolved"
                notice.last_sent_at = now
                changed[pair] = notice
                if event.flapping or not channel.send_resolved:
                    continue
                groups.add(channel, DeliveryKind.RESOLVED, item, f"event-{event.pk}")
    groups.flush()
    fresh = [n for n in changed.values() if n.pk is None]
    AlertNotice.objects.bulk_create(fresh)
    AlertNotice.objects.bulk_update(
        [n for n in changed.values() if n.pk is not None and n not in fresh],
        ["last_state", "last_sent_at", "flapping_notified"],
    )


def schedule_repeats(*, now: datetime | None = None) -> int:
    """Queue repeat messages for alerts still firing past their channel's repeat
    interval (not acknowledged, not silenced, not flapping); return how many alerts.

    Alerts of one rule and severity due together share one message. The message
    and the notices' new times commit together.
    """
    now = now or timezone.now()
    queued = 0
    for channel in NotificationChannel.objects.filter(
            enabled=True, repeat_interval_s__gt=0).prefetch_related("sites", "tags"):
        cutoff = now - timedelta(seconds=channel.repeat_interval_s)
        due = list(
            AlertNotice.objects.filter(
                channel=channel, last_state="firing", last_sent_at__lte=cutoff,
                alert__state="firing", alert__acknowledged_at__isnull=True,
                alert__flapping=False,
            ).select_related("alert", "alert__rule").order_by("alert_id")[:BATCH]
        )
        if not due:
            continue
        devices = _devices(n.alert.device_id for n in due)
        groups: dict[tuple[int, str], list[AlertNotice]] = {}
        for notice in due:
            alert = notice.alert
            device = devices.get(alert.device_id)
            if device is None or silenced(alert.device_id, alert.rule_id, now):
                continue
            if not channel.accepts(alert.severity, device.site_id, device.tag_ids):
                continue  # the channel's routing changed since it was told
            groups.setdefault((alert.rule_id, alert.severity), []).append(notice)
        stamp = int(now.timestamp())
        for (rule_id, severity), members in groups.items():
            items = tuple(item_from_alert(n.alert, devices[n.alert.device_id], now)
                          for n in members)
            key = f"repeat-{rule_id}-{severity}-{members[0].alert_id}-{stamp}"
            note = Notification(key=key, kind=NotificationKind.REPEAT,
                                rule_name=items[0].rule_name, severity=severity, items=items,
                                created=now)
            with transaction.atomic():
                ids = [n.pk for n in members]
                # Compare and swap on the notices: a second worker finds them updated.
                updated = AlertNotice.objects.filter(pk__in=ids, last_sent_at__lte=cutoff).update(
                    last_sent_at=now
                )
                if updated != len(ids):
                    transaction.set_rollback(True)
                    continue
                for n in members:
                    AlertNotice.objects.filter(pk=n.pk).update(repeats=n.repeats + 1)
                Delivery.objects.create(
                    channel=channel, key=key, kind=DeliveryKind.REPEAT,
                    group_key=f"repeat:{rule_id}:{severity}", payload=note.to_json(),
                    item_count=len(items), not_before=now, next_attempt_at=now, created_at=now,
                )
            queued += len(members)
    return queued


def pending_summary() -> dict[str, Any]:
    """Counts of outbox rows by status, for status pages."""
    from django.db.models import Count

    rows = Delivery.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
