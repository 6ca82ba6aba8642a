"""Cost of the 1-day rollup level: in the maintenance, and saved by a year chart.

Fills a database (SQLite in a temporary folder, or ``--database-url`` PostgreSQL,
which must be empty: it is migrated and filled) for ``--series`` series with
1-hour rollups over ``--days`` days, 5-minute rollups over the last 7 days and a
raw point a minute over the last day, the 5-minute and hourly watermarks set.
Then times, side by side in one run:

* the first run of the daily level (every stored hour rolled up to days: what
  the first maintenance after migration 0018 does);
* a maintenance run (:func:`update_rollups`) 5 minutes on, and the run just after
  the next UTC midnight (the one that rolls a day up), alternately with the daily
  level and without it (the maintenance's level list cut to 5 minutes and 1 hour),
  each from the same watermarks, ``--runs`` each;
* a year of ``--chart`` series at a step of a day (``read_many``, the series API's
  reader), alternately from the day rollups and from the hourly rollups (the
  daily watermark removed: the reader then groups hourly rows), ``--repeat`` each.

Run: ``python bench/rollup_levels.py [--series 200 --days 365]``. Prints a Markdown
table for bench/RESULTS.md. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from series_ranges import _insert, _setup, insert_statements

HOUR, FIVE, DAY = 3600, 300, 86400


def _fill(series: int, days: int, now: int) -> list[int]:
    from django.db import connection

    from mikromon.web.monitor.models import (
        Device,
        MaintenanceState,
        Series,
    )

    rollup_sql, point_sql = insert_statements()
    rng = random.Random(3)
    hour_end, five_end = now // HOUR * HOUR, now // FIVE * FIVE
    dev = Device.objects.create(name="bench", host="127.0.0.1", username="u", state="up")
    ids = []
    for k in range(series):
        sid = Series.objects.create(device=dev, key="system.cpu.load_pct",
                                    labels_key=f'{{"n":"{k}"}}', labels={"n": str(k)}).pk
        ids.append(sid)
        base = rng.uniform(5, 60)
        _insert(rollup_sql, [(sid, HOUR, ts, 60, base / 2, base * 2, base, base)
                             for ts in range(hour_end - days * DAY, hour_end, HOUR)])
        _insert(rollup_sql, [(sid, FIVE, ts, 5, base / 2, base * 2, base, base)
                             for ts in range(five_end - 7 * DAY, five_end, FIVE)])
        _insert(point_sql, [(sid, ts, base * rng.uniform(0.5, 1.5))
                            for ts in range(now - DAY, now, 60)])
    for step, mark in ((HOUR, hour_end), (FIVE, five_end)):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": mark})
    if connection.vendor == "postgresql":  # as autovacuum would have, in a live database
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return ids


def _ms(run: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    run()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    """Fill, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default, meaning in (
            ("series", 200, "series filled"), ("days", 365, "days of hourly rollups"),
            ("runs", 10, "maintenance runs of each kind"),
            ("chart", 8, "series in the year chart"), ("repeat", 20, "reads of each kind")):
        parser.add_argument(f"--{name}", type=int, default=default, help=meaning)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database to fill (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-rollups-") as data_dir:
        _setup(data_dir, args.database_url)
        from mikromon.web.monitor import maintenance
        from mikromon.web.monitor.models import MaintenanceState, MetricRollup
        from mikromon.web.monitor.readers import read_many

        now = int(time.time()) // FIVE * FIVE + maintenance.ROLLUP_GRACE
        t0 = time.perf_counter()
        ids = _fill(args.series, args.days, now)
        fill_s = time.perf_counter() - t0
        all_levels = maintenance.ROLLUP_SOURCES
        without_days = tuple(s for s in all_levels if s[0] != DAY)
        maintenance.ROLLUP_SOURCES = without_days
        maintenance.update_rollups(now)  # the 5-minute and hourly levels caught up
        maintenance.ROLLUP_SOURCES = all_levels
        first_ms = _ms(lambda: maintenance.update_rollups(now))
        days = MetricRollup.objects.filter(step=DAY).count()
        saved = dict(MaintenanceState.objects.filter(name__regex=r"^(rollup|report)_")
                     .values_list("name", "value"))
        moments = {"a steady run": now + FIVE,
                   "the run at a UTC day's end": (now // DAY + 1) * DAY + maintenance.ROLLUP_GRACE}
        timed: dict[tuple[str, str], list[float]] = {}
        for moment, at in moments.items():
            for _run in range(args.runs):
                for kind, levels in (("with", all_levels), ("without", without_days)):
                    for name, value in saved.items():  # each run starts from the same marks
                        MaintenanceState.objects.update_or_create(name=name,
                                                                  defaults={"value": value})
                    maintenance.ROLLUP_SOURCES = levels
                    timed.setdefault((moment, kind), []).append(
                        _ms(lambda at=at: maintenance.update_rollups(at)))
        maintenance.ROLLUP_SOURCES = all_levels
        end = int(time.time())
        start = end - 365 * DAY
        chart = ids[:args.chart]
        mark = MaintenanceState.objects.get(name="rollup_86400").value
        reads: dict[str, list[float]] = {"1d": [], "1h": []}
        sources = {}
        for _ in range(args.repeat):
            for source in ("1d", "1h"):
                if source == "1h":
                    MaintenanceState.objects.filter(name="rollup_86400").delete()
                else:
                    MaintenanceState.objects.update_or_create(name="rollup_86400",
                                                              defaults={"value": mark})
                t = time.perf_counter()
                got = read_many(chart, start, end, DAY)
                reads[source].append((time.perf_counter() - t) * 1000)
                sources[source] = (got[chart[0]].source, len(got[chart[0]].points))
        engine = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}, {engine}")
        print(f"{args.series} series: {args.days} days of hourly rollups, 7 days of 5-minute "
              f"rollups, a day of raw points a minute (filled in {fill_s:.0f} s)\n")
        print("| what | p50 ms | max ms |")
        print("|---|---|---|")
        print(f"| first run of the daily level ({days:,} day rows from "
              f"{args.series * args.days * 24:,} hourly) | {first_ms:.0f} | {first_ms:.0f} |")
        for (moment, kind), times in timed.items():
            print(f"| maintenance, {moment}, {kind} the daily level ({args.runs} runs) | "
                  f"{statistics.median(times):.1f} | {max(times):.1f} |")
        for source in ("1h", "1d"):
            print(f"| year chart, {len(chart)} series, step 1 d, from {source} rollups "
                  f"({sources[source][1]} buckets) | {statistics.median(reads[source]):.1f} | "
                  f"{max(reads[source]):.1f} |")


if __name__ == "__main__":
    main()
