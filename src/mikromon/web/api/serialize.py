"""Turning models into the JSON documents of the API (never a password): devices
(also ``mikromon device list|show --json``) and latest values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from mikromon.domain.devices import endpoint
from mikromon.domain.tiers import Tier
from mikromon.web.control.formats import iso
from mikromon.web.monitor.models import Device
from mikromon.web.monitor.models.device_reads import SUMMARY_METRICS
from mikromon.web.monitor.readers import LatestValue, unit_of


def device_state(device: Device) -> dict[str, Any]:
    """Return a device's state fields; ``stale`` and ``last_data`` (the newest
    contact, ``Device.last_contact``) are exact for devices annotated by
    ``Device.objects.with_contact()`` and use ``last_seen`` alone otherwise."""
    return {
        "state": device.state,
        "state_label": device.state_label,
        "stale": device.is_stale(),
        "last_data": iso(device.last_contact()),
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
    state and, when annotated by ``Device.objects.with_summary()``, the summary
    values."""
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


def device_document(device: Device) -> dict[str, Any]:
    """Return one device as ``GET /api/v1/devices/<id>`` and ``mikromon device show
    --json`` answer it (docs/api.md): :func:`device_dict` with ``detail`` and
    ``inventory_tables`` (table -> rows currently reported)."""
    from mikromon.web.monitor.inventory import row_counts

    doc = device_dict(device, detail=True)
    doc["inventory_tables"] = row_counts(device)
    return doc


def latest_list(values: Iterable[LatestValue]) -> list[dict[str, Any]]:
    """Return latest values as ``[{key, labels, value, unit, ts}]``."""
    return [
        {"key": v.key, "labels": v.labels, "value": v.value, "unit": unit_of(v.key),
         "ts": iso(v.ts)}
        for v in values
    ]
