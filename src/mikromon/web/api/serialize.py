"""Turning models into the JSON documents of the API (never a password)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from mikromon.domain.catalog import lookup
from mikromon.domain.tiers import Tier
from mikromon.web.monitor.models import Device, MetricLatest
from mikromon.web.monitor.readers import LatestValue
from mikromon.web.ui.templatetags.mikromon_ui import STATE_LABELS

#: Device-wide metrics shown in device lists: annotation name -> metric key.
SUMMARY_METRICS = {
    "cpu_pct": "system.cpu.load_pct",
    "memory_pct": "system.memory.used_pct",
    "uptime_s": "system.uptime_seconds",
}


def iso(ts: datetime | None) -> str | None:
    """Return an aware datetime as ISO 8601 UTC (``...Z``), ``None`` as ``None``."""
    if ts is None:
        return None
    return ts.isoformat().replace("+00:00", "Z")


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
    return queryset.annotate(**annotations)


def unit_of(key: str) -> str:
    """Return the catalog unit of ``key`` ('' for keys not in the catalog)."""
    try:
        return lookup(key).unit
    except KeyError:
        return ""


def device_state(device: Device) -> dict[str, Any]:
    """Return a device's state fields."""
    return {
        "state": device.state,
        "state_label": STATE_LABELS.get(device.state, device.state),
        "last_seen": iso(device.last_seen),
        "last_error": device.last_error,
        "status_changed_at": iso(device.status_changed_at),
        "identity": device.identity,
        "board": device.board,
        "version": device.ros_version,
    }


def device_dict(device: Device, *, detail: bool = False) -> dict[str, Any]:
    """Return a device as JSON: configuration (no password: only ``has_password``),
    state and, when annotated by :func:`with_summary`, the summary values."""
    doc: dict[str, Any] = {
        "id": device.pk,
        "name": device.name,
        "host": device.host,
        "port": device.port,
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


def latest_list(values: Iterable[LatestValue]) -> list[dict[str, Any]]:
    """Return latest values as ``[{key, labels, value, unit, ts}]``."""
    return [
        {"key": v.key, "labels": v.labels, "value": v.value, "unit": unit_of(v.key),
         "ts": iso(v.ts)}
        for v in values
    ]
