"""The seeded fleet of bench/pages.py: devices, latest values, interface rates,
inventory, a day of points for one router, events, alerts, users and tokens, and
a published collector status (with the cost of publishing it measured).

Not a benchmark by itself: ``python bench/pages.py`` imports it.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

STATES = ["up"] * 14 + ["down", "degraded", "slow", "auth_failed", "unknown", "disabled"]
VERSIONS = ["7.16.2 (stable)", "7.15.3 (stable)", "7.14.3 (stable)", "7.12.1 (stable)",
            "6.49.17 (long-term)", "7.17rc1 (testing)"]
BOARDS = ["RB5009UG+S+", "hAP ax^2", "CCR2004-1G-12S+2XS", "CHR", "hEX S", "RB4011iGS+",
          "CRS326-24G-2S+", "L009UiGS"]
#: Interfaces with current rates and a link speed, per device.
INTERFACES = ("ether1", "sfp-sfpplus1")


def setup(data_dir: str, database_url: str, *, wipe: bool) -> str:
    """Configure Django on SQLite in ``data_dir`` or on ``database_url`` and migrate;
    return the backend's name. A database holding devices is refused unless
    ``wipe`` (then every table of its ``public`` schema is dropped first)."""
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    if database_url:
        os.environ["MIKROMON_DATABASE_URL"] = database_url
    else:
        os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    from django.db import connection

    if database_url:
        tables = connection.introspection.table_names()
        if tables and not wipe:
            raise SystemExit(f"{database_url.rsplit('@', 1)[-1]} has {len(tables)} tables: "
                             "give an empty database, or --wipe to drop them")
        if tables:
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    bootstrap.migrate(progress=False)
    return connection.vendor


def fill(count: int) -> float:
    """Create the fleet; return the seconds taken."""
    from mikromon.web.monitor.models import Device, MetricLatest, Series, Site, Tag
    from mikromon.web.monitor.models.metrics import labels_key

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
    wide = [Series(device_id=d.pk, key=k, labels_key="{}", labels={})
            for d in devices for k in keys]
    ifaces = [Series(device_id=d.pk, key=k, labels_key=labels_key([("interface", name)]),
                     labels={"interface": name})
              for d in devices for name in INTERFACES
              for k in ("iface.rx_bps", "iface.tx_bps", "iface.link_speed_bps")]
    series = Series.objects.bulk_create(wide + ifaces, batch_size=5000)

    def value(s: Any) -> float:
        if s.key in keys:
            return keys[s.key] + s.pk % 50
        if s.key == "iface.link_speed_bps":
            return 1e9 if s.labels["interface"] == "ether1" else 1e10
        return float(s.pk * 7919 % 900_000_000)

    MetricLatest.objects.bulk_create(
        [MetricLatest(series_id=s.pk, ts=now - timedelta(seconds=s.pk % 10), value=value(s))
         for s in series], batch_size=5000)
    _fill_inventory(devices[:: max(1, count // 1000)], now)
    _fill_points(devices[0].pk, now)
    _fill_events(devices, now)
    _fill_alerts(devices, now)
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


def _fill_points(device_id: int, now: datetime) -> None:
    """A day of realtime points (every 5 s) of CPU and ether1's rates for one device."""
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    ether1 = make_labels(interface="ether1")
    start = now - timedelta(days=1)
    for chunk in range(0, 17_280, 2_000):
        samples = []
        for n in range(chunk, min(17_280, chunk + 2_000)):
            ts = start + timedelta(seconds=5 * n)
            samples += [Sample("system.cpu.load_pct", float(n % 100), ts),
                        Sample("iface.rx_bps", float(n * 1000), ts, ether1),
                        Sample("iface.tx_bps", float(n * 300), ts, ether1)]
        storage.write_samples(device_id, samples)


def _fill_events(devices: list, now: datetime) -> None:
    """Ten events per device over the last week, every kind and severity."""
    from mikromon.domain.events import EVENT_SEVERITIES, EventKind
    from mikromon.web.monitor.models import Event

    kinds = list(EventKind)
    Event.objects.bulk_create([
        Event(device_id=d.pk, ts=now - timedelta(seconds=(i * 10 + n) * 6),
              kind=kinds[(i + n) % len(kinds)].value, message=f"event {n} of {d.name}",
              severity=EVENT_SEVERITIES[kinds[(i + n) % len(kinds)]].value)
        for i, d in enumerate(devices) for n in range(10)
    ], batch_size=5000)


def _fill_alerts(devices: list, now: datetime) -> None:
    """An alert of the default CPU rule for every 20th device: half firing, half
    resolved."""
    from mikromon.web.alerts.models import Alert, AlertRule

    rule = AlertRule.objects.order_by("pk").first()
    if rule is None:
        return
    Alert.objects.bulk_create([
        Alert(rule=rule, device_id=d.pk, state="firing" if i % 2 else "resolved",
              severity=rule.severity, started_at=now - timedelta(minutes=i % 600),
              fired_at=now - timedelta(minutes=i % 600),
              resolved_at=None if i % 2 else now, value=95.0, threshold=90.0,
              message=f"CPU of {d.name} at 95 %")
        for i, d in enumerate(devices[::20])
    ], batch_size=2000)


def users(count: int = 50) -> tuple[Any, str]:
    """``count`` users, and five API tokens of the bench's admin; return the admin
    and one of its raw tokens."""
    from django.contrib.auth import get_user_model

    from mikromon.web.monitor.models.system import ApiToken

    model = get_user_model()
    model.objects.bulk_create([model(username=f"user{i:03d}", email=f"u{i}@example.net")
                               for i in range(count)])
    admin = model.objects.create_user("bench", password="bench-pass-1", is_staff=True,
                                      is_superuser=True)
    raw = [ApiToken.issue(admin, f"token {n}")[1] for n in range(5)]
    return admin, raw[0]


def status_document(when: datetime, *, runs: int = 1200, changed: float = 1.0
                    ) -> dict[str, Any]:
    """The status a collector of every device (three tiers each) publishes; only a
    ``changed`` share of the devices (every n-th) has ``runs``, the others 1200."""
    from mikromon.web.monitor.models import Device

    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    due = (when + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    every = max(1, round(1 / changed)) if changed else 0
    docs = []
    for n, (pk, name, dev_state, identity) in enumerate(
            Device.objects.order_by("name").values_list("pk", "name", "state", "identity")):
        count = runs if every and n % every == 0 else 1200
        tiers = {
            tier: {"interval_s": interval, "effective_interval_s": interval,
                   "last_run": iso, "duration_s": 0.012, "next_due": due, "runs": count,
                   "errors": 3 if n % 40 == 0 else 0, "skipped": 0,
                   "last_error": "timed out after 20 s" if n % 40 == 0 else ""}
            for tier, interval in (("realtime", 5), ("standard", 60), ("inventory", 3600))
        }
        docs.append({"id": pk, "name": name, "state": dev_state, "last_error": "",
                     "facts": {"identity": identity}, "tiers": tiers})
    return {"running": True, "since": iso, "lock_held": True, "time_scale": 1.0,
            "reloads": 0, "devices": docs,
            "writer": {"queue_depth": 0, "max_batches": 5000, "rows_written": 10**7}}


def publish(repeat: int) -> list[tuple[str, float, float]]:
    """Publish the status (as a collector in another process does) and time it:
    the first publication (every entry written), then ``repeat`` publications of
    a collector whose realtime tier (5 s) changed a fifth of the entries since the
    last second, and for comparison the whole document written in one row as
    before. Return ``[(what, p50 ms, max ms)]``."""
    from mikromon.web.control import state
    from mikromon.web.control.models import CollectorStatus

    now = datetime.now(UTC)
    instance = state.instance_name(now)
    try:
        from mikromon.web.control.device_status import DeviceRowWriter
    except ImportError:  # the code before the status was stored a row per device
        state.publish(instance=instance, started_at=now, running=True,
                      status=status_document(now))
        return []
    rows = DeviceRowWriter()
    out = []
    t = time.perf_counter()
    state.publish(instance=instance, started_at=now, running=True,
                  status=status_document(now), rows=rows)
    out.append(("first publication (every entry)", (time.perf_counter() - t) * 1000, 0.0))
    times = []
    for n in range(repeat):
        doc = status_document(now, runs=1201 + n, changed=0.2)
        t = time.perf_counter()
        state.publish(instance=instance, started_at=now, running=True, status=doc, rows=rows)
        times.append((time.perf_counter() - t) * 1000)
    out.append(("a fifth of the entries changed", statistics.median(times), max(times)))
    whole = json.loads(json.dumps(doc))
    times = []
    for _ in range(max(3, repeat // 4)):
        t = time.perf_counter()
        CollectorStatus.objects.filter(instance=instance).update(status=whole)
        times.append((time.perf_counter() - t) * 1000)
    CollectorStatus.objects.filter(instance=instance).update(
        status={k: v for k, v in whole.items() if k != "devices"}
        | {state.DEVICE_ROWS: len(whole["devices"])})
    out.append(("before: whole document in one row (UPDATE only)",
                statistics.median(times), max(times)))
    return out
