"""Server time of the fleet pages with 10,000 devices.

Fills an SQLite database (temporary folder) with ``--devices`` devices (default
10,000) over 200 sites and 30 tags (one or two each), six RouterOS versions, eight
boards, every state, a last contact in the last minute, CPU/memory/uptime latest
values and a few inventory rows each; publishes a collector status document with
every device and its three tiers (as a collector in another process does); then
times with Django's test client (no network; whole request: middleware, session,
view, template, JSON):

  * the device list: unfiltered, filtered (state, site, tag, version, board, text),
    sorted (last contact, CPU), pages 1 and last;
  * the collector page: unfiltered, page 1 and last, site filter, only errors;
  * the overview, by site and by tag;
  * the API device list: unfiltered, filtered, sorted by last contact.

Run: ``python bench/pages.py [--devices 10000] [--repeat 20]``. Prints a Markdown
table (p50 and p99 of ``--repeat`` requests after one warm-up) to paste into
bench/RESULTS.md. Target: each request at most 200 ms.
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

STATES = ["up"] * 14 + ["down", "degraded", "slow", "auth_failed", "unknown", "disabled"]
VERSIONS = ["7.16.2 (stable)", "7.15.3 (stable)", "7.14.3 (stable)", "7.12.1 (stable)",
            "6.49.17 (long-term)", "7.17rc1 (testing)"]
BOARDS = ["RB5009UG+S+", "hAP ax^2", "CCR2004-1G-12S+2XS", "CHR", "hEX S", "RB4011iGS+",
          "CRS326-24G-2S+", "L009UiGS"]


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _fill(count: int) -> float:
    """Create the fleet; return the seconds taken."""
    from mikromon.web.monitor.models import Device, MetricLatest, Series, Site, Tag

    t0 = time.perf_counter()
    now = datetime.now(UTC)
    sites = Site.objects.bulk_create([Site(name=f"site-{i:03d}") for i in range(200)])
    tags = Tag.objects.bulk_create([Tag(name=f"tag-{i:02d}", slug=f"tag-{i:02d}")
                                    for i in range(30)])
    devices = Device.objects.bulk_create([
        Device(name=f"rtr-{i:05d}", host=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
               port=8728, username="monitor", site=sites[i % 200] if i % 50 else None,
               state=STATES[i % len(STATES)], identity=f"id-{i}",
               ros_version=VERSIONS[i % len(VERSIONS)], board=BOARDS[i % len(BOARDS)],
               last_seen=now - timedelta(seconds=i % 60),
               status_changed_at=now - timedelta(seconds=i * 7),
               last_error="" if STATES[i % len(STATES)] == "up" else "timed out")
        for i in range(count)
    ], batch_size=2000)
    through = Device.tags.through
    links = [through(device_id=d.pk, tag_id=tags[i % 30].pk) for i, d in enumerate(devices)]
    links += [through(device_id=d.pk, tag_id=tags[(i * 7 + 3) % 30].pk)
              for i, d in enumerate(devices) if i % 3 == 0 and (i * 7 + 3) % 30 != i % 30]
    through.objects.bulk_create(links, batch_size=5000)
    keys = {"system.cpu.load_pct": 20.0, "system.memory.used_pct": 40.0,
            "system.uptime_seconds": 86400.0}
    series = Series.objects.bulk_create(
        [Series(device_id=d.pk, key=k, labels_key="{}", labels={})
         for d in devices for k in keys], batch_size=5000)
    MetricLatest.objects.bulk_create(
        [MetricLatest(series_id=s.pk, ts=now - timedelta(seconds=s.pk % 30),
                      value=keys[s.key] + s.pk % 50) for s in series], batch_size=5000)
    _fill_inventory(devices[:: max(1, count // 500)], now)
    return time.perf_counter() - t0


def _fill_inventory(devices: list, now: datetime) -> None:
    """A few interface rows for some devices, as the inventory writer stores them."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    rows = [{".id": f"*{n}", "name": f"ether{n}", "type": "ether", "running": "true"}
            for n in range(1, 6)]
    for d in devices:
        storage.write_inventory(d.pk, InventorySnapshot(table="interfaces", rows=rows,
                                                        key_fields=("name",), ts=now))


def _publish(devices: int) -> None:
    """Publish a collector status with every device and three tiers each."""
    from mikromon.web.control import state
    from mikromon.web.monitor.models import Device

    now = datetime.now(UTC)
    iso = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    due = (now + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = Device.objects.order_by("pk").values_list("pk", "name", "state", "identity")
    docs = []
    for n, (pk, name, dev_state, identity) in enumerate(rows):
        tiers = {
            tier: {"interval_s": interval, "effective_interval_s": interval,
                   "last_run": iso, "duration_s": 0.012, "next_due": due, "runs": 1200,
                   "errors": 3 if n % 40 == 0 else 0, "skipped": 0,
                   "last_error": "timed out after 20 s" if n % 40 == 0 else ""}
            for tier, interval in (("realtime", 5), ("standard", 60), ("inventory", 3600))
        }
        docs.append({"id": pk, "name": name, "state": dev_state, "last_error": "",
                     "facts": {"identity": identity}, "tiers": tiers})
    assert len(docs) == devices
    state.publish(instance=state.instance_name(now), started_at=now, running=True, status={
        "running": True, "since": iso, "lock_held": True, "time_scale": 1.0, "reloads": 0,
        "devices": docs,
        "writer": {"queue_depth": 0, "max_batches": 5000, "rows_written": 10**7},
    })


def _fresh() -> None:
    """Keep the published status live (a status older than 5 s is a dead process's)."""
    from django.utils import timezone

    from mikromon.web.control.models import CollectorStatus

    CollectorStatus.objects.update(published_at=timezone.now())


def _time(client, url: str, repeat: int) -> tuple[float, float, int]:
    """Return (p50 ms, p99 ms, response bytes) of ``repeat`` requests after a warm-up."""
    _fresh()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    size = len(response.content)
    times = []
    for _ in range(repeat):
        _fresh()
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99, size


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="run the cases whose name has this text")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-") as data_dir:
        _setup(data_dir)
        from django.contrib.auth import get_user_model
        from django.test import Client

        from mikromon.web.monitor.models import Site, Tag

        fill_s = _fill(args.devices)
        _publish(args.devices)
        user = get_user_model().objects.create_user("bench", password="bench-pass-1",
                                                    is_staff=True)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        site = Site.objects.get(name="site-007").pk
        tag = Tag.objects.get(name="tag-03").pk
        last = -(-args.devices // 50)
        cases = [
            ("device list", "/devices/"),
            ("device list, last page", f"/devices/?page={last}"),
            ("device list, state=down", "/devices/?state=down"),
            ("device list, site", f"/devices/?site={site}"),
            ("device list, tag + version", f"/devices/?tag={tag}&version=7.16.2+(stable)"),
            ("device list, board + text", "/devices/?board=CHR&q=rtr-01"),
            ("device list, sort -last_seen", "/devices/?sort=-last_seen"),
            ("device list, sort cpu, last page", f"/devices/?sort=cpu&page={last}"),
            ("collector page", "/collector/"),
            ("collector page, last page", f"/collector/?page={last}"),
            ("collector page, site", f"/collector/?site={site}"),
            ("collector page, only errors", "/collector/?errors=1"),
            ("overview", "/"),
            ("overview by tag", "/?group=tag"),
            ("API devices", "/api/v1/devices"),
            ("API devices, state + board", "/api/v1/devices?state=up&board=CHR"),
            ("API devices, sort -last_seen, page 5", "/api/v1/devices?sort=-last_seen&page=5"),
        ]
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, SQLite; {args.devices:,} devices filled "
              f"in {fill_s:.1f} s; p50 and p99 of {args.repeat} requests after one warm-up.")
        print()
        print("| request | p50 | p99 | response |")
        print("|---|---|---|---|")
        for name, url in cases:
            if args.only and args.only not in name:
                continue
            p50, p99, size = _time(client, url, args.repeat)
            print(f"| {name} | {p50:.1f} ms | {p99:.1f} ms | {size / 1024:.1f} KiB |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
