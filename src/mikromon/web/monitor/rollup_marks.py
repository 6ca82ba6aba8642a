"""The rollup watermarks: for each rollup step, the Unix second before which its
rows are final, kept in ``MaintenanceState`` (``rollup_<step>``). Written by the
maintenance (:func:`mikromon.web.monitor.maintenance.update_rollups`), read by
the readers, reports, exports and the compactor (which compacts only behind
the levels of :data:`COMPACTION_STEPS`)."""

from __future__ import annotations

from mikromon.web.monitor.models import MaintenanceState

__all__ = ["COMPACTION_STEPS", "ROLLUP_SOURCES", "rollup_watermark", "watermark_name"]

#: Rollup steps and what each is computed from (``None``: raw points; else the
#: step of the rollups it sums), in the order they are computed.
ROLLUP_SOURCES: tuple[tuple[int, int | None], ...] = ((300, None), (3600, 300), (86400, 3600))
#: The levels whose watermarks the compactor waits for (as before the daily level:
#: the daily rollups read hourly rows only, never raw samples, so compaction need
#: not wait up to a day for them).
COMPACTION_STEPS: tuple[int, ...] = (300, 3600)


def watermark_name(step: int) -> str:
    """The ``MaintenanceState`` name of the ``step`` rollups' watermark."""
    return f"rollup_{step}"


def rollup_watermark(step: int, *, using: str = "default") -> int | None:
    """Return the Unix second before which ``step`` rollups are final, or ``None``
    when they were never computed."""
    value = (
        MaintenanceState.objects.using(using)
        .filter(name=watermark_name(step))
        .values_list("value", flat=True)
        .first()
    )
    return value
