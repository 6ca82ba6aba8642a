"""plain_counters (a row's counters at once) against parse_counter one by one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.numbers import COUNTER_MAX, parse_counter, plain_counters

TEXT = st.one_of(
    st.integers(0, 2**64 + 5).map(str),
    st.integers(0, 10**6).map(str),
    st.sampled_from(["", " 1", "1 ", "-1", "+1", "1.5", "0x1f", "²", "١٢", "999999999999999999",
                     "1000000000000000000", str(COUNTER_MAX), str(COUNTER_MAX + 1), "007"]),
    st.text(max_size=6),
)


def one_by_one(texts: list[str]) -> list[int] | None:
    try:
        return [parse_counter(t) for t in texts]
    except ValueParseError:
        return None


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_all_at_once_or_none(texts: list[str]) -> None:
    """A result is what parse_counter gives each text; None only sends the caller
    to parse_counter, so it is never wrong, and plain digits always go at once."""
    got = plain_counters(texts)
    if got is not None:
        assert got == one_by_one(texts)
    if texts and all(t.isascii() and t.isdigit() and len(t) <= 18 for t in texts):
        assert got is not None


def test_interface_row() -> None:
    assert plain_counters(["205164277", "0", "158254"]) == [205164277, 0, 158254]
    assert plain_counters(["205164277", "", "158254"]) is None
    assert plain_counters(["18446744073709551615"]) is None
    assert plain_counters([None]) is None  # type: ignore[list-item]
