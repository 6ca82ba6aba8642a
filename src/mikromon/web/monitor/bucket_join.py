"""Buckets of one series read in parts (rollup levels, then raw samples) joined into
one time line with numpy (a 7-day chart of 24 series is 16,000 buckets).

A chart's range is read level after level (docs/storage.md, "Reading"): the
chosen rollup level up to its watermark, each finer level to its own, then raw
samples; each part begins where the one before ends, so a bucket cut by a
watermark comes as adjacent rows of the same ``ts``, one a part, and is combined
here: smallest min, largest max, sums and counts added, the later part's last.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mikromon.web.monitor.points import NO_BUCKETS, Buckets


def with_samples(buckets: Buckets) -> Buckets:
    """``buckets`` without those summarising no sample (``samples`` 0)."""
    keep = buckets.samples != 0
    return buckets if keep.all() else Buckets(*(column[keep] for column in buckets))


def join(parts: Sequence[Buckets]) -> Buckets:
    """One series' bucket parts, each in time order and beginning where the one
    before ends, as one :class:`Buckets`: a bucket split between parts (adjacent
    equal ``ts``) is combined, left to right, as ``min()`` and ``max()`` of Python
    combine two numbers (a NaN first is kept, a NaN second is not)."""
    parts = [p for p in parts if p.ts.shape[0]]
    if not parts:
        return NO_BUCKETS
    if len(parts) == 1:
        return parts[0]
    ts, lo, hi, total, n, last = (np.concatenate(column) for column in zip(*parts, strict=True))
    again = (np.flatnonzero(ts[1:] == ts[:-1]) + 1).tolist()  # where parts meet: a few
    if not again:
        return Buckets(ts, lo, hi, total, n, last)
    keep = np.ones(ts.shape[0], bool)
    into = 0
    for at in again:
        into = at - 1 if keep[at - 1] else into
        if lo[at] < lo[into]:
            lo[into] = lo[at]
        if hi[at] > hi[into]:
            hi[into] = hi[at]
        total[into] += total[at]
        n[into] += n[at]
        last[into] = last[at]
        keep[at] = False
    return Buckets(ts[keep], lo[keep], hi[keep], total[keep], n[keep], last[keep])
