"""Raw samples of time series, wherever they are stored: the one place that reads them.

The store is a head of recent samples, one ``MetricPoint`` row each, and
compressed chunks of older ones (``MetricChunk``, :mod:`mikromon.storage.chunks`;
docs/storage.md). The compactor replaces the head rows of a window by one chunk in
one transaction, but a sample that arrives late may land as a head row inside a
compacted window until it is merged. Every read therefore merges head and chunks
by timestamp, and where both hold a timestamp keeps the chunk's value (once: a
series has one value an instant).

Ranges are half-open, ``[start, end)``, in Unix seconds UTC (the tables' unit).
A range no chunk meets costs what it cost before chunks existed: one index probe
of the chunk table, then the head read (aggregated in the database for
:func:`aggregate_points`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db.models import OuterRef, Subquery

from mikromon.web.monitor import points_fetch as fetch
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import MetricChunk, MetricPoint
from mikromon.web.monitor.points_fetch import Float64Array, Int64Array

__all__ = ["NO_BUCKETS", "Buckets", "aggregate_points", "bucket_averages",
           "bucket_averages_where", "buckets_of_rows", "count_points", "iter_points",
           "oldest_raw_subqueries", "previous_point", "read_points"]

#: Samples of one series: ``(ts, values)``, int64 Unix seconds and float64, shape (n,).
Samples = tuple[Int64Array, Float64Array]
#: Seconds read per series at once by :func:`iter_points` (a UTC day).
ITER_WINDOW = 86_400


class Buckets(NamedTuple):
    """Aggregates of one series by buckets of ``step`` seconds, in time order,
    buckets with samples only; all arrays of shape (m,).

    Attributes:
        ts: bucket start, Unix seconds UTC (a multiple of the step), int64.
        min: smallest sample of the bucket (NaN samples ignored), float64.
        max: largest sample, float64.
        sum: sum of the samples, float64 (the mean is ``sum / samples``).
        samples: number of samples, int64.
        last: the bucket's latest sample, float64.
    """

    ts: Int64Array
    min: Float64Array
    max: Float64Array
    sum: Float64Array
    samples: Int64Array
    last: Float64Array

    def mean(self) -> Float64Array:
        """The buckets' averages, ``sum / samples``, float64 (no bucket is empty)."""
        return self.sum / self.samples

    def rows(self) -> list[tuple[int, float, float, float, int, float]]:
        """The buckets as ``(ts, min, max, sum, count, last)`` tuples of Python numbers."""
        return list(zip(self.ts.tolist(), self.min.tolist(), self.max.tolist(),
                        self.sum.tolist(), self.samples.tolist(), self.last.tolist(),
                        strict=True))


def _ids(series_ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(s) for s in series_ids))


def _empty() -> Samples:
    return np.empty(0, np.int64), np.empty(0, np.float64)


def merge(chunked: Samples, head: Samples) -> Samples:
    """Merge a series' chunk samples and head samples by timestamp; a head sample
    at a timestamp the chunks hold is dropped (the chunk's value is kept)."""
    ct, cv = chunked
    ht, hv = head
    if not ht.shape[0]:
        return chunked
    if not ct.shape[0]:
        return head
    pos = np.minimum(np.searchsorted(ct, ht), ct.shape[0] - 1)
    keep = ct[pos] != ht
    ts = np.concatenate([ct, ht[keep]])
    order = np.argsort(ts, kind="stable")
    return ts[order], np.concatenate([cv, hv[keep]])[order]


def _read_batch(conn: Any, batch: Sequence[int], start: int, end: int,
                chunks: dict[int, list[bytes]]) -> dict[int, Samples]:
    """Merged samples of the series of ``batch`` that have chunks in the range."""
    head = fetch.head_arrays(conn, [s for s in batch if s in chunks], start, end)
    return {sid: merge(fetch.decode_range(sid, chunks[sid], start, end),
                       head.get(sid, _empty()))
            for sid in batch if sid in chunks}


def read_points(series_ids: Iterable[int], start: int, end: int, *,
                using: str = "default") -> dict[int, Samples]:
    """Return the raw samples of each series in ``[start, end)``, head and chunks
    merged, in time order.

    Args:
        series_ids: series ids (repeats are read once).
        start: first second of the range, Unix seconds UTC, inclusive.
        end: first second after it, exclusive.
        using: database alias.

    Returns:
        Series id -> ``(ts, values)`` (int64, float64; shape (n,) each), for every id
        given (empty arrays for a series without samples in the range).

    A damaged chunk is logged and its samples left out; the rest is still read.
    """
    ids, start, end = _ids(series_ids), int(start), int(end)
    out: dict[int, Samples] = {sid: _empty() for sid in ids}
    if end <= start or not ids:
        return out
    conn = usable_connection(using)
    for batch in fetch_batches(ids):
        chunks = fetch.chunks_meeting(conn, batch, start, end)
        out.update(_read_batch(conn, batch, start, end, chunks))
        plain = [sid for sid in batch if sid not in chunks]
        if plain:
            out.update(fetch.head_arrays(conn, plain, start, end))
    return out


NO_BUCKETS = Buckets(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64),
                      np.empty(0, np.float64), np.empty(0, np.int64), np.empty(0, np.float64))


def fetch_batches(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """``ids`` in slices of :data:`points_fetch.BATCH` (one statement each)."""
    for at in range(0, len(ids), fetch.BATCH):
        yield ids[at:at + fetch.BATCH]


def bucketize(samples: Samples, step: int) -> Buckets:
    """Aggregate samples in time order (non-negative timestamps) by buckets of
    ``step`` seconds starting at multiples of ``step``."""
    ts, values = samples
    if not ts.shape[0]:
        none = np.empty(0, np.float64)
        return Buckets(np.empty(0, np.int64), none, none, none, np.empty(0, np.int64), none)
    starts_of = ts // step * step
    first = np.flatnonzero(np.concatenate(([True], starts_of[1:] != starts_of[:-1])))
    after = np.append(first, ts.shape[0])
    count = np.diff(after).astype(np.int64)
    return Buckets(starts_of[first], np.fmin.reduceat(values, first),
                   np.fmax.reduceat(values, first), np.add.reduceat(values, first), count,
                   values[after[1:] - 1])


def buckets_of_rows(found: Sequence[tuple[Any, ...]] | npt.NDArray[np.float64]
                    ) -> dict[int, Buckets]:
    """Series id -> :class:`Buckets` of ``(series id, ts, min, max, sum, count,
    last)`` rows (tuples as the database gives them, or a float64 array of shape
    (n, 7)) in any order (each series' in time order after), series with rows
    only. Ids, bucket starts and counts are below 2**53: float64 holds them."""
    if not len(found):
        return {}
    table = np.asarray(found, dtype=np.float64).reshape(len(found), 7)
    sids, ts = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    order = np.lexsort((ts, sids))
    table, sids, ts = table[order], sids[order], ts[order]
    cuts = np.flatnonzero(np.diff(sids)) + 1
    out = {}
    for lo, hi in zip(np.append(0, cuts).tolist(), np.append(cuts, len(found)).tolist(),
                      strict=True):
        part = table[lo:hi]
        out[int(sids[lo])] = Buckets(ts[lo:hi], part[:, 2], part[:, 3], part[:, 4],
                                     part[:, 5].astype(np.int64), part[:, 6])
    return out


def aggregate_points(series_ids: Iterable[int], start: int, end: int, step: int, *,
                     using: str = "default") -> dict[int, Buckets]:
    """Return each series' raw samples in ``[start, end)`` aggregated by buckets of
    ``step`` seconds (bucket ``k`` holds ``k * step <= ts < (k + 1) * step``).

    Args:
        series_ids: series ids (repeats are read once).
        start: first second, Unix seconds UTC, inclusive (not aligned here: a
            bucket cut by the range holds only the samples inside it).
        end: first second after the range, exclusive.
        step: bucket width, seconds.
        using: database alias.

    Returns:
        Series id -> :class:`Buckets`, for every id given (empty for a series
        without samples in the range). Ranges no chunk meets are aggregated in the
        database; the others from the merged samples with numpy.

    Raises:
        ValueError: ``step`` is not a positive integer.
    """
    ids = _ids(series_ids)
    out = dict.fromkeys(ids, NO_BUCKETS)  # one empty value shared: read-only
    for chunked, rows in _bucket_batches(ids, start, end, step, using):
        out.update((sid, bucketize(samples, step)) for sid, samples in chunked.items())
        out.update(buckets_of_rows(rows))
    return out


def bucket_averages(series_ids: Iterable[int], start: int, end: int, step: int, *,
                    using: str = "default") -> list[tuple[int, int, float]]:
    """``(series id, bucket start, average)`` of each series' raw samples in ``[start,
    end)`` by buckets of ``step`` seconds, buckets with samples only: what
    :func:`aggregate_points` gives as ``sum / samples``, without an array a series
    (a report's last minutes of 20,000 series are a few rows each). Raises as
    :func:`aggregate_points` does."""
    out: list[tuple[int, int, float]] = []
    for chunked, rows in _bucket_batches(_ids(series_ids), start, end, step, using):
        for sid, samples in chunked.items():
            got = bucketize(samples, step)
            out += [(sid, ts, avg) for ts, avg in zip(
                got.ts.tolist(), got.mean().tolist(), strict=True)]
        out += [(int(row[0]), int(row[1]), float(row[4]) / int(row[5]))
                for row in rows if row[5]]
    return out


def bucket_averages_where(cond: tuple[str, Sequence[Any]], start: int, end: int, step: int,
                          *, using: str = "default") -> list[tuple[int, int, float]]:
    """:func:`bucket_averages` of the series matching ``cond`` (an SQL condition on
    the series table aliased ``s`` and its parameters): the series a chunk meets in
    the range as :func:`bucket_averages` reads them, the others' head rows
    aggregated in one statement (a report's edge of 40,000 series, most without a
    sample: two statements instead of two per 500 series). Raises as
    :func:`aggregate_points` does."""
    if int(step) != step or step <= 0:
        raise ValueError(f"step must be a positive whole number of seconds (got {step!r})")
    step, start, end = int(step), int(start), int(end)
    if end <= start:
        return []
    conn = usable_connection(using)
    chunked = fetch.chunked_series(conn, cond, start, end)
    out = bucket_averages(sorted(chunked), start, end, step, using=using) if chunked else []
    out += [(int(sid), int(ts), float(total) / int(n))
            for sid, ts, total, n in fetch.head_buckets_where(conn, cond, start, end, step)
            if n and int(sid) not in chunked]
    return out


def _bucket_batches(ids: list[int], start: int, end: int, step: int, using: str
                    ) -> Iterator[tuple[dict[int, Samples], list[tuple[Any, ...]]]]:
    """Per batch of ``ids``: the merged samples of those a chunk meets in ``[start,
    end)``, and the database's bucket rows (:func:`.points_fetch.head_buckets`) of
    the others. Raises ``ValueError`` for a ``step`` not a positive integer."""
    if int(step) != step or step <= 0:
        raise ValueError(f"step must be a positive whole number of seconds (got {step!r})")
    step, start, end = int(step), int(start), int(end)
    if end <= start or not ids:
        return
    conn = usable_connection(using)
    for batch in fetch_batches(ids):
        chunks = fetch.chunks_meeting(conn, batch, start, end)
        plain = [sid for sid in batch if sid not in chunks]
        yield (_read_batch(conn, batch, start, end, chunks),
               list(fetch.head_buckets(conn, plain, start, end, step)) if plain else [])


def previous_point(series_id: int, before: int, *,
                   using: str = "default") -> tuple[int, float] | None:
    """Return the newest sample ``(ts, value)`` of a series with ``ts < before``
    (Unix seconds), from the head or the chunks, or ``None`` without one."""
    conn = usable_connection(using)
    head_t, chunk_t, _ = fetch.tables(conn)
    head = fetch.rows(conn, f"SELECT ts, value FROM {head_t} WHERE series_id = %s AND "
                            "ts < %s ORDER BY ts DESC LIMIT 1", [series_id, before])
    last = fetch.rows(conn, f"SELECT data FROM {chunk_t} WHERE series_id = %s AND "
                            f"start_ts < %s AND {conn.ops.quote_name('count')} > 0 "
                            "ORDER BY start_ts DESC LIMIT 1", [series_id, before], binary=True)
    best = (int(head[0][0]), float(head[0][1])) if head else None
    if last:
        ts, values = fetch.decode_range(series_id, [last[0][0]], -(2**62), int(before))
        if ts.shape[0] and (best is None or int(ts[-1]) >= best[0]):
            best = (int(ts[-1]), float(values[-1]))
    return best


def oldest_raw_subqueries(outer: str = "pk") -> list[Subquery]:
    """Subqueries giving the oldest raw second of the series ``OuterRef(outer)``:
    of its head rows and of its chunks (each an index lookup; ``NULL`` without
    any). The oldest raw sample is the smaller of the two that is not ``NULL``."""
    head = MetricPoint.objects.filter(series_id=OuterRef(outer)).order_by("ts")
    chunks = MetricChunk.objects.filter(series_id=OuterRef(outer), count__gt=0).order_by(
        "start_ts")
    return [Subquery(head.values("ts")[:1]), Subquery(chunks.values("start_ts")[:1])]


def count_points(series_ids: Iterable[int], start: int, end: int, *,
                 using: str = "default") -> int:
    """Return how many raw samples the series hold in ``[start, end)``: exact,
    but for late head rows at a timestamp a chunk holds (counted twice; the reads
    give one). Whole chunks count by their ``count``; the chunks cut by the range
    are decoded."""
    ids, start, end = _ids(series_ids), int(start), int(end)
    if end <= start or not ids:
        return 0
    conn = usable_connection(using)
    head_t = fetch.tables(conn)[0]
    total = 0
    for batch in fetch_batches(ids):
        ((n,),) = fetch.rows(conn, f"SELECT COUNT(*) FROM {head_t} WHERE series_id IN "
                                   f"({fetch.marks(len(batch))}) AND ts >= %s AND ts < %s",
                             [*batch, start, end])
        total += int(n)
        for sid, inside, count, data in fetch.chunk_counts(conn, batch, start, end):
            if inside or data is None:
                total += count
            else:
                total += int(fetch.decode_range(sid, [data], start, end)[0].shape[0])
    return total


def iter_points(series_ids: Sequence[int], start: int, end: int, *,
                using: str = "default") -> Iterator[tuple[int, int, float]]:
    """Yield ``(series id, ts, value)`` of the raw samples in ``[start, end)``, series
    by series in the order given, each in time order, read a UTC day at a time
    (:data:`ITER_WINDOW`) so a long range never sits in memory whole."""
    for sid in series_ids:
        at = int(start)
        while at < end:
            upto = min(int(end), (at // ITER_WINDOW + 1) * ITER_WINDOW)
            ts, values = read_points([sid], at, upto, using=using)[int(sid)]
            yield from zip([int(sid)] * ts.shape[0], ts.tolist(), values.tolist(), strict=True)
            at = upto
