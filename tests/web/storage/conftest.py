"""Fixtures for the storage tests (these run on SQLite and, with the db_backend
marker, a second time on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def t0() -> datetime:
    """A fixed UTC instant on a 1-hour boundary."""
    return datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def device(db):
    """A saved device with a password."""
    from mikromon.web.monitor.models import Device

    dev = Device(name="edge-1", host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    return dev
