"""``/system/resource/cpu`` (short): load of each CPU core.

Path: ``/system/resource/cpu`` (v6 and v7), proplist ``cpu,load``.
Example row (system_resource_cpu.v7.json, CCR2004 7.4)::

    {".id": "*1", "cpu": "cpu1", "load": "1", "irq": "0", "disk": "0"}

Produces: system.cpu.core_load_pct (label ``cpu``, percent). The average over
all cores is read every realtime poll by :mod:`system_resource`; per-core load
only shows imbalance, so it is read on the short tier.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read, sample
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values import parse_int

PATH = "/system/resource/cpu"
PROPLIST = ("cpu", "load")


class SystemResourceCpuCollector:
    """Reads the per-core CPU load each short poll."""

    name = "system_resource_cpu"
    tier = Tier.SHORT

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read every core's load.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
            ValueParseError: a load is not an integer.
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST)
        if rows:
            ts = ctx.clock()
            result.samples = [
                sample("system.cpu.core_load_pct", parse_int(row["load"]), ts, cpu=row["cpu"])
                for row in rows if row.get("cpu") and "load" in row
            ]
        return result
