"""Waiting in tests for a condition nothing signals (a commit, a status
publication, an emulator session, a mail arriving)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def until(predicate: Callable[[], Any], timeout: float, *, poll: float = 0.02) -> bool:
    """Check ``predicate`` every ``poll`` seconds until it is truthy.

    Args:
        predicate: the condition; called at least once, and once more at the end.
        timeout: the most seconds to wait.
        poll: seconds between checks.

    Returns:
        Whether ``predicate`` became truthy within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return bool(predicate())
        time.sleep(poll)
    return True
