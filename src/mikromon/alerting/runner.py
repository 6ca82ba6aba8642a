"""The rule engine inside the collector: fed where the collector hands its data to
the writer, ticked by the collector service, persisted through an
:class:`~mikromon.storage.protocols.AlertStore` in the service's host worker thread.

:class:`AlertingQueue` wraps the writer (the collectors' storage queue): every
``put_samples`` / ``put_events`` / ``put_status`` goes to the writer as before and
is evaluated by the engine on the way, in the collector's event loop, with no
database access. :class:`AlertRunner` owns the engine: :meth:`AlertRunner.load`
reads the rules (and, the first time, the stored open alerts) through the store;
:meth:`AlertRunner.step` (twice a second) advances the engine's timers and hands
the new transitions to the store without waiting for it: a save in flight is
checked at the next step, and a failed save is kept and tried again (bounded by
``max_unsaved``; the oldest are dropped and counted beyond it).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Final

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rules import Restored, RuleSet
from mikromon.collectors.log import KEY as LOG_KEY
from mikromon.domain.alerts import AlertTransition
from mikromon.domain.catalog import HEALTH_STATES_TABLE
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import SampleItem
from mikromon.storage.protocols import AlertStore, PushedLogSource

log = logging.getLogger(__name__)

#: The inventory table router log lines go to (:mod:`mikromon.collectors.log`).
LOGS_TABLE: Final = "logs"

__all__ = ["AlertRunner", "AlertingQueue"]

#: Most transitions kept while the store fails.
DEFAULT_MAX_UNSAVED: Final = 50_000
#: Seconds between two reads of the syslog lines stored by other collectors.
PUSHED_LOGS_EVERY_S: Final = 1.0


class AlertingQueue:
    """A collector storage queue that forwards to ``inner`` and feeds ``engine``.

    An error in the engine is logged (once per minute at most) and never reaches
    the collector: polling and writing go on.
    """

    def __init__(self, inner: Any, engine: AlertEngine) -> None:
        self._inner = inner
        self._engine = engine
        self.errors = 0
        self._logged = 0.0
        #: CPU seconds spent evaluating (``time.thread_time``), for status and benchmarks.
        self.eval_cpu_s = 0.0

    def put_samples(self, device_id: int, samples: Sequence[SampleItem]) -> None:
        """Queue samples (and blocks of them) with the writer, then evaluate them."""
        self._inner.put_samples(device_id, samples)
        self._guard(self._engine.observe_samples, device_id, samples)

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Queue an inventory snapshot with the writer; the health state table
        also goes to the engine (``health_fail`` rules), and router log lines (the
        append-only ``logs`` table, polled or from syslog) to the ``log`` rules."""
        self._inner.put_inventory(device_id, snapshot)
        if snapshot.table == HEALTH_STATES_TABLE:
            self._guard(self._engine.observe_health, device_id, snapshot.rows, snapshot.ts)
        elif snapshot.append_only and snapshot.table == LOGS_TABLE:
            self._guard(self._engine.observe_logs, device_id, snapshot)

    def observe_stored_logs(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Evaluate log rows stored already (by a syslog receiver): the ``log``
        rules only, nothing to the writer."""
        self._guard(self._engine.observe_logs, device_id, snapshot)

    def put_events(self, events: Sequence[Event]) -> None:
        """Queue events with the writer, then evaluate them."""
        self._inner.put_events(events)
        self._guard(self._engine.observe_events, events)

    def put_status(self, status: DeviceStatus) -> None:
        """Queue a status with the writer, then evaluate it."""
        self._inner.put_status(status)
        self._guard(self._engine.observe_status, status)

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        started = time.thread_time()
        try:
            fn(*args)
        except Exception:
            self.errors += 1
            now = time.monotonic()
            if now - self._logged >= 60.0:
                self._logged = now
                log.exception("alert evaluation failed (%d failure(s) so far); "
                              "collection goes on", self.errors)
        finally:
            self.eval_cpu_s += time.thread_time() - started


class AlertRunner:
    """Owns an :class:`AlertEngine` for a collector service.

    Args:
        store: rules in, transitions out (called from ``submit``'s thread).
        engine: the engine (default: a new one).
        max_unsaved: most transitions kept while the store fails.
    """

    def __init__(self, store: AlertStore, engine: AlertEngine | None = None, *,
                 max_unsaved: int = DEFAULT_MAX_UNSAVED) -> None:
        self.store = store
        self.engine = engine or AlertEngine()
        self._unsaved: deque[AlertTransition] = deque()
        self._max = max_unsaved
        self._saving: Future[int] | None = None
        self._in_flight: list[AlertTransition] = []
        self._restored = False
        #: The devices polled at the last :meth:`apply` (``RuleSet.polled``).
        self._polled: frozenset[int] = frozenset()
        self.saved = 0
        self.save_errors = 0
        self.dropped = 0
        self.last_error = ""
        self.queue_wrapper: AlertingQueue | None = None
        self._pushed_due = 0.0
        self._pushed_failing = False
        self._pushed: Future[dict[int, list[dict[str, Any]]]] | None = None

    def queue(self, inner: Any) -> AlertingQueue:
        """Return the storage queue to give collectors instead of ``inner`` (the writer)."""
        self.queue_wrapper = AlertingQueue(inner, self.engine)
        return self.queue_wrapper

    def load(self, now: datetime) -> None:
        """Load the rules (and the first time, the open alerts) from the store, in
        the calling thread. Call it where the store may block (a worker thread)
        and apply the result with :meth:`apply`; or use :meth:`loaded` for tests.

        Raises:
            Exception: from the store.
        """
        self.apply(*self.loaded(), now)

    def loaded(self) -> tuple[RuleSet, Any]:
        """Read what :meth:`apply` needs: (rules, restored alerts or ``None``).

        Raises:
            Exception: from the store.
        """
        rules = self.store.load_rules()
        if not self._restored and isinstance(self.store, PushedLogSource):
            self.store.pushed_logs(())  # syslog lines stored from now on reach the rules
        if rules.polled is None:
            return rules, None if self._restored else self.store.load_open()
        # Sharing the fleet: the open alerts of the devices polled here, at start,
        # and later those of the devices taken over from another collector.
        new = rules.polled if not self._restored else rules.polled - self._polled
        if self._restored and not new:
            return rules, None
        stored = self.store.load_open()
        return rules, Restored(
            open=tuple(a for a in stored.open if a.device_id in new),
            firings=tuple(f for f in stored.firings if f[1] in new))

    def apply(self, rules: RuleSet, restored: Any, now: datetime) -> None:
        """Give the engine ``rules`` and, once, the ``restored`` alerts (sharing
        the fleet: also those of the devices taken over since)."""
        if restored is not None:
            self.engine.set_rules(rules, now)
            self.engine.restore(restored)
            self._restored = True
        self.engine.set_rules(rules, now)
        self._polled = rules.polled or frozenset()

    @property
    def reads_pushed_logs(self) -> bool:
        """Whether syslog lines reach the rules through the store
        (:class:`~mikromon.storage.protocols.PushedLogSource`: collectors share the
        fleet) rather than from this collector's receiver."""
        return isinstance(self.store, PushedLogSource)

    def _pushed_step(self, now: datetime, submit: Callable[..., Future[Any]]) -> None:
        """Evaluate the syslog lines the last read found; start the next read (of
        the devices polled here, :attr:`RuleSet.polled`) every
        :data:`PUSHED_LOGS_EVERY_S`. A failing read is logged once until one
        succeeds."""
        store, queue, reading = self.store, self.queue_wrapper, self._pushed
        if not isinstance(store, PushedLogSource) or queue is None:
            return
        if reading is not None:
            if not reading.done():
                return
            self._pushed = None
            err = reading.exception()
            if err is not None:
                if not self._pushed_failing:
                    log.warning("reading the syslog lines stored for the log rules failed "
                                "(%s); trying again", err)
                self._pushed_failing = True
            else:
                self._pushed_failing = False
                for device_id, rows in reading.result().items():
                    queue.observe_stored_logs(device_id, InventorySnapshot(
                        table=LOGS_TABLE, rows=rows, key_fields=LOG_KEY, ts=now,
                        append_only=True))
        if time.monotonic() >= self._pushed_due:
            self._pushed_due = time.monotonic() + PUSHED_LOGS_EVERY_S
            self._pushed = submit(store.pushed_logs, self._polled)

    @property
    def restored(self) -> bool:
        """Whether the open alerts were taken back from the store."""
        return self._restored

    def step(self, now: datetime, submit: Callable[..., Future[Any]]) -> None:
        """Advance the engine to ``now`` and hand new transitions to the store.

        Args:
            now: the time, UTC.
            submit: runs ``fn(*args)`` in the store's thread and returns a future
                (:meth:`mikromon.schedule.worker.HostWorker.submit`).
        """
        if not self._restored:
            return  # never evaluate timers before the stored alerts are back
        self._pushed_step(now, submit)
        self.engine.tick(now)
        for t in self.engine.drain():
            if len(self._unsaved) >= self._max:
                self._unsaved.popleft()
                self.dropped += 1
            self._unsaved.append(t)
        saving = self._saving
        if saving is not None:
            if not saving.done():
                return
            self._saving = None
            err = saving.exception()
            if err is None:
                self.saved += len(self._in_flight)
            else:
                self.save_errors += 1
                self.last_error = f"{type(err).__name__}: {err}"
                if self.save_errors == 1 or self.save_errors % 100 == 0:
                    log.warning("storing %d alert transition(s) failed (%s); trying again",
                                len(self._in_flight), self.last_error)
                self._unsaved.extendleft(reversed(self._in_flight))
            self._in_flight = []
        if self._unsaved:
            self._in_flight = list(self._unsaved)
            self._unsaved.clear()
            self._saving = submit(self.store.save_transitions, self._in_flight)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait for the save in flight (at most ``timeout`` s); ``True`` when nothing
        is left unsaved. Call after the last :meth:`step`."""
        saving = self._saving
        if saving is not None:
            try:
                saving.result(timeout)
                self.saved += len(self._in_flight)
                self._in_flight = []
                self._saving = None
            except Exception:
                return False
        return not self._unsaved

    def stats(self) -> dict[str, object]:
        """Engine counters plus saved, unsaved, save_errors, dropped, last_error,
        eval_cpu_s and eval_errors (JSON-serialisable)."""
        out: dict[str, object] = dict(self.engine.stats())
        queue = self.queue_wrapper
        out.update({
            "saved": self.saved, "unsaved": len(self._unsaved) + len(self._in_flight),
            "save_errors": self.save_errors, "dropped": self.dropped,
            "last_error": self.last_error,
            "eval_cpu_s": round(queue.eval_cpu_s, 3) if queue else 0.0,
            "eval_errors": queue.errors if queue else 0,
        })
        return out
