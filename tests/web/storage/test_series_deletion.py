"""Deleting a device or a series deletes its samples everywhere they are kept:
head points (no foreign key constraint in the database: Django's cascade deletes
them), chunks, rollups, latest values; also while the writer writes for it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from mikromon.domain.samples import Sample, make_labels
from mikromon.web.monitor.models import (
    Device,
    MetricChunk,
    MetricLatest,
    MetricPoint,
    MetricRollup,
    Series,
)
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend]


def _device(name: str) -> Device:
    dev = Device(name=name, host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    return dev


def _samples(t0: datetime, count: int = 3) -> list[Sample]:
    return [Sample("iface.rx_bps", float(n), t0 + timedelta(seconds=5 * n),
                   make_labels(interface="ether1")) for n in range(count)] + [
        Sample("system.cpu.load_pct", 10.0, t0)]


def _kept(series_ids: list[int]) -> dict[str, int]:
    """Rows of ``series_ids`` left in each table of samples."""
    return {model.__name__: model.objects.filter(series_id__in=series_ids).count()
            for model in (MetricPoint, MetricChunk, MetricRollup, MetricLatest)}


def _fill(device: Device, t0: datetime) -> list[int]:
    """Head points, a chunk, a rollup and latest values for ``device``."""
    DjangoStorage(maintenance_interval=None).write_samples(device.pk, _samples(t0))
    ids = list(Series.objects.filter(device=device).values_list("pk", flat=True))
    for sid in ids:
        MetricChunk.objects.create(series_id=sid, start_ts=1, end_ts=2, count=2, data=b"x")
        MetricRollup.objects.create(series_id=sid, step=300, ts=0, count=1, min=1, max=1, avg=1,
                                    last=1)
    return ids


@pytest.mark.django_db
def test_deleting_a_device_deletes_its_samples_and_no_others(t0: datetime) -> None:
    gone, kept = _device("gone"), _device("kept")
    gone_ids, kept_ids = _fill(gone, t0), _fill(kept, t0)
    before = _kept(kept_ids)
    gone.delete()
    assert _kept(gone_ids) == dict.fromkeys(before, 0)
    assert _kept(kept_ids) == before
    assert before["MetricPoint"] == 4


@pytest.mark.django_db
def test_deleting_series_deletes_their_points_and_chunks(t0: datetime) -> None:
    ids = _fill(_device("edge"), t0)
    Series.objects.filter(pk=ids[0]).delete()
    assert _kept(ids[:1]) == dict.fromkeys(_kept(ids[:1]), 0)
    assert _kept(ids[1:])["MetricPoint"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_device_deleted_while_a_write_is_open_leaves_no_points(t0: datetime) -> None:
    """PostgreSQL: a write for the device that is open while the device is deleted
    commits first, and its points are deleted with the device (none left without
    their series); SQLite runs one writing transaction at a time."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writing transactions")
    dev = _device("edge")
    ids = _fill(dev, t0)
    written, go = threading.Event(), threading.Event()

    def write() -> None:
        try:
            with transaction.atomic():
                DjangoStorage(maintenance_interval=None).write_samples(
                    dev.pk, _samples(t0 + timedelta(minutes=1)))
                written.set()
                go.wait(20)
        finally:
            written.set()
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert written.wait(20)
    deleter = threading.Thread(target=lambda: (dev.delete(), connections.close_all()))
    deleter.start()
    deleter.join(1.0)  # the deletion waits for the open write...
    go.set()  # ...which commits now
    writer.join(20)
    deleter.join(20)
    assert not deleter.is_alive()
    assert not Device.objects.filter(pk=dev.pk).exists()
    assert MetricPoint.objects.filter(series_id__in=ids).count() == 0
    assert MetricPoint.objects.count() == 0
