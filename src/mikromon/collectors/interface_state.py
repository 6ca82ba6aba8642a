"""Interface link state (short): which interfaces run, within a minute.

Path: ``/interface``, ``.proplist name,running,disabled,dynamic`` only
(interface.v6.json / interface.v7.json: ``"running": "true"``,
``"disabled": "false"``, ``"dynamic": "true"`` on PPP/L2TP server interfaces).
The full interface inventory stays on the medium tier (:mod:`interface`).

Dynamic interfaces (``pppoe-in``, ``l2tp-in``: they come and go with sessions) are
left out. Produces, label ``interface``: iface.running (1/0) for every enabled
interface, iface.disabled (1) for disabled ones, what the ``link_down`` alert
rule reads (a disabled interface is never "down"). A flag that cannot be read
costs that interface's sample only (listed in ``bad_values``). The reply limit
is the inventory's (:data:`interface.REPLY_LIMIT`: a BRAS lists one dynamic
interface per session).
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.interface import REPLY_LIMIT
from mikromon.collectors.support import Values, read, sample
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values.numbers import parse_bool

PATH = "/interface"
PROPLIST = ("name", "running", "disabled", "dynamic")


def _flag(row: Row, field: str, values: Values) -> bool | None:
    """The flag ``field`` of ``row``: absent or empty is ``False`` (v6/v7 leave
    false flags out), unreadable is ``None`` (recorded)."""
    text = row.get(field)
    if not text:
        return False
    return values.parse(text, parse_bool, field, row.get("name", ""))


class InterfaceStateCollector:
    """Reads each interface's running/disabled flags each short poll."""

    name = "interface_state"
    tier = Tier.SHORT

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the flags; see the module docstring.

        Raises:
            DeviceError: from the client.
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST, limit=REPLY_LIMIT)
        if not rows:
            return result
        ts = ctx.clock()
        values = Values(PATH, result)
        out = []
        for row in rows:
            name = row.get("name")
            if not name or _flag(row, "dynamic", values) is not False:
                continue
            disabled = _flag(row, "disabled", values)
            if disabled:
                out.append(sample("iface.disabled", 1, ts, interface=name))
            elif disabled is False:
                running = _flag(row, "running", values)
                if running is not None:
                    out.append(sample("iface.running", 1 if running else 0, ts,
                                      interface=name))
        result.samples = out
        return result
