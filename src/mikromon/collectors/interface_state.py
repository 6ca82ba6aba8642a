"""Interface link state (short): which interfaces run, within a minute.

Path: ``/interface``, ``.proplist name,running,disabled,dynamic`` only
(interface.v6.json / interface.v7.json: ``"running": "true"``,
``"disabled": "false"``, ``"dynamic": "true"`` on PPP/L2TP server interfaces).
The full interface inventory stays on the medium tier (:mod:`interface`).

Dynamic interfaces (``pppoe-in``, ``l2tp-in``: they come and go with sessions) are
left out. Produces, label ``interface``: iface.running (1/0) for every enabled
interface, iface.disabled (1) for disabled ones, what the ``link_down`` alert
rule reads (a disabled interface is never "down").
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read, sample
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values import parse_bool

PATH = "/interface"
PROPLIST = ("name", "running", "disabled", "dynamic")


def _flag(text: str | None) -> bool:
    return bool(text) and parse_bool(text)  # type: ignore[arg-type]


class InterfaceStateCollector:
    """Reads each interface's running/disabled flags each short poll."""

    name = "interface_state"
    tier = Tier.SHORT

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the flags; see the module docstring.

        Raises:
            DeviceError: from the client.
            ValueParseError: a flag is not a RouterOS boolean.
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST)
        if not rows:
            return result
        ts = ctx.clock()
        out = []
        for row in rows:
            name = row.get("name")
            if not name or _flag(row.get("dynamic")):
                continue
            if _flag(row.get("disabled")):
                out.append(sample("iface.disabled", 1, ts, interface=name))
            else:
                out.append(sample("iface.running", 1 if _flag(row.get("running")) else 0, ts,
                                  interface=name))
        result.samples = out
        return result
