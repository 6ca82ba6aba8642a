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

Produces: system.cpu.load_pct, system.cpu.count, system.cpu.frequency_hz,
system.memory.used_pct / free_bytes / total_bytes, system.disk.used_pct /
free_bytes / total_bytes, system.uptime_seconds; DeviceFacts version, board,
architecture, uptime_s.
"""

from __future__ import annotations

from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read, sample
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values import parse_duration, parse_int

PATH = "/system/resource"
PROPLIST = (
    "uptime", "version", "cpu-load", "cpu-count", "cpu-frequency", "free-memory",
    "total-memory", "free-hdd-space", "total-hdd-space", "architecture-name", "board-name",
)


def _used_pct(free: int, total: int) -> float | None:
    return None if total <= 0 else (total - free) * 100.0 / total


def map_row(row: Row, ts: datetime) -> tuple[list[Sample], DeviceFacts]:
    """Map the resource row to samples and facts.

    Raises:
        ValueParseError: a numeric field holds something else.
    """
    samples: list[Sample] = []
    uptime: float | None = None
    if "cpu-load" in row:
        samples.append(sample("system.cpu.load_pct", parse_int(row["cpu-load"]), ts))
    if "cpu-count" in row:
        samples.append(sample("system.cpu.count", parse_int(row["cpu-count"]), ts))
    if row.get("cpu-frequency"):
        mhz = parse_int(row["cpu-frequency"])
        samples.append(sample("system.cpu.frequency_hz", mhz * 1_000_000, ts))
    for prefix, free_key, total_key in (
        ("system.memory", "free-memory", "total-memory"),
        ("system.disk", "free-hdd-space", "total-hdd-space"),
    ):
        if free_key in row and total_key in row:
            free, total = parse_int(row[free_key]), parse_int(row[total_key])
            used = _used_pct(free, total)
            if used is not None:
                samples.append(sample(f"{prefix}.used_pct", used, ts))
            samples.append(sample(f"{prefix}.free_bytes", free, ts))
            samples.append(sample(f"{prefix}.total_bytes", total, ts))
    if "uptime" in row:
        uptime = parse_duration(row["uptime"])
        samples.append(sample("system.uptime_seconds", uptime, ts))
    facts = DeviceFacts(
        version=row.get("version") or None,
        board=row.get("board-name") or None,
        architecture=row.get("architecture-name") or None,
        uptime_s=uptime,
    )
    return samples, facts


class SystemResourceCollector:
    """Reads ``/system/resource`` every realtime poll."""

    name = "system_resource"
    tier = Tier.REALTIME

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the resource row; see the module docstring for what it produces.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
            ValueParseError: a numeric field holds something else.
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST)
        if rows:
            result.samples, result.facts = map_row(rows[0], ctx.clock())
        return result
