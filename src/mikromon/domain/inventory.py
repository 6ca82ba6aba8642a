"""Inventory snapshots: the rows of one RouterOS table as the router reported them,
keyed for syncing into storage.

Rows keep RouterOS field names as RouterOS spells them (``mac-address``,
``last-link-up-time``) with values parsed to Python types (int, float, bool,
str, seconds as float for durations, UTC ``datetime`` as ISO text), so that
storage and the UI need no RouterOS knowledge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mikromon.domain.samples import CounterBlock, CounterReading, Sample

#: A value in an inventory row.
Scalar = str | int | float | bool | None
InventoryRow = Mapping[str, Scalar]


@dataclass(frozen=True, slots=True, kw_only=True)
class InventorySnapshot:
    """Every row of one inventory table, read at one instant.

    Attributes:
        table: inventory table name (``interfaces``, ``dhcp_leases``, ``logs``...).
        rows: the rows; each holds the fields in ``key_fields``.
        key_fields: the fields whose values identify a row across polls
            (``("name",)`` for interfaces, ``(".id",)`` or ``("mac-address",)``...).
        ts: when the router answered, UTC.
        append_only: ``True`` for logs: rows are appended without duplicates and
            never removed; ``False``: rows the router no longer reports are gone.
    """

    table: str
    rows: Sequence[InventoryRow]
    key_fields: tuple[str, ...]
    ts: datetime
    append_only: bool = False

    def row_key(self, row: InventoryRow) -> str:
        """Return the identity of ``row`` as one string (key field values joined)."""
        return "\x1f".join("" if row.get(f) is None else str(row.get(f)) for f in self.key_fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceFacts:
    """What a router says about itself (``/system/resource``, ``/system/identity``,
    ``/system/routerboard``). Fields are ``None`` when the router did not say.

    Attributes:
        identity: ``/system/identity`` name.
        board: ``board-name`` (``hAP ax^2``, ``CHR``).
        version: full version text (``7.16.2 (stable)``).
        architecture: ``architecture-name`` (``arm64``).
        uptime_s: seconds since boot.
        serial: routerboard ``serial-number``.
    """

    identity: str | None = None
    board: str | None = None
    version: str | None = None
    architecture: str | None = None
    uptime_s: float | None = None
    serial: str | None = None


@dataclass(frozen=True, slots=True)
class BadValue:
    """One field a router sent that could not be read, or held a value no router
    can have; it was stored as ``None`` (no sample), and only it.

    Attributes:
        path: the menu read (``/system/resource``).
        field: the RouterOS field (``cpu-load``); for ``/system/health`` rows of
            v7, the sensor's ``name`` (``cpu-temperature``).
        raw: the text as the router sent it (``"n/a"``, ``""``).
        reason: why it was refused (``not a RouterOS percent: 'n/a'``).
        row: which row, when the table has several (``ether3``, ``*1A``), else ``""``.
    """

    path: str
    field: str
    raw: str
    reason: str
    row: str = ""


@dataclass(slots=True, kw_only=True)
class CollectResult:
    """What one collector (or one whole tier) read from a router.

    Attributes:
        samples: gauge samples ready to store.
        counters: counter readings for the rate pipeline, one by one.
        counter_blocks: counter readings for the rate pipeline, a reply's
            together (:class:`~mikromon.domain.samples.CounterBlock`: the
            interface counters); :meth:`readings` gives both as readings.
        inventory: snapshots, one per table read.
        facts: device facts, when the collector reads them.
        absent: paths found missing on this router (``PathAbsent``), so the
            caller can skip them until the device's version or config changes.
        failures: one message per collector that failed (``CommandFailed``, a
            reply that could not be parsed...), while the others went on.
        bad_values: fields read as ``None`` because the router's text could not
            be read or was impossible (:class:`BadValue`); the rest of each row
            was read.
    """

    samples: list[Sample] = field(default_factory=list)
    counters: list[CounterReading] = field(default_factory=list)
    counter_blocks: list[CounterBlock] = field(default_factory=list)
    inventory: list[InventorySnapshot] = field(default_factory=list)
    facts: DeviceFacts | None = None
    absent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    bad_values: list[BadValue] = field(default_factory=list)

    def rate_inputs(self) -> list[CounterReading | CounterBlock]:
        """Return what the rate calculator takes of this result
        (:meth:`mikromon.pipeline.rates.RateCalculator.update`): :attr:`counters`,
        then :attr:`counter_blocks`."""
        return [*self.counters, *self.counter_blocks]

    def readings(self) -> list[CounterReading]:
        """Return every counter read: :attr:`counters`, then each block's
        readings (:meth:`CounterBlock.readings`)."""
        return [*self.counters, *(r for block in self.counter_blocks for r in block.readings())]

    def merge(self, other: CollectResult) -> None:
        """Add ``other``'s contents to this result (facts: the newest wins field by field)."""
        self.samples.extend(other.samples)
        self.counters.extend(other.counters)
        self.counter_blocks.extend(other.counter_blocks)
        self.inventory.extend(other.inventory)
        self.absent.extend(other.absent)
        self.failures.extend(other.failures)
        self.bad_values.extend(other.bad_values)
        if other.facts is not None:
            if self.facts is None:
                self.facts = other.facts
            else:
                merged = {
                    name: getattr(other.facts, name)
                    if getattr(other.facts, name) is not None
                    else getattr(self.facts, name)
                    for name in DeviceFacts.__dataclass_fields__
                }
                self.facts = DeviceFacts(**merged)



