"""Reading the rows of an export of time series (``mikromon export`` and the Series
page's CSV), series by series, each in time order, streamed from the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mikromon.web.monitor.models import MetricRollup
from mikromon.web.monitor.points import count_points, iter_points
from mikromon.web.monitor.readers import iter_buckets
from mikromon.web.monitor.rollup_marks import rollup_watermark


def series_rows(
    ids: Sequence[int], start: int, end: int, step: int | None
) -> tuple[int, Iterator[tuple[Any, ...]]]:
    """Return (row count, iterator of rows) for the series ``ids`` in ``[start, end)``
    Unix seconds, series by series in the order given, each in time order.

    Raw rows (``step`` ``None``) are ``(series_id, ts, value)``: head rows and
    chunks merged (:func:`mikromon.web.monitor.points.iter_points`), read a day at a
    time; their count is exact but for late head rows duplicating a chunk's sample
    (:func:`~mikromon.web.monitor.points.count_points`). Rollup rows are
    ``(series_id, ts, min, avg, max, count, last)`` read by
    :func:`mikromon.web.monitor.readers.iter_buckets`, the reader of the API's series
    endpoint: stored rollups, then raw points aggregated up to ``end`` for the part
    not rolled up yet. For rollups the count is an upper bound (stored rollup rows
    plus the buckets of that recent part).
    """
    if step is None:
        return count_points(ids, start, end), iter_points(ids, start, end)
    # Rollup steps (300, 3600, 86400) read their own stored rollups up to the watermark.
    mark = max(start, min(end, rollup_watermark(step) or start))
    stored = MetricRollup.objects.filter(
        series_id__in=ids, step=step, ts__gte=start, ts__lt=mark
    ).count()
    recent = -(-(end - mark) // step) + 1 if end > mark else 0
    total = stored + recent * len(ids)

    def buckets() -> Iterator[tuple[Any, ...]]:
        for series_id in ids:
            for b in iter_buckets(series_id, start, end, step):
                yield series_id, b.ts, b.min, b.avg, b.max, b.count, b.last

    return total, buckets()
