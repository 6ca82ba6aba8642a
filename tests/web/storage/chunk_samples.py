"""What the compaction tests share: fixed instants and every stored sample of a
series (head rows and decoded chunks), compared bit for bit."""

from __future__ import annotations

import numpy as np

from mikromon.storage.chunks import decode_chunk
from mikromon.web.monitor.models import MetricChunk, MetricPoint, Series

DAY = 86400
#: Tuesday 2024-05-14 00:00 UTC.
T0 = 1715644800


def stored(series: Series) -> dict[int, float]:
    """Every sample of ``series``: head rows and decoded chunks (no overlap)."""
    found: dict[int, float] = {}
    for chunk in MetricChunk.objects.filter(series=series).order_by("start_ts"):
        ts, vals = decode_chunk(bytes(chunk.data))
        assert (chunk.start_ts, chunk.end_ts, chunk.count) == (int(ts[0]), int(ts[-1]), len(ts))
        for t, v in zip(ts.tolist(), vals.tolist(), strict=False):
            assert t not in found
            found[t] = v
    for t, v in MetricPoint.objects.filter(series=series).values_list("ts", "value"):
        assert t not in found, f"ts {t} both in a chunk and in the head"
        found[t] = v
    return found


def bits(samples: dict[int, float]) -> dict[int, int]:
    return {t: int(np.float64(v).view(np.int64)) for t, v in samples.items()}


def stored_times(**series_filter: object) -> list[int]:
    """The timestamps of every stored sample (head rows and chunks) of the series
    matching ``series_filter`` (``Series.objects.filter`` arguments), sorted."""
    found: list[int] = []
    for series in Series.objects.filter(**series_filter):
        found.extend(stored(series))
    return sorted(found)
