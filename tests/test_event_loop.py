"""mikromon.event_loop: which event loop ``MIKROMON_EVENT_LOOP`` gives the collector
and the emulated routers."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from mikromon import event_loop
from mikromon.domain.errors import ConfigError


def test_auto_is_the_default_and_runs_uvloop_where_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MIKROMON_EVENT_LOOP", raising=False)
    assert event_loop.loop_factory() is uvloop.new_event_loop
    loop = event_loop.new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
        assert event_loop.loop_name(loop) == "uvloop"
    finally:
        loop.close()


def test_asyncio_keeps_asyncios_own_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIKROMON_EVENT_LOOP", "AsyncIO")
    assert event_loop.loop_factory() is None
    loop = event_loop.new_event_loop()
    try:
        assert not isinstance(loop, uvloop.Loop)
        assert event_loop.loop_name(loop) == "asyncio"
    finally:
        loop.close()


def test_without_the_package_auto_falls_back_and_uvloop_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop raises ImportError
    assert event_loop.loop_factory("auto") is None
    with pytest.raises(ConfigError, match=r"MIKROMON_EVENT_LOOP.*uvloop package is not"):
        event_loop.loop_factory("uvloop")


def test_an_unknown_value_names_the_variable_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIKROMON_EVENT_LOOP", "trio")
    with pytest.raises(ConfigError, match=r"MIKROMON_EVENT_LOOP.*auto, uvloop or asyncio"):
        event_loop.loop_factory()


def test_an_explicit_choice_is_checked_too() -> None:
    assert event_loop.loop_factory("AsyncIO") is None
    with pytest.raises(ConfigError, match=r"MIKROMON_EVENT_LOOP='trio': must be auto, uvloop"):
        event_loop.loop_factory("trio")


@pytest.mark.parametrize("choice", ["uvloop", "asyncio"])
def test_run_returns_the_result_on_the_chosen_loop_and_closes_it(choice: str) -> None:
    seen: list[asyncio.AbstractEventLoop] = []

    async def main() -> int:
        seen.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return 42

    assert event_loop.run(main(), choice) == 42
    assert event_loop.loop_name(seen[0]) == choice
    assert seen[0].is_closed()


def test_run_with_a_bad_choice_closes_the_coroutine_unrun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    ran: list[bool] = []

    async def main() -> None:
        ran.append(True)

    coro = main()
    with pytest.raises(ConfigError):
        event_loop.run(coro, "uvloop")
    assert ran == []
    assert coro.cr_frame is None  # closed
