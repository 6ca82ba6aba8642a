"""Fleet search time on a large fleet's inventory, and what keeping the search
terms costs the inventory writer.

Fills a database (SQLite in a temporary folder, migrated as ``mikromon serve``
does; or PostgreSQL with ``--database-url``) with ``--routers`` devices (default
1,000), each holding ``--leases`` DHCP leases (default 2,000) and ``--ppp`` PPP
sessions (default 500): 2.5 million inventory rows with the fields and value
shapes the collectors store, and their search terms
(:mod:`mikromon.web.monitor.search_terms`). Rows and terms are written with one
``executemany`` per router, the term index built after the fill (the collector's
writer is measured apart, below).

Then times :func:`mikromon.web.monitor.search.search` (what the API and the page
call) for representative queries: a MAC (written without separators), part of
a MAC, an IP, leading octets, a network, a PPP user name, a DHCP host name, a
name prefix held by many rows, a device identity and a miss, ``--repeat`` times
each after one warm-up, and prints p50/p99 in a Markdown table for
bench/RESULTS.md.

``--writer N`` also times the inventory writer
(:func:`~mikromon.web.monitor.storage_inventory.sync_inventory` in a transaction,
as ``DjangoStorage.write_inventory`` runs it) on N more routers of the same size,
with the term upkeep and without it (the writer before the term table): a first
read (every row new), a steady poll (lease timers and PPP uptimes change, no
searched field) and a poll where a tenth of the rows change a searched field.
``--backfill N`` times migration 0009's backfill on the first N routers' rows.

Run: ``python bench/search.py [--routers 1000] [--leases 2000] [--ppp 500]
[--repeat 20] [--writer 4] [--backfill 20] [--database-url postgresql://...
--reset] [--data-dir DIR] [--reuse]``. Target: 200 ms or less per query.
``--reset`` empties the monitor tables of the PostgreSQL database first (only
for a database of its own); ``--reuse`` times a database an earlier run filled
(PostgreSQL, or SQLite kept with ``--data-dir``) without filling it again.
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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

SEEN = "2026-12-06 12:00:00+00:00"
TERM_INDEX = "monitor_invterm_term_idx"


def _setup(data_dir: str, database_url: str | None, reset: bool, reuse: bool) -> bool:
    """Migrate the database; return whether it holds a fill already (``reuse``)."""
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup(database_url=database_url)
    bootstrap.migrate(progress=False)
    from mikromon.web.monitor.models import Device

    if database_url and reset:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE monitor_device CASCADE")
    if Device.objects.exists():
        if reuse:
            return True
        sys.exit("the database holds devices: give --reset to empty it (its own database only)"
                 " or --reuse to time it as filled")
    return False


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


def _rows(d: int, leases: int, ppp: int) -> list[tuple[str, dict[str, object]]]:
    return ([("dhcp_leases", _lease(d, n)) for n in range(leases)]
            + [("ppp_active", _ppp(d, n)) for n in range(ppp)])


def _devices(first: int, count: int) -> list[int]:
    from mikromon.web.monitor.models import Device

    Device.objects.bulk_create(
        Device(name=f"rtr-{d:04d}", host=f"192.0.2.{d % 250}", port=8728, username="m",
               identity=f"POP{d:04d}-edge") for d in range(first, first + count))
    return list(Device.objects.filter(name__gte=f"rtr-{first:04d}",
                                      name__lte=f"rtr-{first + count - 1:04d}")
                .order_by("name").values_list("id", flat=True))


def _fill(routers: int, leases: int, ppp: int) -> tuple[int, int, float, float]:
    """Create the devices, their rows and terms; return (rows, terms, seconds to
    fill, seconds to build the term index)."""
    from django.db import connection, transaction

    from mikromon.web.monitor.search_terms import terms_of

    t0 = time.perf_counter()
    with connection.cursor() as cursor:  # built once after the fill, as a bulk load does
        cursor.execute(f"DROP INDEX {TERM_INDEX}")
    item_sql = ("INSERT INTO monitor_inventoryitem (device_id, \"table\", key, data, first_seen, "
                "last_seen, changed_at, gone) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")
    term_sql = ("INSERT INTO monitor_inventoryterm (item_id, kind, term, field) "
                "VALUES (%s, %s, %s, %s)")
    rows = terms = 0
    for d, pk in enumerate(_devices(0, routers)):
        data = {(table, str(row[".id"])): row for table, row in _rows(d, leases, ppp)}
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(cursor, item_sql, [(pk, table, key, json.dumps(row), SEEN, SEEN, SEEN, False)
                                       for (table, key), row in data.items()])
            cursor.execute("SELECT id, \"table\", key FROM monitor_inventoryitem "
                           "WHERE device_id = %s", [pk])
            batch = [(item, *term) for item, table, key in cursor.fetchall()
                     for term in terms_of(table, data[(table, key)])]
            _insert(cursor, term_sql, batch)
        rows += len(data)
        terms += len(batch)
    filled = time.perf_counter() - t0
    with connection.cursor() as cursor:
        ops = " varchar_pattern_ops" if connection.vendor == "postgresql" else ""
        cursor.execute(f"CREATE INDEX {TERM_INDEX} ON monitor_inventoryterm "
                       f"(kind{ops}, term{ops}, item_id)")  # as migration 0009
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":  # as a running server's database is, most of the time
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return rows, terms, filled, time.perf_counter() - t0 - filled


def _insert(cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` on SQLite; on PostgreSQL ``COPY`` (the same columns)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        cursor.executemany(sql, rows)
        return
    head = sql.split(" VALUES", 1)[0].replace("INSERT INTO", "COPY", 1)
    with cursor.cursor.copy(f"{head} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _queries(routers: int, leases: int, ppp: int) -> list[tuple[str, str]]:
    d, n = routers * 2 // 3, leases // 3
    address = str(_lease(d, n)["address"])
    return [
        ("MAC (no separators)", _mac(0x4C, d, n).replace(":", "").lower()),
        ("part of a MAC (last 3 bytes)", _mac(0x4C, d, n)[-8:].lower()),
        ("IP", address),
        ("leading octets", address.rsplit(".", 1)[0] + "."),
        ("network /20", address.rsplit(".", 2)[0] + ".0.0/20"),
        ("PPP user name", str(_ppp(d, ppp // 2)["name"])),
        ("DHCP host name", str(_lease(d, n)["host-name"])),
        ("name prefix held by many rows", f"host-{d}"),
        ("device identity", f"POP{d:04d}-edge"),
        ("miss", "no-such-thing-42"),
    ]


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]


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
        out.append((label, text, hits, *_percentiles(times)))
    return out


def _snapshot(table: str, rows: list[dict[str, object]], ts: datetime) -> Any:
    from mikromon.domain.inventory import InventorySnapshot

    return InventorySnapshot(table=table, rows=rows, key_fields=(".id",), ts=ts)


def _writer(routers: int, first: int, leases: int, ppp: int) -> list[tuple[str, str, int,
                                                                          float, float]]:
    """Time sync_inventory with and without the term upkeep; return
    (case, terms on/off, rows per sync, p50 ms, rows per second)."""
    from django.db import transaction

    from mikromon.web.monitor import storage_inventory

    keep = storage_inventory._keep_terms
    t0 = datetime(2026, 12, 6, 12, tzinfo=UTC)
    out = []
    for upkeep in (False, True):
        storage_inventory._keep_terms = keep if upkeep else (lambda *a, **k: None)  # type: ignore[assignment]
        ids = _devices(first + (routers if upkeep else 0), routers)

        def polls(ids: list[int], step: int,
                  change: Callable[[dict[str, object], int], None]) -> list[float]:
            times = []
            for d, pk in enumerate(ids):
                tables: dict[str, list[dict[str, object]]] = {}
                for table, row in _rows(first + d, leases, ppp):
                    change(row, step)
                    tables.setdefault(table, []).append(row)
                for table, rows in tables.items():
                    snap = _snapshot(table, rows, t0 + timedelta(minutes=step))
                    t1 = time.perf_counter()
                    with transaction.atomic():
                        storage_inventory.sync_inventory(pk, snap, using="default")
                    times.append(time.perf_counter() - t1)
            return times

        def timers(row: dict[str, object], step: int) -> None:
            for name in ("expires-after", "uptime"):
                if name in row:
                    row[name] = float(step)

        def churn(row: dict[str, object], step: int) -> None:
            timers(row, step)
            if int(str(row[".id"])[1:], 16) % 10 == 0:
                name = "host-name" if "host-name" in row else "name"
                row[name] = f"{row[name]}-moved{step}"

        for case, step, change in (("first read (all new)", 0, timers),
                                   ("steady poll (timers only)", 1, timers),
                                   ("a tenth renamed", 2, churn)):
            times = polls(ids, step, change)
            out.append((case, "with terms" if upkeep else "without", leases + ppp,
                        statistics.median(times) * 1000,
                        (leases + ppp) * len(ids) / sum(times)))
    storage_inventory._keep_terms = keep  # type: ignore[assignment]
    return out


def _backfill(routers: int) -> tuple[int, int, float]:
    """Time migration 0009's backfill on the first ``routers`` routers' rows
    (their terms deleted first); return (rows, terms, seconds)."""
    from django.db import transaction

    from mikromon.web.monitor.models import InventoryItem, InventoryTerm
    from mikromon.web.monitor.search_terms import rebuild_terms

    ids = list(InventoryItem.objects.order_by().values_list("device_id", flat=True)
               .distinct().order_by("device_id")[:routers])
    items = InventoryItem.objects.filter(device_id__in=ids)
    with transaction.atomic():
        InventoryTerm.objects.filter(item__device_id__in=ids)._raw_delete("default")  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        terms = rebuild_terms(items, InventoryTerm, using="default")
        took = time.perf_counter() - t0
    return items.count(), terms, took


def main() -> None:
    """Fill, time, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--leases", type=int, default=2000)
    parser.add_argument("--ppp", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--writer", type=int, default=0, metavar="N")
    parser.add_argument("--backfill", type=int, default=0, metavar="N")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="time a database filled by an earlier run (same sizes)")
    parser.add_argument("--data-dir", default=None,
                        help="keep the SQLite database in this folder (reuse it with --reuse)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mikromon-search-bench-") as scratch:
        data_dir = args.data_dir or scratch
        filled = _setup(data_dir, args.database_url, args.reset, args.reuse)
        from django.db import connection

        from mikromon.web.monitor.models import InventoryItem, InventoryTerm

        if filled:
            rows, terms = InventoryItem.objects.count(), InventoryTerm.objects.count()
            fill_s = index_s = 0.0
        else:
            rows, terms, fill_s, index_s = _fill(args.routers, args.leases, args.ppp)
        size = sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                size = cursor.fetchone()[0]
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python "
              f"{platform.python_version()}, {connection.vendor}; {args.routers} routers, "
              f"{rows:,} rows and {terms:,} terms "
              f"{'(filled before)' if filled else f'filled in {fill_s:.0f} s'}, "
              f"term index built in {index_s:.0f} s, database {size / 1e6:.0f} MB")
        queries = _queries(args.routers, args.leases, args.ppp)
        print("\n| query | text | hits | p50 ms | p99 ms |\n|---|---|---|---|---|")
        for label, text, hits, p50, p99 in _time_queries(queries, args.repeat):
            print(f"| {label} | `{text}` | {hits} | {p50:.1f} | {p99:.1f} |", flush=True)
        if args.backfill:
            done, written, took = _backfill(args.backfill)
            print(f"\nbackfill (migration 0009): {done:,} rows, {written:,} terms in {took:.1f} s"
                  f" ({done / took:,.0f} rows/s)", flush=True)
        if args.writer:
            print("\n| writer case | term upkeep | rows per router | p50 ms per table sync "
                  "| rows/s |\n|---|---|---|---|---|")
            for case, how, per, p50, rate in _writer(args.writer, args.routers, args.leases,
                                                      args.ppp):
                print(f"| {case} | {how} | {per} | {p50:.0f} | {rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
