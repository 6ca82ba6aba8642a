"""Helpers of the browser tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
#: Collector time scale: a 5 s realtime interval runs every 0.5 s.
TIME_SCALE = 0.1


def chromium_path() -> str:
    """The Chromium executable (``$MIKROMON_CHROMIUM``, default /usr/bin/chromium)."""
    path = os.environ.get("MIKROMON_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        if os.environ.get("MIKROMON_CHROMIUM"):
            pytest.fail(f"MIKROMON_CHROMIUM={path} does not exist")
        pytest.skip(f"no Chromium at {path} (install Debian's chromium)")
    return path


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot into test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Sign in through the sign-in page."""
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
