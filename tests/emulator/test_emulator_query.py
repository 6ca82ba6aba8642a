"""The query stack machine, against the examples of MikroTik's API page."""

from __future__ import annotations

import pytest

from mikromon.emulator import query as q

ROWS = [
    {"name": "ether1", "type": "ether", "mtu": "1500", "comment": "WAN", "running": "true"},
    {"name": "ether2", "type": "ether", "mtu": "1500", "running": "false"},
    {"name": "vlan10", "type": "vlan", "mtu": "1496", "running": "true"},
    {"name": "bridge1", "type": "bridge", "mtu": "auto", "comment": ""},
]


def select(*words: str) -> list[str]:
    steps = q.parse(words)
    return [r["name"] for r in ROWS if q.matches(steps, r.get)]


@pytest.mark.parametrize(("words", "expected"), [
    ((), ["ether1", "ether2", "vlan10", "bridge1"]),
    (("?type=ether",), ["ether1", "ether2"]),
    (("?=type=ether",), ["ether1", "ether2"]),
    (("?comment",), ["ether1", "bridge1"]),
    (("?-comment",), ["ether2", "vlan10"]),
    (("?type=ether", "?type=vlan", "?#|"), ["ether1", "ether2", "vlan10"]),
    (("?type=ether", "?type=vlan", "?#|!"), ["bridge1"]),
    (("?type=ether", "?running=true", "?#&"), ["ether1"]),
    (("?>comment=",), ["ether1"]),
    (("?<mtu=1500",), ["vlan10"]),
    # numbers compare as numbers, anything else as text ("auto" > "1496")
    (("?>mtu=1496",), ["ether1", "ether2", "bridge1"]),
    (("?running=yes",), ["ether1", "vlan10"]),
    (("?type=ether", "?type=vlan", "?type=bridge", "?#||"),
     ["ether1", "ether2", "vlan10", "bridge1"]),
    # index 1 pushes a copy of the value below the top, "!" negates it, "&" joins.
    (("?type=ether", "?running=true", "?#1!&"), []),
    (("?type=ether", "?#0."), ["ether1", "ether2"]),
    (("?name=nope",), []),
])
def test_queries(words: tuple[str, ...], expected: list[str]) -> None:
    assert select(*words) == expected


def test_bad_operation_is_an_error() -> None:
    with pytest.raises(q.QueryError, match="unknown query operation"):
        q.parse(["?#x"])
    with pytest.raises(q.QueryError, match="empty property name"):
        q.parse(["?=x"[:2]])
    with pytest.raises(q.QueryError, match="empty property name"):
        q.parse(["?-"])


def test_properties_read() -> None:
    assert q.properties(q.parse(["?a=1", "?-b", "?#|"])) == {"a", "b"}
