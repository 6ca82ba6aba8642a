"""Waiting on the collector service's status in the service tests."""

from __future__ import annotations

from mikromon.schedule import CollectorService
from waiting import until

__all__ = ["dev_status", "until"]


def dev_status(svc: CollectorService, device_id: int) -> dict:
    """The device's status entry ({} before the service loaded it)."""
    return next((d for d in svc.status()["devices"] if d["id"] == device_id), {})
