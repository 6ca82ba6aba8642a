"""Server time of the series API (the charts' data) for every range up to a year.

Fills a database (SQLite in a temporary folder, or ``--database-url`` PostgreSQL,
which must be empty: it is migrated and filled) with what a year of collection
leaves under the default retention (``MIKROMON_RETENTION_*_DAYS``): 1-hour rollups
for 365 days, 5-minute rollups for 90 days and raw points every ``--every``
seconds for 7 days, for ``--devices`` devices of ``--series`` series each (CPU,
memory, interface rates), the rollup watermarks set. Then times
``GET /api/v1/devices/<id>/series`` through Django's test client (middleware,
session, view, JSON: the whole server side) for the dashboard's ranges (600
points), a 1-hour zoom 20 days back and the interface page's percentile summary
for 30 days, ``--repeat`` times each.

Run: ``python bench/series_ranges.py [--devices 20 --series 10]``. Prints a
Markdown table for bench/RESULTS.md. Loopback only.
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
from datetime import UTC, datetime

HOUR, FIVE = 3600, 300
DAY = 86400


def _setup(data_dir: str, database_url: str | None) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    if database_url:
        os.environ["MIKROMON_DATABASE_URL"] = database_url
    else:
        os.environ.pop("MIKROMON_DATABASE_URL", None)
    os.environ.pop("MIKROMON_TIME_SCALE", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _insert(sql: str, rows: list[tuple[object, ...]]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(rows), 20_000):
            cursor.executemany(sql, rows[i:i + 20_000])


def insert_statements() -> tuple[str, str]:
    """The INSERT statements of a rollup row (series_id, step, ts, count, min, max,
    avg, last) and of a raw point (series_id, ts, value), for ``executemany``."""
    from django.db import connection

    from mikromon.web.monitor.models import MetricPoint, MetricRollup

    qn = connection.ops.quote_name
    return (f"INSERT INTO {qn(MetricRollup._meta.db_table)} "
            '(series_id, step, ts, "count", "min", "max", "avg", "last") '
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            f"INSERT INTO {qn(MetricPoint._meta.db_table)} (series_id, ts, value) "
            "VALUES (%s, %s, %s)")


def _fill(devices: int, per_device: int, every: int, now: int) -> tuple[dict[str, int], int]:
    """Create the devices, series and their history; return row counts and the id
    of the first device."""

    from mikromon.web.monitor.models import (
        Device,
        MaintenanceState,
        Series,
        labels_key,
    )

    rollup_sql, point_sql = insert_statements()
    rng = random.Random(11)
    hour_end = now // HOUR * HOUR
    five_end = now // FIVE * FIVE
    counts = {"1h": 0, "5m": 0, "raw": 0}
    first = 0
    for d in range(devices):
        dev = Device.objects.create(name=f"bench-{d:04d}", host="127.0.0.1", username="u",
                                    state="up")
        first = first or dev.pk
        keys = [("system.cpu.load_pct", {}), ("system.memory.used_pct", {})]
        keys += [(key, {"interface": f"sfp{i // 2 + 1}"})
                 for i, key in enumerate(("iface.rx_bps", "iface.tx_bps") * per_device)]
        for key, labels in keys[:per_device]:
            series = Series.objects.create(device=dev, key=key, labels=labels,
                                           labels_key=labels_key(labels.items()))
            base = rng.uniform(1e6, 5e8) if key.startswith("iface") else rng.uniform(5, 60)
            hours = [(series.pk, HOUR, ts, 360, base * 0.5, base * 1.5,
                      base * rng.uniform(0.8, 1.2), base)
                     for ts in range(hour_end - 365 * DAY, hour_end, HOUR)]
            fives = [(series.pk, FIVE, ts, 30, base * 0.7, base * 1.3,
                      base * rng.uniform(0.8, 1.2), base)
                     for ts in range(five_end - 90 * DAY, five_end, FIVE)]
            raw = [(series.pk, ts, base * rng.uniform(0.6, 1.4))
                   for ts in range(now - 7 * DAY, now, every)]
            _insert(rollup_sql, hours)
            _insert(rollup_sql, fives)
            _insert(point_sql, raw)
            counts["1h"] += len(hours)
            counts["5m"] += len(fives)
            counts["raw"] += len(raw)
    for step, mark in ((HOUR, hour_end), (FIVE, five_end)):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": mark})
    return counts, first


def _time(client: object, url: str, params: dict[str, object],
          repeat: int) -> tuple[list[float], dict[str, object]]:
    times = []
    body: dict[str, object] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = client.get(url, params)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.content[:300]
        body = resp.json()
    return times, body


def main() -> None:
    """Fill, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--series", type=int, default=10, help="series per device")
    parser.add_argument("--every", type=int, default=10, help="raw point interval, s")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database to fill (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-series-") as data_dir:
        _setup(data_dir, args.database_url)
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        now = int(time.time())
        t0 = time.perf_counter()
        counts, dev = _fill(args.devices, args.series, args.every, now)
        fill_s = time.perf_counter() - t0
        user = get_user_model().objects.create_superuser("bench", password="bench-pass-1")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = reverse("api:series", args=[dev])
        cases = [(label, {"metric": metric, "from": now - span, "to": now, "points": 600,
                          **({"label": "interface=sfp1"} if metric.startswith("iface") else {})})
                 for label, metric, span in (
                     ("1h, CPU", "system.cpu.load_pct", HOUR),
                     ("24h, CPU", "system.cpu.load_pct", DAY),
                     ("7d, CPU", "system.cpu.load_pct", 7 * DAY),
                     ("30d, CPU", "system.cpu.load_pct", 30 * DAY),
                     ("30d, interface rx", "iface.rx_bps", 30 * DAY),
                     ("1y, CPU", "system.cpu.load_pct", 365 * DAY),
                     ("1y, interface rx", "iface.rx_bps", 365 * DAY))]
        cases.append(("1h zoom 20 days back, CPU", {
            "metric": "system.cpu.load_pct", "from": now - 20 * DAY,
            "to": now - 20 * DAY + HOUR, "points": 600}))
        engine = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {sys.version.split()[0]}, {engine}")
        print(f"{args.devices} devices x {args.series} series: {counts['1h']:,} 1-hour "
              f"rollups, {counts['5m']:,} 5-minute rollups, {counts['raw']:,} raw points "
              f"(filled in {fill_s:.0f} s); {args.repeat} requests each\n")
        print("| request | source | step s | points | p50 ms | max ms |")
        print("|---|---|---|---|---|---|")
        for label, params in cases:
            times, body = _time(client, url, params, args.repeat)
            series = body["series"]
            points = len(series[0]["t"]) if series else 0  # type: ignore[index]
            print(f"| {label} | {body['source']} | {body['step']} | {points} | "
                  f"{statistics.median(times):.1f} | {max(times):.1f} |")
        summary = reverse("ui:interface_summary", args=[dev, "sfp1"])
        times, body = _time(client, summary, {"from": now - 30 * DAY, "to": now}, args.repeat)
        p = body["percentile"]
        print(f"| interface page summary, 30d (95th percentile rx+tx, link changes) | "
              f"{p['resolution']} | 300 | {p['rx_samples']} | "
              f"{statistics.median(times):.1f} | {max(times):.1f} |")


if __name__ == "__main__":
    main()
