"""Where the compactor stands, kept in ``MaintenanceState`` (``compact:*``), and
what one run did (:class:`Progress`); the progress shown to users is
:mod:`.compaction_status`.

Kept between runs: the series cursor of the current pass, the day before which
that pass started (``pass_day``), the day before which every day holds at most
one chunk (``merged_before``), whether the current pass found work, the totals
compacted, the longest transaction of the last run, and a rate window (samples
compacted since ``rate_since``, restarted every :data:`RATE_WINDOW_S`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mikromon.web.monitor.models import MaintenanceState

__all__ = ["RATE_WINDOW_S", "TOTALS", "Progress", "State", "load", "save", "stored_values"]

#: Seconds of compaction the rate (and so the time left) is measured over.
RATE_WINDOW_S: Final = 600
_PREFIX: Final = "compact:"
#: The totals kept over every run.
TOTALS: Final = ("chunks_total", "samples_total", "rows_total")


@dataclass(slots=True)
class Progress:
    """What one :func:`compact` call did.

    Attributes:
        chunks: chunks written (new, merged or re-encoded).
        samples: samples in those chunks (a re-encoded chunk counts all its samples).
        rows: head rows deleted (replaced by chunks).
        seconds: wall seconds spent.
        longest_transaction_s: the longest single transaction, seconds.
        done: a whole pass over every series found nothing left to compact.
        horizon: the horizon used (Unix s), ``None`` when rollups never ran.
    """

    chunks: int = 0
    samples: int = 0
    rows: int = 0
    seconds: float = 0.0
    longest_transaction_s: float = 0.0
    done: bool = False
    horizon: int | None = None


@dataclass(slots=True)
class State:
    """The compactor's position (see the module docstring); Unix seconds."""

    cursor: int = 0
    pass_day: int | None = None
    merged_before: int = 0
    pass_found: bool = False


def stored_values(using: str) -> dict[str, int]:
    """The stored values (``compact:`` names without the prefix) -> int."""
    rows = MaintenanceState.objects.using(using).filter(name__startswith=_PREFIX)
    return {name.removeprefix(_PREFIX): int(value) for name, value in
            rows.values_list("name", "value")}


def _write(values: dict[str, int], using: str) -> None:
    for name, value in values.items():
        MaintenanceState.objects.using(using).update_or_create(
            name=f"{_PREFIX}{name}", defaults={"value": int(value)})


def load(using: str = "default") -> State:
    """Return the stored :class:`State` (a fresh one when none is stored)."""
    raw = stored_values(using)
    return State(cursor=raw.get("cursor", 0), pass_day=raw.get("pass_day"),
                 merged_before=raw.get("merged_before", 0),
                 pass_found=bool(raw.get("pass_found", 0)))


def save(state: State, progress: Progress, now: int, using: str = "default") -> None:
    """Store ``state`` and add ``progress`` to the totals and the rate window."""
    raw = stored_values(using)
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
