"""``mikromon export``: a device's time series over a time range, as CSV or JSON.

Raw points (kept for ``MIKROMON_RETENTION_RAW_DAYS``) or the 5-minute / 1-hour
rollups (min, avg, max, count; kept longer). Rows stream from the database in
chunks, so memory stays flat for large exports; progress goes to stderr. With
``--output FILE`` the file appears only when the export is complete.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fnmatch
import json
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from mikromon.cli._common import add_storage_options
from mikromon.domain.formatting import utc_iso

#: Resolution name -> rollup step in seconds (``None``: raw points).
RESOLUTIONS: dict[str, int | None] = {"raw": None, "5m": 300, "1h": 3600}
#: Rows fetched from the database per round trip.
CHUNK_ROWS = 5000
#: Exports with more rows than this report progress even when stderr is not a terminal.
PROGRESS_MIN_ROWS = 100_000
#: Seconds between two progress lines.
PROGRESS_EVERY_S = 1.0

_RELATIVE = re.compile(r"^-?(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """Parse an export bound: ISO 8601 (no zone means UTC), ``now``, or a time
    ago such as ``90m``, ``6h``, ``7d``, ``2w`` (a leading ``-`` is allowed).

    Args:
        text: the option value.
        now: the current time (UTC) for relative values; default the clock.

    Returns:
        A timezone-aware UTC datetime.

    Raises:
        argparse.ArgumentTypeError: the text is none of these forms.
    """
    value = text.strip()
    current = now or datetime.now(UTC)
    if value.lower() == "now":
        return current
    match = _RELATIVE.match(value)
    if match:
        amount, unit = float(match.group(1)), match.group(2)
        return current - timedelta(seconds=amount * _UNIT_S[unit])
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (use ISO 8601 like 2025-01-31T12:00:00Z, 'now', "
            "or a time ago like 6h, 7d)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _label(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a label is NAME=VALUE, not {text!r}")
    return name.strip(), value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``export`` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help="export a device's time series as CSV or JSON",
        description="Write a device's time series over a time range as CSV or JSON. Times "
        "are ISO 8601 UTC; values are in the metric's unit (see the catalog).",
    )
    parser.add_argument("device", metavar="DEVICE", help="the device's name")
    parser.add_argument(
        "--metric",
        action="append",
        metavar="KEY",
        help="metric key, shell patterns allowed (iface.*); repeat for several "
        "(default: every metric)",
    )
    parser.add_argument(
        "--label",
        action="append",
        type=_label,
        metavar="NAME=VALUE",
        help="only series with this label (e.g. interface=ether1); repeat to narrow",
    )
    parser.add_argument(
        "--from",
        dest="start",
        type=parse_time,
        default="24h",
        metavar="TIME",
        help="start, inclusive: ISO 8601 (UTC unless a zone is given), 'now', or a time "
        "ago: 90m, 6h, 7d, 2w (default: 24h ago)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=parse_time,
        default="now",
        metavar="TIME",
        help="end, exclusive (default: now)",
    )
    parser.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="output format (default csv)"
    )
    parser.add_argument(
        "--resolution",
        choices=tuple(RESOLUTIONS),
        default="raw",
        help="raw points, or 5-minute / 1-hour rollups with min, avg, max (default raw)",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE instead of standard output"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress or summary on stderr"
    )
    add_storage_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the export; return the exit code."""
    from mikromon.cli._django import django_command

    return django_command()(_export)(args)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One exported series: database id, metric key, labels, unit."""

    id: int
    key: str
    labels: dict[str, str]
    unit: str


def select_series(
    device: Any, metrics: Sequence[str] | None, labels: Sequence[tuple[str, str]] | None
) -> list[SeriesInfo]:
    """Return the device's series matching the metric patterns and every label, with
    their catalog units (:func:`mikromon.web.monitor.readers.unit_of`, as the API and
    the pages show them).

    The rule of the API's series endpoint: a metric (or pattern) unknown to the
    catalog is an error; a known one without data gives no series (an empty export).

    Raises:
        CommandError: a pattern names no catalog metric and no stored series
            (exit code 2, naming it).
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.domain.catalog import CATALOG
    from mikromon.web.monitor.models import Series
    from mikromon.web.monitor.readers import is_known_metric, unit_of

    every = list(Series.objects.filter(device=device).order_by("key", "labels_key"))
    stored = {s.key for s in every}
    for pattern in metrics or ():
        if not (is_known_metric(pattern)
                or any(fnmatch.fnmatchcase(spec.key, pattern) for spec in CATALOG)
                or any(fnmatch.fnmatchcase(key, pattern) for key in stored)):
            raise CommandError(
                f"unknown metric {pattern!r}: not in the metric catalog and not stored "
                f"for {device.name!r}", EXIT_USAGE,
            )
    chosen = []
    for series in every:
        if metrics and not any(fnmatch.fnmatchcase(series.key, p) for p in metrics):
            continue
        series_labels = {str(k): str(v) for k, v in (series.labels or {}).items()}
        if labels and any(series_labels.get(name) != value for name, value in labels):
            continue
        chosen.append(
            SeriesInfo(id=series.pk, key=series.key, labels=series_labels,
                       unit=unit_of(series.key))
        )
    return chosen


def nothing_matched(
    device: str, keys: Sequence[str], metrics: Sequence[str] | None,
    labels: Sequence[tuple[str, str]] | None,
) -> str:
    """The stderr note of an export that matched no series (what the device has)."""
    if not keys:
        return f"device {device!r} has no time series yet"
    wanted = " ".join(metrics or ["*"])
    if labels:
        wanted += " with " + ", ".join(f"{n}={v}" for n, v in labels)
    shown = ", ".join(keys[:30]) + (" ..." if len(keys) > 30 else "")
    return f"device {device!r} has no series matching {wanted} (it has: {shown})"


def _rows(
    series: Sequence[SeriesInfo], start: int, end: int, step: int | None
) -> tuple[int, Iterator[tuple[Any, ...]]]:
    """Return (row count, iterator of rows) for the series in ``[start, end)`` Unix seconds,
    series by series in the order given, each in time order.

    Raw rows are ``(series_id, ts, value)``, streamed from the database. Rollup rows
    are ``(series_id, ts, min, avg, max, count)`` read by
    :func:`mikromon.web.monitor.readers.iter_buckets`, the reader of the API's series
    endpoint: stored rollups, then raw points aggregated up to ``end`` for the part
    not rolled up yet. For rollups the count is an upper bound (stored rollup rows
    plus the buckets of that recent part).
    """
    from mikromon.web.monitor.maintenance import rollup_watermark
    from mikromon.web.monitor.models import MetricPoint, MetricRollup
    from mikromon.web.monitor.readers import iter_buckets

    ids = [s.id for s in series]
    if step is None:
        total = MetricPoint.objects.filter(series_id__in=ids, ts__gte=start, ts__lt=end).count()

        def raw() -> Iterator[tuple[Any, ...]]:
            for info in series:
                # One primary-key range scan per series, streamed in chunks.
                yield from (
                    MetricPoint.objects.filter(series_id=info.id, ts__gte=start, ts__lt=end)
                    .order_by("ts").values_list("series_id", "ts", "value")
                    .iterator(chunk_size=CHUNK_ROWS)
                )

        return total, raw()
    # Rollup steps (300, 3600) read their own stored rollups up to the watermark.
    mark = max(start, min(end, rollup_watermark(step) or start))
    stored = MetricRollup.objects.filter(
        series_id__in=ids, step=step, ts__gte=start, ts__lt=mark
    ).count()
    recent = -(-(end - mark) // step) + 1 if end > mark else 0
    total = stored + recent * len(series)

    def buckets() -> Iterator[tuple[Any, ...]]:
        for info in series:
            for b in iter_buckets(info.id, start, end, step):
                yield info.id, b.ts, b.min, b.avg, b.max, b.count

    return total, buckets()


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
    """Write ``rows`` as CSV: ``time, device, metric, <one column per label>, unit``,
    then ``value`` (raw) or ``min, avg, max, count`` (rollups)."""
    by_id = {s.id: s for s in series}
    label_names = sorted({name for s in series for name in s.labels})
    writer = csv.writer(out, lineterminator="\n")
    values = ["value"] if step is None else ["min", "avg", "max", "count"]
    writer.writerow(["time", "device", "metric", *label_names, "unit", *values])
    for series_id, ts, *rest in rows:
        info = by_id[series_id]
        writer.writerow(
            [_iso(ts), device, info.key, *(info.labels.get(n, "") for n in label_names),
             info.unit, *(_number(v) for v in rest)]
        )
        progress.step()


def write_json(
    out: TextIO, header: dict[str, Any], series: Sequence[SeriesInfo],
    rows: Iterator[tuple[Any, ...]], step: int | None, progress: Progress,
) -> None:
    """Write one JSON document, streamed: the header fields plus ``series``, a list of
    ``{"metric", "labels", "unit", "points": [[time, value], ...]}`` (rollups:
    ``[time, min, avg, max, count]``) in series order."""
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
        out.write(("" if first_point else ", ") + json.dumps([_iso(ts), *rest]))
        first_point = False
        progress.step()
    if current is not None:
        out.write("]}")
    out.write("]}\n")


def _iso(ts: int) -> str:
    return utc_iso(datetime.fromtimestamp(ts, UTC))


def _number(value: float | int) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@contextmanager
def _destination(path: str | None) -> Iterator[TextIO]:
    """Yield the output stream; a file is written beside its target and renamed into
    place only when the export succeeded.

    A new file gets the usual mode for the user's umask (0644 under umask 022); a
    file that is replaced keeps its mode.
    """
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    from mikromon.cli._django import EXIT_USAGE, CommandError

    target = Path(path)
    try:
        fd, temp = _create_beside(target)
    except OSError as err:
        raise CommandError(f"cannot write {path}: {err.strerror or err}", EXIT_USAGE) from err
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _create_beside(target: Path) -> tuple[int, str]:
    """Create a new, empty temporary file in ``target``'s folder; return (fd, path).

    Created with mode 0666 minus the umask (as the shell's ``>`` would), or with
    the mode of an existing ``target``.

    Raises:
        OSError: the folder is missing or not writable.
    """
    folder = target.parent
    for _ in range(100):
        temp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            return fd, str(temp)
        with contextlib.suppress(OSError):
            os.chmod(fd, mode)
        return fd, str(temp)
    raise FileExistsError(f"no free temporary name beside {target}")


def _export(args: argparse.Namespace) -> int:
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.cli.device_records import get_device

    start, end = int(args.start.timestamp()), int(args.end.timestamp())
    if start >= end:
        raise CommandError(
            f"--from ({_iso(start)}) must be before --to ({_iso(end)})", EXIT_USAGE
        )
    device = get_device(args.device)
    series = select_series(device, args.metric, args.label)
    if not series and not args.quiet:
        keys = sorted(set(device.series.values_list("key", flat=True)))
        print(f"note: {nothing_matched(device.name, keys, args.metric, args.label)}",
              file=sys.stderr)
    step = RESOLUTIONS[args.resolution]
    total, rows = _rows(series, start, end, step)
    progress = Progress(total, quiet=args.quiet)
    with _destination(args.output) as out:
        if args.format == "csv":
            write_csv(out, device.name, series, rows, step, progress)
        else:
            header = {
                "device": device.name,
                "from": _iso(start),
                "to": _iso(end),
                "resolution": args.resolution,
            }
            write_json(out, header, series, rows, step, progress)
    if not args.quiet and (args.output or progress.enabled):
        where = f" to {args.output}" if args.output and args.output != "-" else ""
        print(
            f"exported {progress.done} rows of {len(series)} series{where}",
            file=sys.stderr,
        )
    return 0
