"""Cost of routing alert events to notification channels and of delivering them.

SQLite in a temporary folder, 1,000 devices in 10 sites. Three signed-webhook
channels (all severities; one limited to 5 sites) post to a local HTTP receiver
on 127.0.0.1 that answers 200 at once. Two cases, each from a clean outbox:

  * outage: 1,000 devices go down in the same minute (one rule): routing with a
    60 s group window (one message per channel naming every device), then delivery;
  * scattered: 1,000 alerts of 20 rules with no group window (one message per
    alert and channel), then delivery by the worker (one attempt at a time per
    channel, channels in parallel).

Run: ``python bench/notify_route.py [--devices 1000]``. Prints a Markdown table
for bench/RESULTS.md. No target; the figures say what one worker thread handles.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    hits: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            hits.append(1)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def _fleet(devices: int):
    from mikromon.web.monitor.models import Device, Site

    sites = [Site.objects.create(name=f"site-{n}") for n in range(10)]
    rows = []
    for n in range(devices):
        dev = Device(name=f"r{n:04d}", host="127.0.0.1", port=8728, username="u",
                     site=sites[n % 10])
        dev.password_encrypted = ""
        rows.append(dev)
    Device.objects.bulk_create(rows)
    return list(Device.objects.order_by("pk")), sites


def _events(devices, rules) -> None:
    from mikromon.web.alerts.models import Alert, AlertEvent

    now = datetime.now(UTC)
    alerts = Alert.objects.bulk_create(
        Alert(rule=rules[n % len(rules)], device=dev, state="firing",
              severity=rules[n % len(rules)].severity, started_at=now - timedelta(minutes=3),
              fired_at=now, value=1.0, threshold=0.0, message=f"{dev.name} is down")
        for n, dev in enumerate(devices))
    AlertEvent.objects.bulk_create(
        AlertEvent(alert=a, rule_id=a.rule_id, device_id=a.device_id, ts=now, state="firing",
                   severity=a.severity, message=a.message) for a in alerts)


def _clean() -> None:
    from mikromon.web.alerts.models import Alert
    from mikromon.web.notify.models import AlertNotice, Delivery

    Delivery.objects.all().delete()
    AlertNotice.objects.all().delete()
    Alert.objects.all().delete()


def _route_all() -> float:
    from mikromon.web.notify import router

    t0 = time.perf_counter()
    while router.route_events():
        pass
    return time.perf_counter() - t0


def _deliver(hits: list[int], expected: int) -> float:
    from django.utils import timezone

    from mikromon.web.notify.worker import NotificationWorker

    worker = NotificationWorker()
    hits.clear()
    t0 = time.perf_counter()
    later = timezone.now() + timedelta(seconds=120)
    while len(hits) < expected and time.perf_counter() - t0 < 600:
        worker.run_once(later)
        worker.settle()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(tmp)
        from mikromon.web.alerts.models import AlertRule
        from mikromon.web.notify.models import Delivery, NotificationChannel

        server, hits = _receiver()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        devices, sites = _fleet(args.devices)
        channels = []
        for n in range(3):
            channel = NotificationChannel(name=f"hook-{n}", kind="webhook", min_severity="info",
                                          group_window_s=60, repeat_interval_s=0)
            channel.set_url(url)
            channel.set_secret("k")
            channel.save()
            channels.append(channel)
        channels[2].sites.set(sites[:5])
        rows = []

        rule = AlertRule.objects.get(name="Device unreachable")
        _events(devices, [rule])
        routed = _route_all()
        messages = Delivery.objects.count()
        sent = _deliver(hits, messages)
        rows.append(("outage: 1 rule, 60 s window", routed, messages, sent))

        _clean()
        NotificationChannel.objects.update(group_window_s=0)
        rules = [AlertRule.objects.create(name=f"bench rule {n}", kind="threshold",
                                          severity="warning", metric="system.cpu.load_pct",
                                          comparison=">", threshold=90)
                 for n in range(20)]
        _events(devices, rules)
        routed = _route_all()
        messages = Delivery.objects.count()
        sent = _deliver(hits, messages)
        rows.append(("scattered: 20 rules, no window", routed, messages, sent))
        server.shutdown()

    print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, SQLite; {args.devices} firing events, "
          f"3 webhook channels (one limited to 5 of 10 sites)\n")
    print("| case | routing s | events/s | messages | delivery s | messages/s |")
    print("|---|---|---|---|---|---|")
    for name, routed, messages, sent in rows:
        print(f"| {name} | {routed:.2f} | {args.devices / routed:,.0f} | {messages} | "
              f"{sent:.2f} | {messages / sent:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
