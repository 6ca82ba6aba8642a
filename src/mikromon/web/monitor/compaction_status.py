"""The compaction's progress as users see it: ``mikromon storage status``, the
collector page's storage panel and ``/api/v1/storage`` (docs/storage.md,
"Progress and the storage command"); from what :mod:`.chunk_state` keeps and
the head rows still waiting."""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from mikromon.web.monitor import chunk_state, compaction
from mikromon.web.monitor.dbutil import table, usable_connection
from mikromon.web.monitor.models import MetricPoint, Series

__all__ = ["CACHE_S", "SAMPLED_SERIES", "cached_status", "status"]

#: Seconds an answer of :func:`cached_status` is reused.
CACHE_S: Final = 60.0
#: Series whose pending head rows are counted by :func:`status`; above this many
#: series the count is scaled from an evenly spread sample.
SAMPLED_SERIES: Final = 256
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


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
        None); ``longest_transaction_ms`` (of the last run); ``maintained_by``
        (``"<host> pid <pid>"`` of the collector member whose writer runs the
        maintenance, compaction included: :mod:`mikromon.web.control.maintainer`;
        ``None`` without members).
    """
    from mikromon.web.control.maintainer import maintainer

    member = maintainer(using)
    raw = chunk_state.stored_values(using)
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
        **{name: raw.get(name, 0) for name in chunk_state.TOTALS},
        "rows_per_s": round(rate, 1) if rate else None,
        "eta_s": round(pending / rate) if rate and pending else (0 if not pending else None),
        "done": pending == 0,
        "last_run_at": raw.get("last_run_at"),
        "longest_transaction_ms": raw.get("longest_transaction_ms"),
        "maintained_by": f"{member.host} pid {member.pid}" if member is not None else None,
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
