"""Server time of the series browser at 10,000 devices and of a paged inventory tab
of 2,000 DHCP leases.

Fills an SQLite database (temporary folder) with ``--devices`` devices (default
10,000) over 200 sites, each with ``--series`` series (default 150: 10 system and
service metrics, 4 health sensors, 17 interfaces x 8 interface metrics) and a
latest value for each (1.5 million series and 1.5 million latest values by
default, by ``executemany``); the first device also gets 2,000 DHCP leases written
by the collector's inventory writer (sort keys and search text computed there:
the write is timed too). Then times with Django's test client (whole request:
middleware, session, view, template or JSON):

  * ``/series/`` and ``/api/v1/series``: unfiltered (pages 1 and 50), by device
    (text and id), site, metric (key and start), label text (also matching none),
    combined, sorted by metric and, over one metric's 10,000 series, by newest
    sample;
  * ``/api/v1/devices/<id>/inventory/dhcp_leases``: a page of 100 in the default
    order (addresses), sorted by a number (descending, page 10), by text, filtered,
    and every row at once.

Run: ``python bench/series_browse.py [--devices 10000] [--series 150] [--repeat 20]``.
Prints Markdown tables (p50 and p99 of ``--repeat`` requests after one warm-up) to
paste into bench/RESULTS.md. Target: each request at most 200 ms.
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

SYSTEM = ["system.cpu.load_pct", "system.memory.used_pct", "system.memory.free_bytes",
          "system.memory.total_bytes", "system.disk.used_pct", "system.uptime_seconds",
          "dhcp.active_leases", "dhcp.total_leases", "ppp.active_sessions",
          "firewall.connection_count"]
HEALTH = ["system.health.temperature", "system.health.cpu-temperature",
          "system.health.voltage", "system.health.fan1-speed"]
IFACE = ["iface.rx_bps", "iface.tx_bps", "iface.rx_pps", "iface.tx_pps",
         "iface.rx_errors_ps", "iface.tx_errors_ps", "iface.rx_drops_ps", "iface.tx_drops_ps"]
INTERFACES = ["ether1", "ether2", "ether3", "ether4", "ether5", "ether6", "ether7", "ether8",
              "sfp-sfpplus1", "sfp-sfpplus2", "bridge", "vlan100", "vlan200", "pppoe-out1",
              "wlan1", "wlan2", "lte1"]
LEASES = 2000


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _keys(per_device: int) -> list[tuple[str, str, str]]:
    """(key, labels_key, labels JSON) of one device's series."""
    out = [(k, "{}", "{}") for k in SYSTEM + HEALTH]
    for iface in INTERFACES:
        for k in IFACE:
            text = f'{{"interface":"{iface}"}}'
            out.append((k, text, text))
    return out[:per_device]


def _fill(count: int, per_device: int) -> float:
    """Create the fleet and its series; return the seconds taken."""
    from django.db import connection, transaction

    from mikromon.web.monitor.models import Device, Site

    t0 = time.perf_counter()
    now = datetime.now(UTC)
    sites = Site.objects.bulk_create([Site(name=f"site-{i:03d}") for i in range(200)])
    devices = Device.objects.bulk_create([
        Device(name=f"rtr-{i:05d}", host=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
               port=8728, username="monitor", site=sites[i % 200] if i % 50 else None,
               state="up", last_seen=now)
        for i in range(count)
    ], batch_size=2000)
    keys = _keys(per_device)
    created = now.isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        for d in devices:
            cursor.executemany(
                "INSERT INTO monitor_series (device_id, key, labels_key, labels, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(d.pk, k, lk, lj, created) for k, lk, lj in keys])
        cursor.execute("SELECT id FROM monitor_series ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(ids), 50_000):
            cursor.executemany(
                "INSERT INTO monitor_metriclatest (series_id, ts, value) VALUES (%s, %s, %s)",
                [(i, (now - timedelta(seconds=i % 600)).isoformat(), float(i % 997))
                 for i in ids[start:start + 50_000]])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def _leases(device_id: int) -> tuple[float, float]:
    """Write 2,000 leases twice (new rows, then every row changed); return the seconds."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)

    def rows(shift: int) -> list[dict]:
        return [{".id": f"*{i + 1:X}", "address": f"10.{20 + i // 250}.{i % 250}.{shift + 2}",
                 "mac-address": f"02:00:00:00:{i // 256:02X}:{i % 256:02X}",
                 "host-name": f"host-{i}", "server": "dhcp1", "status": "bound",
                 "dynamic": True, "expires-after": float((i * 37 + shift) % 3600),
                 "last-seen": float(i % 60), "active-address": f"10.{20 + i // 250}.{i % 250}.2"}
                for i in range(LEASES)]
    now = datetime.now(UTC)
    times = []
    for shift in (0, 1):
        t = time.perf_counter()
        storage.write_inventory(device_id, InventorySnapshot(
            table="dhcp_leases", rows=rows(shift), key_fields=("mac-address",),
            ts=now + timedelta(minutes=shift)))
        times.append(time.perf_counter() - t)
    return times[0], times[1]


def _time(client, url: str, repeat: int) -> tuple[float, float, int]:
    """Return (p50 ms, p99 ms, response bytes) of ``repeat`` requests after a warm-up."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    size = len(response.content)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99, size


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--series", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="run the cases whose name has this text")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-") as data_dir:
        _setup(data_dir)
        from django.contrib.auth import get_user_model
        from django.test import Client

        from mikromon.web.monitor.models import Device, Series, Site

        fill_s = _fill(args.devices, args.series)
        first = Device.objects.order_by("pk").first()
        assert first is not None
        write_new, write_changed = _leases(first.pk)
        user = get_user_model().objects.create_user("bench", password="bench-pass-1",
                                                    is_staff=True)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        site = Site.objects.get(name="site-007").pk
        middle = Device.objects.get(name=f"rtr-{args.devices // 2:05d}").pk
        inv = f"/api/v1/devices/{first.pk}/inventory/dhcp_leases"
        cases = [
            ("series page", "/series/"),
            ("series page, page 50", "/series/?page=50"),
            ("series page, device text", f"/series/?device=rtr-{args.devices // 3:05d}"),
            ("series page, device id", f"/series/?device={middle}"),
            ("series page, site", f"/series/?site={site}"),
            ("series page, metric key", "/series/?metric=iface.rx_bps"),
            ("series page, metric start", "/series/?metric=system.health."),
            ("series page, label text", "/series/?label=vlan200"),
            ("series page, label text matching none", "/series/?label=no-such-port"),
            ("series page, site + metric + label",
             f"/series/?site={site}&metric=iface.rx_bps&label=ether7"),
            ("series page, sort metric, page 3", "/series/?sort=metric&page=3"),
            ("series page, one metric (10,000), sort -last",
             "/series/?metric=system.cpu.load_pct&sort=-last"),
            ("API series (100)", "/api/v1/series"),
            ("API series, metric, sort -last", "/api/v1/series?metric=system.cpu.load_pct"
                                               "&sort=-last"),
            ("inventory 2,000 leases, page 1 (by address)", f"{inv}?per_page=100"),
            ("inventory, sort -expires-after, page 10",
             f"{inv}?per_page=100&sort=-expires-after&page=10"),
            ("inventory, sort host-name", f"{inv}?per_page=100&sort=host-name"),
            ("inventory, filter host-1", f"{inv}?per_page=100&q=host-1"),
            ("inventory, every row (no per_page)", inv),
        ]
        total = Series.objects.count()
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, SQLite; {args.devices:,} devices, "
              f"{total:,} series and latest values filled in {fill_s:.1f} s; 2,000 leases "
              f"written in {write_new * 1000:.0f} ms (new) and {write_changed * 1000:.0f} ms "
              f"(every row changed); p50 and p99 of {args.repeat} requests after one warm-up.")
        print()
        print("| request | p50 | p99 | response |")
        print("|---|---|---|---|")
        for name, url in cases:
            if args.only and args.only not in name:
                continue
            p50, p99, size = _time(client, url, args.repeat)
            print(f"| {name} | {p50:.1f} ms | {p99:.1f} ms | {size / 1024:.1f} KiB |",
                  flush=True)
        _labels_as_before(client, [(n, u) for n, u in cases if "label" in n and
                                   (not args.only or args.only in n)], args.repeat)
    return 0


def _labels_as_before(client, cases: list[tuple[str, str]], repeat: int) -> None:
    """The label cases again, side by side, with the label index not used (a text
    search of every series' labels, as before ``label_sets``)."""
    from mikromon.web.monitor import series_listing

    print("\n| label request | by the label index: p50 | text search (before): p50 |")
    print("|---|---|---|")
    for name, url in cases:
        after = _time(client, url, repeat)[0]
        kept, series_listing.MAX_LABEL_SETS = series_listing.MAX_LABEL_SETS, -1
        try:
            before = _time(client, url, repeat)[0]
        finally:
            series_listing.MAX_LABEL_SETS = kept
        print(f"| {name} | {after:.1f} ms | {before:.1f} ms |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
