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
from mikromon.collectors.support import Values, sample
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row
from mikromon.routeros.values.numbers import parse_percent

PATH = "/system/resource/cpu"
PROPLIST = ("cpu", "load")


class SystemResourceCpuCollector(PrintCollector):
    """Reads the per-core CPU load each short poll."""

    name = "system_resource_cpu"
    tier = Tier.SHORT

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Map every core's load.

        A core whose load cannot be read (or is outside 0..100) gives no sample
        and a ``bad_values`` entry; the other cores are read.
        """
        if rows:
            ts = ctx.clock()
            values = Values(PATH, result)
            for row in rows:
                cpu = row.get("cpu")
                load = values.get(row, "load", parse_percent, cpu or "") if cpu else None
                if cpu and load is not None:
                    result.samples.append(sample("system.cpu.core_load_pct", load, ts, cpu=cpu))
