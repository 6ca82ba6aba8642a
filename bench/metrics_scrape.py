"""Server time of a ``/metrics`` scrape of the whole fleet, and of one device.

Fills an SQLite database (temporary folder) with ``--devices`` devices (default
1,000), each with the latest values a v7 router with 12 interfaces leaves after a
poll of every tier: per interface 8 raw counters, 8 rates, running, disabled and
the link rate; CPU, memory, disk, uptime, per-core load for 4 cores, 4 health
sensors, DHCP/PPP/connection/route counts; two health state sensors; the
inventory rows the exposition reads (12 interfaces with ``link-downs``,
``actual-mtu``, ``type``, ``mac-address``, ``default-name`` and ``comment``, 30
firewall filter and 5 NAT rules with counters, 3 packages; with
``--dhcp-leases N``, N bound leases per device and ``MIKROMON_METRICS_DHCP_LEASES``
on);
and a published collector status with 5 tiers per device. Then times with Django's test
client (no network; whole request: middleware, token check, database read,
families, text encoding):

  * the whole fleet, Prometheus text format;
  * the whole fleet, OpenMetrics;
  * the whole fleet, text format, gzip (as Prometheus asks);
  * one device (``?target=``).

Run: ``python bench/metrics_scrape.py [--devices 1000] [--repeat 5] [--dhcp-leases 0]``. Prints a
Markdown table (p50 and max of ``--repeat`` requests after one warm-up) to paste
into bench/RESULTS.md. Target (issue 14): the whole fleet of 1,000 routers in 1 s
or less.
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

IFACES = 12
#: Bound leases per device (``--dhcp-leases``).
DHCP_LEASES = 0
COUNTERS = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors",
            "rx_drops", "tx_drops")
RATES = ("rx_bps", "tx_bps", "rx_pps", "tx_pps", "rx_errors_ps", "tx_errors_ps",
         "rx_drops_ps", "tx_drops_ps")
SYSTEM = ("system.cpu.load_pct", "system.cpu.count", "system.cpu.frequency_hz",
          "system.memory.used_pct", "system.memory.free_bytes", "system.memory.total_bytes",
          "system.disk.used_pct", "system.disk.free_bytes", "system.disk.total_bytes",
          "system.uptime_seconds", "system.health.cpu-temperature", "system.health.voltage",
          "system.health.fan1-speed", "system.health.fan2-speed", "dhcp.active_leases",
          "dhcp.total_leases", "ppp.active_sessions", "firewall.connection_count",
          "routes.count")


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _fill(count: int) -> int:
    """Create the fleet; return the number of latest values stored."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.models import Device, MetricLatest, Series, labels_key
    from mikromon.web.monitor.storage import DjangoStorage

    now = datetime.now(UTC)
    devices = Device.objects.bulk_create([
        Device(name=f"rtr-{i:05d}", host=f"127.0.{i // 256 % 256}.{i % 256}", port=8728,
               username="monitor", state="up" if i % 20 else "down", identity=f"id-{i}",
               ros_version="7.16.2 (stable)", board="CCR2004-1G-12S+2XS", last_seen=now)
        for i in range(count)], batch_size=2000)
    plan: list[tuple[int, str, dict[str, str], float]] = []
    for d in devices:
        for n in range(1, IFACES + 1):
            labels = {"interface": f"sfp-sfpplus{n}"}
            plan += [(d.pk, f"iface.{c}", labels, 10.0 ** 9 * n) for c in COUNTERS]
            plan += [(d.pk, f"iface.{r}", labels, 1e6 * n) for r in RATES]
            plan += [(d.pk, "iface.running", labels, 1.0), (d.pk, "iface.disabled", labels, 0.0),
                     (d.pk, "iface.link_speed_bps", labels, 1e10)]
        plan += [(d.pk, key, {}, 42.0) for key in SYSTEM]
        plan += [(d.pk, "system.cpu.core_load_pct", {"cpu": f"cpu{c}"}, 12.0) for c in range(4)]
    series = Series.objects.bulk_create(
        [Series(device_id=pk, key=key, labels=labels, labels_key=labels_key(labels.items()))
         for pk, key, labels, _ in plan], batch_size=5000)
    # Stamped ahead so that they stay fresh (not stale) while the slow fill and the
    # timed scrapes run.
    stamp = now + timedelta(days=1)
    MetricLatest.objects.bulk_create(
        [MetricLatest(series_id=s.pk, ts=stamp, value=value)
         for s, (_, _, _, value) in zip(series, plan, strict=True)], batch_size=5000)
    storage = DjangoStorage(maintenance_interval=None)
    rows = [{"name": "psu1-state", "state": "ok"}, {"name": "psu2-state", "state": "ok"}]
    for d in devices:
        storage.write_inventory(d.pk, InventorySnapshot(
            table="health_states", rows=rows, key_fields=("name",), ts=now))
    _inventory(devices, now)
    _publish(devices, now)
    return len(plan)


def _inventory(devices: list, now: datetime) -> None:
    """The inventory rows ``/metrics`` reads, stored in bulk (last seen ``now``)."""
    from mikromon.web.monitor.models import InventoryItem

    def rows(device_id: int) -> list[tuple[str, str, dict[str, object]]]:
        out: list[tuple[str, str, dict[str, object]]] = [
            ("interfaces", f"sfp-sfpplus{n}", {"name": f"sfp-sfpplus{n}", "mtu": 1500,
                                                "actual-mtu": 1500, "link-downs": n,
                                                "running": True, "type": "ether",
                                                "mac-address": f"48:A9:8A:0B:2C:{n:02X}",
                                                "default-name": f"sfp-sfpplus{n}",
                                                "comment": f"port {n}"})
            for n in range(1, IFACES + 1)]
        out += [("dhcp_leases", f"*{k:X}", {
            ".id": f"*{k:X}", "address": f"10.{k >> 8}.{k & 255}.2",
            "active-address": f"10.{k >> 8}.{k & 255}.2", "server": "defconf",
            "mac-address": f"02:00:00:00:{k >> 8:02X}:{k & 255:02X}",
            "active-mac-address": f"02:00:00:00:{k >> 8:02X}:{k & 255:02X}",
            "client-id": f"1:2:0:0:0:{k >> 8:x}:{k & 255:x}", "host-name": f"host-{k}",
            "status": "bound", "expires-after": 600.0 + k, "dynamic": True})
            for k in range(DHCP_LEASES)]
        out += [("firewall_filter", f"*{k:X}", {
            ".id": f"*{k:X}", "chain": "forward" if k % 2 else "input", "action": "accept",
            "comment": f"rule {k}", "protocol": "tcp" if k % 3 else None,
            "bytes": 1000 * k, "packets": k, "log": False}) for k in range(30)]
        out += [("firewall_nat", f"*{k:X}", {
            ".id": f"*{k:X}", "chain": "srcnat", "action": "masquerade",
            "comment": f"nat {k}", "out-interface": "sfp-sfpplus1", "bytes": 5000 + k,
            "log": False}) for k in range(5)]
        out += [("packages", name, {"name": name, "version": "7.16.2",
                                    "build-time": "2024-11-26 11:54:42", "disabled": False})
                for name in ("routeros", "container", "wifi-qcom")]
        return out

    InventoryItem.objects.bulk_create([
        InventoryItem(device_id=d.pk, table=table, key=key, data=data, first_seen=now,
                      last_seen=now, changed_at=now)
        for d in devices for table, key, data in rows(d.pk)], batch_size=5000)


def _publish(devices: list, now: datetime) -> None:
    from mikromon.web.control import state

    iso = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    tiers = {tier: {"interval_s": 5, "last_run": iso, "duration_s": 0.01, "lag_s": 0.002,
                    "runs": 100, "errors": 0}
             for tier in ("realtime", "short", "medium", "long", "extended")}
    docs = [{"id": d.pk, "name": d.name, "state": d.state, "tiers": tiers} for d in devices]
    state.publish(instance=state.instance_name(now), started_at=now, running=True, status={
        "running": True, "lock_held": True, "devices": docs,
        "writer": {"queue_depth": 0, "batches_dropped": 0, "rows_written": 10 ** 7}})


def _fresh() -> None:
    from django.utils import timezone

    from mikromon.web.control.models import CollectorStatus

    CollectorStatus.objects.update(published_at=timezone.now())


def _time(client, url: str, repeat: int, **headers: str
          ) -> tuple[float, float, float, int, int]:
    """(p50 ms, max ms, p50 CPU ms, body bytes, samples) of ``repeat`` requests after a
    warm-up. CPU time is this process's: the figure a busy machine disturbs least."""
    _fresh()
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times, cpu = [], []
    for _ in range(repeat):
        _fresh()
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    body = response.content
    text = body.decode(errors="replace")
    lines = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    return statistics.median(times), max(times), statistics.median(cpu), len(body), lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of one whole-fleet scrape instead")
    parser.add_argument("--dhcp-leases", type=int, default=0,
                        help="bound DHCP leases per device; above 0 turns "
                             "MIKROMON_METRICS_DHCP_LEASES on")
    args = parser.parse_args()
    global DHCP_LEASES
    DHCP_LEASES = args.dhcp_leases
    if DHCP_LEASES:
        os.environ["MIKROMON_METRICS_DHCP_LEASES"] = "on"
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-metrics-") as data_dir:
        _setup(data_dir)
        t0 = time.perf_counter()
        values = _fill(args.devices)
        print(f"filled {args.devices} devices, {values} latest values in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        from django.contrib.auth import get_user_model
        from django.test import Client

        from mikromon.web.monitor.models import ApiToken

        user = get_user_model().objects.create_user("scraper", password="x" * 16)
        client = Client(HTTP_HOST="127.0.0.1",
                        HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'bench')[1]}")
        if args.profile:
            import cProfile
            import pstats

            _fresh()
            cProfile.runctx("client.get('/metrics')", globals(), {"client": client},
                            "/tmp/metrics.prof")
            pstats.Stats("/tmp/metrics.prof").sort_stats("cumulative").print_stats(30)
            return 0
        cases = [
            ("whole fleet, text format", "/metrics", {}),
            ("whole fleet, OpenMetrics", "/metrics",
             {"HTTP_ACCEPT": "application/openmetrics-text; version=1.0.0"}),
            ("whole fleet, text, gzip", "/metrics", {"HTTP_ACCEPT_ENCODING": "gzip"}),
            ("one device (?target=)", "/metrics?target=rtr-00007", {}),
        ]
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; "
              f"{args.devices} devices, {values} latest values, "
              f"{DHCP_LEASES} DHCP leases per device")
        print("\n| scrape | p50 | max | CPU p50 | body | samples |\n|---|---|---|---|---|---|")
        for label, url, headers in cases:
            p50, worst, cpu, size, lines = _time(client, url, args.repeat, **headers)
            print(f"| {label} | {p50:.0f} ms | {worst:.0f} ms | {cpu:.0f} ms | "
                  f"{size / 1024:.0f} KiB | {lines if 'gzip' not in label else '-'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
