"""Parsing the query parameters of the API and the pages: times, labels,
numbers, ids, choices, flags.

Every request parameter that becomes a number, a time or a choice goes through
one of these parsers. Each raises :class:`ParamError` with a message naming the
parameter and the value given; the API and the pages answer it with 400.

Numbers are ASCII digits only: ``str.isdigit`` is true for ``'²'`` and ``'٣'``,
and ``int``/``float`` accept some non-ASCII digits and refuse others, so neither
decides alone. Ids fit a signed 64-bit column (what the databases store), and
times are finite and between the years 1 and 9999.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import BadRequest

#: Relative time: ``-15m``, ``-1h``, ``-24h``, ``-7d``, ``-30s``, or ``now``.
_RELATIVE = re.compile(r"^-([0-9]{1,12}(?:\.[0-9]{1,9})?)([smhdw])$")
#: Unix seconds: ASCII digits, optional sign and fraction (no exponent, NaN or infinity).
_SECONDS = re.compile(r"^-?[0-9]{1,12}(?:\.[0-9]{1,9})?$")
#: A whole number as a parameter: ASCII digits with an optional minus sign.
_WHOLE = re.compile(r"^-?[0-9]{1,30}$")
#: The largest id a database row can have (signed 64-bit).
MAX_ID = 2**63 - 1
#: Times accepted, Unix seconds: 0001-01-01 to 9999-12-31 (what datetime holds).
MIN_TIME_S = -62135596800.0
MAX_TIME_S = 253402300799.0
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ParamError(BadRequest, ValueError):
    """A query parameter is invalid; the message names it.

    A :class:`~django.core.exceptions.BadRequest`: raised in a page's view, Django
    answers 400 with the page :func:`mikromon.web.ui.views.errors.bad_request`.
    """


class ParamProblems:
    """Parses several parameters and names every bad one in one answer.

    ``value = problems.check(parse_id, "device", text)`` returns what the parser
    returns, or ``None`` with its message kept; :meth:`raise_any` then raises one
    :class:`ParamError` of all the messages (``; `` between them).
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def check(self, parse: Callable[..., Any], *args: Any) -> Any:
        """``parse(*args)``; ``None`` when it raised :class:`ParamError` (kept)."""
        try:
            return parse(*args)
        except ParamError as err:
            self.messages.append(str(err))
            return None

    def raise_any(self) -> None:
        """Raise :class:`ParamError` naming every problem kept; nothing when none."""
        if self.messages:
            raise ParamError("; ".join(self.messages))


def parse_time(name: str, text: str, now: float) -> float:
    """Return Unix seconds for ``text``: Unix seconds, ISO 8601 (a naive time is
    UTC), ``now``, or relative to now (``-15m``, ``-1h``, ``-7d``).

    Raises:
        ParamError: naming ``name`` when ``text`` is none of those.
    """
    text = text.strip()
    if text == "now":
        return now
    match = _RELATIVE.match(text)
    if match:
        return _in_range(name, text, now - float(match.group(1)) * _UNIT_S[match.group(2)])
    if _SECONDS.match(text):
        return _in_range(name, text, float(text))
    try:
        if not text.isascii():
            raise ValueError(text)
        ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return _in_range(name, text, ts.timestamp())
    except (ValueError, OverflowError):
        raise ParamError(
            f"{name}={text[:80]!r} is not a time: give Unix seconds, ISO 8601 "
            "(2025-01-31T12:00:00Z), 'now' or a relative time like -1h"
        ) from None


def _in_range(name: str, text: str, seconds: float) -> float:
    if not MIN_TIME_S <= seconds <= MAX_TIME_S:
        raise ParamError(f"{name}={text[:80]!r} is out of range (years 1 to 9999)")
    return seconds


def parse_labels(values: list[str]) -> dict[str, set[str]]:
    """Parse ``label`` parameters: ``name=value`` (or ``name:value``); repeat a name
    to allow several values. A bare value matches any label (name ``*``).

    Raises:
        ParamError: for an empty label.
    """
    out: dict[str, set[str]] = {}
    for raw in values:
        raw = raw.strip()
        if not raw:
            raise ParamError("label must not be empty (label=interface=ether1)")
        for sep in ("=", ":"):
            if sep in raw:
                name, _, value = raw.partition(sep)
                out.setdefault(name.strip(), set()).add(value.strip())
                break
        else:
            out.setdefault("*", set()).add(raw)
    return out


def labels_match(labels: dict[str, str], wanted: dict[str, set[str]]) -> bool:
    """Whether ``labels`` satisfy every name of ``wanted`` (values of one name: any)."""
    for name, values in wanted.items():
        if name == "*":
            if not values & set(labels.values()):
                return False
        elif labels.get(name) not in values:
            return False
    return True


def parse_positive_int(name: str, text: str | None, default: int | None,
                       maximum: int) -> int | None:
    """Return ``text`` as an int in ``1..maximum`` (``default`` when absent).

    Raises:
        ParamError: naming ``name``.
    """
    if text is None or text == "":
        return default
    if not _WHOLE.match(text):
        raise ParamError(f"{name}={text[:80]!r} is not a whole number")
    value = int(text)
    if not 1 <= value <= maximum:
        raise ParamError(f"{name} must be between 1 and {maximum} (got {value})")
    return value


def parse_id(name: str, text: str) -> int:
    """Return ``text`` as an object id (a whole number of at least 1).

    Raises:
        ParamError: naming ``name`` and the value.
    """
    value = text.strip()
    if not is_ascii_number(value) or not 1 <= int(value) <= MAX_ID:
        raise ParamError(f"{name}={text[:80]!r} is not an id (a whole number from 1 "
                         f"to {MAX_ID}, e.g. {name}=1)")
    return int(value)


def is_ascii_number(text: str) -> bool:
    """Whether ``text`` is a non-empty run of ASCII digits (``'²'`` and ``'٣'`` are not)."""
    return text.isascii() and text.isdigit()


def parse_choice(name: str, text: str, choices: Iterable[str]) -> str:
    """Return ``text`` when it is one of ``choices`` (exact, case-sensitive).

    Raises:
        ParamError: naming ``name``, the value and the choices.
    """
    allowed = list(choices)
    if text not in allowed:
        raise ParamError(f"{name}={text[:80]!r} is not one of: {', '.join(allowed)}")
    return text


def parse_flag(name: str, text: str | None) -> bool:
    """Return a ``0``/``1`` flag (absent or empty: false).

    Raises:
        ParamError: naming ``name`` for any other value.
    """
    if text is None or text == "" or text == "0":
        return False
    if text == "1":
        return True
    raise ParamError(f"{name}={text[:80]!r} is not a flag: give {name}=1 or {name}=0")


def parse_page(text: str | None) -> int:
    """Return the ``page`` number of a paginated list (absent: 1).

    Raises:
        ParamError: for anything but a whole number of at least 1.
    """
    return parse_positive_int("page", text, 1, MAX_ID) or 1


def parse_text(name: str, text: str | None, minimum: int, maximum: int) -> str:
    """Return ``text`` with surrounding spaces trimmed, ``minimum`` to ``maximum``
    characters long, without control characters.

    Raises:
        ParamError: naming ``name``: absent, too short, too long, or holding a
            control character.
    """
    value = (text or "").strip()
    if not value:
        raise ParamError(f"{name} is required (e.g. {name}=4C:5E:0C:11:22:33)")
    if len(value) < minimum:
        raise ParamError(f"{name} must be at least {minimum} characters (got {value!r})")
    if len(value) > maximum:
        raise ParamError(f"{name} must be at most {maximum} characters (got {len(value)})")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ParamError(f"{name}={value[:80]!r} holds a control character")
    return value
