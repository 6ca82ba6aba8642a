"""Negotiated ethernet link rate (medium): what the utilisation alert divides by.

Two commands a poll:

1. ``/interface/ethernet/print`` with ``.proplist .id,name,running,disabled``
   (interface_ethernet.v7.json: ``"running": "true"``, ``"disabled": "false"``;
   false flags may be left out, as in ``/interface``);
2. for the running, enabled ports only, ``/interface/ethernet/monitor`` with
   ``=numbers=<.id>,<.id>...`` and ``=once=`` (one row per port, then ``!done``;
   without ``once`` the command streams until cancelled: shared/ROUTEROS-API.md
   §4). Ports are named by ``.id`` (a name may hold a comma), at most
   :data:`BATCH` per command.

The monitor row (interface_ethernet_monitor.v7.json) carries ``status``
(``link-ok``, ``no-link``...) and, with a link, ``rate`` (``10Mbps``, ``100Mbps``,
``1Gbps``, ``2.5Gbps``, ``10Gbps``...; help.mikrotik.com "Ethernet"); a port
without link has no ``rate``. Produces ``iface.link_speed_bps`` (label
``interface``, bits/s) for each row with ``status=link-ok`` and a rate; other
rows give nothing. A rate that cannot be read
(:func:`~mikromon.routeros.values.rates.parse_link_rate`) costs that port's sample
only (``bad_values``, named by the interface).

The reply's shape decides how rows are matched to ports, never the version:
rows that carry ``name`` are matched by name; a reply without names is matched
by order (RouterOS answers in the order the items were named) when it has one
row per port asked; any other reply gives no samples and a failure naming the
path.

Why medium: a link rate changes only when the link renegotiates (a cable
re-plugged, which the short tier's ``iface.running`` sees), and the monitor
command makes the router read each port's PHY; once every few minutes is
enough for the utilisation rule (until the next read it uses the last rate).
Both replies are bounded: :data:`PORTS_LIMIT` for the print,
:func:`monitor_limit` for each monitor command.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Values, read, run, sample
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row
from mikromon.routeros.values.numbers import parse_bool
from mikromon.routeros.values.rates import parse_link_rate

PATH = "/interface/ethernet"
COMMAND = "/interface/ethernet/monitor"
PROPLIST = (".id", "name", "running", "disabled")
KEY = "iface.link_speed_bps"
#: ``status`` of a port with link (interface_ethernet_monitor.v7.json).
LINK_OK = "link-ok"
#: Most ethernet ports printed: a CCR2216 has 20, a CHR a handful of virtual ones.
MAX_PORTS: Final = 1024
#: The print's reply limit (a proplisted row is well under 1 KiB).
PORTS_LIMIT: Final = ReplyLimit.for_rows(MAX_PORTS)
#: Most ports named in one monitor command.
BATCH: Final = 64
#: Bytes allowed per monitor row: an SFP port adds some 20 ``sfp-*`` fields.
MONITOR_ROW_BYTES: Final = 4096


def monitor_limit(ports: int) -> ReplyLimit:
    """Return the reply limit of a monitor command naming ``ports`` ports with
    ``once``: one row each (plus one sentence to spare), :data:`MONITOR_ROW_BYTES`
    a row."""
    return ReplyLimit.for_rows(ports + 1, MONITOR_ROW_BYTES)


def _flag(row: Row, field: str, values: Values, name: str) -> bool | None:
    """The flag ``field``: absent or empty is ``False``, unreadable ``None`` (recorded)."""
    text = row.get(field)
    if not text:
        return False
    return values.parse(text, parse_bool, field, name)


def running_ports(rows: Sequence[Row], values: Values) -> list[tuple[str, str]]:
    """Return ``(.id, name)`` of the ports that run and are enabled; rows
    without ``.id`` or ``name``, or with an unreadable flag, are left out."""
    out = []
    for row in rows:
        rid, name = row.get(".id"), row.get("name")
        if not rid or not name:
            continue
        if (_flag(row, "disabled", values, name) is False
                and _flag(row, "running", values, name) is True):
            out.append((rid, name))
    return out


def match_rows(rows: Sequence[Row], names: Sequence[str]) -> list[tuple[str, Row]] | None:
    """Pair each monitor row with its port name: by the rows' ``name`` when every
    row has one, else by order when there is one row per name; ``None`` when the
    reply fits neither shape."""
    if rows and all(row.get("name") for row in rows):
        return [(row["name"], row) for row in rows]
    if len(rows) == len(names):
        return list(zip(names, rows, strict=True))
    return None


def map_rows(pairs: Sequence[tuple[str, Row]], ts: datetime, values: Values) -> list[Sample]:
    """Return ``iface.link_speed_bps`` for each ``(name, row)`` with link and a rate."""
    out = []
    for name, row in pairs:
        if row.get("status") != LINK_OK or not row.get("rate"):
            continue
        bps = values.parse(row["rate"], parse_link_rate, "rate", name)
        if bps is not None:
            out.append(sample(KEY, bps, ts, interface=name))
    return out


class InterfaceEthernetMonitorCollector:
    """Reads the negotiated rate of each running ethernet port each medium poll."""

    name = "interface_ethernet_monitor"
    tier = Tier.MEDIUM
    path = PATH

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the link rates; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in
                ``absent``; ``CommandFailed`` when a port went away between the
                print and the monitor: the next poll asks for the ports then).
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST, limit=PORTS_LIMIT)
        if not rows:
            return result
        values = Values(PATH, result)
        ports = running_ports(rows, values)
        monitor = Values(COMMAND, result)
        ts = ctx.clock()
        for start in range(0, len(ports), BATCH):
            batch = ports[start:start + BATCH]
            args = {"numbers": ",".join(rid for rid, _ in batch), "once": ""}
            reply = await run(client, ctx, result, COMMAND, args,
                              limit=monitor_limit(len(batch)))
            if reply is None:
                return result
            pairs = match_rows(reply, [name for _, name in batch])
            if pairs is None:
                result.failures.append(
                    f"{self.name}: {COMMAND} rows carry no names and are not one per "
                    "port asked; link rates not read")
                continue
            result.samples.extend(map_rows(pairs, ts, monitor))
        return result
