"""The size of the next slice of a maintenance pass done a range of series at a
time (:mod:`.rollup_pass`, :mod:`.report_summary_pass`): halved after a slice
slower than its target, doubled after one much quicker, so that each slice takes
about the target whatever a series costs."""

from __future__ import annotations

__all__ = ["next_size"]


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
