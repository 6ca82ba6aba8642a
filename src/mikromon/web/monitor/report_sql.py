"""The report summaries' tables in raw SQL: their names, the ``top`` column's
byte format, and the conditions that pick series and summaries, shared by
:mod:`.report_summaries`, :mod:`.report_day_rates` and the report readers (raw
SQL so the migrations can use them too)."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from typing import Any

#: Series keys summarised: interface and simple-queue rates (bps).
SUMMARY_KEYS = ("iface.rx_bps", "iface.tx_bps", "queue.upload_bps", "queue.download_bps")
#: Table names (the models' defaults; raw SQL so the migration can use it too).
SUMMARY_T, ROLLUP_T = "monitor_reportsummary", "monitor_metricrollup"
SERIES_T, STATE_T = "monitor_series", "monitor_maintenancestate"
#: The summaries' index of every column but ``top`` (migration 0019).
NARROW_INDEX = "monitor_rs_narrow"


def narrow(conn: Any) -> str:
    """``INDEXED BY`` the summaries' narrow index on SQLite, to put after the
    summary table's alias where it is joined to every series: SQLite's planner
    seeks the primary key instead, whose rows (with ``top``) fill a page each,
    four times the time at 10,000 devices (bench/RESULTS.md); ``""`` elsewhere
    (PostgreSQL keeps ``top`` out of line)."""
    return f"INDEXED BY {NARROW_INDEX}" if conn.vendor == "sqlite" else ""


def pack(values: Iterable[float]) -> bytes:
    """Return ``values`` as little-endian float64 bytes (the ``top`` column)."""
    out = array("d", values)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def unpack(blob: bytes | memoryview | None) -> list[float]:
    """Return the floats of a ``top`` column (:func:`pack`)."""
    out = array("d")
    if blob:
        out.frombytes(bytes(blob))
        if sys.byteorder == "big":
            out.byteswap()
    return out.tolist()


def series_filter(qn: Any, keys: Iterable[str] = SUMMARY_KEYS,
                  device_id: int | None = None,
                  ids: tuple[int, int] | None = None) -> tuple[str, list[Any]]:
    """SQL condition ``s.key IN (...) [AND s.device_id = %s] [AND s.id >= %s AND
    s.id < %s]`` on the series table aliased ``s`` (``ids``: a ``[low, high)`` range
    of series ids), and its parameters."""
    keys = list(keys)
    sql = f"s.{qn('key')} IN ({', '.join(['%s'] * len(keys))})"
    params: list[Any] = list(keys)
    if device_id is not None:
        sql += " AND s.device_id = %s"
        params.append(device_id)
    if ids is not None:
        sql += " AND s.id >= %s AND s.id < %s"
        params += [ids[0], ids[1]]
    return sql, params


def ids_filter(ids: Iterable[int]) -> tuple[str, list[Any]]:
    """A :func:`series_filter` condition of these series ids (at least one)."""
    ids = list(ids)
    return f"s.id IN ({', '.join(['%s'] * len(ids))})", ids


def held_filter(months: Iterable[int], days: Iterable[int]) -> tuple[str, list[Any]]:
    """SQL condition on the summary table aliased ``m``: the month summaries starting
    at ``months`` or the day summaries at ``days`` (``1 = 0`` for none), and its
    parameters."""
    held, params = [], []
    for level, starts in (("month", list(months)), ("day", list(days))):
        if starts:
            held.append(f"(m.level = '{level}' AND m.start IN ({', '.join(['%s'] * len(starts))}))")
            params += starts
    return " OR ".join(held) or "1 = 0", params
