"""Slices of a maintenance pass done a range of series at a time
(:mod:`.rollup_pass`, :mod:`.report_summary_pass`): the size of the next slice
(halved after a slice slower than its target, doubled after one much quicker, so
that each slice takes about the target whatever a series costs), and a run of
slices within a time budget that starts no slice it expects to end past it."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["next_size", "run_slices"]


def next_size(size: int, took_s: float, target_s: float, most: int) -> int:
    """Return the number of series of the next slice.

    Args:
        size: series in the slice just done (at least 1).
        took_s: seconds it took.
        target_s: seconds a slice should take.
        most: the largest slice, series.

    Returns:
        ``size // 2`` (at least 1) after a slice over ``target_s``, ``size * 2`` (at
        most ``most``) after one under a quarter of it, else ``size``.
    """
    if took_s > target_s and size > 1:
        return size // 2
    if took_s < target_s / 4:
        return min(size * 2, most)
    return size


def run_slices(step: Callable[[], None], done: Callable[[], bool],
               budget_s: float | None) -> bool:
    """Call ``step`` (one slice) until ``done()`` or, with a ``budget_s`` (seconds),
    until another slice as long as the last one would end past it; at least one
    slice either way. Returns ``done()``. A slice's error propagates."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    while not done():
        began = time.monotonic()
        step()
        ended = time.monotonic()
        if deadline is not None and ended + (ended - began) >= deadline:
            break
    return done()
