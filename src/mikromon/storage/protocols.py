"""Storage ports between the framework-free core and whatever hosts it.

The Django application implements them in :mod:`mikromon.web`; tests and
other hosts (an Odoo addon, a script) can implement them too. All methods are
synchronous and are called from one writer thread (``Storage``) or from a
worker thread (``DeviceSource``, ``CollectorLock``), never from the event loop.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol, runtime_checkable

from mikromon.alerting.rules import Restored, RuleSet
from mikromon.domain.alerts import AlertTransition
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample


class DeviceSource(Protocol):
    """Where the collector reads device configuration from."""

    def load_devices(self) -> list[DeviceConfig]:
        """Return every device (enabled or not), with decrypted passwords."""
        ...

    def config_version(self) -> str:
        """Return a cheap token that changes whenever any device's configuration
        changes (added, edited, deleted), also when another process wrote it."""
        ...


class Storage(Protocol):
    """Where collected data goes. Called from the writer thread only.

    A storage may also implement :class:`BatchSampleStorage`'s
    ``write_samples_many`` (optional): the writer then hands it all the samples
    of a cycle, of every device, in one call instead of one call per device.

    A storage whose ``takes_blocks`` attribute is ``True`` (optional; see
    :func:`takes_blocks`) is given the raw counters of a reply as the
    :class:`~mikromon.domain.samples.CounterBlock` they were read in, and their
    rates as a :class:`~mikromon.domain.samples.SampleBlock`, among the samples
    (:data:`~mikromon.domain.samples.SampleItem`); any other is given the
    blocks' samples (:func:`~mikromon.domain.samples.each_sample`).
    """

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        """Append points and upsert latest values; return the number of points written."""
        ...

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Sync one table: insert new rows, update changed ones, mark rows the
        router no longer reports as gone (``append_only``: append new rows only)."""
        ...

    def write_status(self, status: DeviceStatus) -> None:
        """Update the device's state, last seen, last error and facts."""
        ...

    def write_events(self, events: Sequence[Event]) -> None:
        """Append events."""
        ...


class BatchSampleStorage(Storage, Protocol):
    """A :class:`Storage` that also writes the samples of many devices in one call.

    Optional: the writer checks for ``write_samples_many`` and falls back to one
    :meth:`Storage.write_samples` call per device when it is missing.
    """

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        """Write the samples of several devices at once; same rows as calling
        ``write_samples(device_id, samples)`` for each ``(device_id, samples)`` pair
        in order.

        Args:
            batches: ``(device_id, samples)`` pairs; a device may appear more than once.

        Returns:
            The number of points written, of all devices together.

        Raises:
            Exception: whatever the storage raises; the writer counts every sample of
                the call as failed (a batched call succeeds or fails as a whole,
                except that samples of devices deleted meanwhile are dropped
                without an error).
        """
        ...


def takes_blocks(storage: object) -> bool:
    """Whether ``storage`` takes blocks among its samples (its
    ``takes_blocks`` attribute is ``True``; see :class:`Storage`)."""
    return getattr(storage, "takes_blocks", False) is True


class CollectorLock(Protocol):
    """Makes sure only one collector runs per database."""

    def acquire(self) -> bool:
        """Try to become the active collector; ``True`` on success. Non-blocking."""
        ...

    def refresh(self) -> bool:
        """Renew the lease; ``False`` when it was lost (stop collecting)."""
        ...

    def release(self) -> None:
        """Give the lock up; never raises."""
        ...


class AlertStore(Protocol):
    """Where the rule engine's rules come from and its alerts go (the Django app's
    :class:`mikromon.web.alerts.store.DjangoAlertStore`). Called from the
    collector's host worker thread, never from the event loop.
    """

    def load_rules(self) -> RuleSet:
        """Return the enabled rules, the per-device overrides and every device's
        scope facts (name, site, tags, intervals, enabled)."""
        ...

    def load_open(self) -> Restored:
        """Return the stored pending and firing alerts and the recent firings (for
        flapping), so that a restarted engine neither notifies again nor forgets."""
        ...

    def save_transitions(self, transitions: Sequence[AlertTransition]) -> int:
        """Store transitions in order; return how many changed something.

        Idempotent per alert: a ``firing`` transition for an alert already firing,
        or a ``resolved`` one for an alert not open, changes nothing (a restart that
        replays a transition never records or notifies it twice). A ``resolved``
        transition whose ``previous`` is ``pending`` removes the pending alert
        (it never fired). Transitions of rules or devices deleted meanwhile are
        skipped.

        Raises:
            Exception: the database failed; the caller keeps the transitions and
                tries again.
        """
        ...


@runtime_checkable
class PushedLogSource(Protocol):
    """An :class:`AlertStore` of a collector sharing the fleet with others: the
    syslog lines a receiver (of any collector) stored for its devices, read back
    for its ``log`` rules (the receiving collector stores the lines of every
    router but evaluates none: each device's alerts stay with the collector
    polling it). Called from the host worker thread."""

    def pushed_logs(self, device_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
        """The syslog rows (``logs`` rows with ``source`` = ``"syslog"``) of
        ``device_ids`` stored since the previous call (none at the first call: it
        marks where reading starts), by device id, oldest first.

        Raises:
            Exception: the database failed (the next call tries again from the
                same place).
        """
        ...
