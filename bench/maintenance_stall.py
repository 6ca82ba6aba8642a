"""How long the writer thread stops for the rollups: one run over every series
against the same run in slices (issue 15, durability: "at most the last second
may be lost").

The writer thread runs the maintenance between sample writes, and samples polled
meanwhile wait in memory. Before, a maintenance call ran the whole rollup pass
(``maintenance.update_rollups``: every level over every series); now each call
runs ``MAINTENANCE_SLICE_S`` of a :class:`~mikromon.web.monitor.rollup_pass.RollupPass`
and the pass goes on at the next calls.

A fresh database (SQLite in a temporary data folder, or a scratch PostgreSQL
database next to ``--database-url``) gets ``--series`` series with a sample every
5 s for ``--minutes`` minutes (raw head rows), twice over: two sets of series of
equal size, timestamps alike. The first set is rolled up by one
``update_rollups`` call (its wall time is the stall of one old maintenance call);
the second through ``DjangoStorage.maintain`` with the sliced pass (the longest
call, the number of calls and their sum). The sets are told apart by device. The
report summaries' watermarks stand at the start too, so both runs also fold the
final buckets of every series into its summaries (all summaries are deleted and
the watermarks put back before the sliced run: the same work again).

Run: ``python bench/maintenance_stall.py [--series 20000] [--minutes 10]
[--database-url postgresql://...]``; record the printed lines in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import per_database  # a sibling bench script

T0 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())


def child(args: argparse.Namespace) -> dict[str, object]:
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.db import connection

    from mikromon.web.monitor import maintenance
    from mikromon.web.monitor.models import (
        Device,
        MaintenanceState,
        MetricRollup,
        ReportSummary,
        Series,
    )
    from mikromon.web.monitor.storage import DjangoStorage
    from mikromon.web.monitor.storage_sql import insert_rows

    now = T0 + args.minutes * 60 + maintenance.ROLLUP_GRACE + 300
    sets = []
    for name in ("one-run", "sliced"):
        dev = Device(name=f"bench-{name}", host="127.0.0.1", username="monitor")
        dev.set_password("bench-router-pw")
        dev.save()
        Series.objects.bulk_create(Series(device=dev, key="iface.rx_bps", labels_key=f"n={n}")
                                   for n in range(args.series))
        ids = list(Series.objects.filter(device=dev).values_list("id", flat=True))
        rows = [(sid, ts, float(sid % 97 + ts % 13)) for sid in ids
                for ts in range(T0, T0 + args.minutes * 60, 5)]
        insert_rows(connection, 'INSERT INTO "monitor_metricpoint" (series_id, ts, value)', "",
                    rows)
        sets.append(dev.pk)
    # Both sets are past their first run: the watermarks (the rollups' and the
    # report summaries') stand at T0, so a run computes the buckets since then and
    # folds the final ones into the summaries (what a steady minute's run does,
    # scaled).
    def watermarks_at_start() -> None:
        for name in ("rollup_300", "rollup_3600", "rollup_86400", "report_summary_day",
                     "report_summary_month"):
            MaintenanceState.objects.update_or_create(name=name, defaults={"value": T0})

    watermarks_at_start()
    # One run: every series of both sets (the sliced set's rows deleted after, and
    # the watermarks put back, so the sliced pass does the same work again).
    began = time.perf_counter()
    maintenance.update_rollups(now)
    one_run = time.perf_counter() - began
    rows_one = MetricRollup.objects.count()
    MetricRollup.objects.filter(series__device_id=sets[1]).delete()
    ReportSummary.objects.all().delete()
    watermarks_at_start()
    storage = DjangoStorage(clock=lambda: float(now), defer_maintenance=True)
    maintenance.apply_retention = lambda *a, **k: {}  # not measured here
    calls: list[float] = []
    stages: list[str] = []  # what each call began with
    while True:
        rollups = storage._rollups
        stages.append("retention" if rollups is None and storage._retention is not None
                      else "start" if rollups is None
                      else "summaries" if rollups._level == len(maintenance.ROLLUP_SOURCES)
                      else f"rollup_{maintenance.ROLLUP_SOURCES[rollups._level][0]}")
        began = time.perf_counter()
        if not storage.maintain():
            break
        calls.append(time.perf_counter() - began)
    longest = max(range(len(calls)), key=calls.__getitem__)
    storage.close()
    return {"vendor": connection.vendor, "series": 2 * args.series,
            "points": 2 * args.series * args.minutes * 12, "rollup_rows": rows_one,
            "one_run_ms": round(one_run * 1000), "sliced_calls": len(calls),
            "sliced_longest_ms": round(max(calls) * 1000),
            "longest_began_with": stages[longest],
            "calls_ms": [f"{stage}:{round(c * 1000)}" for stage, c in
                         zip(stages[:len(calls)], calls, strict=True)],
            "sliced_total_ms": round(sum(calls) * 1000),
            "rows_after": MetricRollup.objects.count(),
            "summaries_after": ReportSummary.objects.count()}


def main() -> None:
    per_database.main(__file__, child, {"series": 20_000, "minutes": 10})


if __name__ == "__main__":
    main()
