"""Dates and times from API replies (``jul/09/2023 07:18:33``,
``2024-10-08 11:14:27``) as ISO text in the router's local time, and the clock's
GMT offset in seconds.

Source: shared/ROUTEROS-API.md §7 "Dates" and "Special words".
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.checks import value_text

__all__ = ["parse_datetime", "parse_gmt_offset", "parse_optional_datetime"]

_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DATE_OLD: Final = re.compile(
    r"(?P<mon>[A-Za-z]{3})/(?P<d>\d{1,2})/(?P<y>\d{4})(?:\s+(?P<time>\d{1,2}:\d{2}:\d{2}))?",
    re.ASCII,
)
_DATE_ISO: Final = re.compile(
    r"(?P<y>\d{4})-(?P<mon>\d{2})-(?P<d>\d{2})(?:[ T](?P<time>\d{1,2}:\d{2}:\d{2}))?",
    re.ASCII,
)


def parse_datetime(text: str) -> str:
    """Parse a RouterOS date/time into ISO 8601 text in the router's local time.

    Accepts ``jul/09/2023 07:18:33`` (v6, v7 < 7.10), ``Dec/03/2021 12:15:05``
    (``build-time``), ``2024-10-08 11:14:27`` (v7.10+) and the same dates without a
    time. The router sends no time zone, so none is added. Source:
    shared/ROUTEROS-API.md §7 "Dates"; user.v7.json, system_resource captures.

    Returns:
        ``"2023-07-09T07:18:33"`` (or ``"2023-07-09"`` for a bare date).

    Raises:
        ValueParseError: ``kind="datetime"`` for other text or impossible dates
            (``feb/30/2023``).
    """
    body = value_text("datetime", text)
    match = _DATE_OLD.fullmatch(body)
    if match:
        month = _MONTHS.get(match["mon"].lower())
    else:
        match = _DATE_ISO.fullmatch(body)
        month = int(match["mon"]) if match else None
    if match is None or month is None:
        raise ValueParseError("datetime", text)
    try:
        day = date(int(match["y"]), month, int(match["d"]))
        if match["time"] is None:
            return day.isoformat()
        hour, minute, second = (int(p) for p in match["time"].split(":"))
        # Naive on purpose: the router's local time, zone unknown.
        return datetime(day.year, day.month, day.day, hour, minute, second).isoformat()  # noqa: DTZ001
    except ValueError as err:
        raise ValueParseError("datetime", text) from err


_NO_DATETIME: Final = frozenset({"", "never", "none", "unknown"})


def parse_optional_datetime(text: str) -> str | None:
    """Parse a router date/time that may be absent.

    ``never`` (an interface whose link never changed, a user who never logged
    in), ``none``, ``unknown`` and ``""`` give ``None``; anything else is
    :func:`parse_datetime`. Source: shared/ROUTEROS-API.md §7 "Special words".

    Returns:
        ISO text in the router's local time, or ``None``.

    Raises:
        ValueParseError: ``kind="datetime"`` on other text.
    """
    body = value_text("datetime", text)
    if body.lower() in _NO_DATETIME:
        return None
    return parse_datetime(body)


_GMT_OFFSET: Final = re.compile(r"(?P<sign>[+-]?)(?P<h>\d{1,2}):(?P<m>\d{2})", re.ASCII)
_OFFSET_SECONDS: Final = re.compile(r"-?(?:0|[1-9]\d*)", re.ASCII)


def parse_gmt_offset(text: str) -> int:
    """Parse ``/system/clock`` ``gmt-offset`` into seconds east of UTC.

    Accepts ``+02:00``, ``-05:30``, ``00:00`` (help.mikrotik.com
    "Clock": the console form; the emulator's row) and a plain count of seconds
    (``7200``, ``-18000``; whole minutes, no ``+``) as some API builds send it. The offset includes
    daylight saving time when ``dst-active`` is true. At most 14 hours either way.

    Returns:
        Seconds (int; negative west of Greenwich).

    Raises:
        ValueParseError: ``kind="gmt-offset"`` for other text or an offset
            beyond +-14 h.
    """
    body = value_text("gmt-offset", text)
    match = _GMT_OFFSET.fullmatch(body)
    if match:
        seconds = int(match["h"]) * 3600 + int(match["m"]) * 60
        if int(match["m"]) >= 60:
            raise ValueParseError("gmt-offset", text)
        seconds = -seconds if match["sign"] == "-" else seconds
    elif _OFFSET_SECONDS.fullmatch(body) and int(body) % 60 == 0:
        seconds = int(body)
    else:
        raise ValueParseError("gmt-offset", text)
    if abs(seconds) > 14 * 3600:
        raise ValueParseError("gmt-offset", text)
    return seconds

