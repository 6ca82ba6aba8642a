"""Fleet search time on a large fleet's inventory.

Fills an SQLite database (temporary folder, migrated as ``mikromon serve`` does)
with ``--routers`` devices (default 1,000), each holding ``--leases`` DHCP leases
(default 2,000) and ``--ppp`` PPP sessions (default 500): 2.5 million inventory
rows with the fields and value shapes the collectors store. Rows are written
with one ``executemany`` per batch (the collector's writer is not what is
measured here).

Then times :func:`mikromon.web.monitor.search.search` (what the API and the page
call) for representative queries: a MAC (written without separators), an IP,
a PPP user name, a DHCP host name, a device identity and a miss, ``--repeat``
times each after one warm-up, and prints p50/p99 in a Markdown table for
bench/RESULTS.md.

``--design`` also builds, in the same file, the side table of normalised terms
proposed in bench/RESULTS.md (term, row id; B-tree on term) and times exact and
prefix lookups on it, to measure that design before it becomes a migration.

Run: ``python bench/search.py [--routers 1000] [--leases 2000] [--ppp 500]
[--repeat 20] [--design]``. Target: 200 ms or less per query.
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
from datetime import UTC, datetime

SEEN = "2026-12-06 12:00:00"


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _mac(prefix: int, device: int, n: int) -> str:
    return "%02X:%02X:%02X:%02X:%02X:%02X" % (  # noqa: UP031  (fixed-width hex bytes)
        prefix, 0x5E, device >> 8, device & 255, n >> 8, n & 255)


def _lease(d: int, n: int) -> dict[str, object]:
    ip = f"10.{d >> 3}.{((d & 7) << 3) | (n >> 8)}.{n & 255}"
    return {".id": f"*{n + 1:X}", "address": ip, "mac-address": _mac(0x4C, d, n),
            "client-id": f"1:{_mac(0x4C, d, n).lower()}", "host-name": f"host-{d}-{n}",
            "server": "dhcp1", "status": "bound", "expires-after": 540.0, "last-seen": 60.0,
            "age": 3600.0, "active-address": ip, "active-mac-address": _mac(0x4C, d, n),
            "active-server": "dhcp1", "comment": ""}


def _ppp(d: int, n: int) -> dict[str, object]:
    return {".id": f"*{0x8000 + n:X}", "name": f"cust{d:04d}-{n:03d}@isp", "service": "pppoe",
            "caller-id": _mac(0xD4, d, n),
            "address": f"100.{64 + (d >> 7)}.{((d & 127) << 1) | (n >> 8)}.{n & 255}",
            "uptime": 86400.0, "encoding": "", "session-id": f"0x{0x81000000 + n:X}"}


def _fill(routers: int, leases: int, ppp: int) -> tuple[int, float]:
    """Create the devices and their rows; return (rows, seconds taken)."""
    from django.db import connection, transaction

    from mikromon.web.monitor.models import Device

    t0 = time.perf_counter()
    Device.objects.bulk_create(
        Device(name=f"rtr-{d:04d}", host=f"192.0.2.{d % 250}", port=8728, username="m",
               identity=f"POP{d:04d}-edge") for d in range(routers))
    ids = list(Device.objects.order_by("id").values_list("id", flat=True))
    sql = ("INSERT INTO monitor_inventoryitem (device_id, \"table\", key, data, first_seen, "
           "last_seen, changed_at, gone) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")
    rows = 0
    for d, pk in enumerate(ids):
        batch = []
        for n in range(leases):
            data = _lease(d, n)
            batch.append((pk, "dhcp_leases", data[".id"], json.dumps(data), SEEN, SEEN, SEEN,
                          False))
        for n in range(ppp):
            data = _ppp(d, n)
            batch.append((pk, "ppp_active", data[".id"], json.dumps(data), SEEN, SEEN, SEEN,
                          False))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        rows += len(batch)
    with connection.cursor() as cursor:  # as a running server's database is, most of the time
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return rows, time.perf_counter() - t0


def _queries(routers: int, leases: int, ppp: int) -> list[tuple[str, str]]:
    d, n = routers * 2 // 3, leases // 3
    return [
        ("MAC (no separators)", _mac(0x4C, d, n).replace(":", "").lower()),
        ("IP", _lease(d, n)["address"]),
        ("PPP user name", _ppp(d, ppp // 2)["name"]),
        ("DHCP host name", _lease(d, n)["host-name"]),
        ("device identity", f"POP{d:04d}-edge"),
        ("miss", "no-such-thing-42"),
    ]


def _time_queries(queries: list[tuple[str, str]], repeat: int) -> list[tuple[str, str, int,
                                                                             float, float]]:
    from mikromon.web.monitor.search import parse_query, search

    out = []
    for label, text in queries:
        query = parse_query(text)
        hits = search(query).count  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            search(query)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
        out.append((label, text, hits, statistics.median(times), p99))
    return out


def _design(queries: list[tuple[str, str]],
            repeat: int) -> list[tuple[str, int, float, float]]:
    """Build the proposed term table in the bench file and time lookups on it."""
    from django.db import connection

    from mikromon.web.monitor.search import normalise_mac

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_term (term TEXT NOT NULL, item_id INTEGER NOT NULL)")
        cursor.execute(
            "INSERT INTO bench_term SELECT lower(json_each.value), monitor_inventoryitem.id "
            "FROM monitor_inventoryitem, "
            "json_each(monitor_inventoryitem.data) WHERE json_each.key IN "
            "('mac-address', 'caller-id', 'address', 'name', 'host-name', 'user')")
        cursor.execute("CREATE INDEX bench_term_idx ON bench_term (term)")
    built = time.perf_counter() - t0
    print(f"term table built in {built:.1f} s", file=sys.stderr)
    out = []
    for label, text in queries:
        term = (normalise_mac(text) or text).lower()
        for how, sql, args in (
            ("exact", "SELECT i.id, i.data FROM bench_term t JOIN monitor_inventoryitem i "
                      "ON i.id = t.item_id WHERE t.term = %s LIMIT 101", [term]),
            ("prefix", "SELECT i.id, i.data FROM bench_term t JOIN monitor_inventoryitem i "
                       "ON i.id = t.item_id WHERE t.term >= %s AND t.term < %s LIMIT 101",
             [term, term + "\uffff"]),
        ):
            times = []
            for _ in range(repeat + 1):
                t1 = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql, args)
                    found = len(cursor.fetchall())
                times.append((time.perf_counter() - t1) * 1000)
            times = sorted(times[1:])
            out.append((f"{label}, {how}", found, statistics.median(times), times[-1]))
    return out


def main() -> None:
    """Fill, time, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--leases", type=int, default=2000)
    parser.add_argument("--ppp", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--design", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mikromon-search-bench-") as data_dir:
        _setup(data_dir)
        rows, fill_s = _fill(args.routers, args.leases, args.ppp)
        size = sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir))
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}; {args.routers} routers, {rows:,} rows "
              f"filled in {fill_s:.0f} s, database {size / 1e6:.0f} MB")
        queries = _queries(args.routers, args.leases, args.ppp)
        print("\n| query | text | hits | p50 ms | p99 ms |\n|---|---|---|---|---|")
        for label, text, hits, p50, p99 in _time_queries(queries, args.repeat):
            print(f"| {label} | `{text}` | {hits} | {p50:.0f} | {p99:.0f} |")
        if args.design:
            print("\n| term table lookup | rows | p50 ms | p99 ms |\n|---|---|---|---|")
            for label, found, p50, p99 in _design(queries, args.repeat):
                print(f"| {label} | {found} | {p50:.2f} | {p99:.2f} |")


if __name__ == "__main__":
    main()
