"""Where the compactor stands, kept in ``MaintenanceState`` (``compact:*``), and
the progress shown by ``mikromon storage status``, the collector page's storage
panel and ``/api/v1/storage``.

Kept between runs: the series cursor of the current pass, the day before which
that pass started (``pass_day``), the day before which every day holds at most
one chunk (``merged_before``), whether the current pass found work, the totals
compacted, the longest transaction of the last run, and a rate window (samples
compacted since ``rate_since``, restarted every :data:`RATE_WINDOW_S`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from mikromon.web.monitor.dbutil import table, usable_connection
from mikromon.web.monitor.models import MaintenanceState, MetricPoint, Series

if TYPE_CHECKING:
    from mikromon.web.monitor.compaction import Progress

__all__ = ["CACHE_S", "RATE_WINDOW_S", "SAMPLED_SERIES", "State", "cached_status", "load",
           "save", "status"]

#: Seconds an answer of :func:`cached_status` is reused.
CACHE_S: Final = 60.0

#: Seconds of compaction the rate (and so the time left) is measured over.
RATE_WINDOW_S: Final = 600
#: Series whose pending head rows are counted by :func:`status`; above this many
#: series the count is scaled from an evenly spread sample.
SAMPLED_SERIES: Final = 256
_PREFIX: Final = "compact:"
_TOTALS: Final = ("chunks_total", "samples_total", "rows_total")
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


@dataclass(slots=True)
class State:
    """The compactor's position (see the module docstring); Unix seconds."""

    cursor: int = 0
    pass_day: int | None = None
    merged_before: int = 0
    pass_found: bool = False


def _read(using: str) -> dict[str, int]:
    rows = MaintenanceState.objects.using(using).filter(name__startswith=_PREFIX)
    return {name.removeprefix(_PREFIX): int(value) for name, value in
            rows.values_list("name", "value")}


def _write(values: dict[str, int], using: str) -> None:
    for name, value in values.items():
        MaintenanceState.objects.using(using).update_or_create(
            name=f"{_PREFIX}{name}", defaults={"value": int(value)})


def load(using: str = "default") -> State:
    """Return the stored :class:`State` (a fresh one when none is stored)."""
    raw = _read(using)
    return State(cursor=raw.get("cursor", 0), pass_day=raw.get("pass_day"),
                 merged_before=raw.get("merged_before", 0),
                 pass_found=bool(raw.get("pass_found", 0)))


def save(state: State, progress: Progress, now: int, using: str = "default") -> None:
    """Store ``state`` and add ``progress`` to the totals and the rate window."""
    raw = _read(using)
    values = {
        "cursor": state.cursor, "merged_before": state.merged_before,
        "pass_found": int(state.pass_found), "done": int(progress.done),
        "last_run_at": now, "longest_transaction_ms": round(progress.longest_transaction_s * 1000),
        "chunks_total": raw.get("chunks_total", 0) + progress.chunks,
        "samples_total": raw.get("samples_total", 0) + progress.samples,
        "rows_total": raw.get("rows_total", 0) + progress.rows,
    }
    if state.pass_day is not None:
        values["pass_day"] = state.pass_day
    since = raw.get("rate_since")
    if since is None or now - since >= RATE_WINDOW_S:
        values["rate_prev_rows"] = raw.get("rate_rows", 0)
        values["rate_prev_seconds"] = max(0, now - since) if since is not None else 0
        values["rate_since"], values["rate_rows"] = now, progress.rows
    else:
        values["rate_rows"] = raw.get("rate_rows", 0) + progress.rows
    _write(values, using)


def _pending_rows(edge: int, using: str) -> tuple[int, bool]:
    """Head rows older than ``edge``: (count, exact). Counted per series (a
    primary-key range each), on an evenly spread sample of at most
    :data:`SAMPLED_SERIES` series scaled to all."""
    ids = list(Series.objects.using(using).order_by("id").values_list("id", flat=True))
    if not ids:
        return 0, True
    every = max(1, -(-len(ids) // SAMPLED_SERIES))
    sample = ids[::every]
    conn = usable_connection(using)
    total = 0
    with conn.cursor() as cursor:
        for sid in sample:
            cursor.execute(f"SELECT COUNT(*) FROM {table(MetricPoint)} "
                           "WHERE series_id = %s AND ts < %s", [sid, edge])
            total += int(cursor.fetchone()[0])
    exact = len(sample) == len(ids)
    return (total if exact else round(total * len(ids) / len(sample))), exact


def status(now: float, *, using: str = "default") -> dict[str, Any]:
    """The compaction's progress, a JSON-ready dict.

    Returns:
        ``enabled``; ``horizon`` (Unix s before which rows are compacted, or
        None while rollups never ran); ``pending_rows`` (head rows older than
        the horizon; ``pending_exact``: counted on every series, else scaled from
        a sample); ``chunks_total``, ``samples_total``, ``rows_total`` (compacted
        so far, all runs); ``rows_per_s`` (head rows compacted per wall second
        over the last :data:`RATE_WINDOW_S` or the window before), ``eta_s``
        (seconds left at that rate, None when unknown); ``done`` (nothing is
        pending: the conversion of an old database is over); ``last_run_at`` (Unix s or
        None); ``longest_transaction_ms`` (of the last run).
    """
    from mikromon.web.monitor import compaction

    raw = _read(using)
    edge = compaction.horizon(now, using=using)
    pending, exact = _pending_rows(edge, using) if edge is not None else (0, True)
    seconds = int(now) - raw["rate_since"] if "rate_since" in raw else 0
    rows = raw.get("rate_rows", 0)
    if seconds < 60 and raw.get("rate_prev_seconds"):
        seconds, rows = raw["rate_prev_seconds"] + seconds, raw.get("rate_prev_rows", 0) + rows
    rate = rows / seconds if seconds > 0 and rows else None
    return {
        "enabled": compaction.enabled(),
        "horizon": edge,
        "pending_rows": pending,
        "pending_exact": exact,
        **{name: raw.get(name, 0) for name in _TOTALS},
        "rows_per_s": round(rate, 1) if rate else None,
        "eta_s": round(pending / rate) if rate and pending else (0 if not pending else None),
        "done": pending == 0,
        "last_run_at": raw.get("last_run_at"),
        "longest_transaction_ms": raw.get("longest_transaction_ms"),
    }


def cached_status(*, using: str = "default", fresh: bool = False) -> dict[str, Any]:
    """:func:`status` now, reused for :data:`CACHE_S` seconds per database alias
    (the collector page and ``/api/v1/storage`` read it on every request);
    ``fresh``: measure again."""
    now = time.time()
    with _lock:
        hit = _cache.get(using)
        if hit is not None and not fresh and now - hit[0] < CACHE_S:
            return hit[1]
    doc = status(now, using=using)
    with _lock:
        _cache[using] = (now, doc)
    return doc
