"""Time series as CSV records, the one shape ``mikromon export`` and the Series page's
export write: ``time, device, metric, <one column per label>, unit``, then ``value``
(raw points) or ``min, avg, max, count, last`` (rollups; ``last``: the value of
the bucket's latest sample). Times are ISO 8601 UTC, values
round-trip (``repr`` of a float).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mikromon.domain.formatting import utc_iso

#: Export resolution -> rollup step in seconds (``None``: raw points).
RESOLUTIONS: dict[str, int | None] = {"raw": None, "5m": 300, "1h": 3600, "1d": 86400}


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One exported series: database id, metric key, labels, unit, and its device's
    name when series of several devices are exported together (``''``: the export's
    one device)."""

    id: int
    key: str
    labels: dict[str, str]
    unit: str
    device: str = ""


def csv_records(
    device: str, series: Sequence[SeriesInfo], rows: Iterator[tuple[int, int, *tuple[float, ...]]],
    step: int | None, on_row: Callable[[], None] | None = None,
) -> Iterator[list[str]]:
    """Yield the header, then a record per row.

    Args:
        device: the device name of series without their own.
        series: the series the rows belong to.
        rows: ``(series_id, ts, value)`` (raw) or ``(series_id, ts, min, avg, max,
            count, last)`` (rollups of ``step`` seconds), ``ts`` Unix seconds.
        step: ``None`` for raw rows, else the rollup step.
        on_row: called after each row (progress).
    """
    by_id = {s.id: s for s in series}
    label_names = sorted({name for s in series for name in s.labels})
    values = ["value"] if step is None else ["min", "avg", "max", "count", "last"]
    yield ["time", "device", "metric", *label_names, "unit", *values]
    for series_id, ts, *rest in rows:
        info = by_id[series_id]
        yield [iso_time(ts), info.device or device, info.key,
               *(info.labels.get(n, "") for n in label_names), info.unit,
               *(number_text(v) for v in rest)]
        if on_row is not None:
            on_row()


def iso_time(ts: int) -> str:
    """Unix seconds ``ts`` as ISO 8601 UTC (``2025-01-31T12:00:05Z``)."""
    return utc_iso(datetime.fromtimestamp(ts, UTC))


def number_text(value: float | int) -> str:
    """A CSV cell of ``value``: ``repr`` of a float (round-trips), ``str`` of an int."""
    return repr(value) if isinstance(value, float) else str(value)
