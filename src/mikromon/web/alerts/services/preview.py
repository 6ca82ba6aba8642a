"""What an unsaved (or edited) rule would raise now, judged by the rule engine
over the latest stored values, device states and events; nothing changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import RuleSet
from mikromon.alerting.tracking import LINK_SPEED, UP_KINDS
from mikromon.domain import catalog
from mikromon.domain.alerts import AlertState, RuleKind
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.samples import Sample
from mikromon.web.alerts.rule_form import RuleForm
from mikromon.web.alerts.services.common import Invalid, check_keys, plain_data
from mikromon.web.alerts.services.rules import RULE_DEFAULTS, get_rule, rule_fields
from mikromon.web.monitor.models import Device


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
    check_keys(data, rule_fields())
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
        if kind in UP_KINDS:
            # Seen up a moment before: a subject at 0 now counts as gone down.
            engine.observe_samples(device_id, [
                replace(smp, value=1.0, ts=smp.ts - timedelta(seconds=1)) for smp in samples
                if smp.key != "iface.disabled"])
        elif kind == RuleKind.RATE.value:
            engine.observe_samples(device_id, _previous_points(device_id, samples))
        elif kind == RuleKind.UTILISATION.value:
            # The link speed (medium tier) is older than the rates: learn it first.
            samples = sorted(samples, key=lambda smp: smp.key != LINK_SPEED)
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
    from mikromon.web.monitor.models import Series, labels_key
    from mikromon.web.monitor.points import previous_point

    out = []
    for smp in latest:
        series_id = Series.objects.filter(device_id=device_id, key=smp.key,
                                          labels_key=labels_key(smp.labels)).values_list(
            "pk", flat=True).first()
        # Points are stored to the second (Unix seconds); the latest value's own
        # point is the one at its second.
        point = None if series_id is None else previous_point(
            series_id, int(smp.ts.timestamp()))
        if point is not None:
            out.append(Sample(smp.key, point[1], datetime.fromtimestamp(point[0], tz=UTC),
                              smp.labels))
    return out


def _device_state(value: str | None) -> DeviceState | Any:
    try:
        return DeviceState(value or "unknown")
    except ValueError:
        return value  # a newer state ("slow", "degraded"): the engine compares text
