"""Alerts: listing, acknowledging and their JSON documents."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from mikromon.domain.alerts import Severity
from mikromon.web.alerts.forms import AckForm
from mikromon.web.alerts.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    EventStateChoices,
    Silence,
    severity_rank,
)
from mikromon.web.alerts.services.common import Invalid, get_object, iso, plain_data, user_name
from mikromon.web.alerts.silences import silenced
from mikromon.web.monitor.models import Device

#: ``state`` filters of :func:`list_alerts`.
ALERT_STATES = ("pending", "firing", "resolved", "open", "all")

def list_alerts(*, state: str = "firing", severity: str | None = None,
                device: int | None = None, site: int | None = None) -> QuerySet[Alert]:
    """Return alerts, severity highest first, then the newest first.

    Args:
        state: ``pending``, ``firing``, ``resolved``, ``open`` (pending or firing)
            or ``all``.
        severity: only this severity (``info``, ``warning``, ``high``, ``critical``).
        device: only this device's (id).
        site: only devices of this site (id).

    Raises:
        Invalid: an unknown state or severity (naming the field).
    """
    if state not in ALERT_STATES:
        raise Invalid.one("state", f"{state!r} is not one of: {', '.join(ALERT_STATES)}")
    qs = Alert.objects.select_related("rule", "device", "device__site", "acknowledged_by")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state != "all":
        qs = qs.filter(state=state)
    if severity is not None:
        if severity not in {s.value for s in Severity}:
            raise Invalid.one("severity", f"{severity!r} is not one of: "
                                          f"{', '.join(s.value for s in Severity)}")
        qs = qs.filter(severity=severity)
    if device is not None:
        qs = qs.filter(device_id=device)
    if site is not None:
        qs = qs.filter(device__site_id=site)
    return qs.annotate(severity_rank=severity_rank()).order_by("-severity_rank", "-started_at",
                                                              "-id")


def get_alert(pk: int) -> Alert:
    """Return alert ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return get_object(Alert, pk, "alert", Alert.objects.select_related(
        "rule", "device", "device__site", "acknowledged_by"))


def acknowledge(pk: int, *, user: Any, comment: str = "", by: str = "") -> Alert:
    """Acknowledge an open alert: who, when, why. Its repeats stop; an
    ``acknowledged`` row is added to the history. Acknowledging again replaces
    the comment. ``by`` names who did it when there is no web ``user`` (the
    command line: the system user).

    Raises:
        NotFound: no alert ``pk``.
        Invalid: ``comment`` too long; ``state`` when the alert already resolved.
    """
    form = AckForm(plain_data({"comment": comment if comment is not None else ""}))
    if not form.is_valid():
        raise Invalid.from_form(form)
    with transaction.atomic():
        alert = get_object(Alert, pk, "alert", Alert.objects.select_for_update())
        if alert.state not in OPEN_STATES:
            raise Invalid.one("state", f"alert {pk} is {alert.state}; only pending or firing "
                                       "alerts can be acknowledged")
        now = timezone.now()
        alert.acknowledged_at = now
        alert.acknowledged_by = user if getattr(user, "pk", None) else None
        alert.ack_comment = form.cleaned_data["comment"]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_comment"])
        who = user_name(user) or by or "someone"
        AlertEvent.objects.create(
            alert=alert, rule_id=alert.rule_id, device_id=alert.device_id,
            subject=alert.subject, ts=now, state=EventStateChoices.ACKNOWLEDGED,
            severity=alert.severity, value=alert.value, threshold=alert.threshold,
            message=f"acknowledged by {who}" + (f": {alert.ack_comment}"
                                                if alert.ack_comment else ""),
            flapping=alert.flapping,
        )
    return get_alert(pk)


def unacknowledge(pk: int, *, user: Any = None) -> Alert:
    """Take an acknowledgement back (repeats start again).

    Raises:
        NotFound: no alert ``pk``.
        Invalid: ``state`` when the alert is not acknowledged.
    """
    with transaction.atomic():
        alert = get_object(Alert, pk, "alert", Alert.objects.select_for_update())
        if alert.acknowledged_at is None:
            raise Invalid.one("state", f"alert {pk} is not acknowledged")
        alert.acknowledged_at = None
        alert.acknowledged_by = None
        alert.ack_comment = ""
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_comment"])
    return get_alert(pk)


def alert_dict(alert: Alert, *, silence_id: int | bool | None = False) -> dict[str, Any]:
    """The JSON document of an alert (API, ``alerts list --json``).

    ``silenced_by`` is the silence in force over an open alert; lists pass it in
    ``silence_id`` (see :func:`alert_dicts`), else it is looked up.
    """
    device = alert.device
    silence = None
    if silence_id is not False:
        silence = silence_id or None
    elif alert.state in OPEN_STATES:
        found = silenced(alert.device_id, alert.rule_id, timezone.now())
        silence = found.pk if found is not None else None
    return {
        "id": alert.pk,
        "state": alert.state,
        "severity": alert.severity,
        "rule": {"id": alert.rule_id, "name": alert.rule.name, "kind": alert.rule.kind},
        "device": {"id": alert.device_id, "name": device.name},
        "site": ({"id": device.site_id, "name": device.site.name} if device.site_id else None),
        "subject": alert.subject,
        "since": iso(alert.started_at),
        "fired_at": iso(alert.fired_at),
        "resolved_at": iso(alert.resolved_at),
        "value": alert.value,
        "threshold": alert.threshold,
        "message": alert.message,
        "flapping": alert.flapping,
        "acknowledged": alert.acknowledged_at is not None,
        "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": user_name(alert.acknowledged_by),
        "ack_comment": alert.ack_comment,
        "silenced_by": silence,
    }


def alert_dicts(alerts: list[Alert]) -> list[dict[str, Any]]:
    """The documents of many alerts, the silences in force read once (a few
    queries for the whole list, not three per alert)."""
    now = timezone.now()
    active = list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now)
                  .order_by("-ends_at", "-id")
                  .values_list("pk", "device_id", "site_id", "tag_id", "rule_id"))
    tags: dict[int, set[int]] = {}
    if active:
        through = Device.tags.through.objects.filter(
            device_id__in={a.device_id for a in alerts}).values_list("device_id", "tag_id")
        for device_id, tag_id in through:
            tags.setdefault(device_id, set()).add(tag_id)
    out = []
    for alert in alerts:
        found = None
        if alert.state in OPEN_STATES:
            for pk, device_id, site_id, tag_id, rule_id in active:
                if ((device_id is None or device_id == alert.device_id)
                        and (site_id is None or site_id == alert.device.site_id)
                        and (tag_id is None or tag_id in tags.get(alert.device_id, ()))
                        and (rule_id is None or rule_id == alert.rule_id)):
                    found = pk
                    break
        out.append(alert_dict(alert, silence_id=found))
    return out
