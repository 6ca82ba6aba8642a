"""What every value parser shares: the longest text a parser reads, the range
check that refuses impossible values, and the decimal conversion of matched digits.

Each refusal is a :class:`~mikromon.domain.errors.ValueParseError` naming the
kind of value and the text.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

from mikromon.domain.errors import ValueParseError

__all__ = ["MAX_LEN", "check_range", "to_decimal", "value_text"]

#: Longest value a number-like parser accepts (a 64-bit counter has 20 digits);
#: keeps int() away from its digit limit and float() away from infinity.
MAX_LEN: Final = 64


def check_range(
    kind: str, value: float, text: object, low: float | None = None, high: float | None = None
) -> None:
    """Raise unless ``low <= value <= high`` (either bound may be ``None``).

    Raises:
        ValueParseError: ``kind``, the original ``text`` and the bound broken as
            the reason (``"above 100"``, ``"below 0"``).
    """
    if low is not None and value < low:
        raise ValueParseError(kind, text, f"below {low:g}")
    if high is not None and value > high:
        raise ValueParseError(kind, text, f"above {high:g}")


def value_text(kind: str, value: object) -> str:
    """Return ``value`` stripped, or raise ValueParseError if it is not a short str."""
    if not isinstance(value, str):
        raise ValueParseError(kind, value)
    body = value.strip()
    if len(body) > MAX_LEN:
        raise ValueParseError(kind, value)
    return body


def to_decimal(kind: str, number: str, original: object) -> Decimal:
    """Return the digits a parser's pattern matched as a Decimal (``kind`` and
    ``original`` name the value if they are not a number)."""
    try:
        return Decimal(number)
    except InvalidOperation as err:  # pragma: no cover - regexes admit only digits
        raise ValueParseError(kind, original) from err
