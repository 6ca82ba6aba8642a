"""The process that runs the collector freezes its long-lived objects once warmed
up (mikromon.schedule.gc_settle.freeze_after), and calls that off when it stops
first; a process without the collector leaves garbage collection alone."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mikromon.web import runtime


class _Service:
    def __init__(self) -> None:
        self.running = False

    def start(self) -> None:
        self.running = True

    def stop(self, timeout: float = 10.0) -> bool:
        self.running = False
        return True

    def status(self) -> dict[str, object]:
        return {"running": self.running, "writer": {}}


class _Publisher:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def withdraw(self) -> None:
        pass


class _Timer:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def cancel(self) -> None:
        self.calls.append("cancel")


def _run(monkeypatch: pytest.MonkeyPatch, collector: str) -> list[str]:
    calls: list[str] = []

    def freeze_after() -> _Timer:
        calls.append("freeze_after")
        return _Timer(calls)

    monkeypatch.setattr(runtime, "freeze_after", freeze_after)
    monkeypatch.setattr(runtime, "build_collector", _Service)
    monkeypatch.setattr(runtime, "StatusPublisher", _Publisher)
    process = runtime.Runtime(host=None, collector=collector, notifications=False)
    stopper = threading.Timer(0.2, process.request_stop)
    stopper.start()
    assert process.run() == 0
    stopper.join()
    return calls


@pytest.mark.django_db(transaction=True)
def test_the_collector_process_freezes_once_and_calls_it_off_at_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run(monkeypatch, "start") == ["freeze_after", "cancel"]


@pytest.mark.django_db(transaction=True)
def test_a_process_without_the_collector_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, "never") == []
