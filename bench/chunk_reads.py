"""Reading raw samples from chunks against reading them from head rows, through the
product's readers (mikromon.web.monitor.points, readers.read_series, the series API).

One generated router (bench/storage_chunks.py's fleet generator: 12 interfaces,
rx and tx bit/s every 5 s, a daily cycle, noise and bursts, rates as the
collector computes them today: full 64-bit floats) over ``--days`` days, stored
three times in one database, once per layout: every sample a head row
(``monitor_metricpoint``), in 24-h chunks, in 2-h chunks (``MetricChunk``, as
the compactor writes them). First without rollups: every read aggregates raw samples (a
chart of a range not rolled up: the worst case, the most samples a chart can read).

Timed per layout, median of ``--repeat`` runs, wall and CPU time of this process
(the machine is shared: wall time includes waiting for a core):

* the 7-day chart of 12 interfaces: ``GET /api/v1/devices/<id>/series`` for
  ``iface.rx_bps`` and ``iface.tx_bps`` (600 points, 24 series) through Django's
  test client; ``readers.read_many`` of the 24 series (1000 points), and
  ``readers.read_series`` of each;
* a raw-range read: ``points.read_points`` of the 24 series over the last day;
* a 1-hour raw chart of one series (step 10 s): the head-only read, against what
  the reader ran before chunks existed (one GROUP BY, its rows made buckets);
* PostgreSQL: the 7-day chunks fetched in psycopg's binary format and through
  Django's cursor (text: bytea as hex).

Then the same chart reads again with rollups, as the product reads them: 5-minute
and 1-hour rollups of the same samples (computed here with numpy) and their
watermarks a minute behind the last sample, as ``update_rollups`` leaves them;
a 7-day chart then reads rollups, and raw samples only for the last minutes.

Run: ``python bench/chunk_reads.py [--days 7] [--repeat 5]`` (SQLite in a temporary
folder), and with ``--database-url postgresql://...`` (a scratch ``<name>_chunks``
database is created there and dropped). Loopback only. Record the output in
bench/RESULTS.md with the load average it prints.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from series_ranges import _setup
from storage_bytes import _pg_scratch
from storage_chunks import STEP, chunk_rows, device_series

DAY = 86_400
LAYOUTS = {"head rows": None, "24-h chunks": 24 * 3600, "2-h chunks": 2 * 3600}


def _fill(days: int) -> tuple[dict[str, tuple[int, list[int]]], list[Any]]:
    """Store the router in each layout: layout -> (device id, series ids); and the
    generated series ``(key, labels, ts, values)``."""
    from django.db import connection, transaction

    from mikromon.web.monitor.models import Device, MetricChunk, Series, labels_key

    week = device_series(99, days * DAY // STEP, "raw")
    wanted = [s for s in week if s[0] in ("iface.rx_bps", "iface.tx_bps")]
    out = {}
    for name, span in LAYOUTS.items():
        dev = Device.objects.create(name=f"bench {name}", host="127.0.0.1", username="u")
        ids = [Series.objects.create(device=dev, key=key, labels=labels,
                                     labels_key=labels_key(labels.items())).pk
               for key, labels, _ts, _v in wanted]
        with transaction.atomic():
            if span is None:
                _head_rows(connection, ids, wanted)
            else:
                MetricChunk.objects.bulk_create(
                    MetricChunk(series_id=ids[sid], start_ts=a, end_ts=b, count=n, data=blob)
                    for sid, a, b, n, blob in chunk_rows(wanted, span))
        out[name] = (dev.pk, ids)
    return out, wanted


def _rollups(stored: dict[str, tuple[int, list[int]]], wanted: list[Any], last: int) -> None:
    """Store 5-minute and 1-hour rollups of every layout's series and set their
    watermarks where ``update_rollups`` would leave them after ``last``."""
    from django.db import transaction

    from mikromon.web.monitor.maintenance import ROLLUP_GRACE
    from mikromon.web.monitor.models import MaintenanceState, MetricRollup
    from mikromon.web.monitor.points import bucketize
    from mikromon.web.monitor.rollup_marks import watermark_name

    with transaction.atomic():
        for step in (300, 3600):
            mark = (last + 1 - ROLLUP_GRACE) // step * step
            for _dev, ids in stored.values():
                for sid, (_key, _labels, ts, values) in zip(ids, wanted, strict=True):
                    keep = ts < mark
                    b = bucketize((ts[keep], values[keep]), step)
                    MetricRollup.objects.bulk_create(
                        MetricRollup(series_id=sid, step=step, ts=t, count=n, min=lo, max=hi,
                                     avg=total / n, last=last)
                        for t, lo, hi, total, n, last in b.rows())
            MaintenanceState.objects.update_or_create(name=watermark_name(step),
                                                      defaults={"value": mark})


def _head_rows(connection: Any, ids: list[int], wanted: list[Any]) -> None:
    with connection.cursor() as cursor:
        for sid, (_key, _labels, ts, values) in zip(ids, wanted, strict=True):
            rows = list(zip([sid] * ts.shape[0], ts.tolist(), values.tolist(), strict=True))
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                        "COPY monitor_metricpoint (series_id, ts, value) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO monitor_metricpoint (series_id, ts, value) "
                                   "VALUES (%s, %s, %s)", rows)


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median wall ms, median CPU ms of this process, the last result)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def _size(data: Any) -> int:
    """Buckets of a ``SeriesData``: its arrays' length where it holds arrays (the
    series API reads those; ``points`` makes a ``Bucket`` each on use), else
    ``len(points)`` (the reader before arrays, which made them in the read)."""
    buckets = getattr(data, "buckets", None)
    return len(data.points) if buckets is None else int(buckets.ts.shape[0])


def _cases(client: Any, dev: int, ids: list[int], first: int, last: int
           ) -> dict[str, Callable[[], int]]:
    """Name -> a read returning how many samples or buckets it gave."""
    from django.urls import reverse

    from mikromon.web.monitor.points import read_points
    from mikromon.web.monitor.readers import read_many, read_series

    week = (last - 7 * DAY + 1, last + 1)
    url = reverse("api:series", args=[dev])

    def api() -> int:
        got = 0
        for metric in ("iface.rx_bps", "iface.tx_bps"):
            resp = client.get(url, {"metric": metric, "from": week[0], "to": week[1] - 1,
                                    "points": 600})
            assert resp.status_code == 200, resp.content[:300]
            got += sum(len(s["t"]) for s in resp.json()["series"])
        return got

    return {
        "7-day chart, 12 interfaces, series API (24 series x 600 points)": api,
        "7-day chart, 12 interfaces, read_many (24 series x 1000 points)":
            lambda: sum(map(_size, read_many(ids, *week).values())),
        "7-day chart, 12 interfaces, read_series of each series (24 x 1000 points)":
            lambda: sum(_size(read_series(sid, *week)) for sid in ids),
        "1 day raw, 24 series, read_points (samples)":
            lambda: sum(t.shape[0] for t, _v in read_points(ids, last - DAY + 1,
                                                            last + 1).values()),
    }


def _head_hour(ids: list[int], last: int) -> dict[str, Callable[[], int]]:
    """The 1-hour raw chart of one series from head rows: now, and the statement
    read_series ran before chunks existed."""
    from django.db import connection

    from mikromon.web.monitor.readers import Bucket, read_series

    sid, start, end = ids[0], (last - 3600) // 10 * 10, last + 1

    def before() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT (ts / 10) * 10, MIN(value), MAX(value), SUM(value), "
                           "COUNT(*) FROM monitor_metricpoint WHERE series_id = %s AND "
                           "ts >= %s AND ts < %s GROUP BY (ts / 10)", [sid, start, end])
            return len([Bucket(ts=int(ts), avg=float(total) / int(n), min=float(lo),
                               max=float(hi), count=int(n), last=float(total) / int(n))
                        for ts, lo, hi, total, n in sorted(cursor.fetchall())])

    return {"1 h raw chart, 1 series, step 10 s: read_series": lambda: len(
                read_series(sid, start, end, 10).points),
            "1 h raw chart, 1 series, step 10 s: read_series before chunks (its GROUP BY, "
            "rows made buckets)": before}


def _pg_formats(ids: list[int], first: int, last: int) -> dict[str, Callable[[], int]]:
    from django.db import connection

    from mikromon.web.monitor import points_fetch

    sql = ("SELECT series_id, data FROM monitor_metricchunk WHERE series_id IN "
           f"({points_fetch.marks(len(ids))}) AND start_ts <= %s AND end_ts >= %s")
    params = [*ids, last, last - 7 * DAY]
    return {f"fetch 7 days of chunks, {fmt}": (
        lambda b=binary: sum(len(d) for _s, d in points_fetch.rows(connection, sql, params,
                                                                   binary=b)))
            for fmt, binary in (("binary (psycopg)", True), ("text (Django cursor)", False))}


def main() -> None:
    """Fill, time, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (scratch db)")
    args = parser.parse_args()
    url = (_pg_scratch(args.database_url, True, "_chunks") if args.database_url
           else None)
    try:
        with tempfile.TemporaryDirectory(prefix="mikromon-bench-chunks-") as data_dir:
            _setup(data_dir, url)
            _run(args)
    finally:
        if args.database_url:
            from django.db import connections

            connections.close_all()
            _pg_scratch(args.database_url, False, "_chunks")


def _run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    t0 = time.perf_counter()
    stored, wanted = _fill(args.days)
    first, last = int(wanted[0][2][0]), int(wanted[0][2][-1])
    fill_s = time.perf_counter() - t0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    user = get_user_model().objects.create_superuser("bench", password="bench-pass-1")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    print(f"{connection.vendor}, {os.cpu_count()} cores, {args.days} days x 24 series at "
          f"{STEP} s = {24 * args.days * DAY // STEP:,} samples a layout (filled in "
          f"{fill_s:.0f} s); median of {args.repeat}; load before: {os.getloadavg()[0]:.1f}\n")
    print("| read | layout | result | wall ms | CPU ms |")
    print("|---|---|---|---|---|")
    for layout, (dev, ids) in stored.items():
        cases = _cases(client, dev, ids, first, last)
        if layout == "head rows":
            cases.update(_head_hour(ids, last))
        elif layout == "24-h chunks" and connection.vendor == "postgresql":
            cases.update(_pg_formats(ids, first, last))
        for name, fn in cases.items():
            wall, cpu, result = _timed(fn, args.repeat)
            print(f"| {name} | {layout} | {result:,} | {wall:.1f} | {cpu:.1f} |")
    _rollups(stored, wanted, last)
    print(f"\nWith 5-minute and 1-hour rollups (load: {os.getloadavg()[0]:.1f})\n")
    print("| read | layout | result | wall ms | CPU ms |")
    print("|---|---|---|---|---|")
    for layout, (dev, ids) in stored.items():
        cases = _cases(client, dev, ids, first, last)
        for name, fn in list(cases.items())[:3]:
            wall, cpu, result = _timed(fn, args.repeat)
            print(f"| {name} | {layout} | {result:,} | {wall:.1f} | {cpu:.1f} |")
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
