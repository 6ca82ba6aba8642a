"""``/system/resource`` (realtime): CPU, memory, disk, uptime and device facts.

Path: ``/system/resource`` (v6 and v7: one row, no ``.id``).
Proplist: uptime, version, cpu-load, cpu-count, cpu-frequency, free-memory,
total-memory, free-hdd-space, total-hdd-space, architecture-name, board-name.

Example row (system_resource.v7.json, 7.20.5 hAP ax^2)::

    {"uptime": "1h12m40s", "version": "7.20.5 (stable)", "free-memory": "705699840",
     "total-memory": "1073741824", "cpu-count": "4", "cpu-frequency": "864",
     "cpu-load": "7", "free-hdd-space": "92979200", "total-hdd-space": "134217728",
     "architecture-name": "arm64", "board-name": "hAP ax^2", ...}

Memory and disk are bytes, ``cpu-load`` percent, ``cpu-frequency`` MHz, all
without units on the API (capture notes). ``cpu-frequency`` is missing on some
boards (CCR2004 7.12.2): then no frequency sample.

Every field is read on its own (:class:`~mikromon.collectors.support.Values`):
an unreadable or impossible one (``cpu-load=n/a``, ``cpu-load=150``, a negative
or 2^64-near size, a negative uptime) gives no sample for that field and a
``bad_values`` entry; the others are read as usual. ``used_pct`` needs both
sizes of its pair, and free at most total. ``version`` is kept as the router's
text (``7.19beta2``, ``7.x (development)`` alike); what it says is judged
elsewhere, and nothing here needs it.

Produces: system.cpu.load_pct, system.cpu.count, system.cpu.frequency_hz,
system.memory.used_pct / free_bytes / total_bytes, system.disk.used_pct /
free_bytes / total_bytes, system.uptime_seconds; DeviceFacts version, board,
architecture, uptime_s.
"""

from __future__ import annotations

from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Values, sample
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row
from mikromon.routeros.values.durations import parse_elapsed
from mikromon.routeros.values.numbers import parse_counter, parse_percent

PATH = "/system/resource"
PROPLIST = (
    "uptime", "version", "cpu-load", "cpu-count", "cpu-frequency", "free-memory",
    "total-memory", "free-hdd-space", "total-hdd-space", "architecture-name", "board-name",
)


def map_row(
    row: Row, ts: datetime, reader: Values | None = None
) -> tuple[list[Sample], DeviceFacts]:
    """Map the resource row to samples and facts, each field on its own.

    Args:
        row: the ``/system/resource`` row.
        ts: time of the reply, UTC.
        reader: records refused values (default: a throw-away one).

    Returns:
        The samples of the fields that could be read, and the facts (``None``
        for what the router did not say or said unreadably).
    """
    values = reader if reader is not None else Values(PATH, CollectResult())
    samples: list[Sample] = []
    load = values.get(row, "cpu-load", parse_percent)
    if load is not None:
        samples.append(sample("system.cpu.load_pct", load, ts))
    cores = values.get(row, "cpu-count", parse_counter)
    if cores is not None:
        samples.append(sample("system.cpu.count", cores, ts))
    if row.get("cpu-frequency") != "":  # some boards send it empty: no frequency
        mhz = values.get(row, "cpu-frequency", parse_counter)
        if mhz is not None:
            samples.append(sample("system.cpu.frequency_hz", mhz * 1_000_000, ts))
    for prefix, free_key, total_key in (
        ("system.memory", "free-memory", "total-memory"),
        ("system.disk", "free-hdd-space", "total-hdd-space"),
    ):
        free = values.get(row, free_key, parse_counter)
        total = values.get(row, total_key, parse_counter)
        if free is not None and total is not None and free > total:
            values.bad(free_key, row[free_key], f"above {total_key} ({total})")
            free = None
        if free is not None:
            samples.append(sample(f"{prefix}.free_bytes", free, ts))
        if total is not None:
            samples.append(sample(f"{prefix}.total_bytes", total, ts))
        if free is not None and total:
            samples.append(sample(f"{prefix}.used_pct", (total - free) * 100.0 / total, ts))
    uptime = values.get(row, "uptime", parse_elapsed)
    if uptime is not None:
        samples.append(sample("system.uptime_seconds", uptime, ts))
    facts = DeviceFacts(
        version=row.get("version") or None,
        board=row.get("board-name") or None,
        architecture=row.get("architecture-name") or None,
        uptime_s=uptime,
    )
    return samples, facts


class SystemResourceCollector(PrintCollector):
    """Reads ``/system/resource`` every realtime poll."""

    name = "system_resource"
    tier = Tier.REALTIME

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Map the resource row; see the module docstring for what it produces."""
        if rows:
            result.samples, result.facts = map_row(rows[0], ctx.clock(), Values(PATH, result))
