"""The status publisher of the running process: a thread that writes the
collector's ``status()`` to the database about once a second
(:mod:`mikromon.web.control.state`; the per-device entries a row each, only
those that changed: :mod:`mikromon.web.control.device_status`), so that other processes (``mikromon
collector status``, the web pages) read it, and applies start/stop requests
made in other processes (``mikromon collector start|stop``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import datetime
from typing import Any

from django.db import close_old_connections, connection

from mikromon.web.control.formats import tidy

#: The process's log name (``mikromon serve`` prints ``runtime: ...``).
log = logging.getLogger("mikromon.runtime")

#: Seconds between two status publications (and desired-state checks).
PUBLISH_INTERVAL_S = 1.0


def jsonable_status(service: Any) -> dict[str, Any]:
    """The service's status, JSON-ready: times ISO 8601 UTC to the second with ``Z``,
    whole intervals as ints (:func:`mikromon.web.control.formats.tidy`)."""
    status = tidy(service.status())
    return status if isinstance(status, dict) else {"status": status}


class StatusPublisher:
    """A thread that publishes ``service.status()`` and applies desired-state changes.

    Args:
        service: the collector service (``start()``, ``stop()``, ``running``, ``status()``).
        started_at: process start, UTC.
        interval: seconds between publications.
        applied_at: ``changed_at`` of the desired state already applied at start-up;
            only later changes start or stop the collector.
    """

    def __init__(
        self,
        service: Any,
        *,
        started_at: datetime,
        interval: float = PUBLISH_INTERVAL_S,
        applied_at: datetime | None = None,
    ) -> None:
        from mikromon.web.control import state
        from mikromon.web.control.device_status import DeviceRowWriter

        self._service = service
        self._started_at = started_at
        self._interval = interval
        self._applied_at = applied_at
        self._instance = state.instance_name(started_at)
        # Remembers the device entries written, so a publication writes only the
        # ones that changed (mikromon.web.control.device_status).
        self._rows = DeviceRowWriter()
        self._stop = threading.Event()
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="mikromon-status", daemon=True)

    def start(self) -> None:
        """Publish once now (so ``collector status`` works at once), then every interval."""
        self._tick()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most a few seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def withdraw(self) -> None:
        """Delete this process's published status (after the collector stopped)."""
        from mikromon.web.control import state

        with contextlib.suppress(Exception):
            state.withdraw(self._instance)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                # Drop a connection the database closed (restart, idle timeout).
                close_old_connections()
                if not self._tick():
                    with contextlib.suppress(Exception):
                        connection.close()
        finally:
            connection.close()

    def _tick(self) -> bool:
        """Apply a new desired state and publish the status once; ``False`` on failure."""
        from mikromon.web.control import state

        try:
            desired = state.desired_state()
            if self._applied_at is None or desired.changed_at > self._applied_at:
                self._applied_at = desired.changed_at
                self._apply(desired.running, desired.changed_by)
            state.publish(
                instance=self._instance,
                started_at=self._started_at,
                running=bool(self._service.running),
                status=jsonable_status(self._service),
                rows=self._rows,
            )
        except Exception:
            # Edge-triggered: one error with its traceback, one line on recovery.
            if not self._failing:
                log.exception("cannot publish the collector status; retrying every second")
            self._failing = True
            return False
        if self._failing:
            log.info("collector status published again")
        self._failing = False
        return True

    def _apply(self, running: bool, by: str) -> None:
        who = f" (asked by {by})" if by else ""
        if running and not self._service.running:
            log.info("starting the collector%s", who)
            self._service.start()
        elif not running and self._service.running:
            log.info("stopping the collector%s", who)
            self._service.stop()
