"""Reading one rollup level by buckets of a chart's step: the rows
``(series id, bucket start, min, max, sum, count, last)`` that
:func:`mikromon.web.monitor.readers.read_many` makes :class:`.points.Buckets`.

A bucket of ``step`` seconds over rollups of ``resolution`` seconds (a divisor
of it) holds the rows at ``ts`` in ``[bucket, bucket + step)``, rollup starts being
multiples of ``resolution``; its ``last`` is the ``last`` of its latest row. Its
*closing row*, at ``bucket + step - resolution``, is that latest row whenever it
is stored, which is nearly always (a gap in the data, or a watermark inside the
bucket, is the exception): its ``last`` is taken in the aggregate, and only the
other buckets look their latest row up (a primary-key lookup each).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mikromon.web.monitor.models import MetricRollup
from mikromon.web.monitor.points_fetch import marks, rows

#: Rows ``(series id, bucket start, min, max, sum, count, last)`` as float64, shape
#: (n, 7) (ids, bucket starts and counts below 2**53: exact).
RowArray = npt.NDArray[np.float64]


def rollup_rows(conn: Any, series_ids: Sequence[int], start: int, end: int, step: int,
                resolution: int) -> RowArray:
    """``(series id, bucket start, min, max, sum, count, last)`` of the series'
    ``resolution`` rollups in ``[start, end)`` by buckets of ``step`` seconds
    (a multiple of ``resolution``), buckets with rows only, in no set order, as
    a :data:`RowArray` (one statement); the sum is of ``avg * count``."""
    table, ids = conn.ops.quote_name(MetricRollup._meta.db_table), marks(len(series_ids))
    if step == resolution:
        sql = (f'SELECT series_id, ts, "min", "max", "avg" * "count", "count", "last" '
               f"FROM {table} WHERE series_id IN ({ids}) AND step = {resolution} "
               "AND ts >= %s AND ts < %s")
    else:
        sql = (f"SELECT b.sid, b.bts, b.lo, b.hi, b.total, b.n, COALESCE(b.closing, "
               f'(SELECT y."last" FROM {table} y WHERE y.series_id = b.sid '
               f"AND y.step = {resolution} AND y.ts = b.lts)) FROM ("
               f"SELECT series_id AS sid, (ts / {step}) * {step} AS bts, "
               'MIN("min") AS lo, MAX("max") AS hi, SUM("avg" * "count") AS total, '
               'SUM("count") AS n, MAX(ts) AS lts, '
               f'SUM(CASE WHEN (ts + {resolution}) %% {step} = 0 THEN "last" END) '
               f"AS closing FROM {table} WHERE series_id IN ({ids}) "
               f"AND step = {resolution} AND ts >= %s AND ts < %s "
               f"GROUP BY series_id, (ts / {step})) b")
    found = rows(conn, sql, [*series_ids, start, end])
    return np.array(found, dtype=np.float64).reshape(len(found), 7)
