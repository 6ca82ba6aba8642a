"""How times and intervals look in command output and the published status.

Times are ISO 8601 UTC ending in ``Z``, to the second
(``2025-01-31T12:00:05Z``); an interval that is a whole number of seconds is an
int (``5``, not ``5.0``). Pure functions (no Django), used by the ``mikromon``
commands and by the status publisher (:mod:`mikromon.web.status_publisher`).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any

from mikromon.domain.formatting import utc_iso

#: An ISO 8601 UTC time as Python or the collector writes it (fraction optional,
#: ``Z`` or ``+00:00``). Times without a zone (router clocks) never match.
_UTC_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|\+00:00)$"
)


def iso(ts: datetime | None) -> str | None:
    """Return an aware datetime as ISO 8601 UTC to the second (``...Z``), ``None`` as
    ``None``: the one time format of the API and the commands."""
    return None if ts is None else utc_iso(ts, whole_seconds=True)


def tidy_time_text(text: str) -> str:
    """Return an ISO 8601 UTC time text to the second with ``Z``; other text unchanged.

    ``2025-01-31T12:00:05.987654+00:00`` -> ``2025-01-31T12:00:05Z`` (truncated,
    like :func:`~mikromon.domain.formatting.utc_iso` with ``whole_seconds``).
    """
    if len(text) < 20 or text[10] != "T" or not _UTC_TEXT.match(text):
        return text
    return text[:19] + "Z"


def _is_interval(key: str | None) -> bool:
    return key is not None and key.endswith("interval_s")


def tidy(value: Any, key: str | None = None) -> Any:
    """Return ``value`` made JSON-serializable and tidy, recursively.

    Datetimes and UTC time texts become whole-second UTC text
    (:func:`~mikromon.domain.formatting.utc_iso`); enums their value; a whole
    float under a key ending in ``interval_s`` an int; tuples lists; any other
    object its ``str``. Text that is not a UTC time (router clocks, names) is
    left as it is.

    Args:
        value: a status document or any part of it.
        key: the key ``value`` is stored under, if any.
    """
    if isinstance(value, dict):
        return {str(k): tidy(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [tidy(v) for v in value]
    if isinstance(value, datetime):
        return utc_iso(value, whole_seconds=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return tidy_time_text(value)
    if isinstance(value, float) and _is_interval(key) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, int | float | bool):
        return value
    return str(value)
