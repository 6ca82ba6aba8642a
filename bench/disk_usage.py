"""The cost of the disk figures (retention and disk use) with 10,000 devices.

Fills a database as bench/pages.py does (bench/pages_fill.py: ``--devices``
devices, their series, a day of 5 s points for one of them, a published
collector status), records an hour of write counts (bench/pages.py has none),
runs the row estimate the maintenance makes at each retention run, then times,
side by side in one run:

* the collector page with the disk figures cached (what nearly every request
  pays) and with the cache emptied before each request (one request a minute);
* the collector page without the disk figures (as before them);
* :func:`mikromon.web.monitor.disk_usage.usage` measured afresh;
* :func:`mikromon.web.monitor.disk_usage.measure_rows` (in the maintenance,
  hourly).

Run: ``python bench/disk_usage.py [--devices 10000] [--repeat 20]
[--database-url postgresql://... [--wipe]]``. Prints a Markdown table (p50 and
p99 in ms) to paste into bench/RESULTS.md. Target: the collector page at most
200 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import pages_fill


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    call()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--wipe", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-disk-") as data_dir:
        vendor = pages_fill.setup(data_dir, args.database_url, wipe=args.wipe)
        from django.test import Client
        from django.utils import timezone

        from mikromon.web.control.models import CollectorStatus
        from mikromon.web.monitor import disk_usage, write_rate
        from mikromon.web.monitor.models import Series

        fill_s = pages_fill.fill(args.devices)
        pages_fill.publish(1)
        user, _token = pages_fill.users()
        now = time.time()
        for minute in range(60):  # an hour of flushes: 10,000 devices x 23 points / 5 s
            write_rate.flush({"realtime": 60 * args.devices * 23 // 5,
                              "short": args.devices * 4}, now - 3600 + 60 * minute)
        pairs = list(Series.objects.values_list("id", "key"))
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)

        def page() -> object:
            response = client.get("/collector/")
            assert response.status_code == 200, response.status_code
            return response

        def live() -> None:  # a status older than 5 s is a dead process's
            CollectorStatus.objects.update(published_at=timezone.now())

        def uncached_page() -> object:
            disk_usage._cache.clear()
            return page()

        rows: list[tuple[str, tuple[float, float]]] = [
            ("measure_rows (maintenance, hourly)",
             _time(lambda: disk_usage.measure_rows(pairs, time.time()), args.repeat)),
            ("usage(), measured afresh", _time(lambda: disk_usage.usage(fresh=True),
                                               args.repeat)),
            ("collector page, disk figures cached", live() or _time(page, args.repeat)),
            ("collector page, disk figures measured",
             live() or _time(uncached_page, args.repeat)),
        ]
        from mikromon.web.ui.views import collector as collector_view

        real_disk = collector_view._disk
        collector_view._disk = lambda: {"error": "not measured (bench)"}
        rows.append(("collector page without the disk figures (before)",
                     live() or _time(page, args.repeat)))
        collector_view._disk = real_disk
        doc = disk_usage.usage(fresh=True)
        load = os.getloadavg()
        print(f"{args.devices} devices, {len(pairs)} series, {vendor}; fill {fill_s:.0f} s; "
              f"{platform.node()} {os.cpu_count()} cores, load average "
              f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; Python {sys.version.split()[0]}")
        print(f"forecast: {doc.get('forecast')}")
        print()
        print("| what | p50 ms | p99 ms |")
        print("|---|---:|---:|")
        for name, (p50, p99) in rows:
            print(f"| {name} | {p50:.1f} | {p99:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
