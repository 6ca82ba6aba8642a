"""Time of the reports over a month of stored traffic for a fleet's interfaces.

A month past is stored as 5-minute rollups (raw points are kept 7 days by
default, ``MIKROMON_RETENTION_RAW_DAYS``; 5-minute rollups 90): this fills an
SQLite database (temporary folder) with one 30-day month of 5-minute rollups of
``iface.rx_bps`` and ``iface.tx_bps`` for ``--interfaces`` interfaces spread over
devices of 20 interfaces each (8,640 buckets per series; 1,000 interfaces =
17.28 million rollup rows), written with ``executemany`` in primary-key order,
the rollup watermark set at the month's end. Then, in this process, it builds
the report summaries (``report_summaries.backfill``, as migration 0010 does) and
times each report both ways, side by side:

  * ``before``: every series' own 5-minute averages (``summaries=False``, the
    reference path; what the reports did before the summaries);
  * ``after``: the summaries plus the range's edges (the default).

Ranges: the month as it stands at its end (month summary of the first 29 days,
the last day's summary, the last bucket read from the rollups), the same month
once the next day has been folded in (one month summary per series), the last 7
days (day summaries) and ranges of 24.7 and 7 days not aligned to days (days plus
two partial days); and the availability report for the month with 10 outages per
device. Every pair of answers is compared (the same figures, or the bench stops).
Then what the Reports page reads for three of them (the percentile table's first
and 20th page of 50 by billing figure, and the top 20 talkers), checked against
the whole table. The process clock (``time.time``) is set to the day the data
stands for, as the page reads it.

``--page-devices 10000`` times, instead, the Reports page and the paged API over
that many devices (one interface each, month summaries only).

Run: ``python bench/reports.py [--interfaces 1000]``. Prints a Markdown table to
paste into bench/RESULTS.md. Loopback only; nothing leaves the temporary folder.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

PER_DEVICE = 20
STEP = 300
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _fill(interfaces: int) -> tuple[int, float]:
    """Create devices, series, rollups and events; return (rollup rows, seconds)."""
    from django.db import connection, transaction

    from mikromon.web.monitor.models import (
        Device,
        Event,
        MaintenanceState,
        MetricRollup,
        Series,
        labels_key,
    )

    rng = random.Random(7)
    t0 = time.perf_counter()
    start = int(MONTH_START.timestamp())
    buckets = DAYS * 86400 // STEP
    table = connection.ops.quote_name(MetricRollup._meta.db_table)
    sql = (f'INSERT INTO {table} (series_id, step, ts, "count", "min", "max", "avg", "last") '
           "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")
    rows = 0
    devices = (interfaces + PER_DEVICE - 1) // PER_DEVICE
    for d in range(devices):
        dev = Device.objects.create(name=f"bench-{d:04d}", host="127.0.0.1", username="u",
                                    state="up")
        Device.objects.filter(pk=dev.pk).update(created_at=MONTH_START - timedelta(days=60))
        for k in range(10):
            down = MONTH_START + timedelta(days=3 * k, hours=rng.randint(0, 23))
            Event.objects.create(device=dev, ts=down, kind="device_down")
            Event.objects.create(device=dev, ts=down + timedelta(minutes=rng.randint(1, 90)),
                                 kind="device_up")
        for i in range(min(PER_DEVICE, interfaces - d * PER_DEVICE)):
            name = f"sfp{i + 1}"
            for key in ("iface.rx_bps", "iface.tx_bps"):
                series = Series.objects.create(
                    device=dev, key=key, labels={"interface": name},
                    labels_key=labels_key([("interface", name)]))
                base = rng.uniform(1e6, 5e8)
                values = [(series.pk, STEP, start + STEP * b, 60, 0.0, 0.0,
                           base * (1 + 0.8 * ((b % 288) / 288)) * rng.uniform(0.7, 1.3), base)
                          for b in range(buckets)]
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(sql, values)
                rows += len(values)
    MaintenanceState.objects.update_or_create(
        name="rollup_300", defaults={"value": start + buckets * STEP})
    for name in ("report_summary_day", "report_summary_month"):  # built by the bench
        MaintenanceState.objects.filter(name=name).delete()
    return rows, time.perf_counter() - t0


def _insert_summaries(rows: list[tuple[Any, ...]]) -> None:
    """Insert ``(level, start, series, samples, hourly, rate_sum, p95, top)`` summary
    rows, with ``p95_high`` computed from ``top`` as the rollup run stores it
    (``percentile_high``) when the table has that column (the code before migration
    0016 has not: the bench then runs as it did, to time that code too)."""
    from django.db import connection, transaction

    from mikromon.domain import traffic
    from mikromon.web.monitor import report_summaries as rs

    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(
            cursor, rs.SUMMARY_T)]
    names = "level, start, series_id, samples, hourly, rate_sum, p95, top"
    if "p95_high" in columns:
        names += ", p95_high"
        rows = [(*row, traffic.percentile_high(traffic.Part(
            samples=row[3], hourly=0, rate_sum=0.0, top=rs.unpack(row[7])))) for row in rows]
    marks = ", ".join(["%s"] * len(names.split(", ")))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {rs.SUMMARY_T} ({names}) VALUES ({marks})", rows)


def _clock(now: float) -> None:
    """Set this process's clock (``time.time``) to ``now``: the requests see the
    bench month as on the day it stands for."""
    time.time = lambda: now  # type: ignore[assignment]


def _timed(call: Callable[[], object], repeat: int = 1) -> tuple[float, float, object]:
    """Return (median wall seconds, median CPU seconds of this process, result) of
    ``repeat`` calls. SQLite runs in this process, so CPU time includes its work and
    leaves out waiting for the cores other processes hold."""
    times, cpu = [], []
    result: object = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = call()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), statistics.median(cpu), result


def _pair(label: str, report: Callable[..., Any], start: float, end: float,
          repeat: int, **kwargs: Any) -> tuple[str, float, float, float, float]:
    """Time ``report`` before (reference) and after (summaries); check they agree."""
    before_s, before_cpu, before = _timed(lambda: report(start, end, summaries=False,
                                                         **kwargs))
    after_s, after_cpu, after = _timed(lambda: report(start, end, **kwargs), repeat)
    if not _same(before, after):
        raise SystemExit(f"{label}: the summaries' answer differs from the reference")
    return label, before_s, before_cpu, after_s, after_cpu


def _same(a: Any, b: Any) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if hasattr(x, "figure"):
            if (x.figure, x.device, x.interface) != (y.figure, y.device, y.interface):
                return False
        elif (x.name, x.device) != (y.name, y.device) or not math.isclose(
                x.total_bytes, y.total_bytes, rel_tol=1e-9):
            return False
    return True


def _page_fleet(devices: int, repeat: int) -> None:
    """The Reports page and the paged API over ``devices`` devices of one interface
    each, with month summaries of the bench month (no rollups: the page reads the
    summaries), timed through Django's test client; prints a table."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from mikromon.web.monitor import report_summaries as rs
    from mikromon.web.monitor.models import Device, MaintenanceState, Series, labels_key

    rng = random.Random(3)
    start = int(MONTH_START.timestamp())
    t0 = time.perf_counter()
    Device.objects.bulk_create(Device(name=f"cpe-{d:05d}", host="127.0.0.1", username="u",
                                      port=8728, state="up") for d in range(devices))
    key = labels_key([("interface", "ether1")])
    Series.objects.bulk_create(Series(device=dev, key=k, labels={"interface": "ether1"},
                                      labels_key=key)
                               for dev in Device.objects.all() for k in ("iface.rx_bps",
                                                                         "iface.tx_bps"))
    rows = []
    levels = {}
    for sid in Series.objects.values_list("pk", flat=True):
        # Links from 100 kbit/s to 1 Gbit/s (log-uniform), each varying around its own
        # level, as in a fleet of access routers.
        # A month summary keeps the largest 447 of 8,640 averages: drawn from the top
        # 447/8640 of the range the averages are drawn from.
        level = levels[sid] = 10 ** rng.uniform(5, 9)
        top = sorted((level * rng.uniform(1.3 - 1.1 * 447 / 8640, 1.3) for _ in range(447)),
                     reverse=True)
        rows.append(("month", start, sid, 8640, 0, sum(top) * 19, top[432], rs.pack(top)))
    _insert_summaries(rows)
    for name, value in ((rs.DAY_MARK, start + DAYS * 86400), (rs.MONTH_MARK,
                                                                start + DAYS * 86400)):
        MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})
    fill_s = time.perf_counter() - t0
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.create_user("bench", password="x" * 12,
                                                            is_staff=True))
    month = MONTH_START.strftime("%Y-%m")
    requests = [
        ("Reports page, a past month", "/reports/", {"month": month}),
        ("Reports page, a past month, page 100 by device", "/reports/",
         {"month": month, "apage": "100", "ppage": "100", "psort": "device"}),
        ("API percentile, a past month, 50 a page", "/api/v1/reports/percentile",
         {"month": month, "per_page": "50", "page": "3"}),
        ("API availability, 50 devices a page", "/api/v1/reports/availability",
         {"month": month, "per_page": "50", "page": "7"}),
        ("API top talkers, a past month", "/api/v1/reports/top-talkers", {"month": month}),
    ]
    _page_requests(client, requests, repeat, f"\n{devices:,} devices of one interface (rx, tx), "
                   f"month summaries only (filled in {fill_s:.0f} s)")
    _this_month(client, repeat, rng, levels)


def _this_month(client: Any, repeat: int, rng: random.Random, levels: dict[int, float]) -> None:
    """The bench month as on its 21st day at 08:20 UTC: the month summaries hold
    20 days, today's summary 100 buckets, and a minute of raw 5 s points per series
    is not rolled up yet (12 points); times the page, and, side by side in one run,
    the percentile table's first page and the top talkers computed for every
    interface (before) and as the page now reads them (after), checked equal."""
    from django.db import transaction

    from mikromon.web.monitor import report_query as rq
    from mikromon.web.monitor import report_summaries as rs
    from mikromon.web.monitor.models import MaintenanceState, MetricPoint, Series

    start = int(MONTH_START.timestamp())
    month_mark = start + 20 * 86400
    day_mark = month_mark + 100 * 300
    t0 = time.perf_counter()
    day_rows, points = [], []
    for sid in Series.objects.values_list("pk", flat=True):
        level = levels[sid]
        top = sorted((level * rng.uniform(0.2, 1.3) for _ in range(96)), reverse=True)
        day_rows.append(("day", month_mark, sid, 100, 0, sum(top) * 1.04, top[5], rs.pack(top)))
        points += [MetricPoint(series_id=sid, ts=day_mark + 5 * i,
                               value=level * rng.uniform(0.2, 1.3)) for i in range(12)]
    _insert_summaries(day_rows)
    with transaction.atomic():
        MetricPoint.objects.bulk_create(points, batch_size=5000)
    for name, value in ((rs.DAY_MARK, day_mark), (rs.MONTH_MARK, month_mark),
                        ("rollup_300", day_mark)):
        MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})
    fill_s = time.perf_counter() - t0
    _clock(day_mark + 60)  # 08:21 UTC: the raw minute is the last one polled
    month = MONTH_START.strftime("%Y-%m")
    _page_requests(client, [
        ("Reports page, this month (day 21)", "/reports/", {"month": month}),
        ("Reports page, this month, page 100 by device", "/reports/",
         {"month": month, "ppage": "100", "psort": "device"}),
        ("Reports page, this month, page 20 by billing", "/reports/",
         {"month": month, "ppage": "20"}),
        ("API percentile, this month, 50 a page", "/api/v1/reports/percentile",
         {"month": month, "per_page": "50", "page": "1"}),
        ("API top talkers, this month", "/api/v1/reports/top-talkers", {"month": month}),
        ("Reports page, last 7 days", "/reports/", {"range": "last_7_days"}),
    ], repeat, f"\nThe same month as on its 21st day: day summaries and {len(points):,} raw "
               f"points added (in {fill_s:.0f} s)")
    query = rq.ReportQuery(start=start, end=start + DAYS * 86400, preset="month",
                           device_id=None)
    print("\n| this month, whole fleet | before: wall ms (CPU) | after: wall ms (CPU) |")
    print("|---|---|---|")
    for label, before, after in (
        ("percentile table, first page by billing",
         lambda: rq.percentile_rows(query, "billing")[:rq.PAGE_ROWS],
         lambda: rq.percentile_page(query, "billing", rq.Paging(1, rq.PAGE_ROWS))[0]),
        ("percentile table and top talkers (what the page reads)",
         lambda: (rq.percentile_rows(query, "billing")[:rq.PAGE_ROWS],
                  rq.talker_rows(query, ("interface", "queue"), 20)),
         lambda: _page_reads(rq, query)),
    ):
        b_s, b_cpu, b_rows = _timed(before)
        a_s, a_cpu, a_rows = _timed(after, repeat)
        if b_rows != a_rows:
            raise SystemExit(f"{label}: the page differs from the whole table")
        print(f"| {label} | {b_s * 1000:.0f} ({b_cpu * 1000:.0f}) | {a_s * 1000:.0f} "
              f"({a_cpu * 1000:.0f}) |")


def _page(label: str, start: float, end: float, repeat: int
          ) -> list[tuple[str, float, float]]:
    """Time what the Reports page reads over ``[start, end)`` (the percentile table's
    first page and 20th page by billing figure, 50 rows, and the top 20 talkers),
    checked against the whole table; one row per table page."""
    from mikromon.web.monitor import report_query as rq

    query = rq.ReportQuery(start=start, end=end, preset="custom", device_id=None)
    whole = rq.percentile_rows(query, "billing")
    out = []
    for page in sorted({1, min(20, -(-len(whole) // rq.PAGE_ROWS))}):
        wall, cpu, rows = _timed(lambda page=page: _page_reads(rq, query, page), repeat)
        first = (page - 1) * rq.PAGE_ROWS
        if rows[0] != whole[first:first + rq.PAGE_ROWS]:  # type: ignore[index]
            raise SystemExit(f"{label}, page {page}: the page differs from the whole table")
        out.append((f"{label}, page {page} by billing and talkers", wall, cpu))
    return out


def _page_reads(rq: Any, query: Any, page: int = 1) -> tuple[Any, Any]:
    read: dict[str, Any] = {}
    rows = rq.percentile_page(query, "billing", rq.Paging(page, rq.PAGE_ROWS), read)[0]
    return rows, rq.talker_rows(query, ("interface", "queue"), 20, read)


def _page_requests(client: Any, requests: list[tuple[str, str, dict[str, str]]], repeat: int,
                   title: str) -> None:
    """Time each request (median and max of ``repeat`` after a warm-up); print a table."""
    print(f"{title}; Django test client, whole request, "
          f"median and max of {repeat} after a warm-up\n")
    print("| request | median ms wall (CPU) | max ms wall | KiB |")
    print("|---|---|---|---|")
    for label, url, params in requests:
        answer = client.get(url, params)
        if answer.status_code != 200:
            raise SystemExit(f"{label}: HTTP {answer.status_code}")
        times, cpu = [], []
        for _ in range(repeat):
            t1, c1 = time.perf_counter(), time.process_time()
            answer = client.get(url, params)
            times.append(time.perf_counter() - t1)
            cpu.append(time.process_time() - c1)
        print(f"| {label} | {statistics.median(times) * 1000:.0f} "
              f"({statistics.median(cpu) * 1000:.0f}) | {max(times) * 1000:.0f} | "
              f"{len(answer.content) / 1024:.0f} |")


def main() -> None:
    """Fill, build the summaries, time before and after, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interfaces", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each 'after' (median)")
    parser.add_argument("--page-devices", type=int, default=0,
                        help="instead: time the Reports page and API over this many devices")
    args = parser.parse_args()
    if args.page_devices:
        with tempfile.TemporaryDirectory(prefix="mikromon-bench-reports-") as data_dir:
            _setup(data_dir)
            _page_fleet(args.page_devices, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-reports-") as data_dir:
        _setup(data_dir)
        from mikromon.web.monitor import report_summaries, report_summary_pass, reports
        from mikromon.web.monitor.models import MaintenanceState

        load = os.getloadavg()[0]
        rows, fill_s = _fill(args.interfaces)
        t0 = time.perf_counter()
        summary_rows = report_summaries.backfill()
        backfill_s = time.perf_counter() - t0
        start = MONTH_START.timestamp()
        end = start + DAYS * 86400
        talk: dict[str, Any] = {"kinds": ("interface",)}
        _clock(end + 30)  # the month's last minute: the last bucket not rolled up yet
        results = [
            _pair("95th percentile, the month at its end", reports.percentile_report,
                  start, end, args.repeat),
            _pair("top talkers, the month at its end", reports.top_talkers, start, end,
                  args.repeat, **talk),
        ]
        pages = _page("this month at its end", start, end, args.repeat)
        # The next day: its buckets folded in, the month summary holds all 30 days.
        MaintenanceState.objects.filter(name="rollup_300").update(value=int(end) + 86400 + 300)
        _clock(end + 86400 + 330)
        t0 = time.perf_counter()
        report_summary_pass.update()
        fold_s = time.perf_counter() - t0
        week = (end - 7 * 86400, end)
        odd = (start + 2 * 86400 + 7 * 3600 + 13 * 60, end - 3 * 86400 - 8 * 3600 - 13 * 60)
        odd_week = (start + 10 * 86400 + 26_000, start + 17 * 86400 + 26_000)  # 07:13:20
        results += [
            _pair("95th percentile, a past month", reports.percentile_report, start, end,
                  args.repeat),
            _pair("top talkers, a past month", reports.top_talkers, start, end, args.repeat,
                  **talk),
            _pair("95th percentile, last 7 days", reports.percentile_report, *week, args.repeat),
            _pair("95th percentile, 24.7 days not aligned to days", reports.percentile_report,
                  *odd, args.repeat),
            _pair("top talkers, 24.7 days not aligned to days", reports.top_talkers, *odd,
                  args.repeat, **talk),
            _pair("95th percentile, 7 days not aligned to days", reports.percentile_report,
                  *odd_week, args.repeat),
            _pair("top talkers, 7 days not aligned to days", reports.top_talkers, *odd_week,
                  args.repeat, **talk),
        ]
        pages += (_page("7 days not aligned to days", *odd_week, args.repeat)
                  + _page("a past month", start, end, args.repeat))
        avail_s, avail_cpu, _rows = _timed(
            lambda: reports.availability_report(start, end, now=end))
        db_bytes = sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
                       if f.endswith((".sqlite3", ".sqlite3-wal", ".db", ".db-wal")))
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
              f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite, "
              f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
        print(f"{args.interfaces} interfaces, {rows:,} five-minute rollup rows "
              f"(filled in {fill_s:.0f} s), database {db_bytes / 2**20:.0f} MiB, "
              f"peak RSS {rss_mib:.0f} MiB")
        print(f"summaries: backfill {summary_rows:,} rows in {backfill_s:.1f} s; folding "
              f"the next day in: {fold_s:.2f} s\n")
        print(f"| report (every interface, rx and tx) | before: wall s (CPU s) | after: "
              f"wall ms (CPU ms), median of {args.repeat} |")
        print("|---|---|---|")
        for label, before_s, before_cpu, after_s, after_cpu in results:
            print(f"| {label} | {before_s:.2f} ({before_cpu:.2f}) | {after_s * 1000:.0f} "
                  f"({after_cpu * 1000:.0f}) |")
        print(f"| availability, {args.interfaces // PER_DEVICE} devices with 10 outages "
              f"each | {avail_s:.2f} ({avail_cpu:.2f}) | (same code) |")
        print(f"\n| what the Reports page reads (50 rows, top 20 talkers), median of "
              f"{args.repeat} | wall ms (CPU ms) |")
        print("|---|---|")
        for label, page_s, page_cpu in pages:
            print(f"| {label} | {page_s * 1000:.0f} ({page_cpu * 1000:.0f}) |")


if __name__ == "__main__":
    main()
