"""Reload planning: which collectors start, stop or restart when devices change."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.schedule.reload import describe_change, plan_reload, same_router

from .fakes import device


def test_nothing_changed_means_nothing_to_do() -> None:
    a, b = device(1), device(2, enabled=False)
    plan = plan_reload({1: a}, {2: b}, [a, b])
    assert (plan.start, plan.restart, plan.stop, plan.disabled, plan.deleted) == (
        [], [], [], [], [])


def test_added_deleted_disabled_enabled_and_changed() -> None:
    a, b, c, d = device(1), device(2), device(3, enabled=False), device(4)
    b2 = dataclasses.replace(b, port=8729)
    a_off = dataclasses.replace(a, enabled=False)
    c_on = dataclasses.replace(c, enabled=True)
    plan = plan_reload({1: a, 2: b, 5: device(5)}, {3: c, 6: device(6, enabled=False)},
                       [a_off, b2, c_on, d])
    assert plan.start == [c_on, d]
    assert plan.restart == [(b, b2)]
    assert plan.stop == [1, 5]
    assert plan.disabled == [a_off]
    assert plan.deleted == [5, 6]


def test_first_load_lists_every_disabled_device() -> None:
    off = device(3, enabled=False)
    plan = plan_reload({}, {}, [device(1), off])
    assert [c.id for c in plan.start] == [1]
    assert plan.disabled == [off]


def test_describe_change_names_what_changed_but_no_password() -> None:
    old = device(1, password="old-secret")
    intervals = dict(DEFAULT_INTERVALS) | {Tier.REALTIME: 10}
    new = dataclasses.replace(old, intervals=MappingProxyType(intervals), host="::1",
                              password="new-secret")
    text = describe_change(old, new)
    assert text == "realtime interval 5 s -> 10 s, host 127.0.0.1 -> ::1, password changed"
    assert "secret" not in text
    assert describe_change(old, old) == "no visible change"


def test_same_router() -> None:
    old = device(1)
    assert same_router(old, dataclasses.replace(old, username="other"))
    assert not same_router(old, dataclasses.replace(old, port=1234))
