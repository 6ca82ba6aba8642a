"""Parsing the query parameters of the API: times, labels, numbers, ids, choices.

Every parser raises :class:`ParamError` with a message naming the parameter and
the value given; the API answers it with 400.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

#: Relative time: ``-15m``, ``-1h``, ``-24h``, ``-7d``, ``-30s``, or ``now``.
_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ParamError(ValueError):
    """A query parameter is invalid; the message names it."""


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
        return now - float(match.group(1)) * _UNIT_S[match.group(2)]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise ParamError(
            f"{name}={text!r} is not a time: give Unix seconds, ISO 8601 "
            "(2025-01-31T12:00:00Z), 'now' or a relative time like -1h"
        ) from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.timestamp()


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
    try:
        value = int(text)
    except ValueError:
        raise ParamError(f"{name}={text!r} is not a whole number") from None
    if not 1 <= value <= maximum:
        raise ParamError(f"{name} must be between 1 and {maximum} (got {value})")
    return value


def parse_id(name: str, text: str) -> int:
    """Return ``text`` as an object id (a whole number of at least 1).

    Raises:
        ParamError: naming ``name`` and the value.
    """
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise ParamError(f"{name}={text!r} is not an id (a whole number, e.g. {name}=1)")
    return int(value)


def parse_choice(name: str, text: str, choices: Iterable[str]) -> str:
    """Return ``text`` when it is one of ``choices`` (exact, case-sensitive).

    Raises:
        ParamError: naming ``name``, the value and the choices.
    """
    allowed = list(choices)
    if text not in allowed:
        raise ParamError(f"{name}={text!r} is not one of: {', '.join(allowed)}")
    return text
