"""DjangoStorage.write_samples_many: the same rows as per-device writes, in one
transaction per call; deleted devices and series are handled like write_samples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mikromon.domain.samples import (
    CounterBlock,
    Sample,
    SampleBlock,
    SampleItem,
    each_sample,
    make_labels,
)
from mikromon.web.monitor.models import Device, MetricLatest, MetricPoint, Series
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def _devices(n: int, prefix: str = "edge") -> list[Device]:
    out = []
    for i in range(n):
        dev = Device(name=f"{prefix}-{i}", host="127.0.0.1", username="monitor")
        dev.set_password("s3cret-pass")
        dev.save()
        out.append(dev)
    return out


def _cycle(device_ids: Sequence[int], t0: datetime) -> list[tuple[int, list[Sample]]]:
    """Batches as a writer cycle hands them over, with the awkward cases: non-finite
    values, a repeated second, an older sample after a newer one, a device twice."""
    batches = []
    for n, device_id in enumerate(device_ids):
        batches.append((device_id, [
            Sample("system.cpu.load_pct", 10.0 + n, t0),
            Sample("system.cpu.load_pct", 11.0 + n, t0 + timedelta(seconds=5)),
            Sample("system.cpu.load_pct", 99.0, t0 + timedelta(seconds=5, milliseconds=400)),
            Sample("system.cpu.load_pct", 9.0, t0 + timedelta(seconds=2)),
            Sample("iface.rx_bps", float("nan"), t0, make_labels(interface="ether1")),
            Sample("iface.rx_bps", 1e6 * n, t0, make_labels(interface="ether2")),
            Sample("iface.tx_bps", float("inf"), t0, make_labels(interface="ether2")),
        ]))
    batches.append((device_ids[0], [
        Sample("iface.rx_bps", 5.0, t0 + timedelta(seconds=10), make_labels(interface="ether2")),
    ]))
    return batches


def _stored() -> tuple[list[tuple], list[tuple]]:
    points = sorted(MetricPoint.objects.values_list(
        "series__device_id", "series__key", "series__labels_key", "ts", "value"))
    latest = sorted(MetricLatest.objects.values_list(
        "series__device_id", "series__key", "series__labels_key", "ts", "value"))
    return points, latest


def _clear() -> None:
    MetricLatest.objects.all().delete()
    MetricPoint.objects.all().delete()
    Series.objects.all().delete()


def test_batched_path_writes_the_same_rows_as_per_device_calls(t0: datetime) -> None:
    ids = [d.pk for d in _devices(3)]
    batches = _cycle(ids, t0)
    later = _cycle(ids, t0 + timedelta(seconds=30))
    per_device = DjangoStorage(maintenance_interval=None)
    expected_written = sum(per_device.write_samples(d, s) for d, s in batches)
    expected_written += sum(per_device.write_samples(d, s) for d, s in later)
    expected = _stored()
    _clear()

    batched = DjangoStorage(maintenance_interval=None)
    written = batched.write_samples_many(batches) + batched.write_samples_many(later)
    assert written == expected_written == 2 * (3 * 4 + 1)
    assert _stored() == expected
    # The newest sample of a series is the latest value even with an older one after
    # it in the call (and one the points skipped as a repeated second).
    cpu = MetricLatest.objects.get(series__device_id=ids[0], series__key="system.cpu.load_pct")
    assert (cpu.ts, cpu.value) == (t0 + timedelta(seconds=35, milliseconds=400), 99.0)
    assert batched.write_samples_many([]) == 0
    assert batched.write_samples_many([(ids[0], [Sample("m", float("nan"), t0)])]) == 0


def test_blocks_store_the_same_rows_as_their_samples(t0: datetime) -> None:
    """A reply's counters and rates handed as their blocks (the collector's way)
    store what the blocks' samples store (raw counters: each one's latest value,
    no points; rates: points and latest values; non-finite values: nothing), with
    the samples around them, in order."""
    (device_id,) = [d.pk for d in _devices(1)]
    e1, e2 = make_labels(interface="ether1"), make_labels(interface="ether2")

    def poll(second: int, values: list[int | None]) -> list[SampleItem]:
        at = t0 + timedelta(seconds=second)
        return [Sample("system.cpu.load_pct", float(second), at),
                CounterBlock(("iface.rx_bytes", "iface.tx_bytes"), [e1, e2], ["*1", "*2"],
                             values, at, float(second), 64),
                Sample("iface.rx_bps", float("nan"), at, e1),
                SampleBlock(("iface.rx_bps", "iface.tx_pps"), [e1, e2],
                            [8.0 * second, float("inf"), None, 0.5], at)]

    polls = [poll(0, [1, 2, 3, 4]), poll(5, [11, None, 13, 2**63 - 1])]
    storage = DjangoStorage(maintenance_interval=None)
    assert sum(storage.write_samples(device_id, p) for p in polls) == 6
    expected = _stored()
    _clear()
    assert storage.takes_blocks
    storage = DjangoStorage(maintenance_interval=None)
    assert sum(storage.write_samples(device_id, each_sample(p)) for p in polls) == 6
    assert _stored() == expected
    assert [(key, lk, value) for _, key, lk, _, value in expected[0]] == [
        ("iface.rx_bps", '{"interface":"ether1"}', 0.0),
        ("iface.rx_bps", '{"interface":"ether1"}', 40.0),
        ("iface.tx_pps", '{"interface":"ether2"}', 0.5),
        ("iface.tx_pps", '{"interface":"ether2"}', 0.5),
        ("system.cpu.load_pct", "{}", 0.0),
        ("system.cpu.load_pct", "{}", 5.0)]
    latest = {(key, lk): value for _, key, lk, _, value in expected[1]}
    assert latest == {("iface.rx_bps", '{"interface":"ether1"}'): 40.0,
                      ("iface.tx_pps", '{"interface":"ether2"}'): 0.5,
                      ("iface.rx_bytes", '{"interface":"ether1"}'): 11.0,
                      ("iface.rx_bytes", '{"interface":"ether2"}'): 13.0,
                      ("iface.tx_bytes", '{"interface":"ether1"}'): 2.0,
                      ("iface.tx_bytes", '{"interface":"ether2"}'): float(2**63 - 1),
                      ("system.cpu.load_pct", "{}"): 5.0}


# The writer's own transactions, as in the collector (inside a caller's transaction
# PostgreSQL's staging tables cost a few statements more: test_storage_copy.py).
@pytest.mark.django_db(transaction=True)
def test_one_cycle_is_one_transaction_and_a_few_statements(t0: datetime) -> None:
    """Once series are known, a cycle of 20 devices costs the same handful of
    statements as one device: no per-device queries."""
    ids = [d.pk for d in _devices(20)]
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples_many(_cycle(ids, t0))
    with CaptureQueriesContext(connection) as queries:
        written = storage.write_samples_many(_cycle(ids, t0 + timedelta(seconds=30)))
    assert written == 20 * 4 + 1
    statements = [q["sql"] for q in queries.captured_queries]
    # PostgreSQL: both inserts in one statement, after two COPYs (storage_copy.py).
    assert sum(sql.count("INSERT INTO") for sql in statements) == 2, statements
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in statements), statements
    assert len(statements) <= 6, statements


def test_missing_series_of_many_devices_are_created_together(t0: datetime) -> None:
    ids = [d.pk for d in _devices(4)]
    storage = DjangoStorage(maintenance_interval=None)
    with CaptureQueriesContext(connection) as queries:
        storage.write_samples_many(_cycle(ids, t0))
    selects = [q for q in queries.captured_queries if "monitor_series" in q["sql"]
               and q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # before and after the one insert, not per device
    assert Series.objects.count() == 4 * 2


# Foreign keys are checked at commit: these need real transactions.
@pytest.mark.django_db(transaction=True)
def test_a_deleted_device_is_dropped_without_losing_the_others(t0: datetime) -> None:
    devices = _devices(3)
    ids = [d.pk for d in devices]
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples_many(_cycle(ids, t0))  # series ids now cached
    devices[1].delete()
    later = t0 + timedelta(seconds=30)
    written = storage.write_samples_many(_cycle(ids, later))
    assert written == 2 * 4 + 1
    assert not Series.objects.filter(device_id=ids[1]).exists()
    for device_id in (ids[0], ids[2]):
        assert MetricPoint.objects.filter(
            series__device_id=device_id, ts=int(later.timestamp())).count() == 2
    # A device deleted before its series ever existed (nothing cached).
    fresh = _devices(1, "fresh")[0]
    fresh_id = fresh.pk
    fresh.delete()
    assert storage.write_samples_many([(fresh_id, [Sample("m", 1.0, t0)]),
                                       (ids[0], [Sample("m", 2.0, t0)])]) == 1
    assert storage.write_samples_many([(fresh_id, [Sample("m", 1.0, t0)])]) == 0
    assert not Series.objects.filter(device_id=fresh_id).exists()


@pytest.mark.django_db(transaction=True)
def test_deleted_series_are_recreated_in_a_batched_write(t0: datetime) -> None:
    ids = [d.pk for d in _devices(2)]
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples_many([(d, [Sample("m", 1.0, t0)]) for d in ids])
    Series.objects.filter(device_id=ids[0]).delete()
    later = t0 + timedelta(seconds=5)
    assert storage.write_samples_many([(d, [Sample("m", 2.0, later)]) for d in ids]) == 2
    assert Series.objects.count() == 2
    assert sorted(MetricLatest.objects.values_list("value", flat=True)) == [2.0, 2.0]
