"""Server time of every page and API call an operator uses, with 10,000 devices.

Fills a database (SQLite in a temporary folder, or an empty PostgreSQL database
given by ``--database-url``) with ``--devices`` devices (default 10,000) over 200
sites and 30 tags (one or two each), six RouterOS versions, eight boards, every
state, a last contact in the last minute, CPU/memory/uptime latest values, two
interfaces each with current rates and a link speed, interface inventory for 1,000
of them, a day of 5 s points (CPU, ether1 rx/tx) for one of them, ten events each,
alerts for every 20th, 50 users and five API tokens (bench/pages_fill.py). It
publishes a collector status with every device and its three tiers as a
collector in another process does, and times that publication (first, then with
a fifth of the entries changed, and the whole document in one row as before).
Then it times with Django's test client (no network; whole request: middleware,
session or token, view, template, JSON): the device list, collector page and
overview with their filters; the device dashboard, its edit form, an interface
page and its API calls (latest, series, inventory); events, alerts, rules, the
rule and silence forms, silences, channels, outputs, retention, the series
browser, search, reports, profile, users, tokens and the login page; the API's
device list, events, alerts, silences, rules, series, search and collector
document.

Run: ``python bench/pages.py [--devices 10000] [--repeat 20] [--only TEXT]
[--skip TEXT] [--database-url postgresql://... [--wipe]]``. Prints Markdown tables (p50 and p99
of ``--repeat`` requests after one warm-up) to paste into bench/RESULTS.md.
Target: each request at most 200 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

import pages_fill


def _fresh(*, values: bool = False) -> None:
    """Keep the published status live (a status older than 5 s is a dead process's);
    ``values``: also make every latest value (contact, rates) a second old, as a
    polling collector keeps them (done before each case, not timed)."""
    from datetime import timedelta

    from django.utils import timezone

    from mikromon.web.control.models import CollectorStatus
    from mikromon.web.monitor.models import Device, MetricLatest

    now = timezone.now()
    CollectorStatus.objects.update(published_at=now)
    if values:
        MetricLatest.objects.update(ts=now - timedelta(seconds=1))
        Device.objects.exclude(last_seen=None).update(last_seen=now - timedelta(seconds=2))


def _time(client, url: str, repeat: int, budget_s: float = 30.0
          ) -> tuple[float, float, int, int, float]:
    """Return (p50 ms, p99 ms, response bytes, requests timed, CPU p50 ms) of
    ``repeat`` requests after a warm-up; fewer when they take more than ``budget_s``
    in all (a page taking seconds is not timed twenty times). A warm-up taking more
    than ``budget_s`` is the only request timed. The CPU time is this process's
    (with SQLite: the whole request and the database's work; it leaves out the time
    other processes held the cores, so it compares runs on a loaded machine)."""
    _fresh(values=True)
    t = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    size = len(response.content)
    if first > budget_s * 1000:
        return first, first, size, 1, first
    times: list[float] = []
    cpu: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat and (not times or time.perf_counter() - started < budget_s):
        _fresh()
        t, c = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99, size, len(times), statistics.median(cpu)


def _cases(devices: int, site: int, tag: int, device: int, rule: int) -> list[tuple[str, str]]:
    """(name, URL) of every request timed; API URLs start with /api/."""
    last = -(-devices // 50)
    day = int(time.time()) - 86400
    return [
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
        ("collector page, only late", "/collector/?late=1"),
        ("overview", "/"),
        ("overview by tag", "/?group=tag"),
        ("overview, busiest by rx", "/?busiest=rx"),
        ("device dashboard", f"/devices/{device}/"),
        ("device edit form", f"/devices/{device}/edit/"),
        ("device add form", "/devices/add/"),
        ("interface page", f"/devices/{device}/interfaces/ether1/"),
        ("series browser", "/series/"),
        ("events page", "/events/"),
        ("events page, severity + site", f"/events/?severity=critical&site={site}"),
        ("alerts list", "/alerts/"),
        ("alert history", "/alerts/history/"),
        ("rules list", "/alerts/rules/"),
        ("device rules", f"/devices/{device}/alert-rules/"),
        ("rule form", "/alerts/rules/add/"),
        ("silences list", "/alerts/silences/"),
        ("silence form", "/alerts/silences/add/"),
        ("channels", "/alerts/channels/"),
        ("outputs", "/collector/outputs/"),
        ("retention", "/collector/retention/"),
        ("search page, short query", "/search/?q=rtr-0001"),
        ("reports page, default view", "/reports/"),
        ("profile", "/profile/"),
        ("users", "/users/"),
        ("tokens", "/tokens/"),
        ("login page (signed out)", "/accounts/login/"),
        ("API devices", "/api/v1/devices"),
        ("API devices, state + board", "/api/v1/devices?state=up&board=CHR"),
        ("API devices, sort -last_seen, page 5", "/api/v1/devices?sort=-last_seen&page=5"),
        ("API device", f"/api/v1/devices/{device}"),
        ("API latest", f"/api/v1/devices/{device}/latest"),
        ("API series, CPU, last hour", f"/api/v1/devices/{device}/series"
                                       "?metric=system.cpu.load_pct"),
        ("API series, rx, a day", f"/api/v1/devices/{device}/series?metric=iface.rx_bps"
                                  f"&label=interface%3Dether1&from={day}"),
        ("API inventory interfaces", f"/api/v1/devices/{device}/inventory/interfaces"),
        ("API events", "/api/v1/events"),
        ("API events, device", f"/api/v1/events?device={device}"),
        ("API alerts", "/api/v1/alerts"),
        ("API silences", "/api/v1/silences"),
        ("API series list", "/api/v1/series"),
        ("API rules", "/api/v1/rules"),
        ("API rule", f"/api/v1/rules/{rule}"),
        ("API search, short query", "/api/v1/search?q=rtr-0001"),
        ("API collector (whole status)", "/api/v1/collector"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="run the cases whose name has this text "
                                                    "(or one of these, comma-separated)")
    parser.add_argument("--skip", default="", help="leave out the cases whose name has this "
                                                    "text")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL URL of an empty database (default: SQLite in a "
                             "temporary folder)")
    parser.add_argument("--wipe", action="store_true",
                        help="drop every table of --database-url first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-") as data_dir:
        vendor = pages_fill.setup(data_dir, args.database_url, wipe=args.wipe)
        from django.test import Client

        from mikromon.web.alerts.models import AlertRule
        from mikromon.web.monitor.models import Device, Site, Tag

        fill_s = pages_fill.fill(args.devices)
        published = pages_fill.publish(min(args.repeat, 10))
        user, token = pages_fill.users()
        web = Client(HTTP_HOST="127.0.0.1")
        web.force_login(user)
        api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
        anonymous = Client(HTTP_HOST="127.0.0.1")
        cases = _cases(args.devices, Site.objects.get(name="site-007").pk,
                       Tag.objects.get(name="tag-03").pk,
                       Device.objects.get(name="rtr-00000").pk,
                       AlertRule.objects.order_by("pk").values_list("pk", flat=True)[0])
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, {vendor}; {args.devices:,} devices "
              f"filled in {fill_s:.1f} s; load average {os.getloadavg()[0]:.1f}; p50 and "
              f"p99 of {args.repeat} requests after one warm-up.")
        print()
        print("| status publication | p50 | max |")
        print("|---|---|---|")
        for what, p50, worst in published:
            print(f"| {what} | {p50:.1f} ms | {worst:.1f} ms |")
        print()
        print("| request | p50 | p99 | CPU p50 | response |")
        print("|---|---|---|---|---|")
        for name, url in cases:
            wanted = [w for w in args.only.split(",") if w]
            if (wanted and not any(w in name for w in wanted)) or (args.skip and args.skip in name):
                continue
            client = api if url.startswith("/api/") else anonymous if "signed out" in name \
                else web
            p50, p99, size, timed, cpu = _time(client, url, args.repeat)
            note = f" ({timed} requests)" if timed < args.repeat else ""
            print(f"| {name}{note} | {p50:.1f} ms | {p99:.1f} ms | {cpu:.1f} ms | "
                  f"{size / 1024:.1f} KiB |", flush=True)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
