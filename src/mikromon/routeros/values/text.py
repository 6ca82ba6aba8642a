"""Text from a router: bytes decoded in the device's codepage, and two-part
values (``6689896,2094536``, ``10M/20M``) split into their texts.

Source: shared/ROUTEROS-API.md §7 "Text encoding" and "Values"; librouteros issue #30.
"""

from __future__ import annotations

import codecs

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.checks import value_text

__all__ = ["decode_text", "parse_pair"]

def decode_text(raw: bytes, encoding: str) -> str:
    """Decode text from a router: UTF-8 first, then the device's codepage.

    RouterOS stores bytes without a charset; Winbox writes the PC's codepage
    (shared/ROUTEROS-API.md §7 "Text encoding"; librouteros issue #30). Valid UTF-8
    is taken as UTF-8; otherwise ``encoding`` (``cp1251``, ``latin-1``, ...) is used,
    with undecodable bytes shown as ``\\xNN`` escapes. An unknown codec name falls
    back to latin-1, which maps every byte. Never raises.

    Args:
        raw: the bytes of one word or value.
        encoding: the device's configured codepage.

    Returns:
        The text (str).
    """
    data = bytes(raw)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        return data.decode("latin-1")
    try:
        return data.decode(encoding, errors="backslashreplace")
    except (LookupError, UnicodeError, TypeError, ValueError):
        # Not a text codec (``hex``) or one without backslashreplace support.
        return data.decode("latin-1")


def parse_pair(text: str, sep: str = ",") -> tuple[str, str]:
    """Split a two-part value (``6689896,2094536``, ``10M/20M``, ``0s/0s``).

    The parts are returned as text (possibly empty); parse them with the other
    functions. Which side is which depends on the field: wireless ``bytes`` is
    tx,rx; queue ``bytes``/``max-limit`` is upload/download (shared/ROUTEROS-API.md §7).

    Args:
        text: the value.
        sep: the separator, ``,`` (wireless counters) or ``/`` (queues).

    Returns:
        ``(first, second)``, each stripped.

    Raises:
        ValueParseError: ``kind="pair"`` unless ``text`` has exactly one ``sep``.
    """
    body = value_text("pair", text)
    if not isinstance(sep, str) or not sep:
        raise ValueParseError("pair", text)
    parts = body.split(sep)
    if len(parts) != 2:
        raise ValueParseError("pair", text)
    return parts[0].strip(), parts[1].strip()
