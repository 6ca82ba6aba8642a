"""WHEN: the collector service.

:class:`CollectorService` runs one :class:`DeviceCollector` per enabled device in a
background thread with its own asyncio loop, takes the database-wide collector
lock, reloads devices when their configuration changes, and writes through one
writer thread. Hosts register how the process-wide service is built with
:func:`configure` and reach it with :func:`get_collector`. Deadline arithmetic
lives in :mod:`mikromon.schedule.trigger` (pure: the time scale is passed in).
"""

from __future__ import annotations

from mikromon.domain.clock import Clock, ManualClock, SystemClock
from mikromon.schedule.deps import CollectorDeps
from mikromon.schedule.device import DeviceCollector
from mikromon.schedule.instance import configure, get_collector, reset_collector
from mikromon.schedule.service import CollectorService
from mikromon.schedule.writer import StorageWriter

__all__ = [
    "Clock",
    "CollectorDeps",
    "CollectorService",
    "DeviceCollector",
    "ManualClock",
    "StorageWriter",
    "SystemClock",
    "configure",
    "get_collector",
    "reset_collector",
]
