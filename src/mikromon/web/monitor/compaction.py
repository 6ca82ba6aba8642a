"""The compactor: head rows (``MetricPoint``) of closed windows -> compressed
chunks (``MetricChunk``), per series. Layout and reasons: docs/storage.md.

Windows are aligned to UTC: a **day** (86,400 s) before the current day of the
horizon, **2 hours** (7,200 s) within it. The horizon is the oldest of: the
5-minute and hourly rollup watermarks (rollups never read chunks; the daily
level reads hourly rows only and is not waited for) and ``now`` less
:data:`MIN_AGE_S`, floored to 2 hours. Every run, per series:

* head rows older than the horizon go into the chunk of their window: the
  window's rows are deleted (``DELETE ... RETURNING``), merged with the chunks
  already in the window (a late row after a database outage lands in a window
  that was compacted: decoded, merged, re-encoded; a sample already in a chunk
  wins over a row at the same second, as the head keeps the first row of a
  second), and one chunk replaces them, all in ONE transaction;
* days before the horizon's day that hold more than one chunk (the twelve 2-h
  chunks of yesterday) are merged into one day chunk.

Work goes series by series from a cursor kept in ``MaintenanceState``
(``compact:cursor``), in transactions of at most :data:`BATCH_SAMPLES` samples,
and stops at the caller's time budget, so it resumes where it stopped. A
database in the layout before chunks is a head with a lot of old rows: the
same runs convert it while the collector writes. On PostgreSQL the weekly
partitions a chunk needs are created first (:mod:`.chunk_partitions`), and
compactors of several processes take turns (a transaction-level advisory lock).
"""

from __future__ import annotations

import time
from typing import Any, Final

import numpy as np
from django.conf import settings
from django.db import transaction

from mikromon.storage.chunks import Float64Array, Int64Array, decode_chunk, encode_chunk
from mikromon.web.monitor import chunk_partitions, chunk_state, dbutil
from mikromon.web.monitor.chunk_state import Progress
from mikromon.web.monitor.dbutil import table, usable_connection
from mikromon.web.monitor.models import MetricChunk, MetricPoint, Series
from mikromon.web.monitor.rollup_marks import COMPACTION_STEPS, rollup_watermark

__all__ = [
    "BATCH_SAMPLES", "DAY_S", "MIN_AGE_S", "WINDOW_S", "Progress", "compact", "enabled",
    "horizon", "merge_samples", "take_turn", "window_of",
]

#: Width of a chunk of the current day, seconds (2 h, as Prometheus's head blocks).
WINDOW_S: Final = 7200
#: Width of a chunk of a closed day, seconds.
DAY_S: Final = 86400
#: Youngest a compacted sample can be, seconds.
MIN_AGE_S: Final = 7200
#: Samples written per transaction at most (bounds the SQLite write lock: measured
#: in bench/compaction.py).
BATCH_SAMPLES: Final = 20_000
#: Series scanned per query for work.
SERIES_PER_SCAN: Final = 500
#: PostgreSQL: the advisory lock key compactors and expanders take turns with.
_LOCK_KEY: Final = 0x6D6B636B  # "mkck"


def enabled() -> bool:
    """Whether the maintenance compacts (``settings.MIKROMON_COMPACTION``,
    environment ``MIKROMON_COMPACTION``, on by default)."""
    return bool(getattr(settings, "MIKROMON_COMPACTION", True))


def horizon(now: float, *, using: str = "default") -> int | None:
    """Return the Unix second before which head rows are compacted: the oldest
    of the 5-minute and hourly rollup watermarks (:data:`COMPACTION_STEPS`) and
    ``now - MIN_AGE_S``, floored to :data:`WINDOW_S`; ``None`` while either
    rollup never ran."""
    marks = [rollup_watermark(step, using=using) for step in COMPACTION_STEPS]
    if any(m is None for m in marks):
        return None
    edge = min([int(now) - MIN_AGE_S, *(m for m in marks if m is not None)])
    return edge // WINDOW_S * WINDOW_S


def window_of(ts: int, edge: int) -> tuple[int, int]:
    """Return the window ``[start, end)`` (Unix s) that holds ``ts`` for the
    horizon ``edge``: its UTC day when that day ends at or before ``edge``'s
    day, else its 2-hour window."""
    if ts < edge // DAY_S * DAY_S:
        start = ts // DAY_S * DAY_S
        return start, start + DAY_S
    start = ts // WINDOW_S * WINDOW_S
    return start, start + WINDOW_S


def merge_samples(
    first: tuple[Int64Array, Float64Array], second: tuple[Int64Array, Float64Array]
) -> tuple[Int64Array, Float64Array]:
    """Merge two sets of samples of one series into one, in time order.

    Args:
        first: ``(timestamps, values)``, shape ``(n,)`` each; wins where both
            hold a timestamp (the chunks' samples, stored before the row).
        second: ``(timestamps, values)``, shape ``(m,)`` each, any order.

    Returns:
        ``(timestamps, values)``: int64 strictly increasing and float64, the
        values' bits untouched (NaN payloads too).
    """
    ts = np.concatenate([first[0], second[0]]).astype(np.int64, copy=False)
    vals = np.concatenate([first[1], second[1]]).astype(np.float64, copy=False)
    unique, index = np.unique(ts, return_index=True)  # first occurrence: ``first`` wins
    return unique.astype(np.int64), vals[index]


def compact(
    now: float | None = None, *, using: str = "default", budget_s: float | None = 1.0,
) -> Progress:
    """Compact head rows older than the horizon into chunks, resuming at the
    stored cursor, until a whole pass finds nothing or ``budget_s`` is spent.

    Args:
        now: Unix seconds (default: the clock).
        using: database alias.
        budget_s: wall seconds to stop after (checked between transactions);
            ``None``: until done.

    Returns:
        The :class:`Progress` (also added to the totals ``mikromon storage
        status`` shows, :mod:`.compaction_status`).

    Raises:
        django.db.DatabaseError: a transaction failed (rolled back: the rows
            and chunks of that batch are as they were).
    """
    started = time.monotonic()
    progress = Progress()
    now_s = int(time.time() if now is None else now)
    edge = horizon(now_s, using=using)
    progress.horizon = edge
    if edge is None:
        return progress
    state = chunk_state.load(using)
    if state.pass_day is None:
        state.pass_day = edge // DAY_S * DAY_S
    chunk_partitions.ensure_ahead(now_s, using=using)
    found = state.pass_found
    while True:
        ids = _series_after(state.cursor, using)
        if not ids:  # a pass ended
            state.merged_before = state.pass_day
            if not found:
                progress.done = True
            found = False
            state.cursor, state.pass_day = 0, edge // DAY_S * DAY_S
            if progress.done or _spent(started, budget_s):
                break
            continue
        work = _work(ids, edge, state.merged_before, using)
        stopped = False
        for sid in ids:
            windows = work.get(sid, [])
            while windows and not stopped:
                found = True
                _transaction(windows, edge, progress, using)
                stopped = _spent(started, budget_s)
            if windows:  # stopped inside this series: resume at it
                break
            state.cursor = sid
            stopped = stopped or _spent(started, budget_s)
            if stopped:
                break
        if stopped:
            break
    state.pass_found = found
    progress.seconds = time.monotonic() - started
    chunk_state.save(state, progress, now_s, using)
    return progress


def take_turn(conn: Any) -> None:
    """PostgreSQL: wait for the other compactors' and expanders' transactions
    (a transaction-level advisory lock, released at commit). SQLite: nothing
    (its first write takes the database's write lock)."""
    dbutil.take_turn(conn, _LOCK_KEY)


def _spent(started: float, budget_s: float | None) -> bool:
    return budget_s is not None and time.monotonic() - started >= budget_s


def _series_after(cursor: int, using: str) -> list[int]:
    return list(Series.objects.using(using).filter(id__gt=cursor).order_by("id")
                .values_list("id", flat=True)[:SERIES_PER_SCAN])


def _work(ids: list[int], edge: int, merged_before: int, using: str
          ) -> dict[int, list[tuple[int, int, int]]]:
    """Windows to compact of the series ``ids``: ``{series id: [(series id,
    start, end), ...]}``: the window of the oldest head row before ``edge``
    (re-read after each window, :func:`_next_head_window`) and the days in
    ``[merged_before, edge's day)`` holding more than one chunk."""
    conn = usable_connection(using)
    points_t, chunks_t = table(MetricPoint), table(MetricChunk)
    marks = ", ".join(["%s"] * len(ids))
    work: dict[int, list[tuple[int, int, int]]] = {}
    day = edge // DAY_S * DAY_S
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id, (SELECT MIN(p.ts) FROM {points_t} p WHERE p.series_id = s.id "
            f"AND p.ts < %s) FROM {table(Series)} s WHERE s.id IN ({marks})", [edge, *ids])
        for sid, first in cursor.fetchall():
            if first is not None:
                work.setdefault(sid, []).append((sid, *window_of(int(first), edge)))
        if merged_before < day:
            cursor.execute(
                f"SELECT series_id, start_ts / {DAY_S}, COUNT(*) FROM {chunks_t} "
                f"WHERE series_id IN ({marks}) AND start_ts >= %s AND start_ts < %s "
                f"GROUP BY series_id, start_ts / {DAY_S} HAVING COUNT(*) > 1",
                [*ids, merged_before, day])
            for sid, day_no, _ in cursor.fetchall():
                start = int(day_no) * DAY_S
                item = (sid, start, start + DAY_S)
                if item not in work.get(sid, []):
                    work.setdefault(sid, []).append(item)
    return work


def _transaction(windows: list[tuple[int, int, int]], edge: int, progress: Progress,
                 using: str) -> None:
    """Compact windows from ``windows`` (consumed; a head window is followed by
    the series' next one) in one transaction of at most :data:`BATCH_SAMPLES`."""
    began = time.monotonic()
    samples = 0
    with transaction.atomic(using=using):
        conn = usable_connection(using)
        take_turn(conn)
        while windows and samples < BATCH_SAMPLES:
            sid, start, end = windows.pop(0)
            written, rows = _compact_window(conn, sid, start, end)
            samples += written
            progress.rows += rows
            if written:
                progress.chunks += 1
                progress.samples += written
            if rows:
                following = _next_head_window(conn, sid, edge)
                if following is not None and following not in windows:
                    windows.insert(0, following)
    progress.longest_transaction_s = max(progress.longest_transaction_s,
                                         time.monotonic() - began)


def _next_head_window(conn: Any, sid: int, edge: int) -> tuple[int, int, int] | None:
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT MIN(ts) FROM {table(MetricPoint)} "
                       "WHERE series_id = %s AND ts < %s", [sid, edge])
        first = cursor.fetchone()[0]
    return None if first is None else (sid, *window_of(int(first), edge))


def _compact_window(conn: Any, sid: int, start: int, end: int) -> tuple[int, int]:
    """Replace the head rows and chunks of series ``sid`` in ``[start, end)`` by
    one chunk (inside the caller's transaction). Returns (samples in the new
    chunk, 0 when nothing changed; head rows deleted)."""
    points_t, chunks_t = table(MetricPoint), table(MetricChunk)
    with conn.cursor() as cursor:
        # Deleting first takes SQLite's write lock at once (no stale read snapshot).
        cursor.execute(f"DELETE FROM {points_t} WHERE series_id = %s AND ts >= %s "
                       "AND ts < %s RETURNING ts, value", [sid, start, end])
        rows = cursor.fetchall()
        cursor.execute(f"SELECT data FROM {chunks_t} WHERE series_id = %s AND start_ts >= %s "
                       "AND start_ts < %s ORDER BY start_ts", [sid, start, end])
        stored = [bytes(data) for (data,) in cursor.fetchall()]
        if not rows and len(stored) < 2:
            return 0, 0
        parts = [decode_chunk(chunk) for chunk in stored]
        old = (np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64),
               np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.float64))
        new = (np.fromiter((r[0] for r in rows), np.int64, len(rows)),
               np.fromiter((r[1] for r in rows), np.float64, len(rows)))
        ts, vals = merge_samples(old, new)
        if stored:
            cursor.execute(f"DELETE FROM {chunks_t} WHERE series_id = %s AND start_ts >= %s "
                           "AND start_ts < %s", [sid, start, end])
        chunk_partitions.ensure_for(conn, int(ts[0]))
        cursor.execute(
            f'INSERT INTO {chunks_t} (series_id, start_ts, end_ts, "count", data) '
            "VALUES (%s, %s, %s, %s, %s)",
            [sid, int(ts[0]), int(ts[-1]), int(ts.shape[0]), encode_chunk(ts, vals)])
    return int(ts.shape[0]), len(rows)
