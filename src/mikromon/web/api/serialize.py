"""Turning models into the JSON documents of the API (never a password)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from mikromon.domain.catalog import HEALTH_STATES_TABLE, is_failing, lookup
from mikromon.domain.devices import endpoint
from mikromon.domain.errors import ConfigError
from mikromon.domain.tiers import Tier
from mikromon.schedule import time_scale
from mikromon.web.control.formats import utc_seconds
from mikromon.web.monitor.models import Device, InventoryItem, MetricLatest
from mikromon.web.monitor.readers import LatestValue
from mikromon.web.ui.templatetags.mikromon_ui import STATE_LABELS

#: Device-wide metrics shown in device lists: annotation name -> metric key.
SUMMARY_METRICS = {
    "cpu_pct": "system.cpu.load_pct",
    "memory_pct": "system.memory.used_pct",
    "uptime_s": "system.uptime_seconds",
}

#: The device-wide metric every successful realtime poll writes: the time of its
#: latest value is the newest contact with the router (the device's status row,
#: with ``last_seen``, is refreshed only every 30 s while nothing changes).
CONTACT_METRIC = "system.uptime_seconds"
#: An "up" device whose newest data is older than this many realtime intervals is
#: shown as stale.
STALE_INTERVALS = 3
#: ... but never sooner than this, seconds (tiny time scales of demos and tests).
STALE_FLOOR_S = 2.0


def iso(ts: datetime | None) -> str | None:
    """Return an aware datetime as ISO 8601 UTC to the second (``...Z``), ``None`` as
    ``None``: the one time format of the API and the commands."""
    return None if ts is None else utc_seconds(ts)


def with_summary(queryset: QuerySet[Device]) -> QuerySet[Device]:
    """Annotate devices with their latest CPU %, memory % and uptime (seconds), or
    ``None`` where nothing was collected."""
    annotations = {
        name: Subquery(
            MetricLatest.objects.filter(
                series__device=OuterRef("pk"), series__key=key, series__labels_key="{}"
            ).values("value")[:1]
        )
        for name, key in SUMMARY_METRICS.items()
    }
    return with_contact(queryset.annotate(**annotations))


def with_contact(queryset: QuerySet[Device]) -> QuerySet[Device]:
    """Annotate devices with ``data_ts``: the time (UTC) of the newest
    :data:`CONTACT_METRIC` value, ``None`` when there is none."""
    return queryset.annotate(data_ts=Subquery(
        MetricLatest.objects.filter(
            series__device=OuterRef("pk"), series__key=CONTACT_METRIC, series__labels_key="{}"
        ).values("ts")[:1]
    ))


def effective_time_scale() -> float:
    """The collector's time scale (``MIKROMON_TIME_SCALE``), 1.0 when unset or invalid."""
    try:
        return time_scale()
    except ConfigError:
        return 1.0


def last_contact(device: Device) -> datetime | None:
    """Return the newest of ``last_seen`` and ``data_ts`` (see :func:`with_contact`),
    UTC, or ``None`` when the router never answered."""
    times = [t for t in (device.last_seen, getattr(device, "data_ts", None)) if t is not None]
    return max(times) if times else None


#: States of a router that answers polls (its data keeps coming): up, and degraded
#: (a PSU or fan state sensor failing).
ANSWERING = frozenset({"up", "degraded"})


def stale_after_s(device: Device) -> float:
    """Seconds without news after which an "up" device counts as stale:
    :data:`STALE_INTERVALS` realtime intervals at the collector's time scale, at
    least :data:`STALE_FLOOR_S`."""
    interval = device.realtime_interval * effective_time_scale()
    return max(STALE_FLOOR_S, STALE_INTERVALS * interval)


def is_stale(device: Device, now: datetime | None = None) -> bool:
    """Whether ``device`` says "up" but its newest data is older than
    :func:`stale_after_s` (collector stopped or stuck). Other states are never stale:
    they already say that no data comes."""
    if device.state not in ANSWERING:
        return False
    contact = last_contact(device)
    if contact is None:
        return True
    now = now or timezone.now()
    return (now - contact).total_seconds() > stale_after_s(device)


def unit_of(key: str) -> str:
    """Return the catalog unit of ``key`` ('' for keys not in the catalog), including
    the unit judged from the sensor name of ``system.health.<name>`` keys: the one
    place the API, the pages and ``mikromon export`` take units from."""
    try:
        return lookup(key).unit
    except KeyError:
        return ""


def is_known_metric(key: str, device_id: int | None = None) -> bool:
    """Whether ``key`` is in the metric catalog (``system.health.<name>`` included) or,
    when ``device_id`` is given, stored for that device (a key the catalog lacks).

    The API and ``mikromon export`` refuse unknown keys (400 / exit 2) and answer a
    known key without data with an empty result.
    """
    try:
        lookup(key)
    except KeyError:
        if device_id is None:
            return False
        from mikromon.web.monitor.models import Series

        return Series.objects.filter(device_id=device_id, key=key).exists()
    return True


def device_state(device: Device) -> dict[str, Any]:
    """Return a device's state fields; ``stale`` and ``last_data`` (the newest
    contact, see :func:`last_contact`) are exact for devices annotated by
    :func:`with_contact` and use ``last_seen`` alone otherwise."""
    return {
        "state": device.state,
        "state_label": STATE_LABELS.get(device.state, device.state),
        "stale": is_stale(device),
        "last_data": iso(last_contact(device)),
        "last_seen": iso(device.last_seen),
        "last_error": device.last_error,
        "status_changed_at": iso(device.status_changed_at),
        "identity": device.identity,
        "board": device.board,
        "version": device.ros_version,
    }


def device_dict(device: Device, *, detail: bool = False) -> dict[str, Any]:
    """Return a device as JSON (the one device document of the API and of
    ``mikromon device list --json``; docs/api.md): configuration (no password:
    only ``has_password``; ``endpoint``: ``host:port``, an IPv6 host in brackets),
    state and, when annotated by :func:`with_summary`, the summary values."""
    doc: dict[str, Any] = {
        "id": device.pk,
        "name": device.name,
        "host": device.host,
        "port": device.port,
        "endpoint": endpoint(device.host, device.port),
        "enabled": device.enabled,
        "site": {"id": device.site.pk, "name": device.site.name} if device.site else None,
        "tags": [t.name for t in device.tags.all()],
        **device_state(device),
        "summary": {name: getattr(device, name, None) for name in SUMMARY_METRICS},
        "urls": {
            "self": reverse("api:device", args=[device.pk]),
            "dashboard": reverse("ui:device_dashboard", args=[device.pk]),
        },
    }
    if detail:
        doc.update({
            "username": device.username,
            "has_password": device.has_password,
            "use_ssl": device.use_ssl,
            "tls_verify": device.tls_verify,
            "encoding": device.encoding,
            "notes": device.notes,
            "intervals": {tier.value: device.intervals[tier] for tier in Tier},
            "created_at": iso(device.created_at),
            "updated_at": iso(device.updated_at),
        })
    return doc


def devices_for_documents() -> QuerySet[Device]:
    """All devices, by name, ready for :func:`device_dict` (site and tags loaded,
    annotated by :func:`with_summary`): the API's device list and
    ``mikromon device list|show --json`` read them from here."""
    return with_summary(Device.objects.select_related("site").prefetch_related("tags"))


def device_document(device: Device) -> dict[str, Any]:
    """Return one device as ``GET /api/v1/devices/<id>`` and ``mikromon device show
    --json`` answer it (docs/api.md): :func:`device_dict` with ``detail`` and
    ``inventory_tables`` (table -> rows currently reported)."""
    from mikromon.web.api.inventory import row_counts

    doc = device_dict(device, detail=True)
    doc["inventory_tables"] = row_counts(device)
    return doc


def health_states(device_id: int) -> list[dict[str, Any]]:
    """Return the device's health state sensors as the router words them:
    ``[{"name": "psu1-state", "state": "fail", "failing": True}]``, by name (the
    ``health_states`` inventory table of mikromon.collectors.system_health;
    ``failing``: :func:`mikromon.domain.catalog.is_failing`)."""
    rows = (InventoryItem.objects.filter(device_id=device_id, table=HEALTH_STATES_TABLE,
                                         gone=False).values_list("data", flat=True))
    out = []
    for data in rows:
        name, word = (data or {}).get("name"), (data or {}).get("state")
        if isinstance(name, str) and isinstance(word, str):
            out.append({"name": name, "state": word, "failing": is_failing(word)})
    return sorted(out, key=lambda r: r["name"])


def latest_list(values: Iterable[LatestValue]) -> list[dict[str, Any]]:
    """Return latest values as ``[{key, labels, value, unit, ts}]``."""
    return [
        {"key": v.key, "labels": v.labels, "value": v.value, "unit": unit_of(v.key),
         "ts": iso(v.ts)}
        for v in values
    ]
