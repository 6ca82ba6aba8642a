"""Traffic figures for reports: the 95th percentile ISPs bill on, bytes moved, and
month ranges. Pure arithmetic; the database reading is in
``mikromon.web.monitor.reports`` (docs/operations.md, "Reports").

The 95th percentile ("burstable billing"): take one rate per 5-minute interval of
the month, sort them, drop the highest 5 % and report the highest that remains,
separately for receive and transmit; the bill uses the larger of the two. With
``n`` samples the reported one is the ``ceil(0.95 * n)``-th smallest (1-based):
for a 30-day month, 8,640 five-minute averages, the 8,208th (432 dropped).
Missing intervals are not filled in: the percentile is of the samples there are,
and ``samples`` tells how many that was.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

#: The percentile reported, percent.
BILLING_PERCENTILE = 95.0


def percentile_rank(count: int, percentile: float = BILLING_PERCENTILE) -> int:
    """Return the 1-based rank, in ascending order, of the sample reported as the
    ``percentile`` of ``count`` samples: ``ceil(percentile / 100 * count)``, at least 1.

    Raises:
        ValueError: ``count`` is below 1 or ``percentile`` outside (0, 100].
    """
    if count < 1:
        raise ValueError(f"count must be at least 1 (got {count})")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100] (got {percentile})")
    # Round first: 95 / 100 * 20 is 19.000000000000004 in floating point.
    return max(1, math.ceil(round(percentile / 100 * count, 9)))


def percentile(values: Iterable[float], pct: float = BILLING_PERCENTILE) -> float | None:
    """Return the ``pct`` percentile of ``values`` by the billing convention (sort,
    drop the top ``100 - pct`` %, take the highest left); ``None`` for no values.
    NaN values are left out.

    Raises:
        ValueError: ``pct`` outside (0, 100].
    """
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return None
    return ordered[percentile_rank(len(ordered), pct) - 1]


@dataclass(frozen=True, slots=True)
class BillingFigure:
    """95th percentiles of one interface over one month, bits per second.

    Attributes:
        rx_bps, tx_bps: the percentile of receive and transmit (``None``: no samples).
        rx_samples, tx_samples: how many interval rates each was taken from.
        billing_bps: the larger of the two (``None`` when both are).
    """

    rx_bps: float | None
    tx_bps: float | None
    rx_samples: int
    tx_samples: int

    @property
    def billing_bps(self) -> float | None:
        """The larger of ``rx_bps`` and ``tx_bps``; ``None`` when neither is known."""
        known = [v for v in (self.rx_bps, self.tx_bps) if v is not None]
        return max(known) if known else None


def billing_figure(rx: Sequence[float], tx: Sequence[float],
                   pct: float = BILLING_PERCENTILE) -> BillingFigure:
    """Return the :class:`BillingFigure` of receive and transmit interval rates (bps)."""
    return BillingFigure(rx_bps=percentile(rx, pct), tx_bps=percentile(tx, pct),
                         rx_samples=len(rx), tx_samples=len(tx))


def bytes_from_rates(buckets: Iterable[tuple[float, int]], step: int) -> float:
    """Return the bytes moved, estimated from interval average bit rates.

    Args:
        buckets: ``(average bps, samples)`` of each interval that has samples; each
            counts as ``step`` seconds at its average rate, intervals without samples
            as nothing (a router that was not polled moved unknown traffic).
        step: interval length, seconds (positive).

    Raises:
        ValueError: ``step`` is not positive.
    """
    if step <= 0:
        raise ValueError(f"step must be a positive number of seconds (got {step})")
    return sum(avg * step / 8 for avg, count in buckets if count > 0 and avg > 0)


def month_range(year: int, month: int) -> tuple[float, float]:
    """Return ``[start, end)`` of a calendar month in UTC, Unix seconds.

    Raises:
        ValueError: ``month`` outside 1..12 or ``year`` outside 1..9998.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1 to 12 (got {month})")
    if not 1 <= year <= 9998:
        raise ValueError(f"year must be 1 to 9998 (got {year})")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


def parse_month(text: str) -> tuple[int, int]:
    """Return ``(year, month)`` of ``YYYY-MM`` text.

    Raises:
        ValueError: naming the text when it is not ``YYYY-MM`` with a month 1..12.
    """
    year, sep, month = text.strip().partition("-")
    if (not sep or len(year) != 4 or len(month) != 2 or not year.isascii()
            or not month.isascii() or not year.isdigit() or not month.isdigit()):
        raise ValueError(f"{text[:40]!r} is not a month: give YYYY-MM, e.g. 2026-11")
    if not 1 <= int(month) <= 12 or int(year) < 1:
        raise ValueError(f"{text[:40]!r} is not a month: the month must be 01 to 12")
    return int(year), int(month)


#: Seconds of one interval (a 5-minute rollup) and of a summary day.
INTERVAL = 300
DAY = 86400


# Cached: bounding a page asks it for every part of every series (tens of thousands).
@functools.lru_cache(maxsize=4096)
def from_top(count: int, pct: float = BILLING_PERCENTILE) -> int:
    """Return the 1-based rank, counted from the largest, of the value reported as the
    ``pct`` percentile of ``count`` values: ``count - ceil(pct / 100 * count) + 1``
    (the 433rd largest of 8,640). A summary that keeps the largest ``from_top(n)``
    values of a period holds its percentile exactly.

    Raises:
        ValueError: as :func:`percentile_rank`.
    """
    return count - percentile_rank(count, pct) + 1


#: Largest values kept per summary: a month keeps enough for the percentile of any
#: month (31 days x 288 = 8,928 intervals: the 447th largest), a day a third of its
#: 288 (enough for any range up to 6 days; longer ranges are checked, see
#: :func:`combine_percentile`).
TOP_KEPT = {"month": from_top(31 * DAY // INTERVAL), "day": 96}


@dataclass(slots=True)  # not frozen: a frozen init costs 4x, and reports make 60,000
class Part:
    """The summary of one series over one period (a day or a calendar month), or the
    5-minute averages of a piece of a range read as they are.

    Attributes:
        samples: intervals summarised (5-minute averages; stand-ins from hourly
            rollups count twelve each).
        hourly: how many of ``samples`` were hourly stand-ins.
        rate_sum: sum of the positive averages, bps (bytes = ``rate_sum * 300 / 8``).
        top: the largest ``min(samples, kept)`` averages, largest first (bps).
        p95: the percentile of the part when known without ``top`` (as stored
            with a summary), else ``None``.
    """

    samples: int
    hourly: int
    rate_sum: float
    top: Sequence[float]
    p95: float | None = None

    @property
    def complete(self) -> bool:
        """Whether ``top`` holds every average of the part."""
        return len(self.top) >= self.samples


def summarize_rates(values: Iterable[float], kept: int, hourly: int = 0) -> Part:
    """Return the :class:`Part` of ``values`` (bps, NaN left out) keeping the ``kept``
    largest."""
    clean = [v for v in values if not math.isnan(v)]
    clean.sort(reverse=True)
    return Part(samples=len(clean), hourly=hourly,
                rate_sum=sum(v for v in clean if v > 0), top=clean[:kept])


def merge_parts(old: Part, new: Part, kept: int) -> Part:
    """Return one :class:`Part` of two disjoint sets of averages, keeping the ``kept``
    largest (exact: the largest of a union are among the largest of each side)."""
    top = sorted([*old.top, *new.top], reverse=True)[:kept]
    return Part(samples=old.samples + new.samples, hourly=old.hourly + new.hourly,
                rate_sum=old.rate_sum + new.rate_sum, top=top)


def part_percentile(part: Part, pct: float = BILLING_PERCENTILE) -> float | None:
    """Return the percentile of one part when its ``top`` holds it, else ``None``."""
    if part.samples < 1:
        return None
    if part.p95 is not None:
        return part.p95
    rank = from_top(part.samples, pct)
    return part.top[rank - 1] if rank <= len(part.top) else None


#: 5-minute averages that may join a summary while its stored upper bound of the
#: percentile (:func:`percentile_high`) still holds: half an hour of them (this
#: month's edge holds two or three: the last rolled-up bucket and the minutes
#: after it).
HIGH_SLACK = 6


def percentile_high(part: Part, pct: float = BILLING_PERCENTILE) -> float | None:
    """Return the ``(from_top(n) - HIGH_SLACK)``-th largest of the part's ``n``
    averages (its largest when that rank is below 1); ``None`` for no averages.

    A bound with averages added: for disjoint parts ``P_i`` of ``n_i`` averages and
    ``k <= HIGH_SLACK`` more averages of any value, the percentile of their union is
    not above the larger of the largest percentile of the parts and this value of a
    part ``P_j`` with ``floor(n_j / 20) >= k``. Why: above it lie at most
    ``floor(n_j / 20) - k`` averages of ``P_j`` (its rank is at most
    ``from_top(n_j) - k``), ``floor(n_i / 20)`` of each other part and the ``k``
    added: at most ``floor(N / 20)`` in all, fewer than ``from_top(N + k)``.
    """
    if part.samples < 1 or not part.top:
        return None
    rank = max(1, from_top(part.samples, pct) - HIGH_SLACK)
    return part.top[rank - 1] if rank <= len(part.top) else None


def combine_percentile(parts: Sequence[Part],
                       pct: float = BILLING_PERCENTILE) -> tuple[float | None, int, bool]:
    """Return ``(percentile, samples, exact)`` of the union of disjoint ``parts``.

    The value is the ``from_top(n)``-th largest of the kept values of every part. It
    is the true percentile (``exact``) when every part that kept only its largest
    values kept all of them at or above it: any average left out of a part is at
    most that part's smallest kept one, so none is larger than the value found.
    Otherwise ``exact`` is ``False`` and the caller computes it from the averages
    themselves. ``(None, 0, True)`` for no averages.
    """
    total = sum(p.samples for p in parts)
    if total < 1:
        return None, 0, True
    rank = from_top(total, pct)
    if len(parts) == 1:
        value = part_percentile(parts[0], pct)
        return value, total, value is not None
    kept: list[float] = []
    for p in parts:
        kept.extend(p.top)
    if rank > len(kept):
        return None, total, False
    kept.sort(reverse=True)  # runs already in order: a merge, in C
    value = kept[rank - 1]
    for p in parts:
        if not p.complete and (not p.top or p.top[-1] > value):
            return value, total, False
    return value, total, True


def summary_pieces(lo: int, hi: int, day_mark: int | None,
                   month_mark: int | None) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Split the intervals starting in ``[lo, hi)`` (Unix seconds, ``lo`` a multiple of
    300) into calendar months and days read from summaries and edges read as they are.

    A day summary holds the intervals of its day before ``day_mark``, a month summary
    those of its month before ``month_mark`` (a day boundary, at most ``day_mark``);
    a summary is used when everything it holds lies in the range.

    Returns:
        ``(month starts, day starts, edges)``: edges as ``[start, end)`` pairs.
    """
    months: list[int] = []
    days: list[int] = []
    edges: list[tuple[int, int]] = []
    day_mark = day_mark or 0
    month_mark = min(month_mark or 0, day_mark)
    cursor = lo
    while cursor < hi:
        held = _month_held(cursor, month_mark)
        if held is not None and held <= hi:
            months.append(cursor)
            cursor = held
            continue
        if cursor % DAY == 0 and cursor < day_mark and min(cursor + DAY, day_mark) <= hi:
            days.append(cursor)
            cursor = min(cursor + DAY, day_mark)
            continue
        stop = hi if cursor >= day_mark else min(hi, (cursor // DAY + 1) * DAY)
        if edges and edges[-1][1] == cursor:
            edges[-1] = (edges[-1][0], stop)
        else:
            edges.append((cursor, stop))
        cursor = stop
    return months, days, edges


def _month_held(cursor: int, month_mark: int) -> int | None:
    """End of what the month summary starting at ``cursor`` holds, or ``None`` when
    ``cursor`` is not a month start or the summary holds nothing yet."""
    if cursor % DAY or cursor >= month_mark:
        return None
    when = datetime.fromtimestamp(cursor, UTC)
    if when.day != 1:
        return None
    _start, end = month_range(when.year, when.month)
    return min(int(end), month_mark)
