"""The delivery worker: a thread in the serve process that routes new alert
events to the outbox (:mod:`.router`), queues repeats, and delivers due messages.

Each channel is a lane: at most one attempt in flight per channel, in its own
daemon thread, so a slow or hanging receiver delays only its own messages, never
the other channels, and never the collector (which does not wait for this worker
at all: it only appends alert events). An attempt that outlives the channel's
timeout (plus a grace) is recorded as failed-and-retrying at once; its thread is
left to end on its socket timeout and the channel gets no new attempt until it has.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone

from mikromon.notify.channels import Channel
from mikromon.notify.message import Notification
from mikromon.web.notify import outbox, router
from mikromon.web.notify.models import Delivery, NotificationChannel

log = logging.getLogger("mikromon.notify")

#: Seconds between two passes of the worker.
INTERVAL_S = 1.0
#: Seconds between two searches for alerts due a repeat.
REPEAT_SCAN_S = 15.0
#: Seconds a stopping worker waits for attempts in flight.
STOP_WAIT_S = 5.0
#: Seconds between two purges of old outbox rows.
PURGE_EVERY_S = 3600.0
#: Seconds past a channel's timeout before an attempt is given up as hung.
HANG_GRACE_S = 5.0


@dataclass
class _Lane:
    channel_id: int
    delivery: Delivery
    deadline: float
    thread: threading.Thread | None = None
    result: list[tuple[bool, str, bool]] = field(default_factory=list)
    abandoned: bool = False


class NotificationWorker:
    """Routes alert events and delivers the outbox, in a background thread.

    Args:
        interval: seconds between passes.
        repeat_scan: seconds between searches for repeats.
        hang_grace: seconds past a channel's timeout before an attempt counts as hung.
    """

    def __init__(self, *, interval: float = INTERVAL_S, repeat_scan: float = REPEAT_SCAN_S,
                 hang_grace: float = HANG_GRACE_S) -> None:
        self.interval = interval
        self.repeat_scan = repeat_scan
        self.hang_grace = hang_grace
        self._lanes: dict[int, _Lane] = {}
        self._built: dict[int, tuple[Any, Channel]] = {}
        self._next_repeat = 0.0
        self._next_purge = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.counters = {"routed_events": 0, "sent": 0, "retrying": 0, "failed": 0,
                         "repeats_queued": 0}

    # Lifecycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mikromon-notify", daemon=True)
        self._thread.start()
        log.info("notification worker started")

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the thread; ``True`` when it ended within ``timeout`` seconds.

        Attempts still in flight get up to :data:`STOP_WAIT_S` seconds to finish and
        be recorded; one still running then keeps its outbox row ``sending``, tried
        again after its lease (nothing is lost).
        """
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        stopped = not thread.is_alive()
        if stopped:
            log.info("notification worker stopped")
        return stopped

    def poke(self) -> None:
        """Run a pass soon (e.g. after new alert events)."""
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """Counters and the channels with an attempt in flight."""
        return {"running": self.running, **self.counters,
                "in_flight": sorted(self._lanes)}

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                close_old_connections()
                try:
                    self.run_once()
                except Exception:
                    if not self._failing:
                        log.exception("notification worker pass failed; retrying every second")
                    self._failing = True
                    with contextlib.suppress(Exception):
                        connection.close()
                else:
                    if self._failing:
                        log.info("notification worker recovered")
                    self._failing = False
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            # A clean stop records the attempts in flight (up to a few seconds), so
            # they are not sent again after the restart.
            with contextlib.suppress(Exception):
                self.settle(timeout=STOP_WAIT_S)
            connection.close()

    # One pass --------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> None:
        """Route new events, queue repeats when due, record finished attempts and
        start attempts for channels that are idle. Never waits for a send."""
        now = now or timezone.now()
        for _ in range(20):  # at most 20 batches per pass, then deliver
            routed = router.route_events(now=now)
            self.counters["routed_events"] += routed
            if not routed:
                break
        if time.monotonic() >= self._next_purge:
            self.counters["purged"] = self.counters.get("purged", 0) + outbox.purge(now=now)
            self._next_purge = time.monotonic() + PURGE_EVERY_S
        if time.monotonic() >= self._next_repeat:
            self.counters["repeats_queued"] += router.schedule_repeats(now=now)
            self._next_repeat = time.monotonic() + self.repeat_scan
        self._collect()
        self._dispatch(now)

    def busy(self) -> bool:
        """Whether an attempt is in flight."""
        return bool(self._lanes)

    def drain(self, timeout: float = 10.0, *, step: float = 0.02) -> None:
        """Run passes until nothing is in flight or due (tests, shutdown); at most ``timeout``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.run_once()
            now = timezone.now()
            due = Delivery.objects.filter(outbox.due_filter(now),
                                          channel__enabled=True).exists()
            if not self._lanes and not due:
                return
            time.sleep(step)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait (at most ``timeout`` s) for the attempts in flight to end, then record
        them; starts nothing new (tests step the worker with :meth:`run_once`)."""
        end = time.monotonic() + timeout
        for lane in list(self._lanes.values()):
            if lane.thread is not None:
                lane.thread.join(max(end - time.monotonic(), 0))
        self._collect()

    def _channel(self, row: NotificationChannel) -> Channel:
        cached = self._built.get(row.pk)
        if cached is not None and cached[0] == row.updated:
            return cached[1]
        built = row.build()
        self._built[row.pk] = (row.updated, built)
        return built

    def _collect(self) -> None:
        now_mono = time.monotonic()
        for channel_id, lane in list(self._lanes.items()):
            if lane.result:
                if not lane.abandoned:
                    ok, detail, retryable = lane.result[0]
                    self._record(lane.delivery, ok, detail, retryable)
                del self._lanes[channel_id]
            elif lane.thread is not None and not lane.thread.is_alive():
                del self._lanes[channel_id]  # ended without a result (cannot happen)
            elif not lane.abandoned and now_mono > lane.deadline:
                lane.abandoned = True
                self._record(lane.delivery, False,
                             f"no answer within {lane.delivery.channel.timeout_s} s (timed out)",
                             True)

    def _record(self, delivery: Delivery, ok: bool, detail: str, retryable: bool) -> None:
        status = outbox.finish(delivery, ok=ok, receipt=detail if ok else "",
                               error="" if ok else detail, retryable=retryable)
        if status:
            self.counters[status] = self.counters.get(status, 0) + 1

    def _dispatch(self, now: datetime) -> None:
        for row in NotificationChannel.objects.filter(enabled=True):
            if row.pk in self._lanes:
                continue
            delivery = outbox.claim(row, now)
            if delivery is None:
                continue
            delivery.channel = row
            try:
                channel = self._channel(row)
                note = Notification.from_json(delivery.payload)
            except Exception as err:
                self._record(delivery, False, f"cannot prepare the message: {err}", True)
                continue
            lane = _Lane(row.pk, delivery,
                         deadline=time.monotonic() + row.timeout_s + self.hang_grace)

            def run(lane: _Lane = lane, channel: Channel = channel,
                    note: Notification = note) -> None:
                lane.result.append(outbox.attempt(channel, note))
                self._wake.set()

            lane.thread = threading.Thread(target=run, daemon=True,
                                           name=f"mikromon-notify-{row.pk}")
            self._lanes[row.pk] = lane
            lane.thread.start()


_worker: NotificationWorker | None = None


def get_worker() -> NotificationWorker:
    """The process's worker (created on first use, not started)."""
    global _worker
    if _worker is None:
        _worker = NotificationWorker()
    return _worker
