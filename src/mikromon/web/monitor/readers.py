"""Reading stored time series for charts and APIs, and what the pages, the API
and ``mikromon export`` share about metrics: units (:func:`unit_of`), known keys
(:func:`is_known_metric`) and health state sensors (:func:`health_states`).

:func:`read_series` (one series) and :func:`read_many` (several over one range,
in as many statements as one) return at most about ``max_points`` buckets for
any time range: raw samples for short ranges (head rows and chunks,
:func:`mikromon.web.monitor.points.aggregate_points`), 5-minute rollups from a
5-minute step, 1-hour rollups from a 1-hour step, 1-day rollups from a step of a
whole number of days (aggregated in the database; a year is ~365 day rows per
series).
Past a level's watermark the finer levels that divide the step are read up to
theirs (the current day of a year chart from the hourly rollups), and the part
not yet rolled up at all (the last minutes) is aggregated from raw samples, so a
chart reaches the present at any step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from mikromon.domain.catalog import HEALTH_STATES_TABLE, is_failing, lookup
from mikromon.web.monitor.bucket_join import join, with_samples
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import (
    ROLLUP_STEPS,
    InventoryItem,
    MetricLatest,
    Series,
    labels_key,
)
from mikromon.web.monitor.points import (
    Buckets,
    aggregate_points,
    buckets_of_rows,
    fetch_batches,
)
from mikromon.web.monitor.rollup_marks import rollup_watermark
from mikromon.web.monitor.rollup_reads import RowArray, rollup_rows

#: Steps ``read_series`` picks from when none is given, seconds.
NICE_STEPS: tuple[int, ...] = (
    1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)
#: The most buckets one call may return (guards explicit tiny steps over long ranges).
MAX_BUCKETS = 100_000


@dataclass(frozen=True, slots=True)
class Bucket:
    """Aggregate of one series over ``[ts, ts + step)``.

    Attributes:
        ts: bucket start, Unix seconds UTC (a multiple of the step).
        avg: mean of the raw points in the bucket (unit of the metric).
        min: smallest raw point.
        max: largest raw point.
        count: number of raw points summarised.
        last: value of the bucket's latest raw point (rollups stored before
            migration 0018 carry their average, docs/storage.md).
    """

    ts: int
    avg: float
    min: float
    max: float
    count: int
    last: float


@dataclass(frozen=True, slots=True, eq=False)
class SeriesData:
    """The result of :func:`read_series`.

    Attributes:
        series_id: the series read.
        start: first second of the range, Unix seconds UTC (aligned to ``step``).
        end: first second after the range, Unix seconds UTC.
        step: bucket width, seconds.
        source: ``"raw"``, ``"5m"``, ``"1h"`` or ``"1d"``: the resolution read.
        buckets: the buckets with data as arrays, in time order (empty buckets
            are left out; a gap longer than ``step`` means no data); the mean of
            a bucket is ``buckets.mean()``.
    """

    series_id: int
    start: int
    end: int
    step: int
    source: str
    buckets: Buckets

    @property
    def points(self) -> list[Bucket]:
        """The buckets as :class:`Bucket` objects, in time order (made on each use)."""
        b = self.buckets
        return list(map(Bucket, b.ts.tolist(), b.mean().tolist(), b.min.tolist(),
                        b.max.tolist(), b.samples.tolist(), b.last.tolist()))

    def __eq__(self, other: object) -> bool:
        """Equal when the range, step, source and buckets are (as :class:`Bucket`
        lists compare: a NaN equals nothing)."""
        if not isinstance(other, SeriesData):
            return NotImplemented
        return ((self.series_id, self.start, self.end, self.step, self.source)
                == (other.series_id, other.start, other.end, other.step, other.source)
                and self.points == other.points)


def to_epoch(value: datetime | float | int) -> int:
    """Return ``value`` (aware datetime or Unix seconds) as whole Unix seconds.

    Raises:
        ValueError: for a naive datetime.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give a timezone (UTC)")
        return int(value.timestamp())
    return int(value)


def choose_step(span: int, max_points: int) -> int:
    """Return the smallest of :data:`NICE_STEPS` (or a whole number of days) that
    splits ``span`` seconds into at most ``max_points`` buckets."""
    want = max(1, math.ceil(span / max(1, max_points)))
    for step in NICE_STEPS:
        if step >= want:
            return step
    return math.ceil(want / 86400) * 86400


def _source_for(step: int) -> tuple[str, int | None]:
    if step >= 86400 and step % 86400 == 0:
        return "1d", 86400
    if step >= 3600 and step % 3600 == 0:
        return "1h", 3600
    if step >= 300 and step % 300 == 0:
        return "5m", 300
    return "raw", None


def read_series(
    series: Series | int,
    start: datetime | float,
    end: datetime | float,
    step: int | None = None,
    *,
    max_points: int = 1000,
    using: str = "default",
) -> SeriesData:
    """Return one series over ``[start, end)`` as min/avg/max/last buckets.

    Args:
        series: a Series or its id.
        start: range start (aware datetime or Unix seconds); aligned down to ``step``.
        end: range end, exclusive.
        step: bucket width in seconds; ``None`` picks the smallest nice step giving
            at most ``max_points`` buckets. Steps that are whole multiples of 300 s
            read 5-minute rollups; of 3600 s, 1-hour rollups; of 86400 s, 1-day
            rollups (UTC days); others read raw points.
        max_points: target bucket count when ``step`` is ``None``.
        using: database alias.

    Raises:
        ValueError: when ``end`` is not after ``start``, ``step`` is not positive,
            or the range would give more than :data:`MAX_BUCKETS` buckets.
    """
    series_id = series.pk if isinstance(series, Series) else int(series)
    return read_many([series_id], start, end, step, max_points=max_points,
                     using=using)[series_id]


def read_many(
    series_ids: Iterable[int],
    start: datetime | float,
    end: datetime | float,
    step: int | None = None,
    *,
    max_points: int = 1000,
    using: str = "default",
) -> dict[int, SeriesData]:
    """Return several series over the same range as :func:`read_series` returns
    each (same arguments, same errors), in a fixed number of statements whatever
    the number of series (a chart of many interfaces): series id -> its
    :class:`SeriesData`, for every id given."""
    ids = list(dict.fromkeys(int(s) for s in series_ids))
    start_s, end_s = to_epoch(start), to_epoch(end)
    if end_s <= start_s:
        raise ValueError(f"end ({end_s}) must be after start ({start_s})")
    if step is None:
        step = choose_step(end_s - start_s, max_points)
    if step <= 0:
        raise ValueError(f"step must be a positive number of seconds (got {step})")
    start_s = start_s // step * step
    if (end_s - start_s) / step > MAX_BUCKETS:
        raise ValueError(
            f"{(end_s - start_s) // step} buckets of {step} s requested; at most {MAX_BUCKETS}"
        )
    source, resolution = _source_for(step)
    parts: dict[int, list[Buckets]] = {sid: [] for sid in ids}
    raw_from = start_s
    # The chosen level up to its watermark, then each finer level that divides
    # the step up to its own (a year chart's current day from the hourly rows,
    # not from a day of raw samples), then raw samples to the end.
    for level in (r for r in reversed(ROLLUP_STEPS) if ids and resolution is not None
                  and r <= resolution and step % r == 0):
        rollup_end = min(end_s, rollup_watermark(level, using=using) or raw_from)
        if rollup_end > raw_from:
            found = buckets_of_rows(_rollup_rows(ids, raw_from, rollup_end, step, level,
                                                 using))
            for sid, got in found.items():
                parts[sid].append(with_samples(got))
            raw_from = rollup_end
    if raw_from < end_s and ids:
        for sid, got in aggregate_points(ids, raw_from, end_s, step, using=using).items():
            parts[sid].append(got)
    return {sid: SeriesData(series_id=sid, start=start_s, end=end_s, step=step,
                            source=source, buckets=join(parts[sid]))
            for sid in ids}


def _rollup_rows(ids: list[int], start: int, end: int, step: int, resolution: int,
                 using: str) -> RowArray:
    """:func:`.rollup_reads.rollup_rows` of ``ids`` a batch at a time."""
    conn = usable_connection(using)
    return np.concatenate([rollup_rows(conn, batch, start, end, step, resolution)
                           for batch in fetch_batches(ids)])


def iter_buckets(
    series: Series | int, start: float, end: float, step: int, *, using: str = "default"
) -> Iterator[Bucket]:
    """Yield the buckets of :func:`read_series` over ``[start, end)`` in time order, read
    in windows of at most half :data:`MAX_BUCKETS` buckets, so any range works (exports).

    Args:
        series: a Series or its id.
        start: range start, Unix seconds UTC; aligned down to ``step``.
        end: range end, exclusive, Unix seconds UTC.
        step: bucket width in seconds (picks raw points or rollups as in
            :func:`read_series`).
        using: database alias.

    Raises:
        ValueError: ``step`` is not positive.
    """
    if step <= 0:
        raise ValueError(f"step must be a positive number of seconds (got {step})")
    window = step * (MAX_BUCKETS // 2)
    at = int(start) // step * step
    stop = int(end)
    while at < stop:
        upto = min(stop, at + window)
        yield from read_series(series, at, upto, step, using=using).points
        at = upto


@dataclass(frozen=True, slots=True)
class LatestValue:
    """The newest value of one series.

    Attributes:
        series_id: the series.
        key: metric key.
        labels: label name -> value.
        ts: when the router answered, UTC.
        value: in the unit of the metric.
    """

    series_id: int
    key: str
    labels: dict[str, str]
    ts: datetime
    value: float


def latest_values(device_id: int, *, using: str = "default") -> list[LatestValue]:
    """Return the latest value of every series of a device, ordered by key and labels."""
    rows = (
        MetricLatest.objects.using(using)
        .filter(series__device_id=device_id)
        .select_related("series")
        .order_by("series__key", "series__labels_key")
    )
    return [
        LatestValue(
            series_id=row.series_id, key=row.series.key, labels=dict(row.series.labels),
            ts=row.ts, value=row.value,
        )
        for row in rows
    ]


def find_series(
    device_id: int, key: str, *, using: str = "default", **labels: str
) -> Series | None:
    """Return the series of a device with exactly this key and label set, or ``None``."""
    return (
        Series.objects.using(using)
        .filter(device_id=device_id, key=key, labels_key=labels_key(labels.items()))
        .first()
    )


def unit_of(key: str) -> str:
    """Return the catalog unit of ``key`` ('' for keys not in the catalog), including
    the unit judged from the sensor name of ``system.health.<name>`` keys: the one
    place the API, the pages and ``mikromon export`` take units from."""
    try:
        return lookup(key).unit
    except KeyError:
        return ""


def is_known_metric(key: str, device_id: int | None = None) -> bool:
    """Whether ``key`` is in the metric catalog (``system.health.<name>`` included) or,
    when ``device_id`` is given, stored for that device (a key the catalog lacks).

    The API and ``mikromon export`` refuse unknown keys (400 / exit 2) and answer a
    known key without data with an empty result.
    """
    try:
        lookup(key)
    except KeyError:
        if device_id is None:
            return False
        return Series.objects.filter(device_id=device_id, key=key).exists()
    return True


def health_states(device_id: int) -> list[dict[str, Any]]:
    """Return the device's health state sensors as the router words them:
    ``[{"name": "psu1-state", "state": "fail", "failing": True}]``, by name (the
    ``health_states`` inventory table of mikromon.collectors.system_health;
    ``failing``: :func:`mikromon.domain.catalog.is_failing`)."""
    rows = (InventoryItem.objects.filter(device_id=device_id, table=HEALTH_STATES_TABLE,
                                         gone=False).values_list("data", flat=True))
    out = []
    for data in rows:
        name, word = (data or {}).get("name"), (data or {}).get("state")
        if isinstance(name, str) and isinstance(word, str):
            out.append({"name": name, "state": word, "failing": is_failing(word)})
    return sorted(out, key=lambda r: r["name"])
