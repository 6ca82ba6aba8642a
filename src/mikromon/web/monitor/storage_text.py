"""How the storage fits what a router supplies into its columns.

Text the router supplies never exceeds its column: :func:`bounded` shortens it
(a prefix and a digest of the whole, so distinct names stay distinct) where it
does not fit, in characters and in UTF-8 bytes (PostgreSQL's btree index entries
hold at most about 2,700 bytes); :func:`digest_key` replaces an indexed key that
does not fit by its SHA-256. :func:`inventory_key` and :func:`log_key` give the
stored identity of an inventory row and of a log line; :func:`jsonable` makes a
row JSON-safe for the ``data`` columns.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

from mikromon.domain.inventory import InventorySnapshot

#: Longest inventory key stored as is; longer keys are stored as a digest.
MAX_KEY_LENGTH = 500
#: Most UTF-8 bytes of an indexed key column (inventory key, series labels key):
#: the unique index entries stay within PostgreSQL's btree limit (about 2,700
#: bytes per entry, with the other columns of the index).
MAX_KEY_BYTES = 1600
#: Most UTF-8 bytes of a series' metric key (beside its labels key in the index).
MAX_SERIES_KEY_BYTES = 800


def fits(text: str, max_chars: int, max_bytes: int | None = None) -> bool:
    """Whether ``text`` has at most ``max_chars`` characters and ``max_bytes``
    UTF-8 bytes (``None``: no byte limit). Encodes only when the characters
    alone cannot tell (a character takes at most 4 bytes)."""
    return len(text) <= max_chars and (
        max_bytes is None or len(text) * 4 <= max_bytes or len(text.encode("utf-8")) <= max_bytes
    )


def bounded(text: str, max_chars: int, max_bytes: int | None = None) -> str:
    """Return ``text`` when it :func:`fits` in ``max_chars`` characters (and
    ``max_bytes`` UTF-8 bytes), else its longest prefix that fits followed by
    ``~`` and 16 hex digits of the SHA-256 of the whole text (so two long texts
    with a common prefix stay distinct, and the same text gives the same result).

    Raises:
        ValueError: ``max_chars`` is below 24 (no room for prefix and digest).
    """
    if max_chars < 24:
        raise ValueError(f"max_chars must be at least 24, got {max_chars}")
    if fits(text, max_chars, max_bytes):
        return text
    tail = "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    prefix = text[: max_chars - len(tail)]
    if max_bytes is not None:
        prefix = prefix.encode("utf-8")[: max_bytes - len(tail)].decode("utf-8", "ignore")
    return prefix + tail


def fitted(text: str | None, model: type, field: str) -> str | None:
    """``text`` :func:`bounded` to the ``max_length`` of ``model.field``
    (``None`` stays ``None``)."""
    if text is None:
        return None
    limit = model._meta.get_field(field).max_length  # type: ignore[attr-defined]
    return text if len(text) <= limit else bounded(text, limit)


def digest_key(text: str, max_chars: int, max_bytes: int = MAX_KEY_BYTES) -> str:
    """Return ``text`` when it :func:`fits` an indexed key column of ``max_chars``
    characters and ``max_bytes`` UTF-8 bytes, else ``sha256:<64 hex digits>`` of it."""
    if fits(text, max_chars, max_bytes):
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def inventory_key(snapshot: InventorySnapshot, row: Mapping[str, Any]) -> str:
    """Return the stored identity of ``row``: ``snapshot.row_key(row)``, or
    ``sha256:<hex>`` of it when longer than :data:`MAX_KEY_LENGTH` characters or
    :data:`MAX_KEY_BYTES` UTF-8 bytes."""
    return digest_key(snapshot.row_key(row), MAX_KEY_LENGTH)


def log_key(snapshot: InventorySnapshot, row: Mapping[str, Any]) -> str:
    """Return the 32-hex-digit digest identifying a log line: of its key fields, or
    of every field (sorted by name) when the snapshot names no key fields."""
    if snapshot.key_fields:
        ident = snapshot.row_key(row)
    else:
        ident = "\x1f".join(f"{k}={row[k]}" for k in sorted(row))
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


def jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``row`` as a JSON-safe dict: non-finite floats become ``None``,
    other non-JSON values their ``str``."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or isinstance(value, (str, bool, int)):
            out[str(name)] = value
        elif isinstance(value, float):
            out[str(name)] = value if math.isfinite(value) else None
        else:
            out[str(name)] = str(value)
    return out
