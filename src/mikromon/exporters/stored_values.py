"""Reading the field values of stored inventory rows for the families built from
them (:mod:`.inventory_families`, :mod:`.wireless_families`).

A stored value is what the collector wrote into the row's JSON: a string, a
number, a bool or ``None``; read through PostgreSQL's ``->>`` every value arrives
as its text.
"""

from __future__ import annotations

import math

#: One stored field value.
Value = str | float | bool | None


def text(value: Value) -> str:
    """The value as label text; ``""`` when absent."""
    return "" if value is None else str(value)


def number(value: Value) -> float | None:
    """A stored number (int, float or its text); ``None`` for a missing, unreadable
    or non-finite one (a bool is not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None
