"""Report summaries folded by two processes at once (several collector members each
run the maintenance of the whole database): each 5-minute bucket is folded into
its day's summary once, as a single run does. PostgreSQL (``-m db_backend``): on
SQLite a transaction that read before another's commit cannot write after it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from mikromon.web.monitor import models, report_summaries, report_summary_pass

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

DAY = 86400
FIRST = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())


def _mark(value: int) -> None:
    models.MaintenanceState.objects.update_or_create(name="rollup_300", defaults={"value": value})


def _summaries() -> dict[tuple[str, int], tuple[int, float]]:
    return {(r.level, r.start): (r.samples, r.rate_sum)
            for r in models.ReportSummary.objects.all()}


def test_two_members_folding_at_once_fold_each_bucket_once(monkeypatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite refuses the second writer's stale transaction")
    dev = models.Device.objects.create(name="edge-0", host="127.0.0.1", username="m")
    series = models.Series.objects.create(
        device=dev, key="iface.rx_bps", labels={"interface": "sfp1"},
        labels_key=models.labels_key([("interface", "sfp1")]))
    rows = [(series.pk, 300, ts, 60, 1e6 + ts % 7) for ts in range(FIRST, FIRST + 3 * DAY, 300)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            'INSERT INTO monitor_metricrollup (series_id, step, ts, "count", "min", "max", '
            '"avg", "last") VALUES (%s, %s, %s, %s, 0, 0, %s, 0)', rows)
    _mark(FIRST + DAY)
    report_summary_pass.update()  # the first run builds the summaries and their marks
    _mark(FIRST + 2 * DAY + 3600)

    real_fold = report_summaries.fold
    first_in_fold, second_done = threading.Event(), threading.Event()

    def slow_fold(*args, **kwargs):
        if threading.current_thread().name == "first":
            first_in_fold.set()
            second_done.wait(3)  # with the turn taken, the second waits for this one
        return real_fold(*args, **kwargs)

    monkeypatch.setattr(report_summaries, "fold", slow_fold)
    errors: list[BaseException] = []

    def member(done: threading.Event | None = None) -> None:
        try:
            with transaction.atomic():
                report_summary_pass.update()
        except BaseException as err:  # reported by the test
            errors.append(err)
        finally:
            connections.close_all()
            if done is not None:
                done.set()

    first = threading.Thread(target=member, name="first")
    first.start()
    assert first_in_fold.wait(10)
    second = threading.Thread(target=member, args=(second_done,), name="second")
    second.start()
    first.join(20)
    second.join(20)
    assert not errors, errors
    folded = _summaries()

    monkeypatch.setattr(report_summaries, "fold", real_fold)
    models.MaintenanceState.objects.filter(name__startswith="report_summary").delete()
    report_summary_pass.update()  # rebuilt at once
    assert folded == _summaries()
