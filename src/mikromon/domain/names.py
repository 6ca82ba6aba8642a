"""Natural order of names (``demo-2`` before ``demo-10``, ``ether2`` before
``ether10``): one key for Python sorts and one for databases.

:func:`natural_key` writes a name in lower case with every run of digits as its
length (two digits) and its value without leading zeros (``demo-10`` ->
``demo-0210``, ``demo-2`` -> ``demo-012``): plain text comparison of the keys is
the natural order of the names. :func:`name_sort_key` is that key as hexadecimal
UTF-8 for a database column: text of ``0-9a-f`` only compares the same byte by
byte (SQLite's ``BINARY``) and under any PostgreSQL collation (``en_US.UTF-8``
ignores punctuation on its first pass, which would mix ``a-b`` and ``ab``), so
the database orders by the plain column, through an ordinary index.
"""

from __future__ import annotations

import re
from typing import Final

#: Longest natural key kept (characters); longer names sort by their start.
MAX_NATURAL_KEY: Final = 120
#: Longest database key (hex digits: half as many UTF-8 bytes of the natural key).
MAX_NAME_SORT_KEY: Final = 254

_DIGITS = re.compile(r"\d+")


def _digit_run(m: re.Match[str]) -> str:
    digits = m[0].lstrip("0")
    return f"{min(len(digits), 99):02d}{digits}"


def natural_key(text: str) -> str:
    """Return ``text`` in lower case with each digit run written as its length and
    value (``ether10`` -> ``ether0210``), at most :data:`MAX_NATURAL_KEY`
    characters: sorting by it sorts names naturally."""
    return _DIGITS.sub(_digit_run, text.casefold())[:MAX_NATURAL_KEY]


def natural_order(*names: str) -> tuple[str, ...]:
    """Sort key of a tuple of names (device, then interface...): each name's
    :func:`natural_key`, then the name itself to order names equal but for case
    or leading zeros."""
    return tuple(part for name in names for part in (natural_key(name), name))


def name_sort_key(name: str) -> str:
    """Return the database sort key of a name: :func:`natural_key` as hexadecimal
    UTF-8, at most :data:`MAX_NAME_SORT_KEY` characters (``"a2"`` -> ``"61303132"``).
    Ordered the same by every collation; ties (names equal but for case or leading
    zeros, or longer than the key) are left to the name itself."""
    return natural_key(name).encode("utf-8").hex()[:MAX_NAME_SORT_KEY]
