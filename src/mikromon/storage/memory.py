"""In-memory implementations of the storage ports, for tests, the demo and hosts
that embed the collector without a database.

- :class:`InMemoryStorage`: a :class:`~mikromon.storage.protocols.Storage` (with the
  batched ``write_samples_many``) keeping points,
  latest values, inventory, statuses and events in dictionaries.
- :class:`StaticDeviceSource`: a :class:`~mikromon.storage.protocols.DeviceSource` over a
  mutable list with a version counter.
- :class:`InProcessLock`: a :class:`~mikromon.storage.protocols.CollectorLock` with a
  lease; :meth:`InProcessLock.contender` gives a second lock competing for the
  same lease (two collectors in one process).

All are thread-safe.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from mikromon.domain import catalog
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventoryRow, InventorySnapshot
from mikromon.domain.samples import Labels, Sample

SeriesKey = tuple[int, str, Labels]

_keeps_history = functools.cache(catalog.keeps_history)


class InMemoryStorage:
    """Keeps what the collector writes, and lets tests wait for it.

    Args:
        keep_samples: points kept per device (oldest dropped first); ``None`` keeps all.
    """

    def __init__(self, keep_samples: int | None = None) -> None:
        self._cond = threading.Condition()
        self._keep = keep_samples
        self._points: dict[int, deque[Sample]] = {}
        self._latest: dict[SeriesKey, Sample] = {}
        self._inventory: dict[tuple[int, str], dict[str, InventoryRow]] = {}
        self._gone: dict[tuple[int, str], set[str]] = {}
        self._statuses: dict[int, DeviceStatus] = {}
        self._events: list[Event] = []
        #: Total points written.
        self.points_written = 0
        #: Calls per method name.
        self.calls: dict[str, int] = {}

    # -- Storage ------------------------------------------------------------------

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        """Append points and update latest values; return the number of points
        written (raw counters update only the latest value, as in the database:
        :func:`mikromon.domain.catalog.keeps_history`)."""
        with self._cond:
            self._count("write_samples")
            points = self._points.get(device_id)
            if points is None:
                points = self._points[device_id] = deque(maxlen=self._keep)
            kept = [s for s in samples if _keeps_history(s.key)]
            points.extend(kept)
            for s in samples:
                self._latest[(device_id, s.key, s.labels)] = s
            self.points_written += len(kept)
            self._cond.notify_all()
            return len(kept)

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        """Write several devices' samples: :meth:`write_samples` for each
        ``(device_id, samples)`` pair in order (so a subclass overriding
        ``write_samples`` sees every device); return the number written."""
        with self._cond:
            self._count("write_samples_many")
        return sum(self.write_samples(device_id, samples) for device_id, samples in batches)

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Sync one table by ``snapshot.key_fields`` (``append_only``: add new rows only)."""
        with self._cond:
            self._count("write_inventory")
            where = (device_id, snapshot.table)
            table = self._inventory.setdefault(where, {})
            gone = self._gone.setdefault(where, set())
            seen = set()
            for row in snapshot.rows:
                key = snapshot.row_key(row)
                seen.add(key)
                if snapshot.append_only and key in table:
                    continue
                table[key] = dict(row)
                gone.discard(key)
            if not snapshot.append_only:
                gone.update(k for k in table if k not in seen)
            self._cond.notify_all()

    def write_status(self, status: DeviceStatus) -> None:
        """Store the device's status (``None`` fields keep the stored value)."""
        with self._cond:
            self._count("write_status")
            old = self._statuses.get(status.device_id)
            if old is not None:
                status = status.over(old)
            self._statuses[status.device_id] = status
            self._cond.notify_all()

    def write_events(self, events: Sequence[Event]) -> None:
        """Append events."""
        with self._cond:
            self._count("write_events")
            self._events.extend(events)
            self._cond.notify_all()

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    # -- reading (tests, demo) ----------------------------------------------------------

    def points(self, device_id: int, key: str | None = None,
               **labels: str) -> list[Sample]:
        """Return the points kept for a device, optionally of one key and labels."""
        with self._cond:
            out = list(self._points.get(device_id, ()))
        if key is not None:
            out = [s for s in out if s.key == key]
        for name, value in labels.items():
            out = [s for s in out if s.label(name) == value]
        return out

    def latest(self, device_id: int) -> dict[tuple[str, Labels], Sample]:
        """Return the latest value of every series of a device."""
        with self._cond:
            return {(k, lb): s for (d, k, lb), s in self._latest.items() if d == device_id}

    def inventory(self, device_id: int, table: str, *, include_gone: bool = False
                  ) -> list[InventoryRow]:
        """Return a table's rows (without rows the router stopped reporting)."""
        with self._cond:
            rows = self._inventory.get((device_id, table), {})
            gone = self._gone.get((device_id, table), set())
            return [r for k, r in rows.items() if include_gone or k not in gone]

    def tables(self, device_id: int) -> set[str]:
        """Return the names of the inventory tables stored for a device."""
        with self._cond:
            return {t for d, t in self._inventory if d == device_id}

    def status(self, device_id: int) -> DeviceStatus | None:
        """Return the device's stored status."""
        with self._cond:
            return self._statuses.get(device_id)

    def events(self, device_id: int | None = None, kind: EventKind | None = None) -> list[Event]:
        """Return events, optionally of one device and kind, oldest first."""
        with self._cond:
            out = list(self._events)
        return [e for e in out
                if (device_id is None or e.device_id == device_id)
                and (kind is None or e.kind == kind)]

    def wait_for(self, predicate: Callable[[InMemoryStorage], bool], timeout: float) -> bool:
        """Block until ``predicate(self)`` holds after a write (or now); return whether
        it did within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                # The predicate reads through the public methods, which take the
                # (re-entrant) condition lock themselves.
                if predicate(self):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)


class StaticDeviceSource:
    """Devices from a list the host edits; every edit bumps the version token.

    Args:
        devices: the initial devices.
    """

    def __init__(self, devices: Iterable[DeviceConfig] = ()) -> None:
        self._lock = threading.Lock()
        self._devices: dict[int, DeviceConfig] = {}
        self._version = 0
        for d in devices:
            self._add(d)
        #: How many times load_devices was called.
        self.loads = 0

    def _add(self, config: DeviceConfig) -> None:
        if config.id in self._devices:
            raise ValueError(f"device id {config.id} ({config.label}) is already present")
        self._devices[config.id] = config

    def load_devices(self) -> list[DeviceConfig]:
        """Return every device, in id order."""
        with self._lock:
            self.loads += 1
            return [self._devices[k] for k in sorted(self._devices)]

    def config_version(self) -> str:
        """Return the edit counter as text."""
        with self._lock:
            return str(self._version)

    def add(self, config: DeviceConfig) -> None:
        """Add a device.

        Raises:
            ValueError: a device with that id exists.
        """
        with self._lock:
            self._add(config)
            self._version += 1

    def update(self, config: DeviceConfig) -> None:
        """Replace the device with ``config.id``.

        Raises:
            KeyError: no such device.
        """
        with self._lock:
            if config.id not in self._devices:
                raise KeyError(f"no device with id {config.id}")
            self._devices[config.id] = config
            self._version += 1

    def remove(self, device_id: int) -> None:
        """Delete a device.

        Raises:
            KeyError: no such device.
        """
        with self._lock:
            del self._devices[device_id]
            self._version += 1

    def get(self, device_id: int) -> DeviceConfig:
        """Return the device with ``device_id``.

        Raises:
            KeyError: no such device.
        """
        with self._lock:
            return self._devices[device_id]


class _Lease:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holder: object | None = None
        self.expires = 0.0


class InProcessLock:
    """A collector lock with a lease, held by one :class:`InProcessLock` at a time
    among those sharing its lease (see :meth:`contender`).

    Args:
        lease_s: seconds a holder keeps the lock without refreshing it.
        clock: monotonic seconds.
    """

    def __init__(self, lease_s: float = 30.0, *, clock: Callable[[], float] = time.monotonic,
                 _lease: _Lease | None = None) -> None:
        self._lease = _lease or _Lease()
        self._lease_s = lease_s
        self._clock = clock

    def contender(self) -> InProcessLock:
        """Return another lock competing for the same lease."""
        return InProcessLock(self._lease_s, clock=self._clock, _lease=self._lease)

    @property
    def held(self) -> bool:
        """Whether this lock holds an unexpired lease."""
        lease = self._lease
        with lease.lock:
            return lease.holder is self and self._clock() < lease.expires

    def acquire(self) -> bool:
        """Take the lease if it is free, expired, or already ours."""
        lease = self._lease
        with lease.lock:
            now = self._clock()
            if lease.holder is None or lease.holder is self or now >= lease.expires:
                lease.holder = self
                lease.expires = now + self._lease_s
                return True
            return False

    def refresh(self) -> bool:
        """Extend our lease; ``False`` when another holder has it or it expired."""
        lease = self._lease
        with lease.lock:
            now = self._clock()
            if lease.holder is not self or now >= lease.expires:
                return False
            lease.expires = now + self._lease_s
            return True

    def release(self) -> None:
        """Give the lease up if we hold it."""
        lease = self._lease
        with lease.lock:
            if lease.holder is self:
                lease.holder = None
                lease.expires = 0.0

    def revoke(self) -> None:
        """Take the lease away from whoever holds it (tests: a lost lease)."""
        lease = self._lease
        with lease.lock:
            lease.holder = None
            lease.expires = 0.0
