"""PostgreSQL: points go into the head by a plain ``INSERT ... SELECT`` (no
conflict check per row, the cheaper statement); a call whose points meet stored
ones (same series and second) is moved again, conflicts skipped, and the calls
after it check for conflicts for a while. The rules stay those of every write:
the first point of a second is kept, the latest value never moves back, nothing
is lost or doubled (also tested on SQLite, which always checks)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mikromon.domain.samples import Sample
from mikromon.web.monitor import storage_samples
from mikromon.web.monitor.models import Device, MetricLatest, MetricPoint
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend]
KEY = "system.cpu.load_pct"


def _device(name: str) -> Device:
    dev = Device(name=name, host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    return dev


def _cpu(t0: datetime, seconds: range, value: float) -> list[Sample]:
    return [Sample(KEY, value + s, t0 + timedelta(seconds=s)) for s in seconds]


def _stored(dev: Device) -> dict[int, float]:
    return dict(MetricPoint.objects.filter(series__device=dev).values_list("ts", "value"))


def _point_inserts(storage: DjangoStorage, batches: list) -> tuple[int, list[str]]:
    """Write ``batches``; return the points stored and the points' INSERT statements."""
    with CaptureQueriesContext(connection) as queries:
        written = storage.write_samples_many(batches)
    table = MetricPoint._meta.db_table
    return written, [q["sql"] for q in queries.captured_queries
                     if f'INSERT INTO "{table}"' in q["sql"]]


def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite checks for conflicts in every write (executemany)")


@pytest.mark.django_db(transaction=True)
def test_points_go_in_without_a_conflict_check_while_none_occurs(t0: datetime) -> None:
    _postgresql()
    dev = _device("a")
    storage = DjangoStorage(maintenance_interval=None)
    for n in range(3):
        written, inserts = _point_inserts(storage, [(dev.pk, _cpu(t0, range(5 * n, 5 * n + 5), 0))])
        assert written == 5
        assert len(inserts) == 1
        points = inserts[0][inserts[0].index(f'"{MetricPoint._meta.db_table}"'):]
        assert "ON CONFLICT" not in points.split(";")[0], inserts


@pytest.mark.django_db(transaction=True)
def test_a_conflict_keeps_the_first_points_stores_the_rest_then_checks_for_a_while(
    t0: datetime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storage_samples, "CHECKED_CALLS", 2)
    a, b = _device("a"), _device("b")
    storage = DjangoStorage(maintenance_interval=None)
    assert storage.write_samples_many([(a.pk, _cpu(t0, range(0, 3), 0.0))]) == 3
    # Seconds 1 and 2 of ``a`` are stored: skipped, the rest of the call stored.
    written, inserts = _point_inserts(storage, [
        (a.pk, _cpu(t0, range(1, 6), 100.0)), (b.pk, _cpu(t0, range(0, 2), 200.0))])
    assert written == 3 + 2
    assert _stored(a) == {int(t0.timestamp()) + s: v for s, v in
                          [(0, 0.0), (1, 1.0), (2, 2.0), (3, 103.0), (4, 104.0), (5, 105.0)]}
    assert len(_stored(b)) == 2
    latest = MetricLatest.objects.get(series__device=a)
    assert (latest.ts, latest.value) == (t0 + timedelta(seconds=5), 105.0)
    assert MetricLatest.objects.count() == 2
    if connection.vendor != "postgresql":
        return
    assert "ON CONFLICT DO NOTHING" in inserts[-1]
    # The next CHECKED_CALLS calls check every row; then the plain insert again.
    checked = []
    for n in range(3):
        written, inserts = _point_inserts(storage, [(a.pk, _cpu(t0, range(10 + n, 11 + n), 0))])
        assert written == 1
        checked.append("ON CONFLICT DO NOTHING" in inserts[-1])
    assert checked == [True, True, False]


@pytest.mark.django_db(transaction=True)
def test_a_conflict_inside_a_callers_transaction_keeps_its_earlier_writes(
    t0: datetime,
) -> None:
    dev = _device("a")
    storage = DjangoStorage(maintenance_interval=None)
    with transaction.atomic():
        assert storage.write_samples_many([(dev.pk, _cpu(t0, range(0, 2), 0.0))]) == 2
        assert storage.write_samples_many([(dev.pk, _cpu(t0, range(1, 4), 10.0))]) == 2
        assert storage.write_samples_many([(dev.pk, _cpu(t0, range(4, 5), 20.0))]) == 1
    assert _stored(dev) == {int(t0.timestamp()) + s: v for s, v in
                            [(0, 0.0), (1, 1.0), (2, 12.0), (3, 13.0), (4, 24.0)]}
