"""Server time of the device dashboard and of the series API on a day of data.

Fills an SQLite database (temporary folder) through ``DjangoStorage.write_samples``
with 24 h of 5-second realtime data for one device: 12 interfaces x rx/tx bit
rates, CPU %, memory %, uptime (17,280 polls, 466,560 points), computes the
rollups as the collector's maintenance does, then times with Django's test client
(no network; whole request: middleware, session, view, template, JSON):

  * the dashboard page ``/devices/<id>/`` (what the browser waits for before
    the charts ask for data);
  * the series API as the dashboard's charts call it: CPU for 15 min / 1 h / 24 h /
    7 d, and rx for all 12 interfaces over 24 h and 7 d (600 points per series).

Run: ``python bench/dashboard_render.py [--hours 24] [--interfaces 12] [--repeat 30]``.
Prints a Markdown table to paste into bench/RESULTS.md. Target: the dashboard under
200 ms with 24 h of 5 s data for 12 interfaces.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _fill(hours: int, interfaces: int) -> tuple[int, int, float]:
    """Create the device and its data; return (device id, points, seconds taken)."""
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor import maintenance
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    device = Device(name="bench-1", host="127.0.0.1", username="u")
    device.set_password("pw")
    device.save()
    storage = DjangoStorage(maintenance_interval=None)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(hours=hours)
    polls = hours * 3600 // 5
    labels = [make_labels(interface=f"ether{i + 1}") for i in range(interfaces)]
    t0 = time.perf_counter()
    points = 0
    batch: list[Sample] = []
    for n in range(polls):
        ts = start + timedelta(seconds=5 * n)
        batch.append(Sample("system.cpu.load_pct", float(n % 100), ts))
        batch.append(Sample("system.memory.used_pct", 40.0 + n % 7, ts))
        batch.append(Sample("system.uptime_seconds", 86400.0 + 5 * n, ts))
        for i, lab in enumerate(labels):
            batch.append(Sample("iface.rx_bps", 1e6 * (i + 1) + n, ts, lab))
            batch.append(Sample("iface.tx_bps", 2e5 * (i + 1) + n, ts, lab))
        if len(batch) >= 20_000:
            points += storage.write_samples(device.pk, batch)
            batch = []
    if batch:
        points += storage.write_samples(device.pk, batch)
    storage.write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=end,
                                      last_seen=end, identity="bench", board="CHR",
                                      version="7.16.2 (stable)"))
    maintenance.update_rollups(now=end.timestamp())
    return device.pk, points, time.perf_counter() - t0


def _time(client, url: str, repeat: int) -> tuple[float, float, int]:
    """Return (median ms, max ms, response bytes) over ``repeat`` requests after a warm-up."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.content)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    return statistics.median(times), max(times), size


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--interfaces", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-") as data_dir:
        _setup(data_dir)
        from django.contrib.auth import get_user_model
        from django.test import Client

        device_id, points, fill_s = _fill(args.hours, args.interfaces)
        user = get_user_model().objects.create_user("bench", password="bench-pass-1",
                                                    is_staff=True)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        now = int(time.time())
        api = f"/api/v1/devices/{device_id}/series?points=600&to={now}"
        cases = [
            ("dashboard page", f"/devices/{device_id}/"),
            ("series CPU, 15 min", f"{api}&metric=system.cpu.load_pct&from={now - 900}"),
            ("series CPU, 1 h", f"{api}&metric=system.cpu.load_pct&from={now - 3600}"),
            ("series CPU, 24 h", f"{api}&metric=system.cpu.load_pct&from={now - 86400}"),
            ("series CPU, 7 d", f"{api}&metric=system.cpu.load_pct&from={now - 604800}"),
            (f"series rx, {args.interfaces} interfaces, 1 h",
             f"{api}&metric=iface.rx_bps&from={now - 3600}"),
            (f"series rx, {args.interfaces} interfaces, 24 h",
             f"{api}&metric=iface.rx_bps&from={now - 86400}"),
            (f"series rx, {args.interfaces} interfaces, 7 d",
             f"{api}&metric=iface.rx_bps&from={now - 604800}"),
            ("latest values", f"/api/v1/devices/{device_id}/latest"),
            ("device list page", "/devices/"),
        ]
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, SQLite; {points:,} points for "
              f"{args.hours} h x {args.interfaces} interfaces written in {fill_s:.1f} s; "
              f"median and max of {args.repeat} requests after one warm-up.")
        print()
        print("| request | median | max | response |")
        print("|---|---|---|---|")
        for name, url in cases:
            median, worst, size = _time(client, url, args.repeat)
            print(f"| {name} | {median:.1f} ms | {worst:.1f} ms | {size / 1024:.1f} KiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
