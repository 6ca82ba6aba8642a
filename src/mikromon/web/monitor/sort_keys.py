"""Sort keys and search text of inventory rows, computed when a row is written, so
the database pages, sorts and filters a table (:mod:`.inventory_pages`) with plain
text comparisons, the same on SQLite and PostgreSQL.

A *sort key* is ASCII-ordered text (compared byte by byte: ``COLLATE "C"`` on
PostgreSQL, SQLite's ``BINARY``) whose first character is the value's rank, the
order the dashboard always used (``tables.js``):

* ``0`` numbers: JSON numbers (bytes, bits/s, durations in seconds, counts, as the
  collectors parse them) and text that is a number or a duration (``1d2h3m``,
  ``00:05:00``); 16 hex digits that order as the numbers do (IEEE 754 bits, the
  sign flipped);
* ``1`` addresses: IPv4 (``4`` + 8 hex digits), IPv6 (``6`` + 32), with the prefix
  length after them (``/24``), and MAC addresses (``m`` + 12 hex digits);
* ``2`` text: lower case, every run of digits written as its length (two digits)
  and its value, so ``ether2`` sorts before ``ether10``
  (:func:`mikromon.domain.names.natural_key`); at most
  :data:`~mikromon.domain.names.MAX_NATURAL_KEY` characters.

Empty values (``None``, ``''``) have no key: they sort last in both directions.
RouterOS's item id (``.id``, ``*1A``, hex) is keyed as its number: the router's
own order (firewall rules and simple queues are evaluated in it).
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Mapping
from typing import Any

from mikromon.domain.names import natural_key

NUMBER, ADDRESS, TEXT = "0", "1", "2"
#: Longest search text kept per row (characters).
MAX_SEARCH_TEXT = 4000

_NUMERIC = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?", re.IGNORECASE)
_CLOCK = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")
_UNITS = re.compile(
    r"(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*"
    r"(?:(\d+)ms)?")
_HAS_UNIT = re.compile(r"\d[wdhms]")
_MAC = re.compile(r"([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})"
                  r"[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})", re.IGNORECASE)
_ROUTEROS_ID = re.compile(r"\*[0-9A-Fa-f]{1,15}")
_SCOPE = re.compile(r"%\S+$")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?")
_SEPARATOR = "\t"


def number_key(value: float) -> str:
    """Return 16 hex digits that sort as ``value`` does among numbers (``-inf`` to
    ``inf``; the bits of the IEEE 754 double, negative ones inverted)."""
    bits = struct.unpack(">Q", struct.pack(">d", float(value)))[0]
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 1 << 63
    return f"{bits:016x}"


def duration_seconds(text: str) -> float | None:
    """Seconds of ``1d 2h 3m``, ``1w2d3h4m5s``, ``250ms`` or ``01:02:03``, else ``None``."""
    m = _CLOCK.fullmatch(text)
    if m:
        return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
    if not _HAS_UNIT.search(text):
        return None
    m = _UNITS.fullmatch(text)
    if not m:
        return None
    w, d, h, mins, s, ms = (float(x) if x else 0.0 for x in m.groups())
    return w * 604800 + d * 86400 + h * 3600 + mins * 60 + s + ms / 1000


def address_key(text: str) -> str | None:
    """``4`` + hex IPv4 / ``6`` + hex IPv6, then ``/`` and the prefix length in hex
    (``10.0.0.2/24`` -> ``40a000002/18``); ``m`` + hex for a MAC address; else ``None``."""
    m = _MAC.fullmatch(text)
    if m:
        return "m" + "".join(m.groups()).lower()
    if not (text[:1].isdigit() or ":" in text) or len(text) > 60:
        return None
    m = _IPV4.fullmatch(text)
    if m:  # the common case, without ipaddress (a tenth of its time)
        parts = [int(p) for p in m.groups()[:4]]
        prefix = int(m[5]) if m[5] is not None else 32
        if max(parts) <= 255 and prefix <= 32:
            return "4" + "".join(f"{p:02x}" for p in parts) + f"/{prefix:02x}"
        return None
    try:
        net = ipaddress.ip_interface(_SCOPE.sub("", text))
    except ValueError:
        return None
    width = 8 if net.version == 4 else 32
    return f"{net.version}{int(net.ip):0{width}x}/{net.network.prefixlen:02x}"


def sort_key(value: Any) -> str | None:
    """Return the sort key of one stored value (see the module docstring), ``None``
    for an empty one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return TEXT + ("yes" if value else "no")
    if isinstance(value, int | float):
        return NUMBER + number_key(value)
    text = str(value).strip()
    if not text or text == "\u2013":
        return None
    if _NUMERIC.fullmatch(text):
        return NUMBER + number_key(float(text))
    seconds = duration_seconds(text)
    if seconds is not None:
        return NUMBER + number_key(seconds)
    address = address_key(text)
    if address is not None:
        return ADDRESS + address
    return TEXT + natural_key(text)


def row_sort_keys(row: Mapping[str, Any]) -> dict[str, str]:
    """Return column -> sort key for the non-empty values of ``row`` (``.id``: its
    number, the router's order)."""
    keys: dict[str, str] = {}
    for name, value in row.items():
        if name == ".id" and isinstance(value, str) and _ROUTEROS_ID.fullmatch(value):
            keys[name] = NUMBER + number_key(int(value[1:], 16))
            continue
        key = sort_key(value)
        if key is not None:
            keys[name] = key
    return keys


def cell_text(value: Any) -> str:
    """A value as the pages show it for searching: ``yes``/``no``, numbers and text
    as written; empty for ``None``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def row_search_text(row: Mapping[str, Any]) -> str:
    """Return the row's values in lower case, tab-separated, for a text filter
    (``.id`` left out); ``''`` for a blank row (every value ``None``, ``''`` or
    ``False``: such rows are never shown)."""
    if all(v is None or v == "" or v is False for v in row.values()):
        return ""
    parts = [cell_text(v) for k, v in row.items() if k != ".id"]
    text = _SEPARATOR.join(p for p in parts if p).casefold()
    return (text or "\u2013")[:MAX_SEARCH_TEXT]
