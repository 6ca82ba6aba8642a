"""One storage call of the writer and what its failure means: counted in all
and per device, logged once per reason, and the database's stalls tracked.

What the storage raises decides (see :mod:`mikromon.schedule.writer`):
:class:`~mikromon.domain.errors.StorageUnavailable` starts a stall (nothing is
lost; the writer puts the rows back and waits 0.5 s, doubling up to 5 s);
:class:`~mikromon.domain.errors.PartialWrite` loses only the failed devices'
rows; anything else loses the call's rows, counted against each device.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, TypedDict, TypeVar, TypeVarTuple

from mikromon.domain.errors import PartialWrite, StorageUnavailable

__all__ = ["FAILED", "RETRY_S", "DeviceCounts", "DeviceWriteStats", "Failed", "StorageCalls",
           "split_calls"]

#: The writer's one log, whichever of its parts writes the line.
log = logging.getLogger("mikromon.schedule.writer")

#: Seconds before the first retry of an unavailable database, and at most
#: (doubling in between).
RETRY_S: Final = (0.5, 5.0)
_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


class Failed(enum.Enum):
    """What :meth:`StorageCalls.call` returns for a call that failed (not a stall)."""

    FAILED = "failed"


#: What :meth:`StorageCalls.call` returns for a call that failed (not a stall).
FAILED: Final = Failed.FAILED


@dataclass(slots=True)
class DeviceCounts:
    """One device's losses since start: rows dropped at the queue bound, rows
    lost to failed writes, and the reason of its last failed write."""

    rows_dropped: int = 0
    rows_failed: int = 0
    last_error: str = ""

    def as_dict(self) -> DeviceWriteStats:
        """``{"rows_dropped": int, "rows_failed": int, "last_error": str}``."""
        return {"rows_dropped": self.rows_dropped, "rows_failed": self.rows_failed,
                "last_error": self.last_error}


class DeviceWriteStats(TypedDict):
    """One device's writer counts (:meth:`DeviceCounts.as_dict`)."""

    rows_dropped: int
    rows_failed: int
    last_error: str


class StorageCalls:
    """Makes the writer's storage calls and keeps their failure counters.

    Args:
        max_rows: the sample queue's bound in rows (named in the stall message).
        queue_depth: items waiting now (named when the database returns).

    Attributes:
        write_errors: failed storage calls, partly failed ones included.
        rows_failed: rows lost to them.
        last_error: the last failure or unavailability, with the call.
        stalls: times the database became unavailable.
        devices: per device: rows dropped and rows lost.
        write_started: monotonic seconds the call in progress started, or ``None``.
    """

    def __init__(self, max_rows: int, queue_depth: Callable[[], int]) -> None:
        self._max = max_rows
        self._queue_depth = queue_depth
        self.write_errors = 0
        self.rows_failed = 0
        self.last_error = ""
        self.stalls = 0
        self.devices: dict[int, DeviceCounts] = {}
        self.write_started: float | None = None
        #: (device id, what) -> the reason last logged, until a write succeeds.
        self._logged: dict[tuple[int, str], str] = {}
        #: monotonic seconds when the database became unavailable, or None.
        self._unavailable_since: float | None = None
        self._retry_s = RETRY_S[0]

    def counts(self, device_id: int) -> DeviceCounts:
        """Return the device's counters (created on first use)."""
        counts = self.devices.get(device_id)
        if counts is None:
            counts = self.devices[device_id] = DeviceCounts()
        return counts

    def count_drop(self, device_id: int, rows: int) -> None:
        """Count ``rows`` of the device dropped at the queue bound."""
        self.counts(device_id).rows_dropped += rows

    @property
    def stalled(self) -> bool:
        """Whether the database is unavailable now."""
        return self._unavailable_since is not None

    def unavailable_for(self) -> float:
        """Seconds the database has been unavailable (0 when it is not)."""
        since = self._unavailable_since
        return round(max(time.monotonic() - since, 0.001), 3) if since is not None else 0.0

    def next_wait(self) -> float:
        """Seconds to wait before the next attempt on an unavailable database
        (0.5 s, then doubling up to 5 s)."""
        wait = self._retry_s
        self._retry_s = min(self._retry_s * 2, RETRY_S[1])
        return wait

    def call(self, what: str, rows: Mapping[int, int], fn: Callable[[*_Ts], _T],
             *args: *_Ts) -> _T | PartialWrite | Failed:
        """Call the storage; ``rows``: the call's rows per device.

        Returns the result; a :class:`PartialWrite` (its failed devices counted);
        or :data:`FAILED` when the call failed otherwise (all its rows counted as
        failed, per device).

        Raises:
            StorageUnavailable: passed on (recorded: the stall starts).
        """
        self.write_started = time.monotonic()
        try:
            result = fn(*args)
        except StorageUnavailable as err:
            self._stalled(what, err)
            raise
        except PartialWrite as err:
            self._available()
            self.write_errors += 1
            self.last_error = f"{what}: {err}"
            for device_id, reason in err.failed.items():
                self._device_failed(what, device_id, rows.get(device_id, 0), reason)
            self._succeeded(what, set(rows) - set(err.failed) - set(err.pending))
            return err
        except Exception as err:
            self.write_errors += 1
            reason = f"{type(err).__name__}: {err}"
            self.last_error = f"{what}: {reason}"
            first = not any((d, what) in self._logged for d in rows)
            for device_id, count in rows.items():
                self._device_failed(what, device_id, count, reason)
            if first:
                log.debug("storage %s failed", what, exc_info=True)
            return FAILED
        finally:
            self.write_started = None
        self._available()
        self._succeeded(what, rows)
        return result

    def _device_failed(self, what: str, device_id: int, rows: int, reason: str) -> None:
        """Count a device's lost rows; log once per (device, kind) and reason."""
        counts = self.counts(device_id)
        counts.rows_failed += rows
        counts.last_error = f"{what}: {reason}"
        self.rows_failed += rows
        key = (device_id, what)
        if self._logged.get(key) != reason:
            self._logged[key] = reason
            log.warning("storage %s failed for device id %s; its %d row(s) are lost "
                        "(counted per device; logged again only if the reason changes): %s",
                        what, device_id, rows, reason)

    def _succeeded(self, what: str, devices: Iterable[int]) -> None:
        if not self._logged:
            return
        for device_id in devices:
            if self._logged.pop((device_id, what), None) is not None:
                log.info("storage %s: writes succeed again for device id %s", what, device_id)

    def _stalled(self, what: str, err: StorageUnavailable) -> None:
        self.last_error = f"{what}: {err}"
        if self._unavailable_since is None:
            self._unavailable_since = time.monotonic()
            self.stalls += 1
            log.warning("%s; %s and everything queued is kept and retried (polling goes "
                        "on; beyond %d queued rows the oldest samples are dropped, "
                        "counted per device)", err, what, self._max)

    def _available(self) -> None:
        since = self._unavailable_since
        if since is None:
            return
        self._unavailable_since = None
        self._retry_s = RETRY_S[0]
        log.warning("database available again after %.1f s; writing what is queued "
                    "(%d item(s) waiting)", time.monotonic() - since, self._queue_depth())


def split_calls(by_device: dict[int, list[_T]], counts: Mapping[int, int], limit: int
                ) -> list[list[tuple[int, list[_T]]]]:
    """Split per-device sample lists (``counts``: the samples each stands for) into
    calls of at most ``limit`` samples each (a device's samples stay in one call; a
    device with more than ``limit`` gets a call of its own)."""
    calls: list[list[tuple[int, list[_T]]]] = []
    current: list[tuple[int, list[_T]]] = []
    size = 0
    for device_id, rows in by_device.items():
        count = counts[device_id]
        if current and size + count > limit:
            calls.append(current)
            current, size = [], 0
        current.append((device_id, rows))
        size += count
    if current:
        calls.append(current)
    return calls
