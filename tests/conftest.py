"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def captures_dir() -> Path:
    """The shared RouterOS captures (``../shared/routeros-captures`` beside the repo,
    or ``$MIKROMON_CAPTURES``)."""
    env = os.environ.get("MIKROMON_CAPTURES")
    return Path(env) if env else REPO.parent / "shared" / "routeros-captures"


@pytest.fixture(scope="session")
def captures() -> Path:
    """Path of the shared RouterOS captures folder."""
    path = captures_dir()
    if not path.is_dir():
        pytest.fail(f"RouterOS captures not found at {path}; set MIKROMON_CAPTURES")
    return path
