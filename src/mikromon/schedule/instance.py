"""The process-wide collector service: the host registers how it is built
(:func:`configure`, once at start-up) and every part of the process reaches the
one instance with :func:`get_collector`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from mikromon.schedule.service import CollectorService

__all__ = ["configure", "get_collector", "reset_collector"]

_factory: Callable[[], CollectorService] | None = None
_instance: CollectorService | None = None
_instance_lock = threading.Lock()


def configure(factory: Callable[[], CollectorService]) -> None:
    """Register how the process-wide collector is built (the host calls this once at
    start-up; the service itself is created on the first :func:`get_collector`)."""
    global _factory
    with _instance_lock:
        _factory = factory


def get_collector() -> CollectorService:
    """Return the process-wide collector, creating it from the registered factory.

    Raises:
        RuntimeError: no factory was registered with :func:`configure`.
    """
    global _instance
    with _instance_lock:
        if _instance is None:
            if _factory is None:
                raise RuntimeError(
                    "no collector configured: the host must call "
                    "mikromon.schedule.configure(factory) first"
                )
            _instance = _factory()
        return _instance


def reset_collector(timeout: float = 10.0) -> None:
    """Stop and forget the process-wide collector (and keep the factory)."""
    global _instance
    with _instance_lock:
        instance, _instance = _instance, None
    if instance is not None:
        instance.stop(timeout)
