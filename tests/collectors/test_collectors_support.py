"""The shared row conversion: odd values are kept, never fatal for a table."""

from __future__ import annotations

import pytest
from collector_fakes import FakeRouter, context

from mikromon.collectors.support import Field, convert, flag, read
from mikromon.domain.inventory import CollectResult
from mikromon.routeros.values import parse_duration, parse_int

FIELDS = (
    Field("name"),
    Field("mtu", parse_int),
    flag("running"),
    Field("uptime", parse_duration),
    Field("bytes", parse_int, parts=("tx", "rx")),
)


def test_convert_parses_and_fills_missing_fields() -> None:
    row = {"name": "ether1", "mtu": "1500", "uptime": "1h", "bytes": "10,20", "extra": "x"}
    assert convert(row, FIELDS) == {
        "name": "ether1", "mtu": 1500, "running": False, "uptime": 3600.0,
        "bytes.tx": 10, "bytes.rx": 20,
    }


def test_convert_keeps_text_the_parser_rejects() -> None:
    row = {"name": "x", "mtu": "jumbo", "running": "maybe", "bytes": "10;20"}
    assert convert(row, FIELDS) == {
        "name": "x", "mtu": "jumbo", "running": "maybe", "uptime": None,
        "bytes.tx": "10;20", "bytes.rx": None,
    }


async def test_read_refuses_an_empty_proplist() -> None:
    with pytest.raises(ValueError, match="proplist"):
        await read(FakeRouter({"/x": []}), context(), CollectResult(), "/x", ())
