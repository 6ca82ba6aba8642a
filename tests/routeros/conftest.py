"""The client's tests run on both event loops the collector may run on: asyncio's own
and uvloop (``MIKROMON_EVENT_LOOP``, :mod:`mikromon.event_loop`), so framing, TLS,
timeouts and the hardening against endless or broken replies hold on each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest
import uvloop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item,
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """pytest-asyncio runs each async test of this package once per loop named here."""
    return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
