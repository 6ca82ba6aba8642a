"""Events are stored with their kind's severity: by the collector's writer, by the
model's save, and for rows stored before the column existed (migration 0008)."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps

from mikromon.domain.events import Event, EventKind
from mikromon.web.monitor.models import Device
from mikromon.web.monitor.models import Event as EventRow
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def test_the_writer_stores_every_kinds_severity(device: Device, t0: datetime) -> None:
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_events([
        Event(device_id=device.pk, ts=t0 + timedelta(seconds=i), kind=kind,
              message=f"{kind} happened", path=f"/p/{i}")
        for i, kind in enumerate(EventKind)
    ])
    stored = dict(EventRow.objects.values_list("kind", "severity"))
    assert stored == {kind.value: kind.severity.value for kind in EventKind}
    assert {"critical", "warning", "info"} == set(stored.values())


def test_saving_a_row_without_severity_takes_the_kinds(device: Device, t0: datetime) -> None:
    row = EventRow.objects.create(device=device, ts=t0, kind="device_down", message="down")
    assert EventRow.objects.get(pk=row.pk).severity == "critical"
    odd = EventRow.objects.create(device=device, ts=t0, kind="not-a-kind", message="?")
    assert EventRow.objects.get(pk=odd.pk).severity == "info"


def test_migration_fills_severity_of_older_rows(device: Device, t0: datetime) -> None:
    """Rows stored before 0008 had no severity (the column came with ``info``):
    the backfill sets each from its kind."""
    migration = importlib.import_module("mikromon.web.monitor.migrations.0008_event_severity")
    for i, kind in enumerate(EventKind):
        EventRow.objects.create(device=device, ts=t0 + timedelta(seconds=i), kind=kind.value,
                                message="old", severity="info")
    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    migration.backfill_severities(apps, editor)
    stored = dict(EventRow.objects.values_list("kind", "severity"))
    assert stored == {kind.value: kind.severity.value for kind in EventKind}
