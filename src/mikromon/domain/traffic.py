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
