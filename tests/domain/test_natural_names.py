"""Natural order of names: the Python key and the database key agree, and the
database key orders the same under any collation (only 0-9 and a-f)."""

from __future__ import annotations

import re

from mikromon.domain.names import MAX_NAME_SORT_KEY, name_sort_key, natural_key

NAMES = ["demo-10", "demo-2", "Demo-3", "demo-1", "demo-1a", "demo-100", "demo", "a-b",
         "ab", "rtr-007", "rtr-8", "мост-2", "мост-10", "ether2", "ether10", "x9y10", "x9y9"]
NATURAL = ["a-b", "ab", "demo", "demo-1", "demo-1a", "demo-2", "Demo-3", "demo-10", "demo-100",
           "ether2", "ether10", "rtr-007", "rtr-8", "x9y9", "x9y10", "мост-2", "мост-10"]


def test_natural_key_orders_digit_runs_by_value() -> None:
    assert sorted(NAMES, key=natural_key) == NATURAL
    assert natural_key("demo-10") == "demo-0210"
    assert natural_key("rtr-007") == natural_key("rtr-7")


def test_database_key_orders_as_the_natural_key_with_hex_digits_only() -> None:
    assert sorted(NAMES, key=name_sort_key) == NATURAL
    for name in NAMES:
        assert re.fullmatch(r"[0-9a-f]*", name_sort_key(name))
    assert name_sort_key("a2") == "61303132"


def test_database_key_is_bounded() -> None:
    key = name_sort_key("ж" * 100)
    assert len(key) == MAX_NAME_SORT_KEY
    assert len(key) % 2 == 0
