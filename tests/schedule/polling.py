"""Waiting on the collector service's status in the service tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from mikromon.schedule import CollectorService


def until(predicate: Callable[[], bool], timeout: float, *, poll: float = 0.01) -> bool:
    """Wait for a condition no write signals (status, emulator sessions, commits).

    Args:
        predicate: checked every ``poll`` seconds.
        timeout: the most seconds to wait.
        poll: seconds between checks.

    Returns:
        Whether ``predicate`` became true within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def dev_status(svc: CollectorService, device_id: int) -> dict:
    """The device's status entry ({} before the service loaded it)."""
    return next((d for d in svc.status()["devices"] if d["id"] == device_id), {})
