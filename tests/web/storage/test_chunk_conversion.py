"""A database in the layout before chunks (every sample a head row, written by the
writer) is converted online, in slices of the writer's maintenance, while a
writer keeps writing; progress moves to done; no sample lost or duplicated;
expanding the chunks gives back every sample bit for bit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from chunk_samples import DAY, T0, bits, stored
from django.db import connections

from mikromon.domain.samples import Sample, make_labels
from mikromon.web.monitor import chunk_expand, compaction, compaction_status, maintenance
from mikromon.web.monitor.models import Device, MetricChunk, MetricPoint, Series
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

NOW = T0 + 3 * DAY + 6 * 3600
KEYS = ("iface.rx_bps", "iface.tx_bps", "system.cpu_load_pct", "system.uptime_s")


def samples(start: int, end: int, step: int, phase: float = 0.0) -> list[Sample]:
    out = []
    for t in range(start, end, step):
        when = datetime.fromtimestamp(t, UTC)
        for k, key in enumerate(KEYS):
            labels = make_labels(interface="ether1") if key.startswith("iface") else ()
            value = (t % 9973) * 1.5 + k + phase if k < 2 else (t % 97) / 7 + phase
            out.append(Sample(key=key, labels=labels, value=value, ts=when))
    return out


def everything() -> dict[int, dict[int, int]]:
    return {s.pk: bits(stored(s)) for s in Series.objects.all()}


@pytest.fixture
def router() -> Device:
    dev = Device(name="r1", host="127.0.0.1", username="api")
    dev.set_password("pw")
    dev.save()
    return dev


def test_old_layout_is_converted_online_while_the_writer_writes(router, monkeypatch):
    from mikromon.web.monitor import storage_maintenance as storage_module

    monkeypatch.setattr(compaction, "BATCH_SAMPLES", 2000)  # a transaction a slice
    monkeypatch.setattr(storage_module, "COMPACTION_SLICE_S", 0.0)
    writer = DjangoStorage(maintenance_interval=None)
    for day in range(3):  # three days and six hours of history, as the old layout kept it
        writer.write_samples(router.pk, samples(T0 + day * DAY, T0 + (day + 1) * DAY, 20))
    writer.write_samples(router.pk, samples(T0 + 3 * DAY, NOW, 20))
    maintenance.update_rollups(NOW)
    before = everything()
    status = compaction_status.status(NOW)
    assert status["pending_rows"] > 0
    assert not status["done"]
    assert status["pending_exact"]
    assert MetricChunk.objects.count() == 0

    written: list[Sample] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_writing() -> None:
        try:
            live = DjangoStorage(maintenance_interval=None)
            t = NOW
            while not stop.is_set() and t < NOW + 3600:
                batch = samples(t, t + 20, 20, phase=0.25)
                # and now and then a late row inside a window being compacted
                batch += samples(T0 + 7 + (t - NOW), T0 + 8 + (t - NOW), 20, phase=0.5)
                live.write_samples(router.pk, batch)
                written.extend(batch)
                t += 20
        except BaseException as err:
            errors.append(err)
        finally:
            connections.close_all()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    storage = DjangoStorage(clock=lambda: NOW)
    pending = [status["pending_rows"]]
    try:
        for _ in range(400):
            storage._maintenance.next_compaction = 0.0  # the slices' pause is the test's loop
            storage.maintain()
            pending.append(compaction_status.status(NOW)["pending_rows"])
            if pending[-1] == 0 and len(written) > 200:
                break
    finally:
        stop.set()
        thread.join(60)
    assert not errors
    for _ in range(3):  # the late rows the writer added after the last slice
        compaction.compact(NOW, budget_s=None)
    status = compaction_status.status(NOW)
    assert status["done"]
    assert status["pending_rows"] == 0
    assert status["samples_total"] >= sum(len(v) for v in before.values()) * 0.9
    assert status["longest_transaction_ms"] is not None
    assert max(pending[1:]) < pending[0]  # it moved, slice by slice
    assert len(pending) > 10
    after = everything()
    for sample in written:  # every sample written meanwhile is there
        (sid,) = Series.objects.filter(key=sample.key).values_list("id", flat=True)
        t = int(sample.ts.timestamp())
        if t not in before[sid]:
            before[sid][t] = bits({t: sample.value})[t]
    assert after == before
    edge = compaction.horizon(NOW)
    assert not MetricPoint.objects.filter(ts__lt=edge).exists()


def test_compact_then_expand_gives_back_every_sample(router, settings):
    DjangoStorage(maintenance_interval=None).write_samples(
        router.pk, samples(T0, T0 + 2 * DAY, 15))
    before = everything()
    maintenance.update_rollups(NOW)
    compaction.compact(NOW, budget_s=None)
    assert MetricChunk.objects.count() >= 2 * len(KEYS)
    assert everything() == before
    chunks = MetricChunk.objects.count()
    assert chunk_expand.expand() == (chunks, sum(len(v) for v in before.values()))
    assert not MetricChunk.objects.exists()
    assert everything() == before
    assert MetricPoint.objects.count() == sum(len(v) for v in before.values())
