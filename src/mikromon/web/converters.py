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
