"""Path converters shared by the pages and the API."""

from __future__ import annotations

from django.urls import register_converter

from mikromon.web.params import MAX_ID


class IdConverter:
    """``<id:pk>``: an object id in a path, ASCII digits from 1 to 2**63-1.

    Django's ``int`` converter hands any length of digits to the view, and a
    30-digit id overflows the database's 64-bit column; here such a path simply
    matches no URL (404).
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        """Return the id; ``ValueError`` (no match) beyond 64 bits or for 0."""
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"id {value} out of range")
        return number

    def to_url(self, value: int | str) -> str:
        """Return the id as digits (0 is allowed here: the API index shows ``/0``)."""
        return str(int(value))


register_converter(IdConverter, "id")


_SLUG_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def interface_slug(name: str) -> str:
    """Return an interface name as one URL path segment: ASCII letters, digits, ``-``,
    ``_`` and ``.`` as they are, every other UTF-8 byte as ``~XX`` (upper-case hex).
    RouterOS names may hold ``/`` (``sfp-sfpplus1/1``... in bridge or VLAN names) and
    spaces; ``/`` percent-encoded is decoded by the server before routing, so it
    gets this escape instead. A name of dots only is escaped whole (browsers resolve
    ``.`` and ``..`` segments away). charts.js ``ifaceSlug`` is the same.

    Raises:
        ValueError: for an empty name.
    """
    if not name:
        raise ValueError("an interface name must not be empty")
    raw = name.encode("utf-8")
    dots = set(raw) == {ord(".")}
    return "".join(chr(b) if b in _SLUG_SAFE and not (dots and b == ord(".")) else f"~{b:02X}"
                   for b in raw)


def interface_name(slug: str) -> str:
    """Return the interface name of :func:`interface_slug` text.

    Raises:
        ValueError: for a bad escape or bytes that are not UTF-8.
    """
    out = bytearray()
    i = 0
    while i < len(slug):
        if slug[i] == "~":
            out.append(int(slug[i + 1:i + 3], 16))
            i += 3
        else:
            out += slug[i].encode("ascii")
            i += 1
    return out.decode("utf-8")


class InterfaceNameConverter:
    """``<ifname:name>``: an interface name escaped by :func:`interface_slug`."""

    regex = "(?:[A-Za-z0-9._-]|~[0-9A-Fa-f]{2}){1,600}"

    def to_python(self, value: str) -> str:
        """Return the interface name (``ValueError``, no match, for bytes not UTF-8)."""
        return interface_name(value)

    def to_url(self, value: str) -> str:
        """Return the escaped name."""
        return interface_slug(value)


register_converter(InterfaceNameConverter, "ifname")
