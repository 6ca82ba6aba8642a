"""The parameters and rows of the reports, shared by the API and the Reports page:
the range (presets, a month, or from/to), the device, the table rows and CSV.

Parameters (docs/api.md, "Reports"):

- ``range``: ``this_month`` (default), ``last_month``, ``last_7_days`` (today
  and the six days before it, from midnight UTC) or ``custom`` (with ``from`` and
  ``to``); giving ``from``/``to`` means custom.
- ``month``: ``YYYY-MM``, a calendar month in UTC (instead of ``range``).
- ``from``, ``to``: times as :func:`mikromon.web.params.parse_time` reads them.
- ``device``: a device id (all devices when absent).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mikromon.domain.names import natural_order
from mikromon.domain.traffic import BillingFigure, month_range, parse_month
from mikromon.web.monitor import report_pages, report_traffic, reports
from mikromon.web.monitor.models import Series
from mikromon.web.params import (
    ParamError,
    ParamProblems,
    parse_choice,
    parse_id,
    parse_positive_int,
    parse_time,
)

#: Range presets, in the order the page offers them.
PRESETS = ("this_month", "last_month", "last_7_days", "custom")
#: The longest range a report covers, days.
MAX_DAYS = 400
#: Rows of a page of a report table (the page; the API's default ``per_page``), and
#: the most an API page holds.
PAGE_ROWS = 50
MAX_PER_PAGE = 1000
#: Orders of the percentile rows: highest billing figure first, or by name.
PERCENTILE_SORTS = ("billing", "device", "interface")


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A parsed report request: ``[start, end)`` Unix seconds UTC, the preset
    chosen (or ``month``), and the device (``None``: all)."""

    start: float
    end: float
    preset: str
    device_id: int | None


def _this_month(now: float) -> tuple[float, float]:
    today = datetime.fromtimestamp(now, UTC)
    return month_range(today.year, today.month)


def parse_query(params: Mapping[str, str], now: float | None = None) -> ReportQuery:
    """Parse the range and device parameters of a report request.

    Raises:
        ParamError: naming every bad parameter (``range``, ``month``, ``from``,
            ``to``, ``device``), or a range that is empty or over :data:`MAX_DAYS`.
    """
    now = time.time() if now is None else now
    problems = ParamProblems()
    text = {k: (params.get(k) or "").strip() for k in ("range", "month", "from", "to", "device")}
    device = problems.check(parse_id, "device", text["device"]) if text["device"] else None
    preset = text["range"] or ("custom" if text["from"] or text["to"] else "this_month")
    if text["month"]:
        preset = "month"
        try:
            start, end = month_range(*parse_month(text["month"]))
        except ValueError as err:
            problems.messages.append(f"month: {err}")
            start, end = 0.0, 1.0
    else:
        problems.check(parse_choice, "range", preset, PRESETS)
        start, end = _preset_range(preset, now, text, problems)
    problems.raise_any()
    if end <= start:
        raise ParamError(f"'to' must be after 'from' (from={int(start)}, to={int(end)})")
    if end - start > MAX_DAYS * 86400:
        raise ParamError(f"the range is over {MAX_DAYS} days: narrow 'from'/'to'")
    return ReportQuery(start=start, end=end, preset=preset, device_id=device)


def _preset_range(preset: str, now: float, text: Mapping[str, str],
                  problems: ParamProblems) -> tuple[float, float]:
    if preset == "last_month":
        start, _end = _this_month(now)
        before = datetime.fromtimestamp(start - 1, UTC)
        return month_range(before.year, before.month)
    if preset == "last_7_days":  # today and the six days before, from midnight UTC
        return (int(now) // 86400 - 6) * 86400, now
    if preset == "custom":
        if not text["from"]:
            problems.messages.append("from is required for range=custom (e.g. from=-30d)")
        first = problems.check(parse_time, "from", text["from"], now) if text["from"] else None
        last = problems.check(parse_time, "to", text["to"], now) if text["to"] else now
        return (first or 0.0), (last if last is not None else now)
    return _this_month(now)


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio * 100, 4)


def _availability_dict(device: reports.DeviceAvailability, interface: str,
                       avail: Any) -> dict[str, Any]:
    return {
        "device_id": device.device_id, "device": device.device, "interface": interface,
        "availability_pct": _pct(avail.ratio),
        "up_seconds": round(avail.up_seconds, 3),
        "down_seconds": round(avail.down_seconds, 3),
        "unknown_seconds": round(avail.unknown_seconds, 3),
        "outages": avail.outages,
        "longest_outage_seconds": round(avail.longest_outage_seconds, 3),
    }


@dataclass(frozen=True, slots=True)
class Paging:
    """A page of a report table: ``page`` (1-based) of ``per_page`` rows."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.per_page

    def pages(self, total: int) -> int:
        """Pages of ``total`` rows (at least 1)."""
        return max(1, -(-total // self.per_page))

    def clamp(self, total: int) -> Paging:
        """This paging, past the end moved to the last page."""
        return Paging(min(self.page, self.pages(total)), self.per_page)


def parse_paging(params: Mapping[str, str], page_key: str = "page",
                 per_page_key: str = "per_page") -> Paging | None:
    """Return the paging asked for (``None``: neither parameter given, all rows).

    Raises:
        ParamError: naming the parameter (whole numbers; ``per_page`` at most
            :data:`MAX_PER_PAGE`).
    """
    page_text, per_text = params.get(page_key) or "", params.get(per_page_key) or ""
    if not page_text and not per_text:
        return None
    problems = ParamProblems()
    page = problems.check(parse_positive_int, page_key, page_text, 1, 10**9)
    per_page = problems.check(parse_positive_int, per_page_key, per_text, PAGE_ROWS,
                              MAX_PER_PAGE)
    problems.raise_any()
    return Paging(page or 1, per_page or PAGE_ROWS)


def availability_rows(query: ReportQuery, now: float | None = None,
                      paging: Paging | None = None) -> list[dict[str, Any]]:
    """Rows of the availability report: one per device (``interface`` ``""``)
    followed by one per interface of it; devices by name, only ``paging``'s page
    of devices (all when ``None``)."""
    now = time.time() if now is None else now
    rows = []
    offset, limit = (paging.offset, paging.per_page) if paging else (0, None)
    for dev in reports.availability_report(query.start, query.end, now, query.device_id,
                                           offset=offset, limit=limit):
        rows.append(_availability_dict(dev, "", dev.availability))
        rows += [_availability_dict(dev, i.name, i.availability) for i in dev.interfaces]
    return rows


def _percentile_dict(r: reports.PercentileRow) -> dict[str, Any]:
    return {
        "device_id": r.device_id, "device": r.device, "interface": r.interface,
        "rx_p95_bps": r.figure.rx_bps, "tx_p95_bps": r.figure.tx_bps,
        "billing_bps": r.figure.billing_bps,
        "rx_samples": r.figure.rx_samples, "tx_samples": r.figure.tx_samples,
        "resolution": r.resolution,
    }


def percentile_rows(query: ReportQuery, sort: str = "billing") -> list[dict[str, Any]]:
    """Rows of the 95th-percentile report (bps): highest billing figure first, or
    by ``device`` or ``interface`` name (:data:`PERCENTILE_SORTS`)."""
    rows = [_percentile_dict(r)
            for r in reports.percentile_report(query.start, query.end, query.device_id)]
    if sort == "device":
        rows.sort(key=lambda r: natural_order(r["device"], r["interface"]))
    elif sort == "interface":
        rows.sort(key=lambda r: natural_order(r["interface"], r["device"]))
    return rows


def percentile_page(query: ReportQuery, sort: str, paging: Paging,
                    read: dict[str, reports.KindPieces] | None = None,
                    now: float | None = None) -> tuple[list[dict[str, Any]], int, Paging]:
    """Return one page of the percentile rows, the number of rows and the page
    shown (past the end: the last). Whole calendar months are sorted and paged in
    the database (:func:`.report_traffic.percentile_page`: a fleet of 10,000
    devices is not read whole); other ranges compute only the interfaces the page
    needs (:func:`.report_pages.percentile_page`; ``now``: Unix seconds, default
    the clock)."""
    keys = reports.TRAFFIC_KEYS["interface"]
    found = report_traffic.percentile_page(query.start, query.end, *keys, query.device_id,
                                           sort, paging.offset, paging.per_page)
    if found is None:
        # Not one month summary per series: only what the page needs is computed
        # (report_pages), the same rows as percentile_rows sliced.
        rows, total, offset = report_pages.percentile_page(
            query.start, query.end, query.device_id, sort, paging.offset, paging.per_page,
            read=read, now=now)
        return ([_percentile_dict(r) for r in rows], total,
                Paging(offset // paging.per_page + 1, paging.per_page))
    page, total = found
    if not page and total and paging.clamp(total) != paging:
        return percentile_page(query, sort, paging.clamp(total), read, now)
    labels = dict(Series.objects.filter(pk__in=[r.series_id for r in page])
                  .values_list("pk", "labels"))
    out = []
    for r in page:
        figure = BillingFigure(rx_bps=r.rx_bps, tx_bps=r.tx_bps, rx_samples=r.rx_samples,
                               tx_samples=r.tx_samples)
        name = labels.get(r.series_id, {})
        out.append({
            "device_id": r.device_id, "device": r.device,
            "interface": str(name.get("interface", "")) if isinstance(name, dict) else "",
            "rx_p95_bps": r.rx_bps, "tx_p95_bps": r.tx_bps, "billing_bps": figure.billing_bps,
            "rx_samples": r.rx_samples, "tx_samples": r.tx_samples,
            "resolution": r.resolution,
        })
    return out, total, paging


def talker_rows(query: ReportQuery, kinds: Sequence[str], limit: int,
                read: Mapping[str, reports.KindPieces] | None = None) -> list[dict[str, Any]]:
    """Rows of the top-talkers report, most bytes first (``read``: what
    :func:`percentile_page` read of the same query, not read again)."""
    return [{
        "kind": t.kind, "device_id": t.device_id, "device": t.device, "name": t.name,
        "rx_bytes": round(t.rx_bytes), "tx_bytes": round(t.tx_bytes),
        "total_bytes": round(t.total_bytes),
    } for t in reports.top_talkers(query.start, query.end, kinds=kinds, limit=limit,
                                   device_id=query.device_id, read=read)]


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Return ``rows`` as CSV text with a header of ``columns`` (empty cells for
    ``None``); cells starting with ``= + - @`` get a leading ``'`` so that a
    spreadsheet does not run router-supplied names as formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return str(value)
