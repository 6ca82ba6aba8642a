"""How ``mikromon export`` writes rows: CSV or one streamed JSON document, with
progress lines on stderr for big exports.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from mikromon.domain.series_csv import SeriesInfo, csv_records, iso_time

__all__ = ["Progress", "SeriesInfo", "iso_time", "write_csv", "write_json"]

#: Exports with more rows than this report progress even when stderr is not a terminal.
PROGRESS_MIN_ROWS = 100_000
#: Seconds between two progress lines.
PROGRESS_EVERY_S = 1.0


class Progress:
    """Progress lines on stderr: at most one per second, only for big exports or a terminal."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        self.total = total
        self.done = 0
        tty = sys.stderr is not None and sys.stderr.isatty()
        self.enabled = not quiet and total > 0 and (tty or total >= PROGRESS_MIN_ROWS)
        self._next = time.monotonic() + PROGRESS_EVERY_S

    def step(self) -> None:
        self.done += 1
        if self.enabled and self.done % 1000 == 0 and time.monotonic() >= self._next:
            self._next = time.monotonic() + PROGRESS_EVERY_S
            percent = 100.0 * self.done / self.total
            print(
                f"exported {self.done}/{self.total} rows ({percent:.0f}%)",
                file=sys.stderr,
                flush=True,
            )


def write_csv(
    out: TextIO, device: str, series: Sequence[SeriesInfo], rows: Iterator[tuple[Any, ...]],
    step: int | None, progress: Progress,
) -> None:
    """Write ``rows`` as CSV (:func:`csv_records`)."""
    writer = csv.writer(out, lineterminator="\n")
    for record in csv_records(device, series, rows, step, progress.step):
        writer.writerow(record)


def write_json(
    out: TextIO, header: dict[str, Any], series: Sequence[SeriesInfo],
    rows: Iterator[tuple[Any, ...]], step: int | None, progress: Progress,
) -> None:
    """Write one JSON document, streamed: the header fields plus ``series``, a list of
    ``{"metric", "labels", "unit", "points": [[time, value], ...]}`` (rollups:
    ``[time, min, avg, max, count, last]``) in series order."""
    by_id = {s.id: s for s in series}
    opening = json.dumps(header)[:-1]  # the header object, still open
    out.write(opening + (', "series": [' if header else '"series": ['))
    current: int | None = None
    first_series = True
    first_point = True
    for series_id, ts, *rest in rows:
        if series_id != current:
            if current is not None:
                out.write("]}")
            info = by_id[series_id]
            out.write(
                ("" if first_series else ", ")
                + '{"metric": ' + json.dumps(info.key)
                + ', "labels": ' + json.dumps(info.labels, sort_keys=True)
                + ', "unit": ' + json.dumps(info.unit)
                + ', "points": ['
            )
            current = series_id
            first_series = False
            first_point = True
        out.write(("" if first_point else ", ") + json.dumps([iso_time(ts), *rest]))
        first_point = False
        progress.step()
    if current is not None:
        out.write("]}")
    out.write("]}\n")
