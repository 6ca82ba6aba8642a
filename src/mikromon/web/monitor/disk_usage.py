"""Disk used by the database and its forecast at the retention in force: the
collector page, ``/api/v1/storage`` and docs/operations.md ("Disk use").

What is measured, and where:

* SQLite: the size of the database file and its ``-wal`` and ``-shm`` files,
  and the free space of the disk holding them (``shutil.disk_usage``); the
  bytes in use (``page_count - freelist_count`` pages).
* PostgreSQL: ``pg_database_size`` and the size of each table
  (``pg_total_relation_size``: with its indexes and TOAST); the server's disk is
  not visible from here.
* Rows: at each retention run the maintenance counts the raw points (head
  rows), the samples in chunks (their ``count``) and the rollups of up to
  :data:`SAMPLED_PER_TIER` series of each tier, spread over the tier's series
  (a primary-key range each), and scales by the number of series of the tier
  (:func:`measure_rows`, stored in ``MaintenanceState`` as ``usage:*``):
  counting every row of a large table would read all of it. On PostgreSQL the
  planner's row statistics (``pg_class.reltuples``) replace the estimate of head
  rows once the table was analysed.
* The write rate: raw points written per second over the last hour, per tier
  (:mod:`.write_rate`).

Bytes per row: each table's size over its rows (the chunk table's over the
samples in it): PostgreSQL's sizes now (the chunk table: all its partitions);
on SQLite the sizes and row counts ``dbstat`` gives (databases up to
:data:`DBSTAT_MAX_BYTES` in use), above that the bytes in use shared over the
raw samples and rollups (an upper bound: the other tables count in). No
forecast below :data:`MIN_POINTS` raw samples (head rows and compacted).

The steady-state size is ``head x bytes per point + (samples kept - head) x
bytes per compacted sample + series x (5m retention / 300 + 1h retention /
3600 + 1d retention / 86400) x bytes per rollup + the other tables as they are``, where samples kept
is ``sum over tiers(rate x retention)`` and the head ``rate x`` :data:`HEAD_S`
(the most a series keeps uncompressed, docs/storage.md; with compaction off
every sample is a head row). SQLite: when the steady state does not fit in the
free space, the disk fills in ``free / growth`` seconds, the growth being
``rate x bytes per compacted sample`` plus the rollups.

:func:`usage` caches its answer for :data:`CACHE_S` seconds per database alias:
the collector page reads it on every request.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from django.db import DatabaseError

from mikromon.domain.retention import LEVELS
from mikromon.web.monitor import compaction
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import MaintenanceState, MetricChunk, MetricPoint, MetricRollup
from mikromon.web.monitor.write_rate import history_tier, rates

__all__ = ["CACHE_S", "HEAD_S", "forecast", "measure_rows", "usage"]

#: Seconds an answer of :func:`usage` is reused.
CACHE_S: Final = 60.0
#: Series sampled per tier by :func:`measure_rows`.
SAMPLED_PER_TIER: Final = 32
#: SQLite: the largest database whose two tables :func:`measure_rows` sizes page by
#: page (``dbstat``); above it their bytes are the bytes in use shared over the rows.
DBSTAT_MAX_BYTES: Final = 256 * 1024 * 1024
#: Raw points needed before a bytes-per-point figure means something (the
#: tables' fixed overhead would dominate below).
MIN_POINTS: Final = 10_000
#: Seconds of samples a series keeps as head rows at most: rows become chunks
#: once behind the compaction horizon (at least 2 h old, floored to 2 h).
HEAD_S: Final = compaction.MIN_AGE_S + compaction.WINDOW_S
#: Tables listed on PostgreSQL (the largest).
TABLES_LISTED: Final = 12
_STATE = "usage:"
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def measure_rows(series: Sequence[tuple[int, str]], now: float, *,
                 using: str = "default") -> dict[str, int]:
    """Estimate the rows of the raw points and rollups tables and the samples
    in chunks, and store the estimate (``usage:points_rows``,
    ``usage:chunk_samples``, ``usage:rollup_rows``, ``usage:series``,
    ``usage:measured_at``).

    Args:
        series: (id, metric key) of every series (the maintenance has them).
        now: Unix seconds of the measurement.
        using: database alias.

    Returns:
        ``points_rows``, ``chunk_samples``, ``rollup_rows``, ``series`` (series
        whose history is kept), ``measured_at`` and, on SQLite up to
        :data:`DBSTAT_MAX_BYTES`, ``points_bytes``, ``chunk_bytes`` and
        ``rollup_bytes`` (the rows and samples then counted exactly).
    """
    by_tier: dict[str, list[int]] = {}
    for sid, key in series:
        tier = history_tier(key)
        if tier:
            by_tier.setdefault(tier, []).append(sid)
    conn = usable_connection(using)
    qn = conn.ops.quote_name
    counts = {"points_rows": 0, "chunk_samples": 0, "rollup_rows": 0}
    counted = (("points_rows", MetricPoint, "COUNT(*)"),
               ("chunk_samples", MetricChunk, f'COALESCE(SUM({qn("count")}), 0)'),
               ("rollup_rows", MetricRollup, "COUNT(*)"))
    with conn.cursor() as cursor:
        for ids in by_tier.values():
            every = max(1, len(ids) // SAMPLED_PER_TIER)
            sample = ids[::every][:SAMPLED_PER_TIER]
            for name, model, what in counted:
                table = qn(model._meta.db_table)
                total = 0
                for sid in sample:
                    cursor.execute(f"SELECT {what} FROM {table} WHERE series_id = %s", [sid])
                    total += int(cursor.fetchone()[0])
                counts[name] += round(total / len(sample) * len(ids))
    counts["series"] = sum(len(ids) for ids in by_tier.values())
    counts["measured_at"] = int(now)
    sizes = _sqlite_table_bytes(conn) if conn.vendor == "sqlite" else {}
    counts.update(sizes)  # exact rows and bytes where dbstat read them
    if not sizes:  # no stale sizes beside fresh row counts
        MaintenanceState.objects.using(using).filter(
            name__in=[f"{_STATE}{kind}_bytes" for kind in ("points", "chunk", "rollup")]
        ).delete()
    for name, value in counts.items():
        MaintenanceState.objects.using(using).update_or_create(
            name=f"{_STATE}{name}", defaults={"value": value})
    return counts


def _sqlite_table_bytes(conn: Any) -> dict[str, int]:
    """SQLite: the bytes and the rows of the points and rollups tables from
    ``dbstat`` (``points_bytes``, ``points_rows``, ``rollup_bytes``,
    ``rollup_rows``), the chunk table's bytes with its index (``chunk_bytes``)
    and the samples in it (``chunk_samples``); every page of the tables is
    read: only while the bytes in use are at most :data:`DBSTAT_MAX_BYTES`;
    ``{}`` above that or without ``dbstat``."""
    try:
        with conn.cursor() as cursor:
            pages = []
            for pragma in ("page_count", "freelist_count", "page_size"):
                cursor.execute(f"PRAGMA {pragma}")
                pages.append(int(cursor.fetchone()[0]))
            if (pages[0] - pages[1]) * pages[2] > DBSTAT_MAX_BYTES:
                return {}
            tables = {MetricPoint._meta.db_table: "points",
                      MetricRollup._meta.db_table: "rollup"}
            # Leaf cells are the rows (both tables are WITHOUT ROWID: the rows are
            # the primary key's leaves).
            cursor.execute("SELECT name, SUM(pgsize), "
                           "SUM(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END) "
                           "FROM dbstat WHERE name IN (%s, %s) GROUP BY name", list(tables))
            found = {tables[name]: (int(size or 0), int(cells or 0))
                     for name, size, cells in cursor.fetchall()}
            chunks = MetricChunk._meta.db_table
            cursor.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "
                           "(SELECT name FROM sqlite_master WHERE tbl_name = %s)", [chunks])
            chunk_bytes = int(cursor.fetchone()[0])
            cursor.execute(f'SELECT COALESCE(SUM("count"), 0) FROM "{chunks}"')
            chunk_samples = int(cursor.fetchone()[0])
    except DatabaseError:  # an SQLite built without dbstat
        return {}
    out = {"chunk_bytes": chunk_bytes, "chunk_samples": chunk_samples}
    for kind in tables.values():
        size, cells = found.get(kind, (0, 0))
        out.update({f"{kind}_bytes": size, f"{kind}_rows": cells})
    return out


def _measured(using: str) -> dict[str, int]:
    rows = (MaintenanceState.objects.using(using)
            .filter(name__gte=_STATE, name__lt=_STATE[:-1] + ";").values_list("name", "value"))
    return {name[len(_STATE):]: int(value) for name, value in rows}


def _sqlite(conn: Any) -> dict[str, Any]:
    path = str(conn.settings_dict["NAME"])
    files = []
    for suffix in ("", "-wal", "-shm"):
        try:
            files.append({"path": path + suffix, "bytes": os.path.getsize(path + suffix)})
        except OSError:
            continue
    pages = []
    with conn.cursor() as cursor:
        for pragma in ("page_count", "freelist_count", "page_size"):
            cursor.execute(f"PRAGMA {pragma}")
            pages.append(int(cursor.fetchone()[0]))
    in_use = (pages[0] - pages[1]) * pages[2]
    out: dict[str, Any] = {"backend": "sqlite", "files": files,
                           "database_bytes": sum(f["bytes"] for f in files) or pages[0] * pages[2],
                           "in_use_bytes": in_use, "tables": []}
    folder = os.path.dirname(os.path.abspath(path))
    try:
        disk = shutil.disk_usage(folder)
    except OSError:
        out.update(folder=folder, disk_bytes=None, free_bytes=None)
    else:
        out.update(folder=folder, disk_bytes=disk.total, free_bytes=disk.free)
    return out


def _postgresql(conn: Any) -> dict[str, Any]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), c.reltuples::bigint "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() "
            "ORDER BY 2 DESC LIMIT %s", [TABLES_LISTED])
        tables = [{"name": name, "bytes": int(b), "rows_estimate": int(r) if r >= 0 else None}
                  for name, b, r in cursor.fetchall()]
        sized = {}
        for name, model in (("points", MetricPoint), ("rollup", MetricRollup)):
            cursor.execute("SELECT pg_total_relation_size(c.oid), c.reltuples::bigint "
                           "FROM pg_class c WHERE c.oid = %s::regclass",
                           [model._meta.db_table])
            size_b, tuples = cursor.fetchone()
            sized[f"{name}_bytes"] = int(size_b)
            if tuples is not None and tuples >= 0:  # -1: never analysed
                sized[f"{name}_rows_statistics"] = int(tuples)
        cursor.execute("SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0) "
                       "FROM pg_partition_tree(%s::regclass)", [MetricChunk._meta.db_table])
        sized["chunk_bytes"] = int(cursor.fetchone()[0])
    return {"backend": "postgresql", "files": [], "database_bytes": size,
            "in_use_bytes": size, "tables": tables, "folder": None, "disk_bytes": None,
            "free_bytes": None, **sized}


def forecast(measured: Mapping[str, Any], write_rates: Mapping[str, float],
             retention_s: Mapping[str, int], *, longest_raw_s: int, now: float,
             compacting: bool = True) -> dict[str, Any]:
    """The steady-state size at ``retention_s`` and when the disk fills.

    Args:
        measured: ``in_use_bytes``, ``free_bytes`` (``None``: unknown),
            ``points_rows``, ``rollup_rows``, ``series``, and optionally
            ``chunk_samples``, ``points_bytes`` / ``rollup_bytes`` /
            ``chunk_bytes`` (the tables' sizes; without the first two the
            bytes in use are shared over the raw samples and rollups).
        write_rates: raw points per second per tier (``other``: unknown metrics).
        retention_s: seconds kept per retention key (tiers, ``5m``, ``1h``).
        longest_raw_s: what metrics of no known tier keep.
        now: Unix seconds.
        compacting: whether samples older than the head become chunks
            (``MIKROMON_COMPACTION``); else every sample stays a row.

    Returns:
        ``bytes_per_point`` (a head row), ``bytes_per_compacted_sample`` (a
        sample in a chunk; a head row's when none is measured or compaction is
        off), ``bytes_per_rollup``, ``points_per_s``,
        ``steady_points``, ``steady_rollups``, ``steady_bytes``, ``growth_bytes_per_s``,
        ``fills_in_s`` and ``fills_at`` (Unix seconds; ``None``: the steady state
        fits, or the free space is unknown); all ``None`` when rows were not
        measured yet or are fewer than :data:`MIN_POINTS` (``note`` says which).
    """
    points, rollups = int(measured.get("points_rows") or 0), int(measured.get("rollup_rows") or 0)
    compacted = int(measured.get("chunk_samples") or 0)
    per_s = sum(write_rates.values())
    out: dict[str, Any] = {"points_per_s": round(per_s, 3), "bytes_per_point": None,
                           "bytes_per_compacted_sample": None,
                           "bytes_per_rollup": None, "steady_points": None,
                           "steady_rollups": None, "steady_bytes": None,
                           "growth_bytes_per_s": None, "fills_in_s": None, "fills_at": None}
    in_use = int(measured.get("in_use_bytes") or 0)
    if points + compacted < MIN_POINTS or in_use <= 0:
        out["note"] = (f"too little data to measure: {points + compacted} raw points stored "
                       f"(the forecast needs {MIN_POINTS:,})" if measured.get("measured_at")
                       else "not measured yet: the maintenance counts rows at its "
                            "retention run (hourly, while the collector runs)")
        return out
    out["note"] = ""
    chunk_bytes = measured.get("chunk_bytes")
    bpc: float | None = None
    if measured.get("points_bytes") is not None and measured.get("rollup_bytes") is not None:
        if compacted and chunk_bytes is not None:
            bpc = chunk_bytes / compacted
        bpp = measured["points_bytes"] / points if points else (bpc or 0.0)
        bpr = measured["rollup_bytes"] / rollups if rollups else bpp
        other = max(0, in_use - int(measured["points_bytes"]) - int(measured["rollup_bytes"])
                    - int(chunk_bytes or 0))
    else:
        bpp = bpr = in_use / (points + compacted + rollups)
        other = 0
    if bpc is None or not compacting:
        bpc = bpp
    kept = {tier: retention_s.get(tier) or longest_raw_s for tier in write_rates}
    steady_points = sum(rate * kept[tier] for tier, rate in write_rates.items())
    head = sum(rate * (min(HEAD_S, kept[tier]) if compacting else kept[tier])
               for tier, rate in write_rates.items())
    series = int(measured.get("series") or 0)
    steady_rollups = series * sum(retention_s[key] / step for key, step in LEVELS.items())
    steady = head * bpp + (steady_points - head) * bpc + steady_rollups * bpr + other
    growth = per_s * bpc + series * sum(1 / step for step in LEVELS.values()) * bpr
    out.update(bytes_per_point=round(bpp, 2), bytes_per_compacted_sample=round(bpc, 2),
               bytes_per_rollup=round(bpr, 2),
               steady_points=round(steady_points), steady_rollups=round(steady_rollups),
               steady_bytes=round(steady), growth_bytes_per_s=round(growth, 2))
    free = measured.get("free_bytes")
    if free is not None and growth > 0 and steady - in_use > free:
        out["fills_in_s"] = round(free / growth)
        out["fills_at"] = round(now + free / growth)
    return out


def usage(*, using: str = "default", now: float | None = None, fresh: bool = False,
          retention_s: Mapping[str, int] | None = None, longest_raw_s: int | None = None
          ) -> dict[str, Any]:
    """Disk used now and its forecast, as a JSON-ready document (cached
    :data:`CACHE_S` seconds unless ``fresh``).

    Returns:
        ``backend``, ``database_bytes``, ``in_use_bytes``, ``files`` (SQLite),
        ``tables`` (PostgreSQL), ``folder``, ``disk_bytes``, ``free_bytes``,
        ``rows`` (the stored estimate; ``{}`` before the first retention run),
        ``write_rate`` (``per_tier``, ``window_s``), ``forecast``
        (:func:`forecast`), ``measured_at`` (Unix seconds), ``error`` (a
        database error while measuring, else ``""``).
    """
    now_s = time.time() if now is None else now
    with _lock:
        hit = _cache.get(using)
        if hit is not None and not fresh and now_s < hit[0]:
            return hit[1]
    try:
        doc = _measure(using, now_s, retention_s, longest_raw_s)
    except (DatabaseError, OSError) as err:
        doc = {"error": f"{type(err).__name__}: {err}", "measured_at": round(now_s)}
    with _lock:
        _cache[using] = (now_s + CACHE_S, doc)
    return doc


def _measure(using: str, now: float, retention_s: Mapping[str, int] | None,
             longest_raw_s: int | None) -> dict[str, Any]:
    if retention_s is None or longest_raw_s is None:
        from mikromon.web.control.retention import effective

        eff = effective(using=using)
        retention_s, longest_raw_s = eff.seconds, eff.longest_raw
    conn = usable_connection(using)
    doc = _postgresql(conn) if conn.vendor == "postgresql" else _sqlite(conn)
    rows = _measured(using)
    per_tier, window = rates(now, using=using)
    measured: dict[str, Any] = {**rows, "in_use_bytes": doc["in_use_bytes"],
                                "free_bytes": doc["free_bytes"]}
    if "points_bytes" in rows and "rollup_bytes" in rows:  # SQLite, measured with the rows
        measured.update(points_bytes=rows["points_bytes"], rollup_bytes=rows["rollup_bytes"],
                        chunk_bytes=rows.get("chunk_bytes", 0))
    if "points_bytes" in doc:
        measured.update(points_bytes=doc["points_bytes"], rollup_bytes=doc["rollup_bytes"],
                        chunk_bytes=doc["chunk_bytes"])
        # PostgreSQL's own row statistics, once it has them, over the estimate.
        for name in ("points", "rollup"):
            if doc.get(f"{name}_rows_statistics"):
                measured[f"{name}_rows"] = doc[f"{name}_rows_statistics"]
    doc.update(
        rows=rows,
        write_rate={"per_tier": {k: round(v, 3) for k, v in sorted(per_tier.items())},
                    "window_s": window},
        forecast=forecast(measured, per_tier, retention_s, longest_raw_s=longest_raw_s,
                          now=now, compacting=compaction.enabled()),
        measured_at=round(now), error="")
    return doc
