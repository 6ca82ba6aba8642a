"""The shared row conversion: an odd value costs that value only, never a table."""

from __future__ import annotations

import pytest
from collector_fakes import FakeRouter, context

from mikromon.collectors.support import Field, Values, convert, flag, read
from mikromon.domain.inventory import CollectResult
from mikromon.routeros.values.durations import parse_duration
from mikromon.routeros.values.numbers import parse_counter, parse_int

FIELDS = (
    Field("name"),
    Field("mtu", parse_int),
    flag("running"),
    Field("uptime", parse_duration),
    Field("bytes", parse_counter, parts=("tx", "rx")),
)


def test_convert_parses_and_fills_missing_fields() -> None:
    row = {"name": "ether1", "mtu": "1500", "uptime": "1h", "bytes": "10,20", "extra": "x"}
    assert convert(row, FIELDS) == {
        "name": "ether1", "mtu": 1500, "running": False, "uptime": 3600.0,
        "bytes.tx": 10, "bytes.rx": 20,
    }


def test_convert_never_keeps_text_the_parser_rejects() -> None:
    """A refused value is None for that field only, and recorded with its raw text."""
    row = {"name": "x", "mtu": "jumbo", "running": "maybe", "bytes": "10;20"}
    result = CollectResult()
    assert convert(row, FIELDS, Values("/interface", result), "x") == {
        "name": "x", "mtu": None, "running": None, "uptime": None,
        "bytes.tx": None, "bytes.rx": None,
    }
    assert [(b.path, b.field, b.raw, b.row) for b in result.bad_values] == [
        ("/interface", "mtu", "jumbo", "x"), ("/interface", "running", "maybe", "x"),
        ("/interface", "bytes", "10;20", "x")]
    assert all("not a RouterOS" in b.reason for b in result.bad_values)


def test_convert_pair_with_one_bad_part_keeps_the_other() -> None:
    result = CollectResult()
    row = {"name": "q", "bytes": "10,-4"}
    assert convert(row, FIELDS, Values("/queue/simple", result))["bytes.tx"] == 10
    assert [(b.field, b.raw) for b in result.bad_values] == [("bytes", "10,-4")]


async def test_read_refuses_an_empty_proplist() -> None:
    with pytest.raises(ValueError, match="proplist"):
        await read(FakeRouter({"/x": []}), context(), CollectResult(), "/x", ())
