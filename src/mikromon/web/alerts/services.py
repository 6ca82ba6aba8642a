"""What people do with alerts, silences, rules and notification channels: one
place shared by the pages, the JSON API and the command line.

Every change goes through a function here, which validates with the forms of
:mod:`mikromon.web.alerts.forms` and saves in one transaction. Errors:

- :class:`Invalid`: bad input, ``errors`` maps each field to its messages (the
  API answers 400, the command line exits 2);
- :class:`NotFound`: no such object (404; exit 2).

The ``*_dict`` functions return the JSON documents of the API and of the
command line's ``--json`` (times ISO 8601 UTC; never a channel's URL or secret).
A running collector picks up rule changes within about a second (its rule
reload follows the database's change marker, see :mod:`mikromon.web.alerts.signals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Case, IntegerField, Model, QuerySet, Value, When
from django.utils import timezone

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rules import RuleSet, rule_from_mapping
from mikromon.domain import catalog
from mikromon.domain.alerts import AlertState, RuleKind, Severity
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.formatting import utc_iso
from mikromon.domain.samples import Sample
from mikromon.web.alerts.forms import (
    AckForm,
    ChannelForm,
    OverrideForm,
    RuleForm,
    SilenceForm,
)
from mikromon.web.alerts.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertRule,
    EventStateChoices,
    RuleOverride,
    Silence,
)
from mikromon.web.alerts.silences import silenced
from mikromon.web.monitor.models import Device
from mikromon.web.notify import outbox
from mikromon.web.notify.models import NotificationChannel

__all__ = [
    "ALERT_STATES",
    "SILENCE_STATES",
    "Invalid",
    "NotFound",
    "Preview",
    "PreviewMatch",
    "ServiceError",
    "acknowledge",
    "alert_dict",
    "alert_dicts",
    "channel_dict",
    "create_channel",
    "create_rule",
    "create_silence",
    "delete_channel",
    "delete_override",
    "delete_rule",
    "expire_silence",
    "find_rule",
    "get_alert",
    "get_channel",
    "get_rule",
    "get_silence",
    "list_alerts",
    "list_channels",
    "list_overrides",
    "list_rules",
    "list_silences",
    "override_dict",
    "preview_rule",
    "rule_dict",
    "save_channel_form",
    "save_rule_form",
    "set_override",
    "set_rule_enabled",
    "silence_dict",
    "test_channel",
    "unacknowledge",
    "update_channel",
    "update_rule",
]

#: ``state`` filters of :func:`list_alerts`.
ALERT_STATES = ("pending", "firing", "resolved", "open", "all")
#: ``state`` filters of :func:`list_silences`.
SILENCE_STATES = ("active", "pending", "expired", "all")


class ServiceError(Exception):
    """An alerting action that cannot be done; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ServiceError):
    """Bad input. ``errors``: field name -> messages (``__all__`` for the whole).

    ``str(err)`` is ``field: message; other: message``.
    """

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {k: list(v) for k, v in errors.items()}
        parts = []
        for name, messages in self.errors.items():
            for message in messages:
                parts.append(message if name == "__all__" else f"{name}: {message}")
        super().__init__("; ".join(parts) or "invalid input")

    @classmethod
    def from_form(cls, form: forms.BaseForm) -> Invalid:
        """Build it from a bound form that did not validate."""
        return cls({name: [str(m) for m in messages] for name, messages in form.errors.items()})

    @classmethod
    def one(cls, name: str, message: str) -> Invalid:
        """One message about one field."""
        return cls({name: [message]})


class NotFound(ServiceError):
    """No object with that id (or name)."""


def _get(model: Any, pk: Any, what: str, queryset: Any = None) -> Any:
    qs = queryset if queryset is not None else model.objects.all()
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise NotFound(f"no {what} with id {pk!r}")
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"no {what} with id {pk}")
    return obj


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else utc_iso(ts, whole_seconds=True)


def _user_name(user: Any) -> str | None:
    return user.get_username() if user is not None else None


# --- alerts ----------------------------------------------------------------------------


_SEVERITY_RANK = Case(
    *(When(severity=s.value, then=Value(s.rank)) for s in Severity),
    default=Value(-1), output_field=IntegerField(),
)


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
    return qs.annotate(severity_rank=_SEVERITY_RANK).order_by("-severity_rank", "-started_at",
                                                              "-id")


def get_alert(pk: int) -> Alert:
    """Return alert ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return _get(Alert, pk, "alert", Alert.objects.select_related(
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
        alert = _get(Alert, pk, "alert", Alert.objects.select_for_update())
        if alert.state not in OPEN_STATES:
            raise Invalid.one("state", f"alert {pk} is {alert.state}; only pending or firing "
                                       "alerts can be acknowledged")
        now = timezone.now()
        alert.acknowledged_at = now
        alert.acknowledged_by = user if getattr(user, "pk", None) else None
        alert.ack_comment = form.cleaned_data["comment"]
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_comment"])
        who = _user_name(user) or by or "someone"
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
        alert = _get(Alert, pk, "alert", Alert.objects.select_for_update())
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
        "site": ({"id": site.pk, "name": site.name} if (site := device.site) else None),
        "subject": alert.subject,
        "since": _iso(alert.started_at),
        "fired_at": _iso(alert.fired_at),
        "resolved_at": _iso(alert.resolved_at),
        "value": alert.value,
        "threshold": alert.threshold,
        "message": alert.message,
        "flapping": alert.flapping,
        "acknowledged": alert.acknowledged_at is not None,
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": _user_name(alert.acknowledged_by),
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


# --- silences --------------------------------------------------------------------------


def list_silences(*, state: str = "active") -> QuerySet[Silence]:
    """Return silences: ``active`` (in force now), ``pending`` (starting later),
    ``expired`` or ``all``; ending soonest first (``all``/``expired``: newest first).

    Raises:
        Invalid: an unknown state.
    """
    if state not in SILENCE_STATES:
        raise Invalid.one("state", f"{state!r} is not one of: {', '.join(SILENCE_STATES)}")
    now = timezone.now()
    qs = Silence.objects.select_related("device", "site", "tag", "rule", "created_by")
    if state == "active":
        return qs.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at", "id")
    if state == "pending":
        return qs.filter(starts_at__gt=now).order_by("starts_at", "id")
    if state == "expired":
        return qs.filter(ends_at__lte=now).order_by("-ends_at", "-id")
    return qs.order_by("-starts_at", "-id")


def get_silence(pk: int) -> Silence:
    """Return silence ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return _get(Silence, pk, "silence",
                Silence.objects.select_related("device", "site", "tag", "rule", "created_by"))


def create_silence(data: Mapping[str, Any], *, user: Any = None) -> Silence:
    """Create a silence from ``device``/``site``/``tag``/``rule`` (id or name; none:
    every alert), ``starts_at`` (default now), ``ends_at`` or ``duration``
    (``2h``), ``reason`` (required).

    Raises:
        Invalid: naming each bad field.
    """
    form = SilenceForm(plain_data(data))
    if not form.is_valid():
        raise Invalid.from_form(form)
    silence = form.build(user)
    silence.save()
    return get_silence(silence.pk)


def expire_silence(pk: int, *, user: Any = None) -> Silence:
    """End a silence now (it stays in the list of expired ones). A silence that has
    not started yet ends before it starts.

    Raises:
        NotFound: no silence ``pk``.
        Invalid: ``ends_at`` when it already ended.
    """
    with transaction.atomic():
        silence = _get(Silence, pk, "silence", Silence.objects.select_for_update())
        now = timezone.now()
        if silence.ends_at <= now:
            raise Invalid.one("ends_at", f"silence {pk} already ended at "
                                         f"{_iso(silence.ends_at)}")
        if silence.starts_at >= now:
            silence.starts_at = now - timedelta(microseconds=1)
        silence.ends_at = now
        silence.save(update_fields=["starts_at", "ends_at"])
    return get_silence(pk)


def silence_dict(silence: Silence) -> dict[str, Any]:
    """The JSON document of a silence."""
    now = timezone.now()
    state = ("active" if silence.starts_at <= now < silence.ends_at
             else "pending" if silence.starts_at > now else "expired")

    def ref(obj: Any) -> dict[str, Any] | None:
        return None if obj is None else {"id": obj.pk, "name": obj.name}

    return {
        "id": silence.pk,
        "state": state,
        "device": ref(silence.device),
        "site": ref(silence.site),
        "tag": ref(silence.tag),
        "rule": ref(silence.rule),
        "starts_at": _iso(silence.starts_at),
        "ends_at": _iso(silence.ends_at),
        "reason": silence.reason,
        "created_by": _user_name(silence.created_by),
        "created_at": _iso(silence.created_at),
    }


# --- rules -----------------------------------------------------------------------------

#: What a new rule is when the API or the command line leaves a field out.
RULE_DEFAULTS: dict[str, Any] = {"enabled": True, "severity": Severity.WARNING.value,
                                 "comparison": ">", "for_seconds": 0, "metric": ""}


def list_rules() -> QuerySet[AlertRule]:
    """Return every rule, by name."""
    return AlertRule.objects.select_related("site", "tag", "device").order_by("name")


def get_rule(pk: int) -> AlertRule:
    """Return rule ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return _get(AlertRule, pk, "rule", list_rules())


def find_rule(ref: str | int) -> AlertRule:
    """Return the rule named ``ref`` (exact), else the rule with that id.

    Raises:
        NotFound: naming ``ref`` and a few known names.
    """
    text = str(ref).strip()
    if "\x00" in text:
        raise NotFound("no rule with a NUL character in its name")
    rule = list_rules().filter(name=text).first()
    if rule is None and text.isascii() and text.isdigit() and len(text) < 19:
        rule = list_rules().filter(pk=int(text)).first()
    if rule is None:
        known = list(AlertRule.objects.order_by("name").values_list("name", flat=True)[:8])
        raise NotFound(f"no rule {text!r}" + (f" (known: {', '.join(known)}...)" if known
                                               else " (there are no rules)"))
    return rule


#: Fields that take a list (several values); every other field takes one value.
LIST_FIELDS = frozenset({"states", "facts", "topics", "sites", "tags"})


def plain_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Plain input (API JSON, command-line options) as a form reads a posted page:
    text values (numbers as their text, ``true``/``false`` for booleans; a number
    in an :data:`OBJECT_FIELDS` field stays a number, an id), lists only for
    :data:`LIST_FIELDS`, ``None`` for "not given".

    Raises:
        Invalid: a list for a one-value field, or an object, naming the field.
    """
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if value is None or isinstance(value, Model):
            out[key] = value  # a stored object (a form's initial data) stays itself
        elif isinstance(value, list | tuple) and all(isinstance(v, Model) for v in value):
            out[key] = list(value)
        elif isinstance(value, list | tuple):
            if key not in LIST_FIELDS:
                errors[key] = ["give one value, not a list"]
            elif any(isinstance(v, list | tuple | dict) or v is None for v in value):
                errors[key] = ["give a list of names or ids"]
            else:
                out[key] = [_text(v, key) for v in value]
        elif isinstance(value, dict):
            errors[key] = ["give a value, not an object"]
        else:
            out[key] = _text(value, key)
    if errors:
        raise Invalid(errors)
    return out


#: Fields naming stored objects: a JSON number there is an id (text: a name, else an id).
OBJECT_FIELDS = frozenset({"device", "site", "tag", "rule", "sites", "tags"})


def _text(value: Any, key: str) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in OBJECT_FIELDS and isinstance(value, int):
        return value
    return str(value)


def _check_keys(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise Invalid({k: [f"unknown field (known: {', '.join(sorted(allowed))})"]
                       for k in unknown})


def _rule_fields() -> set[str]:
    return set(RuleForm.base_fields)


def save_rule_form(form: RuleForm) -> AlertRule:
    """Save a bound :class:`~mikromon.web.alerts.forms.RuleForm` (pages).

    Raises:
        Invalid: the form's errors, or ``name`` already taken.
    """
    if not form.is_valid():
        raise Invalid.from_form(form)
    with transaction.atomic():
        rule = form.save()
    return get_rule(rule.pk)


def create_rule(data: Mapping[str, Any]) -> AlertRule:
    """Create a rule from plain values (API JSON, command-line options); fields left
    out take :data:`RULE_DEFAULTS`.

    Raises:
        Invalid: naming each bad or unknown field.
    """
    _check_keys(data, _rule_fields())
    return save_rule_form(RuleForm({**plain_data(RULE_DEFAULTS), **plain_data(data)}))


def update_rule(pk: int, data: Mapping[str, Any]) -> AlertRule:
    """Change the fields given of rule ``pk``; the others stay as they are.

    Raises:
        NotFound: no rule ``pk``. Invalid: naming each bad or unknown field.
    """
    _check_keys(data, _rule_fields())
    with transaction.atomic():
        rule = _get(AlertRule, pk, "rule", AlertRule.objects.select_for_update())
        return save_rule_form(RuleForm({**plain_data(RuleForm.initial_data(rule)),
                                        **plain_data(data)}, instance=rule))


def delete_rule(pk: int) -> None:
    """Delete rule ``pk`` with its alerts, history, overrides and silences.

    Raises:
        NotFound: no rule ``pk``.
    """
    with transaction.atomic():
        _get(AlertRule, pk, "rule").delete()


def set_rule_enabled(pk: int, enabled: bool) -> AlertRule:
    """Turn rule ``pk`` on or off (its open alerts resolve when turned off).

    Raises:
        NotFound: no rule ``pk``.
    """
    with transaction.atomic():
        rule = _get(AlertRule, pk, "rule", AlertRule.objects.select_for_update())
        if rule.enabled != bool(enabled):
            rule.enabled = bool(enabled)
            rule.save(update_fields=["enabled", "updated"])
    return get_rule(pk)


def rule_dict(rule: AlertRule) -> dict[str, Any]:
    """The JSON document of a rule (kind parameters at the top level, as the form
    takes them)."""

    def ref(obj: Any) -> dict[str, Any] | None:
        return None if obj is None else {"id": obj.pk, "name": obj.name}

    doc = {
        "id": rule.pk,
        "name": rule.name,
        "kind": rule.kind,
        "enabled": rule.enabled,
        "severity": rule.severity,
        "metric": rule.metric,
        "comparison": rule.comparison,
        "threshold": rule.threshold,
        "recovery": rule.recovery,
        "for_seconds": rule.for_seconds,
        "site": ref(rule.site),
        "tag": ref(rule.tag),
        "device": ref(rule.device),
        "is_default": rule.is_default,
        "params": dict(rule.params or {}),
        "updated": _iso(rule.updated),
    }
    return doc


# --- overrides -------------------------------------------------------------------------


def list_overrides(device_pk: int) -> QuerySet[RuleOverride]:
    """Return one device's overrides."""
    return RuleOverride.objects.filter(device_id=device_pk).select_related("rule")


def set_override(rule_pk: int, device_pk: int, data: Mapping[str, Any]) -> RuleOverride:
    """Set (create or replace) device ``device_pk``'s own ``threshold``/``recovery``
    for rule ``rule_pk``, or turn the rule off for it (``enabled`` false).

    Raises:
        NotFound: no such rule or device. Invalid: naming the field.
    """
    _check_keys(data, {"threshold", "recovery", "enabled"})
    with transaction.atomic():
        rule = _get(AlertRule, rule_pk, "rule")
        device = _get(Device, device_pk, "device")
        current = RuleOverride.objects.filter(rule=rule, device=device).first()
        form = OverrideForm(plain_data(data), rule=rule, instance=current)
        if not form.is_valid():
            raise Invalid.from_form(form)
        override: RuleOverride = form.save(commit=False)
        override.rule, override.device = rule, device
        override.enabled = form.cleaned_data["enabled"]
        override.save()
    return override


def delete_override(rule_pk: int, device_pk: int) -> None:
    """Remove device ``device_pk``'s override of rule ``rule_pk``.

    Raises:
        NotFound: there is none.
    """
    deleted, _ = RuleOverride.objects.filter(rule_id=rule_pk, device_id=device_pk).delete()
    if not deleted:
        raise NotFound(f"device {device_pk} has no override of rule {rule_pk}")


def override_dict(override: RuleOverride) -> dict[str, Any]:
    """The JSON document of an override."""
    return {"rule": {"id": override.rule_id, "name": override.rule.name},
            "device": {"id": override.device_id, "name": override.device.name},
            "threshold": override.threshold, "recovery": override.recovery,
            "enabled": override.enabled}


# --- preview ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewMatch:
    """One device (and subject) a previewed rule would raise an alert for now.

    Attributes:
        device_id, device: the device's id and name.
        subject: interface, sensor or peer; ``''`` for device-wide rules.
        value, threshold: as the alert would record them (``None`` for states).
        message: the engine's sentence.
        state: ``firing``, or ``pending`` when the rule's for-duration must pass
            first (the preview sees only the latest values, not how long they held).
    """

    device_id: int
    device: str
    subject: str
    value: float | None
    threshold: float | None
    message: str
    state: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"device": {"id": self.device_id, "name": self.device},
                "subject": self.subject, "value": self.value, "threshold": self.threshold,
                "message": self.message, "state": self.state}


@dataclass(frozen=True, slots=True)
class Preview:
    """What a rule would raise now.

    Attributes:
        matches: the devices/subjects it would alert on, by device name and subject.
        devices_checked: how many enabled devices are in the rule's scope.
        note: what the preview could not judge (``''`` when nothing).
    """

    matches: list[PreviewMatch] = field(default_factory=list)
    devices_checked: int = 0
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"matches": [m.as_dict() for m in self.matches], "count": len(self.matches),
                "devices_checked": self.devices_checked, "note": self.note}


_PREVIEW_ID = -1
_UP_KINDS = {RuleKind.LINK_DOWN.value, RuleKind.BGP_DOWN.value, RuleKind.OSPF_DOWN.value}


def preview_rule(data: Mapping[str, Any], *, rule_id: int | None = None) -> Preview:
    """Evaluate a rule that is not saved (or an edited copy of rule ``rule_id``)
    against the latest stored values, device states and recent events; change
    nothing.

    ``data`` is what :func:`create_rule` takes (with ``rule_id``: what
    :func:`update_rule` takes, over the stored rule), or a page's posted form
    (``request.POST``; its CSRF token is ignored). The name may be left out.
    The rule's engine (:class:`mikromon.alerting.engine.AlertEngine`) judges, with
    these readings of stored data: a level rule sees each series' latest value; a
    rate rule its last two points; a utilisation rule each interface's latest
    rate and link speed; a link/BGP/OSPF rule a subject whose latest value
    is 0, a health rule a sensor whose word is failing, as gone down (the live
    engine also needs to have seen it up);
    a device-state rule the device's state; reboot and change rules the events of
    their hold time; no-data rules the time of the newest sample.

    Raises:
        Invalid: naming each bad field. NotFound: no rule ``rule_id``.
    """
    from mikromon.web.alerts.store import load_ruleset
    from mikromon.web.monitor.models import Event as EventRow

    if hasattr(data, "getlist"):  # a page's posted form
        data = {k: (data.getlist(k) if k in ("states", "facts") else data.get(k))
                for k in data if k != "csrfmiddlewaretoken"}
    _check_keys(data, _rule_fields())
    data = plain_data(data)
    if rule_id is not None:
        stored = get_rule(rule_id)
        form = RuleForm({**plain_data(RuleForm.initial_data(stored)), **data}, instance=stored)
    else:
        form = RuleForm({**plain_data(RULE_DEFAULTS), "name": "preview", **data})
    if not form.is_valid():
        raise Invalid.from_form(form)
    mapping = form.engine_mapping()
    rule = rule_from_mapping({**mapping, "id": rule_id or _PREVIEW_ID, "enabled": True})
    for_seconds = rule.for_seconds
    rule = replace(rule, for_seconds=0.0)
    full = load_ruleset()
    overrides = {k: v for k, v in full.overrides.items() if k[0] == rule.id}
    devices = {pk: d for pk, d in full.devices.items() if d.enabled and rule.applies_to(d)}
    now = timezone.now()
    engine = AlertEngine(RuleSet((rule,), overrides, devices), started=now - timedelta(days=3650))
    note = ""
    kind = rule.kind
    if kind == RuleKind.LOG.value:
        note = "log rules match router log lines as they arrive; there is nothing to preview"
        devices = {}
    states = dict(Device.objects.filter(pk__in=list(devices)).values_list("pk", "state"))
    since = now - timedelta(seconds=rule.hold_seconds)
    health = (_health_states(list(devices))
              if devices and kind == RuleKind.HEALTH_FAIL.value else {})
    latest = (_latest_samples(kind, rule.metric, list(devices))
              if devices and kind != RuleKind.HEALTH_FAIL.value else {})
    for device_id in sorted(devices):
        if kind == RuleKind.DEVICE_STATE.value:
            engine.observe_status(DeviceStatus(device_id=device_id,
                                               state=_device_state(states.get(device_id)),
                                               ts=now))
            continue
        if kind in (RuleKind.REBOOT.value, RuleKind.FACT_CHANGED.value):
            kinds = ([EventKind.REBOOT] if kind == RuleKind.REBOOT.value
                     else [EventKind.VERSION_CHANGED, EventKind.BOARD_CHANGED])
            rows = EventRow.objects.filter(device_id=device_id, kind__in=kinds, ts__gte=since)
            engine.observe_events(Event(device_id=device_id, ts=r.ts, kind=EventKind(r.kind),
                                        message=r.message) for r in rows.order_by("ts", "id"))
            continue
        if kind == RuleKind.HEALTH_FAIL.value:
            sensors = health.get(device_id, [])
            # Seen ok a moment before: a sensor failing now counts as failed.
            engine.observe_health(device_id, [{**r, "state": "ok"} for r in sensors],
                                  now - timedelta(seconds=1))
            engine.observe_health(device_id, sensors, now)
            continue
        samples = latest.get(device_id, [])
        if kind in _UP_KINDS:
            # Seen up a moment before: a subject at 0 now counts as gone down.
            engine.observe_samples(device_id, [
                replace(smp, value=1.0, ts=smp.ts - timedelta(seconds=1)) for smp in samples
                if smp.key != "iface.disabled"])
        elif kind == RuleKind.RATE.value:
            engine.observe_samples(device_id, _previous_points(device_id, samples))
        elif kind == RuleKind.UTILISATION.value:
            # The link speed (medium tier) is older than the rates: learn it first.
            samples = sorted(samples, key=lambda smp: smp.key != _LINK_SPEED)
        engine.observe_samples(device_id, samples)
    engine.tick(now)
    last: dict[tuple[int, str], Any] = {}
    for t in engine.drain():
        last[(t.device_id, t.subject)] = t
    matches = []
    names = {pk: d.label for pk, d in devices.items()}
    pending = for_seconds > 0 and kind not in (RuleKind.REBOOT.value,
                                               RuleKind.FACT_CHANGED.value)
    for t in last.values():
        if t.state is not AlertState.FIRING:
            continue
        matches.append(PreviewMatch(
            device_id=t.device_id, device=names.get(t.device_id, str(t.device_id)),
            subject=t.subject, value=t.value, threshold=t.threshold,
            message=t.message, state="pending" if pending else "firing"))
    matches.sort(key=lambda m: (m.device.lower(), m.subject))
    return Preview(matches=matches, devices_checked=len(devices), note=note)


#: Keys a preview of these kinds reads.
_PREVIEW_KEYS: dict[str, tuple[str, ...]] = {
    RuleKind.LINK_DOWN.value: ("iface.running", "iface.disabled"),
    RuleKind.BGP_DOWN.value: ("bgp.established",),
    RuleKind.OSPF_DOWN.value: ("ospf.neighbor_full", "ospf.neighbors"),
    RuleKind.UTILISATION.value: ("iface.rx_bps", "iface.tx_bps", "iface.link_speed_bps"),
}
#: Read before the rates by a utilisation preview: the link speed they are a share of.
_LINK_SPEED = "iface.link_speed_bps"


def _latest_samples(kind: str, metric: str, device_ids: list[int]) -> dict[int, list[Sample]]:
    """The latest stored values a preview of ``kind`` reads, per device, newest first
    (one query). ``no_data`` reads only each device's newest time."""
    from django.db.models import Max

    from mikromon.web.monitor.models import MetricLatest

    rows = MetricLatest.objects.filter(series__device_id__in=device_ids)
    if kind == RuleKind.NO_DATA.value:
        if metric:
            rows = rows.filter(series__key=metric)
        out: dict[int, list[Sample]] = {}
        for newest in rows.values("series__device_id").annotate(newest=Max("ts")):
            out[newest["series__device_id"]] = [
                Sample(metric or "any", 0.0, newest["newest"])]
        return out
    if kind in _PREVIEW_KEYS:
        rows = rows.filter(series__key__in=_PREVIEW_KEYS[kind])
    else:
        rows = rows.filter(series__key=metric)
    out = {}
    for row in rows.select_related("series").order_by("-ts", "series_id"):
        series = row.series
        out.setdefault(series.device_id, []).append(
            Sample(series.key, row.value, row.ts, tuple(sorted(series.labels.items()))))
    return out


def _health_states(device_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """Each device's health state sensors as the router words them (the
    ``health_states`` inventory table), ``{"name": "psu1-state", "state": "fail"}``."""
    from mikromon.web.monitor.models import InventoryItem

    out: dict[int, list[dict[str, str]]] = {}
    rows = (InventoryItem.objects.filter(device_id__in=device_ids,
                                         table=catalog.HEALTH_STATES_TABLE, gone=False)
            .values_list("device_id", "data"))
    for device_id, data in rows:
        name, word = (data or {}).get("name"), (data or {}).get("state")
        if isinstance(name, str) and isinstance(word, str):
            out.setdefault(device_id, []).append({"name": name, "state": word})
    return out


def _previous_points(device_id: int, latest: list[Sample]) -> list[Sample]:
    """For each latest value, the stored point of its series just before it (rates)."""
    from mikromon.web.monitor.models import MetricPoint, labels_key

    out = []
    for smp in latest:
        # Points are stored to the second (Unix seconds); the latest value's own
        # point is the one at its second.
        point = (MetricPoint.objects
                 .filter(series__device_id=device_id, series__key=smp.key,
                         series__labels_key=labels_key(smp.labels),
                         ts__lt=int(smp.ts.timestamp()))
                 .order_by("-ts").values_list("ts", "value").first())
        if point is not None:
            out.append(Sample(smp.key, point[1], datetime.fromtimestamp(point[0], tz=UTC),
                              smp.labels))
    return out


def _device_state(value: str | None) -> DeviceState | Any:
    try:
        return DeviceState(value or "unknown")
    except ValueError:
        return value  # a newer state ("slow", "degraded"): the engine compares text


# --- channels --------------------------------------------------------------------------


def list_channels() -> QuerySet[NotificationChannel]:
    """Return every channel by name (sites and tags prefetched)."""
    return NotificationChannel.objects.prefetch_related("sites", "tags").order_by("name")


def get_channel(pk: int) -> NotificationChannel:
    """Return channel ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return _get(NotificationChannel, pk, "channel", list_channels())


def _channel_fields() -> set[str]:
    return set(ChannelForm.base_fields)


def save_channel_form(form: forms.ModelForm[NotificationChannel]) -> NotificationChannel:
    """Save a bound :class:`~mikromon.web.alerts.forms.ChannelForm` (pages).

    Raises:
        Invalid: the form's errors.
    """
    if not form.is_valid():
        raise Invalid.from_form(form)
    with transaction.atomic():
        channel = form.save()
    return get_channel(channel.pk)


def create_channel(data: Mapping[str, Any]) -> NotificationChannel:
    """Create a channel from plain values; ``url`` (and a webhook's ``secret``) are
    stored encrypted. Left out: the model's defaults (minimum severity warning).

    Raises:
        Invalid: naming each bad or unknown field.
    """
    _check_keys(data, _channel_fields())
    return save_channel_form(ChannelForm({"min_severity": Severity.WARNING.value,
                                          **plain_data(data)}))


def _channel_initial(channel: NotificationChannel) -> dict[str, Any]:
    return {
        "name": channel.name, "kind": channel.kind, "enabled": channel.enabled,
        "min_severity": channel.min_severity,
        "sites": list(channel.sites.all()), "tags": list(channel.tags.all()),
        "send_resolved": channel.send_resolved, "repeat_interval_s": channel.repeat_interval_s,
        "group_window_s": channel.group_window_s, "timeout_s": channel.timeout_s,
        "max_attempts": channel.max_attempts, "retry_base_s": channel.retry_base_s,
    }


def update_channel(pk: int, data: Mapping[str, Any]) -> NotificationChannel:
    """Change the fields given of channel ``pk`` (``url``/``secret`` left out: kept).

    Raises:
        NotFound: no channel ``pk``. Invalid: naming each bad or unknown field.
    """
    _check_keys(data, _channel_fields())
    with transaction.atomic():
        channel = _get(NotificationChannel, pk, "channel",
                       NotificationChannel.objects.select_for_update())
        form = ChannelForm({**plain_data(_channel_initial(channel)), **plain_data(data)},
                           instance=channel)
        return save_channel_form(form)


def delete_channel(pk: int) -> None:
    """Delete channel ``pk`` and its outbox.

    Raises:
        NotFound: no channel ``pk``.
    """
    with transaction.atomic():
        _get(NotificationChannel, pk, "channel").delete()


def test_channel(pk: int) -> outbox.SendResult:
    """Send a test message through channel ``pk`` now (see
    :func:`mikromon.web.notify.outbox.send_test`); a failure is a result.

    Raises:
        NotFound: no channel ``pk``.
    """
    _get(NotificationChannel, pk, "channel")
    return outbox.send_test(pk)


def channel_dict(channel: NotificationChannel, *, status: bool = True) -> dict[str, Any]:
    """The JSON document of a channel: the target masked, never the URL or secret in
    clear; with ``status``, delivery counts by state, the last error and the last
    message sent."""
    doc: dict[str, Any] = {
        "id": channel.pk,
        "name": channel.name,
        "kind": channel.kind,
        "enabled": channel.enabled,
        "target": channel.target_display(),
        "has_secret": channel.has_secret,
        "min_severity": channel.min_severity,
        "sites": [{"id": s.pk, "name": s.name} for s in channel.sites.all()],
        "tags": [{"id": t.pk, "name": t.name} for t in channel.tags.all()],
        "send_resolved": channel.send_resolved,
        "repeat_interval_s": channel.repeat_interval_s,
        "group_window_s": channel.group_window_s,
        "timeout_s": channel.timeout_s,
        "max_attempts": channel.max_attempts,
        "retry_base_s": channel.retry_base_s,
    }
    if status:
        st = outbox.channel_status(channel)
        doc["delivery"] = {"counts": st["counts"], "last_error": st["last_error"],
                           "last_sent_at": _iso(st["last_sent_at"])}
    return doc
