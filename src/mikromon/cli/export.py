"""``mikromon export``: a device's time series over a time range, as CSV or JSON.

Raw points (kept as their tier's retention says:
:mod:`mikromon.web.control.retention`) or the 5-minute / 1-hour / 1-day rollups
(min, avg, max, count, last; kept longer). Rows stream from the database in chunks, so
memory stays flat for large exports; progress goes to stderr. With
``--output FILE`` the file appears only when the export is complete
(:mod:`.output_file`). The writers are in :mod:`.export_write`.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from mikromon.cli._common import Subparsers, add_command, add_storage_options
from mikromon.cli.export_write import Progress, SeriesInfo, iso_time, write_csv, write_json
from mikromon.cli.output_file import output_file
from mikromon.domain.series_csv import RESOLUTIONS

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


def register(subparsers: Subparsers) -> None:
    """Add the ``export`` sub-command."""
    parser = add_command(
        subparsers, "export", handle,
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
        help="raw points, or 5-minute / 1-hour / 1-day rollups with min, avg, max, "
             "count, last (default raw)",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE instead of standard output"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress or summary on stderr"
    )
    add_storage_options(parser)


def handle(args: argparse.Namespace) -> int:
    """Run the export; return the exit code."""
    from mikromon.cli._django import django_command

    return django_command()(_export)(args)


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
    """Return (row count, iterator of rows) of the series in ``[start, end)`` Unix
    seconds (:func:`mikromon.web.monitor.series_export.series_rows`)."""
    from mikromon.web.monitor.series_export import series_rows

    return series_rows([s.id for s in series], start, end, step)


def _export(args: argparse.Namespace) -> int:
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.cli.device_records import get_device

    start, end = int(args.start.timestamp()), int(args.end.timestamp())
    if start >= end:
        raise CommandError(
            f"--from ({iso_time(start)}) must be before --to ({iso_time(end)})", EXIT_USAGE
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
    with output_file(args.output) as out:
        if args.format == "csv":
            write_csv(out, device.name, series, rows, step, progress)
        else:
            header = {
                "device": device.name,
                "from": iso_time(start),
                "to": iso_time(end),
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
