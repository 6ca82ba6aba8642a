"""The availability report read from the database: up/down and link events, the
devices' present state and their interfaces' ``iface.running``, for one page of
devices (or all) in a few queries whatever the number of devices; the arithmetic is
in :mod:`mikromon.domain.availability`. What is counted how: docs/operations.md,
"Reports"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from mikromon.domain.availability import (
    Availability,
    Change,
    Presence,
    Span,
    mask,
    state_at_start,
    summarize,
    timeline,
    unknown_outside,
)
from mikromon.domain.events import EventKind
from mikromon.domain.names import natural_order
from mikromon.web.monitor.models import Device, Event, MetricLatest

_DEVICE_KINDS = {EventKind.DEVICE_UP.value: Presence.UP,
                 EventKind.DEVICE_DOWN.value: Presence.DOWN,
                 EventKind.AUTH_FAILED.value: Presence.UNKNOWN}
_LINK_KINDS = {EventKind.LINK_UP.value: Presence.UP, EventKind.LINK_DOWN.value: Presence.DOWN}
#: A device's present state as the fallback when it has no up/down event at all.
_NOW_STATES = {"up": Presence.UP, "degraded": Presence.UP, "slow": Presence.UP,
               "down": Presence.DOWN}


@dataclass(frozen=True, slots=True)
class InterfaceAvailability:
    """One interface's availability (``name`` as the router spells it)."""

    name: str
    availability: Availability


@dataclass(frozen=True, slots=True)
class DeviceAvailability:
    """One device's availability and its interfaces' (by name)."""

    device_id: int
    device: str
    availability: Availability
    interfaces: list[InterfaceAvailability] = field(default_factory=list)


def _epoch(ts: datetime) -> float:
    return ts.timestamp()


def link_name(message: str) -> str | None:
    """Return the interface named by a link event's message (``interface ether1 link
    up``, mikromon.schedule.changes), ``None`` for another wording."""
    for tail in (" link up", " link down"):
        if message.startswith("interface ") and message.endswith(tail):
            return message[len("interface "):-len(tail)] or None
    return None


def device_count(device_id: int | None = None) -> int:
    """Return how many devices the availability report has rows for."""
    qs = Device.objects.all()
    return (qs.filter(pk=device_id) if device_id is not None else qs).count()


def _devices(start: float, device_id: int | None, offset: int,
             limit: int | None) -> list[Any]:
    """The page of devices by name, each with the kind of its last up/down event
    before ``start`` (``before_kind``) and the time of its last one (``last_ts``)."""
    kinds = list(_DEVICE_KINDS)
    own = Event.objects.filter(device=OuterRef("pk"), kind__in=kinds)
    qs = Device.objects.order_by("name_key", "name", "pk").only(
        "pk", "name", "state", "enabled", "created_at").annotate(
        before_kind=Subquery(own.filter(ts__lt=datetime.fromtimestamp(start, UTC))
                             .order_by("-ts", "-id").values("kind")[:1]),
        last_ts=Subquery(own.order_by("-ts", "-id").values("ts")[:1]))
    if device_id is not None:
        qs = qs.filter(pk=device_id)
    return list(qs[offset:] if limit is None else qs[offset:offset + limit])


def availability_report(start: float, end: float, now: float, device_id: int | None = None,
                        *, offset: int = 0,
                        limit: int | None = None) -> list[DeviceAvailability]:
    """Return the availability of every device (or one) and of its interfaces over
    ``[start, end)``, Unix seconds; time after ``now`` is unknown. Devices by name;
    ``offset``/``limit`` pick a page of them (only those are read, in four queries
    for the page)."""
    devices = _devices(start, device_id, offset, limit)
    ids = [dev.pk for dev in devices]
    inside: dict[int, list[Change]] = {}
    for dev_id, ts, kind in Event.objects.filter(
            device_id__in=ids, kind__in=list(_DEVICE_KINDS),
            ts__gte=datetime.fromtimestamp(start, UTC),
            ts__lt=datetime.fromtimestamp(end, UTC)).order_by("ts", "id").values_list(
            "device_id", "ts", "kind"):
        inside.setdefault(dev_id, []).append(Change(_epoch(ts), _DEVICE_KINDS[kind]))
    links = _link_changes(ids, start, end)
    running = _running(ids)
    out = []
    for dev in devices:
        changes = inside.get(dev.pk, [])
        fallback = _NOW_STATES.get(dev.state, Presence.UNKNOWN)
        before = _DEVICE_KINDS[dev.before_kind] if dev.before_kind else None
        initial = state_at_start(before, changes[0].state if changes else None, fallback)
        known_until = now
        if not dev.enabled:  # when it was disabled is not stored: after its last event
            known_until = min(now, _epoch(dev.last_ts or dev.created_at))
        spans = unknown_outside(timeline(start, end, initial, changes), _epoch(dev.created_at),
                                known_until)
        before_links, inside_links = links.get(dev.pk, ({}, {}))
        out.append(DeviceAvailability(
            device_id=dev.pk, device=dev.name, availability=summarize(spans),
            interfaces=_interfaces(start, end, spans, before_links, inside_links,
                                   running.get(dev.pk, {}))))
    return out


def _link_changes(ids: list[int], start: float, end: float
                  ) -> dict[int, tuple[dict[str, Presence], dict[str, list[Change]]]]:
    """Per device: each interface's state left by its last link event before
    ``start``, and its link changes in ``[start, end)``."""
    out: dict[int, tuple[dict[str, Presence], dict[str, list[Change]]]] = {}
    rows = (Event.objects.filter(device_id__in=ids, kind__in=list(_LINK_KINDS),
                                 ts__lt=datetime.fromtimestamp(end, UTC))
            .order_by("ts", "id").values_list("device_id", "ts", "kind", "message"))
    for dev_id, ts, kind, message in rows.iterator():
        name = link_name(message)
        if name is None:
            continue
        before, inside = out.setdefault(dev_id, ({}, {}))
        if _epoch(ts) < start:
            before[name] = _LINK_KINDS[kind]
        else:
            inside.setdefault(name, []).append(Change(_epoch(ts), _LINK_KINDS[kind]))
    return out


def _running(ids: list[int]) -> dict[int, dict[str, Presence]]:
    """Per device: each interface's latest ``iface.running`` as a state."""
    out: dict[int, dict[str, Presence]] = {}
    for dev_id, labels, value in MetricLatest.objects.filter(
            series__device_id__in=ids, series__key="iface.running").values_list(
            "series__device_id", "series__labels", "value"):
        if isinstance(labels, dict) and labels.get("interface"):
            out.setdefault(dev_id, {})[str(labels["interface"])] = (
                Presence.UP if value >= 0.5 else Presence.DOWN)
    return out


def _interfaces(start: float, end: float, device_spans: list[Span],
                before: dict[str, Presence], inside: dict[str, list[Change]],
                running: dict[str, Presence]) -> list[InterfaceAvailability]:
    out = []
    for name in sorted(set(before) | set(inside) | set(running), key=natural_order):
        changes = inside.get(name, [])
        initial = state_at_start(before.get(name), changes[0].state if changes else None,
                                 running.get(name, Presence.UNKNOWN))
        spans = mask(timeline(start, end, initial, changes), device_spans)
        out.append(InterfaceAvailability(name=name, availability=summarize(spans)))
    return out
