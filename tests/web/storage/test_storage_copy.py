"""The sample writer's bulk path (PostgreSQL: binary COPY into staging tables and
one INSERT ... SELECT, storage_copy.py; SQLite: executemany) keeps the write rules:
of two points of a series in one second the first is kept, the latest value is the
newest sample, a refused device fails alone, non-finite values are skipped, long
label texts are stored, and the staging tables never leak rows between writes.

Runs on SQLite and, with the db_backend marker, on PostgreSQL. ``transaction=True``
tests are the collector's case (the writer's own transactions); the others run
inside the test's transaction (the staging tables' nested case).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mikromon.domain.errors import PartialWrite
from mikromon.domain.samples import Sample, make_labels
from mikromon.web.monitor.models import Device, MetricLatest, MetricPoint, Series
from mikromon.web.monitor.storage import DjangoStorage
from mikromon.web.monitor.storage_copy import (
    COPY_HEADER,
    COPY_TRAILER,
    binary_rows,
    fill_stages,
    pg_microseconds,
)

pytestmark = [pytest.mark.db_backend]

REFUSED = 666.0  # the value the trigger of refused_value() rejects


def _device(name: str) -> Device:
    dev = Device(name=name, host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    return dev


def _interfaces(ts: datetime, base: float, n: int = 12) -> list[Sample]:
    return [Sample(f"iface.{rate}", base + i, ts, make_labels(interface=f"ether{i}"))
            for i in range(n) for rate in ("rx_bps", "tx_bps")]


def _points(dev: Device) -> dict[tuple[str, str, int], float]:
    return {(key, lk, ts): value for key, lk, ts, value in MetricPoint.objects.filter(
        series__device=dev).values_list("series__key", "series__labels_key", "ts", "value")}


def _latest(dev: Device, key: str, **labels: str) -> tuple[datetime, float]:
    rows = [(row.ts, row.value) for row in MetricLatest.objects.filter(
        series__device=dev, series__key=key).select_related("series")
        if row.series.labels == labels]
    assert len(rows) == 1, rows
    return rows[0]


def refused_value(refusing: Callable[[str, str, str], Any], model: type) -> Any:
    """Make the database refuse every row of ``model``'s table whose ``value`` is
    :data:`REFUSED`, as it would refuse a value it cannot store."""
    table = model._meta.db_table  # type: ignore[attr-defined]
    return refusing(table, f"NEW.value = {REFUSED}", "refused value")


# -- the binary COPY stream -------------------------------------------------------------


def test_binary_rows_follow_postgresql_binary_copy_format() -> None:
    data = binary_rows([(7, -2, 1.5)])
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
    assert data.endswith(b"\xff\xff")
    row = data[len(COPY_HEADER):-len(COPY_TRAILER)]
    assert struct.unpack(">hiiiqid", row) == (3, 4, 7, 8, -2, 8, 1.5)
    assert binary_rows([]) == COPY_HEADER + COPY_TRAILER


def test_binary_rows_refuse_values_outside_their_columns() -> None:
    with pytest.raises(struct.error):
        binary_rows([(2**31, 0, 1.0)])
    with pytest.raises(struct.error):
        binary_rows([(1, 2**63, 1.0)])


def test_pg_microseconds_counts_from_2000_utc() -> None:
    assert pg_microseconds(datetime(2000, 1, 1, tzinfo=UTC)) == 0
    assert pg_microseconds(datetime(2000, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == 1_000_005
    assert pg_microseconds(datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)) == -1_000_000
    # Naive means UTC, as the server reads it in the session's UTC time zone.
    assert pg_microseconds(datetime(2000, 1, 2)) == 86_400_000_000


# -- write rules through the bulk path ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_duplicates_inside_one_batch_keep_the_first_point_and_the_newest_latest(
    t0: datetime,
) -> None:
    a, b = _device("a"), _device("b")
    storage = DjangoStorage(maintenance_interval=None)
    later = t0 + timedelta(milliseconds=400)
    written = storage.write_samples_many([
        (a.pk, [Sample("system.cpu.load_pct", 1.0, t0),
                Sample("system.cpu.load_pct", 2.0, later),         # same second: skipped
                Sample("system.cpu.load_pct", 3.0, t0)]),           # same second: skipped
        (b.pk, [Sample("system.cpu.load_pct", 4.0, t0)]),
        (a.pk, [Sample("system.cpu.load_pct", 5.0, t0 + timedelta(seconds=1)),
                Sample("system.cpu.load_pct", 6.0, t0 + timedelta(milliseconds=900))]),
    ])
    assert written == 3
    first = int(t0.timestamp())
    assert _points(a) == {("system.cpu.load_pct", "{}", first): 1.0,
                          ("system.cpu.load_pct", "{}", first + 1): 5.0}
    assert _points(b) == {("system.cpu.load_pct", "{}", first): 4.0}
    assert _latest(a, "system.cpu.load_pct") == (t0 + timedelta(seconds=1), 5.0)
    # Points already stored are skipped too (and not counted); latest never moves back.
    again = storage.write_samples_many([
        (a.pk, [Sample("system.cpu.load_pct", 7.0, t0),
                Sample("system.cpu.load_pct", 8.0, t0 + timedelta(seconds=2))]),
    ])
    assert again == 1
    assert _points(a)[("system.cpu.load_pct", "{}", first)] == 1.0
    assert _latest(a, "system.cpu.load_pct") == (t0 + timedelta(seconds=2), 8.0)
    assert storage.write_samples_many(
        [(a.pk, [Sample("system.cpu.load_pct", 9.0, t0 + timedelta(seconds=1, microseconds=1))])]
    ) == 0
    assert _latest(a, "system.cpu.load_pct") == (t0 + timedelta(seconds=2), 8.0)


@pytest.mark.django_db(transaction=True)
def test_a_refused_device_in_the_middle_fails_alone_on_a_fresh_connection(
    t0: datetime, refusing: Callable[[str, str, str], Any],
) -> None:
    """The first write of a connection fails (the staging tables it created are
    rolled back with it); the devices are written again one by one, the refused
    one alone is reported, and the next writes go through the bulk path again."""
    devices = [_device(f"r{n}") for n in range(9)]
    bad = devices[4]
    connection.close()
    storage = DjangoStorage(maintenance_interval=None)
    batches = [(d.pk, _interfaces(t0, 10.0 * n)) for n, d in enumerate(devices)]
    batches[4] = (bad.pk, [*_interfaces(t0, 1.0)[:5], Sample("system.cpu.load_pct", REFUSED, t0)])
    with refused_value(refusing, MetricPoint), pytest.raises(PartialWrite) as info:
        storage.write_samples_many(batches)
    assert set(info.value.failed) == {bad.pk}
    assert "refused value" in info.value.failed[bad.pk]
    assert info.value.written == 8 * 24
    assert info.value.pending == ()
    for dev in devices:
        assert len(_points(dev)) == (0 if dev is bad else 24)
    assert not MetricLatest.objects.filter(series__device=bad).exists()
    assert MetricLatest.objects.filter(series__device=devices[5]).count() == 24
    # Trigger gone: the next cycle of every device, bad one included.
    t1 = t0 + timedelta(seconds=5)
    assert storage.write_samples_many([(d.pk, _interfaces(t1, 1.0)) for d in devices]) == 9 * 24
    assert len(_points(bad)) == 24
    assert _latest(bad, "iface.rx_bps", interface="ether3") == (t1, 4.0)


@pytest.mark.django_db(transaction=True)
def test_a_refused_latest_value_fails_its_device_alone(
    t0: datetime, refusing: Callable[[str, str, str], Any],
) -> None:
    good, bad = _device("good"), _device("bad")
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples_many([(good.pk, _interfaces(t0, 1.0))])  # staging tables exist
    with refused_value(refusing, MetricLatest), pytest.raises(PartialWrite) as info:
        storage.write_samples_many([
            (good.pk, _interfaces(t0 + timedelta(seconds=5), 2.0)),
            (bad.pk, [Sample("iface.rx_bytes", REFUSED, t0,  # a counter: latest only
                             make_labels(interface="ether1"))]),
        ])
    assert set(info.value.failed) == {bad.pk}
    assert info.value.written == 24
    assert len(_points(good)) == 48
    assert not MetricLatest.objects.filter(series__device=bad).exists()


@pytest.mark.django_db(transaction=True)
def test_non_finite_values_are_skipped_and_extreme_ones_kept_exactly(t0: datetime) -> None:
    dev = _device("edge")
    storage = DjangoStorage(maintenance_interval=None)
    extreme = {"a": 1.7976931348623157e308, "b": -0.0, "c": 5e-324, "d": -2.5e-300,
               "e": 123456789.123456789}
    samples = [Sample(f"system.health.{name}", value, t0) for name, value in extreme.items()]
    samples += [Sample("system.health.nan", float("nan"), t0),
                Sample("system.health.inf", float("inf"), t0),
                Sample("system.health.a", float("-inf"), t0 + timedelta(seconds=1))]
    assert storage.write_samples_many([(dev.pk, samples)]) == len(extreme)
    stored = {key.rsplit(".", 1)[1]: value for (key, _, _), value in _points(dev).items()}
    assert stored == extreme
    assert not Series.objects.filter(device=dev, key__in=["system.health.nan",
                                                          "system.health.inf"]).exists()
    assert _latest(dev, "system.health.a") == (t0, extreme["a"])
    only_nan = [Sample("system.health.a", float("nan"), t0 + timedelta(seconds=2))]
    assert storage.write_samples_many([(dev.pk, only_nan)]) == 0


@pytest.mark.django_db(transaction=True)
def test_very_long_label_texts_are_written_through_the_bulk_path(t0: datetime) -> None:
    dev, other = _device("long"), _device("other")
    storage = DjangoStorage(maintenance_interval=None)
    names = ["sfp-sfpplus1-" + "x" * 3000, "sfp-sfpplus1-" + "x" * 2999 + "y",
             "\U0001f4e1" * 900]
    samples = [Sample("iface.rx_bps", float(n), t0, make_labels(interface=name, comment=name))
               for n, name in enumerate(names)]
    for cycle in range(2):  # the second cycle from the series id cache
        ts = t0 + timedelta(seconds=5 * cycle)
        batch = [(dev.pk, [Sample(s.key, s.value + cycle, ts, s.labels) for s in samples]),
                 (other.pk, [Sample("system.cpu.load_pct", 1.0, ts)])]
        assert storage.write_samples_many(batch) == 4
    assert Series.objects.filter(device=dev).count() == 3
    assert {s.labels["interface"] for s in Series.objects.filter(device=dev)} == set(names)
    assert len(_points(dev)) == 6
    assert _latest(dev, "iface.rx_bps", interface=names[2], comment=names[2])[1] == 3.0


# -- the staging tables (PostgreSQL) ------------------------------------------------------


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's staging tables")


@pytest.mark.django_db
def test_writes_inside_a_callers_transaction_never_see_each_others_staged_rows(
    t0: datetime,
) -> None:
    """Nested in the caller's transaction nothing is emptied by a commit: each
    write empties the staging tables itself, and a rolled-back caller's
    transaction takes the tables it created with it."""
    dev = _device("nested")
    storage = DjangoStorage(maintenance_interval=None)
    with transaction.atomic():
        assert storage.write_samples_many([(dev.pk, _interfaces(t0, 1.0))]) == 24
        assert storage.write_samples_many(
            [(dev.pk, [Sample("system.cpu.load_pct", 3.0, t0)])]) == 1
        assert len(_points(dev)) == 25

    def rolled_back() -> None:
        with transaction.atomic():
            storage.write_samples_many([(dev.pk, _interfaces(t0 + timedelta(seconds=5), 2.0))])
            raise RuntimeError("caller rolls back")

    with pytest.raises(RuntimeError):
        rolled_back()
    assert len(_points(dev)) == 25
    assert storage.write_samples_many([(dev.pk, _interfaces(t0 + timedelta(seconds=10), 3.0))]) \
        == 24
    assert len(_points(dev)) == 49


@pytest.mark.django_db(transaction=True)
def test_staging_tables_are_empty_after_each_commit_and_survive_a_reconnect(t0: datetime) -> None:
    _postgresql_only()
    dev = _device("stage")
    storage = DjangoStorage(maintenance_interval=None)
    assert storage.write_samples_many([(dev.pk, _interfaces(t0, 1.0))]) == 24
    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM pg_temp.mikromon_point_stage), "
                    "(SELECT count(*) FROM pg_temp.mikromon_latest_stage)")
        assert cur.fetchone() == (0, 0)
    connection.close()  # a new session: no staging tables yet
    assert storage.write_samples_many([(dev.pk, _interfaces(t0 + timedelta(seconds=5), 2.0))]) \
        == 24
    assert len(_points(dev)) == 48


@pytest.mark.django_db(transaction=True)
def test_staging_tables_dropped_behind_the_writers_back_are_made_again(t0: datetime) -> None:
    """The same connection may reach another server session between
    transactions (a pooler in transaction mode) or have its temporary tables
    discarded: each write makes sure of the tables, so the call stays one
    transaction (no failed attempt written again device by device)."""
    _postgresql_only()
    devices = [_device("discarded-1"), _device("discarded-2")]
    storage = DjangoStorage(maintenance_interval=None)
    assert storage.write_samples_many([(d.pk, _interfaces(t0, 1.0)) for d in devices]) == 48
    with connection.cursor() as cur:
        cur.execute("DISCARD TEMP")
    later = [(d.pk, _interfaces(t0 + timedelta(seconds=5), 2.0)) for d in devices]
    with CaptureQueriesContext(connection) as queries:
        assert storage.write_samples_many(later) == 48
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(sql.count("INSERT INTO") for sql in statements) == 2, statements
    assert all(len(_points(d)) == 48 for d in devices)


@pytest.mark.django_db(transaction=True)
def test_without_the_temporary_privilege_samples_go_in_by_multi_row_inserts(
    t0: datetime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """A database whose user may not create temporary tables (``TEMPORARY``
    revoked) still takes every sample, the slower way, with one warning."""
    _postgresql_only()
    from mikromon.web.monitor import storage_copy

    asked = []

    def no_temporary(cursor: Any) -> bool:
        asked.append(cursor)
        return False

    monkeypatch.setattr(storage_copy, "may_stage", no_temporary)
    devices = [_device("plain-1"), _device("plain-2")]
    storage = DjangoStorage(maintenance_interval=None)
    for cycle in range(2):
        later = [(d.pk, _interfaces(t0 + timedelta(seconds=5 * cycle), 1.0 + cycle))
                 for d in devices]
        with CaptureQueriesContext(connection) as queries:
            assert storage.write_samples_many(later) == 48
        assert not any("COPY" in q["sql"] or "TEMPORARY" in q["sql"]
                       for q in queries.captured_queries)
    assert len(asked) == 1  # asked once per writer
    assert all(len(_points(d)) == 48 for d in devices)
    assert _latest(devices[1], "iface.tx_bps", interface="ether2") == (
        t0 + timedelta(seconds=5), 4.0)
    assert sum("temporary tables" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.django_db
def test_may_stage_reads_the_temporary_privilege() -> None:
    _postgresql_only()
    from mikromon.web.monitor.storage_copy import may_stage

    with connection.cursor() as cur:
        assert may_stage(cur) is True  # the test database's owner has it


@pytest.mark.django_db
def test_stage_copies_rows_in_order_and_exactly(t0: datetime) -> None:
    _postgresql_only()
    rows = [(1, 10, 0.1), (2, -5, -0.0), (1, 10, 2.0), (2**31 - 1, 2**62, 1e308)]
    with connection.cursor() as cur:
        fill_stages(cur, {"mikromon_point_stage": rows}, nested=True)
        cur.execute("SELECT series_id, ts, value FROM pg_temp.mikromon_point_stage")
        assert [tuple(r) for r in cur.fetchall()] == rows
        stamps = [(1, pg_microseconds(t0), 1.0),
                  (2, pg_microseconds(t0 + timedelta(microseconds=7)), 2.0)]
        fill_stages(cur, {"mikromon_latest_stage": stamps}, nested=True)
        cur.execute("SELECT ts FROM pg_temp.mikromon_latest_stage ORDER BY series_id")
        assert [r[0] for r in cur.fetchall()] == [t0, t0 + timedelta(microseconds=7)]
        cur.execute("SELECT count(*) FROM pg_temp.mikromon_point_stage")
        assert cur.fetchone()[0] == 0  # the nested fill emptied both tables first


@pytest.mark.django_db(transaction=True)
def test_a_long_label_set_seen_before_the_digest_map_was_emptied_still_creates_its_series(
    t0: datetime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer forgets the full text of shortened label keys past
    ``DIGESTS_KEPT``; a label set whose shortened key it still remembers must not
    then lose its full text when a new device's series is created with it."""
    from mikromon.web.monitor import storage_samples

    monkeypatch.setattr(storage_samples, "DIGESTS_KEPT", 1)
    first, second = _device("first"), _device("second")
    storage = DjangoStorage(maintenance_interval=None)
    names = ["ether1-" + "a" * 3000, "ether2-" + "b" * 3000]
    labels = [make_labels(interface=name) for name in names]
    assert storage.write_samples_many(
        [(first.pk, [Sample("iface.rx_bps", 1.0, t0, lab) for lab in labels])]) == 2
    later = t0 + timedelta(seconds=5)
    assert storage.write_samples_many(
        [(second.pk, [Sample("iface.rx_bps", 2.0, later, labels[0])])]) == 1
    assert [s.labels["interface"] for s in Series.objects.filter(device=second)] == [names[0]]
