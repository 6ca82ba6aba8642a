"""Storing a series' samples in one of the store's layouts, for the tests that check
every reader of raw samples answers the same whatever the layout:

* ``head``: every sample a ``MetricPoint`` row (as before chunks existed);
* ``chunks``: every sample in ``MetricChunk`` rows, one chunk per
  :data:`WINDOW` seconds, encoded with :func:`mikromon.storage.chunks.encode_chunk`
  as the compactor writes them;
* ``split``: the first two thirds in chunks, the rest in the head, with late head
  rows inside the chunks' spans (samples missing from a chunk, stored as head
  rows) and a duplicate timestamp (a chunk's sample also a head row holding
  another value: the chunk's value is the stored one, readers must keep it).
"""

from __future__ import annotations

import itertools

import numpy as np

from mikromon.storage.chunks import encode_chunk
from mikromon.web.monitor.models import MetricChunk, MetricPoint

LAYOUTS = ("head", "chunks", "split")
#: Seconds of one chunk.
WINDOW = 3600
#: What the duplicate head row adds to the chunk's value (so a reader keeping
#: the head's value, or both, answers differently).
DUPLICATE_OFFSET = 12_345.0
#: Index of the sample duplicated in the head (the next one if that one is late).
DUPLICATE_AT = 700


def samples(start: int, count: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """``count`` samples from ``start`` (Unix seconds): every 5 s, 1 s late now and
    then; values in quarters around 10^6, so that any sum of a few thousand of them
    is exact in float64 and every order of adding gives the same bits."""
    rng = np.random.default_rng(seed)
    ts = start + 5 * np.arange(count, dtype=np.int64) + (rng.random(count) < 0.05)
    values = np.round(rng.normal(1e6, 2e5, count) * 4) / 4
    return ts, values


def put_head(series_id: int, ts: np.ndarray, values: np.ndarray) -> None:
    """Store samples as head rows."""
    MetricPoint.objects.bulk_create(
        MetricPoint(series_id=series_id, ts=int(t), value=float(v))
        for t, v in zip(ts.tolist(), values.tolist(), strict=True))


def put_chunks(series_id: int, ts: np.ndarray, values: np.ndarray,
               window: int = WINDOW) -> None:
    """Store samples as chunks of ``window`` seconds (aligned to multiples of it)."""
    edges = np.arange(ts[0] // window * window, ts[-1] + window, window)
    cuts = np.searchsorted(ts, edges)
    rows = []
    for a, b in itertools.pairwise(cuts.tolist()):
        if b > a:
            rows.append(MetricChunk(series_id=series_id, start_ts=int(ts[a]),
                                    end_ts=int(ts[b - 1]), count=b - a,
                                    data=encode_chunk(ts[a:b], values[a:b])))
    MetricChunk.objects.bulk_create(rows)


def store(series_id: int, ts: np.ndarray, values: np.ndarray, layout: str) -> None:
    """Store the samples ``(ts, values)`` of one series in ``layout`` (see above)."""
    if layout == "head":
        put_head(series_id, ts, values)
        return
    if layout == "chunks":
        put_chunks(series_id, ts, values)
        return
    assert layout == "split", layout
    cut = int(np.searchsorted(ts, ts[0] + (ts[-1] - ts[0]) * 2 // 3))
    window = ts // WINDOW
    edge = np.zeros(ts.shape[0], bool)  # the first and last sample of each window
    edge[np.flatnonzero(np.diff(window))] = edge[np.flatnonzero(np.diff(window)) + 1] = True
    edge[[0, cut - 1]] = True
    late = np.zeros(ts.shape[0], bool)
    late[4:cut:9] = True
    late &= ~edge  # inside the chunks' spans
    late[cut:] = True
    put_chunks(series_id, ts[~late], values[~late])
    put_head(series_id, ts[late], values[late])
    dup = DUPLICATE_AT if not late[DUPLICATE_AT] else DUPLICATE_AT + 1
    put_head(series_id, ts[dup:dup + 1], values[dup:dup + 1] + DUPLICATE_OFFSET)
