"""Fixtures of the collector tests that run against an emulated router."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.schedule import CollectorService


@pytest.fixture
def router() -> Iterator[EmulatorHandle]:
    """One emulated v7 router on 127.0.0.1."""
    with running_emulators(count=1, profile="v7") as handles:
        yield handles[0]


@pytest.fixture
def services() -> Iterator[list[CollectorService]]:
    """Collector services a test started (appended here); stopped at its end."""
    started: list[CollectorService] = []
    yield started
    for svc in started:
        svc.stop(10)
