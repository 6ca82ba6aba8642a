"""Server time of the alerting API at fleet scale: the rule preview and the alert list.

Fills an SQLite database (temporary folder) with N devices (default 1,000), each
with the latest values of one realtime poll (CPU, memory, uptime, 8 interfaces'
rx/tx rates and running flags) written through ``DjangoStorage.write_samples``,
a firing alert per device for two rules and a few silences; then times with
Django's test client (no network; whole request):

  * ``POST /api/v1/rules/preview`` for a CPU threshold (a level kind: one query
    for the fleet's latest CPU values, then the rule engine);
  * the same for link down (8 subjects per device) and for no data;
  * ``GET /api/v1/alerts?state=firing`` at the default page size (200) and 1,000.

Run: ``python bench/alert_api.py [--devices 1000] [--repeat 10]``. Prints a
Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
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


def _fill(devices: int) -> float:
    """Create the devices, their latest values, alerts and silences; return seconds."""
    from django.utils import timezone

    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.alerts.models import Alert, AlertRule, Silence
    from mikromon.web.monitor.models import Device, Site
    from mikromon.web.monitor.storage import DjangoStorage

    t0 = time.perf_counter()
    sites = [Site.objects.create(name=f"site-{i}") for i in range(10)]
    rows = []
    for i in range(devices):
        d = Device(name=f"r{i:04d}", host="127.0.0.1", port=8728, username="u",
                   site=sites[i % 10],
                   state="up" if i % 50 else "down")
        d.set_password("pw")
        rows.append(d)
    Device.objects.bulk_create(rows)
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    batches = []
    for n, d in enumerate(Device.objects.order_by("pk")):
        samples = [Sample("system.cpu.load_pct", float(n % 100), now),
                   Sample("system.memory.used_pct", 40.0, now),
                   Sample("system.uptime_seconds", 1e5, now)]
        for k in range(8):
            labels = make_labels(interface=f"ether{k + 1}")
            samples += [Sample("iface.rx_bps", 1e6 * k, now, labels),
                        Sample("iface.tx_bps", 2e6 * k, now, labels),
                        Sample("iface.running", 0.0 if (n + k) % 97 == 0 else 1.0, now,
                               labels)]
        batches.append((d.pk, samples))
    storage.write_samples_many(batches)
    cpu = AlertRule.objects.get(name="CPU load high")
    down = AlertRule.objects.get(name="Device unreachable")
    started = timezone.now() - timedelta(minutes=10)
    Alert.objects.bulk_create(
        Alert(rule=rule, device_id=pk, state="firing", severity=rule.severity,
              started_at=started, fired_at=started, message="bench")
        for pk in Device.objects.values_list("pk", flat=True) for rule in (cpu, down))
    for s in sites[:3]:
        Silence.objects.create(site=s, starts_at=started, ends_at=started + timedelta(hours=2),
                               reason="bench")
    return time.perf_counter() - t0


def _time(client, method: str, url: str, body: dict | None, repeat: int) -> tuple[float, float]:
    def once() -> float:
        t = time.perf_counter()
        if method == "post":
            response = client.post(url, json.dumps(body), content_type="application/json")
        else:
            response = client.get(url)
        took = (time.perf_counter() - t) * 1000
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code} {response.content[:200]!r}")
        return took

    once()
    times = [once() for _ in range(repeat)]
    return statistics.median(times), max(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-") as data_dir:
        _setup(data_dir)
        from django.contrib.auth import get_user_model
        from django.test import Client

        fill_s = _fill(args.devices)
        user = get_user_model().objects.create_user("bench", password="bench-pass-1",
                                                    is_staff=True)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        cases = [
            ("preview CPU > 90 %", "post", "/api/v1/rules/preview",
             {"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 90}),
            ("preview link down (8 interfaces each)", "post", "/api/v1/rules/preview",
             {"kind": "link_down"}),
            ("preview no data", "post", "/api/v1/rules/preview", {"kind": "no_data"}),
            ("firing alerts, page of 200", "get", "/api/v1/alerts", None),
            ("firing alerts, page of 1,000", "get", "/api/v1/alerts?limit=1000", None),
        ]
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, SQLite; {args.devices:,} devices "
              f"({2 * args.devices:,} firing alerts, 3 silences) filled in {fill_s:.1f} s; "
              f"median and max of {args.repeat} requests after one warm-up.")
        print()
        print("| request | median | max |")
        print("|---|---|---|")
        for name, method, url, body in cases:
            median, worst = _time(client, method, url, body, args.repeat)
            print(f"| {name} | {median:.0f} ms | {worst:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
