"""Fetching the stored rows of raw samples: head rows (``MetricPoint``) and the
chunks (``MetricChunk``) that meet a time range, for :mod:`.points`, which merges
them. Nothing else reads these two tables for samples.

A chunk meets ``[start, end)`` when its first sample is before ``end`` and its
last at or after ``start``. Per series that is the chunk starting at or before
``start`` (the newest such: an index seek, ``ORDER BY start_ts DESC LIMIT 1``)
and those starting inside the range: one range of the primary key (series_id,
start_ts) from the first, whatever the series' history before. The series table
leads the join (``CROSS JOIN``: SQLite keeps that order), so the first chunk's
start is known before the chunk table is searched and bounds the range scan.

On PostgreSQL chunks are read in psycopg's binary format: a ``bytea`` then
arrives as its bytes, not as hex text of twice the size to unhex
(docs/storage.md, "Reading"; bench/chunk_reads.py measures both).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mikromon.storage.chunks import ChunkError, decode_chunks
from mikromon.web.monitor.models import MetricChunk, MetricPoint, Series

log = logging.getLogger(__name__)

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
#: Series per statement (an ``IN`` list of this many parameters).
BATCH = 500


def tables(conn: Any) -> tuple[str, str, str]:
    """Quoted names of the head, chunk and series tables on ``conn``."""
    qn = conn.ops.quote_name
    return (qn(MetricPoint._meta.db_table), qn(MetricChunk._meta.db_table),
            qn(Series._meta.db_table))


def rows(conn: Any, sql: str, params: Sequence[Any], *, binary: bool = False
         ) -> list[tuple[Any, ...]]:
    """Rows of ``sql``; with ``binary`` on PostgreSQL in psycopg's binary format
    (``bytea`` as ``bytes``; Django's cursors bind client-side and get text)."""
    if binary and conn.vendor == "postgresql":
        import psycopg

        conn.ensure_connection()
        with psycopg.Cursor(conn.connection) as cursor:
            cursor.execute(sql, list(params), binary=True)
            return list(cursor.fetchall())
    with conn.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def marks(count: int) -> str:
    """``%s, %s, ...``: ``count`` placeholders."""
    return ", ".join(["%s"] * count)


def _meeting_sql(conn: Any, columns: str, count: int, series: str = "") -> str:
    """SELECT ``columns`` (of ``c``) FROM the chunks of ``count`` series (or of the
    series matching the condition ``series`` on ``s``) meeting a range; parameters:
    the series ids (or the condition's), then ``start, start, end, start``."""
    _head_t, chunk_t, series_t = tables(conn)
    qn = conn.ops.quote_name
    return (f"SELECT {columns} FROM {series_t} s CROSS JOIN {chunk_t} c "
            f"WHERE {series or f's.id IN ({marks(count)})'} AND c.series_id = s.id "
            f"AND c.start_ts >= COALESCE((SELECT f.start_ts FROM {chunk_t} f "
            f"WHERE f.series_id = s.id AND f.start_ts <= %s "
            f"ORDER BY f.start_ts DESC LIMIT 1), %s) "
            f"AND c.start_ts < %s AND c.end_ts >= %s AND c.{qn('count')} > 0 "
            f"ORDER BY c.series_id, c.start_ts")


def chunks_meeting(conn: Any, series_ids: Sequence[int], start: int, end: int
                   ) -> dict[int, list[bytes]]:
    """Series id -> its chunks meeting ``[start, end)``, oldest first (series
    without any are left out)."""
    sql = _meeting_sql(conn, "c.series_id, c.data", len(series_ids))
    out: dict[int, list[bytes]] = {}
    for sid, data in rows(conn, sql, [*series_ids, start, start, end, start], binary=True):
        out.setdefault(int(sid), []).append(data)
    return out


def chunk_counts(conn: Any, series_ids: Sequence[int], start: int, end: int
                 ) -> list[tuple[int, bool, int, bytes | None]]:
    """``(series id, inside, count, data)`` of the chunks meeting ``[start, end)``:
    ``inside`` when the whole chunk is in the range (``data`` is then ``None``,
    not fetched); a chunk cut by the range comes with its data."""
    qn = conn.ops.quote_name
    inside = "c.start_ts >= %s AND c.end_ts < %s"
    sql = _meeting_sql(conn, f"c.series_id, CASE WHEN {inside} THEN 1 ELSE 0 END, "
                             f"c.{qn('count')}, CASE WHEN {inside} THEN NULL ELSE c.data END",
                       len(series_ids))
    found = rows(conn, sql, [start, end, start, end, *series_ids, start, start, end, start],
                 binary=True)
    return [(int(sid), bool(whole), int(n), data) for sid, whole, n, data in found]


def decode_range(series_id: int, chunks: list[bytes], start: int, end: int
                 ) -> tuple[Int64Array, Float64Array]:
    """The samples of one series' ``chunks`` in ``[start, end)``. A damaged chunk
    is logged (series and error) and left out; the others are still read."""
    try:
        return decode_chunks(chunks, start, end - 1)
    except ChunkError:
        parts = []
        for chunk in chunks:
            try:
                parts.append(decode_chunks([chunk], start, end - 1))
            except ChunkError as err:
                log.error("series %d: a stored chunk cannot be read, its samples are "
                          "left out: %s", series_id, err)
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        return (np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]))


def head_arrays(conn: Any, series_ids: Sequence[int], start: int, end: int
                ) -> dict[int, tuple[Int64Array, Float64Array]]:
    """Series id -> the head rows' ``(ts, values)`` in ``[start, end)``, in time
    order (series without rows are left out)."""
    if not series_ids:
        return {}
    head_t = tables(conn)[0]
    found = rows(conn, f"SELECT series_id, ts, value FROM {head_t} WHERE series_id IN "
                       f"({marks(len(series_ids))}) AND ts >= %s AND ts < %s "
                       "ORDER BY series_id, ts", [*series_ids, start, end])
    if not found:
        return {}
    sids = np.fromiter((r[0] for r in found), np.int64, len(found))
    ts = np.fromiter((r[1] for r in found), np.int64, len(found))
    values = np.fromiter((r[2] for r in found), np.float64, len(found))
    cuts = np.flatnonzero(np.diff(sids)) + 1
    return {int(s[0]): (t, v) for s, t, v in zip(np.split(sids, cuts), np.split(ts, cuts),
                                                  np.split(values, cuts), strict=True)}


def head_buckets(conn: Any, series_ids: Sequence[int], start: int, end: int, step: int
                 ) -> list[tuple[Any, ...]]:
    """``(series id, bucket start, min, max, sum, count, last)`` of the head rows in
    ``[start, end)`` by buckets of ``step`` seconds, aggregated in the database
    (the read of a range without chunks); ``last`` is the value of the bucket's
    latest row (a scalar subquery per bucket: a primary-key lookup)."""
    head_t, step = tables(conn)[0], int(step)
    return rows(conn, f"SELECT b.sid, b.bts, b.lo, b.hi, b.total, b.n, (SELECT y.value "
                      f"FROM {head_t} y WHERE y.series_id = b.sid AND y.ts = b.lts) FROM ("
                      f"SELECT series_id AS sid, (ts / {step}) * {step} AS bts, "
                      "MIN(value) AS lo, MAX(value) AS hi, SUM(value) AS total, "
                      f"COUNT(*) AS n, MAX(ts) AS lts FROM {head_t} WHERE series_id IN "
                      f"({marks(len(series_ids))}) AND ts >= %s AND ts < %s "
                      f"GROUP BY series_id, (ts / {step})) b",
                [*series_ids, start, end])


def head_buckets_where(conn: Any, cond: tuple[str, Sequence[Any]], start: int, end: int,
                       step: int) -> list[tuple[Any, ...]]:
    """``(series id, bucket start, sum, count)`` of the head rows in ``[start, end)``
    by buckets of ``step`` seconds of the series matching ``cond`` (an SQL
    condition on the series table aliased ``s`` and its parameters), aggregated in
    the database in one statement (``CROSS JOIN``: the series lead, one index range
    each), not in statements of :data:`BATCH` ids."""
    head_t, _chunk_t, series_t = tables(conn)
    step = int(step)
    return rows(conn, f"SELECT p.series_id, (p.ts / {step}) * {step}, SUM(p.value), COUNT(*) "
                      f"FROM {series_t} s CROSS JOIN {head_t} p WHERE p.series_id = s.id "
                      f"AND {cond[0]} AND p.ts >= %s AND p.ts < %s "
                      f"GROUP BY p.series_id, (p.ts / {step})", [*cond[1], start, end])


def chunked_series(conn: Any, cond: tuple[str, Sequence[Any]], start: int, end: int
                   ) -> set[int]:
    """Ids of the series matching ``cond`` (as :func:`head_buckets_where`) that a
    chunk meeting ``[start, end)`` belongs to."""
    sql = _meeting_sql(conn, "c.series_id", 0, cond[0])
    return {int(sid) for (sid,) in rows(conn, sql, [*cond[1], start, start, end, start])}


def head_extent(conn: Any, cond: tuple[str, Sequence[Any]], start: int, end: int
                ) -> tuple[float | None, int | None]:
    """``(largest value, latest ts)`` of the head rows in ``[start, end)`` of the
    series matching ``cond`` (an SQL condition on the series table aliased ``s``
    and its parameters); ``(None, None)`` without any. One index seek a series
    (``CROSS JOIN``: the series lead)."""
    head_t, _chunk_t, series_t = tables(conn)
    ((top, last),) = rows(conn, f"SELECT MAX(p.value), MAX(p.ts) FROM {series_t} s CROSS JOIN "
                                f"{head_t} p WHERE p.series_id = s.id AND {cond[0]} "
                                "AND p.ts >= %s AND p.ts < %s", [*cond[1], start, end])
    return (None if top is None else float(top)), (None if last is None else int(last))


def any_chunk_meeting(conn: Any, cond: tuple[str, Sequence[Any]], start: int, end: int
                      ) -> bool:
    """Whether a chunk of a series matching ``cond`` (as :func:`head_extent`) meets
    ``[start, end)``."""
    sql = _meeting_sql(conn, "1", 0, cond[0])
    return bool(rows(conn, f"{sql} LIMIT 1", [*cond[1], start, start, end, start]))
