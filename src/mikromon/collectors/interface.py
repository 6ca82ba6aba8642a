"""``/interface``: traffic counters (realtime) and the interface inventory (medium).

Path: ``/interface`` (same on v6 and v7).

Counters, proplist ``.id,name,rx-byte,tx-byte,rx-packet,tx-packet,rx-error,
tx-error,rx-drop,tx-drop``. Example row (interface.v7.json)::

    {".id": "*1", "name": "ether1", "rx-byte": "205164277", "tx-byte": "147977500",
     "rx-packet": "158254", "tx-packet": "150156", "rx-drop": "0", "tx-drop": "0",
     "rx-error": "0", "tx-error": "0", ...}

Produces one :class:`~mikromon.domain.samples.CounterBlock` a poll: a row per
interface (label ``interface`` = name, identity = ``.id``), columns
iface.rx_bytes, iface.tx_bytes, iface.rx_packets, iface.tx_packets,
iface.rx_errors, iface.tx_errors, iface.rx_drops, iface.tx_drops, width 64 (the
counters are 64-bit decimal strings that reset on reboot). The rate pipeline
turns them into iface.rx_bps, iface.tx_bps, iface.rx_pps ... iface.tx_drops_ps.
Each counter of each interface is read on its own: an empty, unreadable or
impossible one (negative, near 2^64) costs that counter of that interface only
(listed in ``bad_values``).

Inventory (table ``interfaces``, key ``name``), proplist ``name,default-name,
type,mac-address,mtu,actual-mtu,running,disabled,slave,dynamic,comment,
last-link-up-time,last-link-down-time,link-downs``. ``mtu`` is an int or the
text ``auto`` (bridges); link times are router-local times (v6 ``jun/10/2019
10:33:35``, v7.10+ ``2022-07-19 12:37:09``) stored as UTC ISO text
(``2022-07-19T09:37:09+00:00``, converted with ``/system/clock``, read in this
tier when the table has rows; see :mod:`mikromon.collectors.clock`), or ``None``
when the link never changed (field absent or ``never``);
``running``/``disabled``/``slave``/``dynamic`` are bools (absent -> ``False``);
a value that cannot be read is ``None`` (listed in ``bad_values``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.clock import localize_snapshot, router_clock
from mikromon.collectors.support import Field, Values, flag, int_or_auto, proplist, read, snapshot
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.collectors.table_view import TableView
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import CounterBlock, Labels, make_labels
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row
from mikromon.routeros.values.dates import parse_optional_datetime
from mikromon.routeros.values.numbers import parse_counter, parse_mtu

PATH = "/interface"
#: Reply limit of both prints: a BRAS lists one dynamic ``pppoe-in`` interface per
#: session (10,000+ on a big one), so 50,000 rows of 1 KiB (proplisted rows are
#: about 200 bytes, interface.v7.json).
REPLY_LIMIT = ReplyLimit.for_rows(50_000)
#: RouterOS counter field -> counter key.
COUNTERS = {
    "rx-byte": "iface.rx_bytes",
    "tx-byte": "iface.tx_bytes",
    "rx-packet": "iface.rx_packets",
    "tx-packet": "iface.tx_packets",
    "rx-error": "iface.rx_errors",
    "tx-error": "iface.tx_errors",
    "rx-drop": "iface.rx_drops",
    "tx-drop": "iface.tx_drops",
}
COUNTER_PROPLIST = (".id", "name", *COUNTERS)
_COUNTER_FIELDS = tuple(COUNTERS)
_COUNTER_KEYS = tuple(COUNTERS.values())

INVENTORY_FIELDS = (
    Field("name"),
    Field("default-name"),
    Field("type"),
    Field("mac-address"),
    Field("mtu", int_or_auto),
    Field("actual-mtu", parse_mtu),
    flag("running"),
    flag("disabled"),
    flag("slave"),
    flag("dynamic"),
    Field("comment"),
    Field("last-link-up-time", parse_optional_datetime),
    Field("last-link-down-time", parse_optional_datetime),
    Field("link-downs", parse_counter),
)

#: Router-local time columns, stored in UTC.
LOCAL_TIMES = ("last-link-up-time", "last-link-down-time")


def map_counters(
    rows: Sequence[Row], ts: datetime, mono: float, reader: Values | None = None
) -> CounterBlock:
    """Map interface rows to one block of counters: a row per named interface
    (in reply order), a column per counter of :data:`COUNTERS`.

    Args:
        rows: ``/interface`` rows.
        ts: time of the reply, UTC.
        mono: monotonic seconds of the reply.
        reader: records refused counters (default: a throw-away one).

    Returns:
        The block (width 64); a counter absent from its row, or refused, is
        ``None`` (no reading).
    """
    values_of = reader if reader is not None else Values(PATH, CollectResult())
    labels: list[Labels] = []
    identities: list[str] = []
    values: list[int | None] = []
    add = values.append
    for row in rows:
        name = row.get("name")
        if not name:
            continue
        labels.append(_labels(name) if type(name) is str else make_labels(interface=name))
        identities.append(row.get(".id", ""))
        get = row.get
        for field in _COUNTER_FIELDS:
            raw = get(field)
            if raw is None:
                add(None)
                continue
            # Values.get, unrolled: this runs for 96 counters every realtime poll.
            try:
                add(parse_counter(raw))
            except ValueParseError as err:
                values_of.bad(field, raw, str(err), name)
                add(None)
    return CounterBlock(_COUNTER_KEYS, labels, identities, values, ts, mono, 64)


@functools.lru_cache(maxsize=4096)
def _labels(name: str) -> Labels:
    """The labels of interface ``name`` (the same tuple every poll)."""
    return make_labels(interface=name)


class InterfaceCountersCollector(PrintCollector):
    """Reads the traffic counters of every interface each realtime poll."""

    name = "interface_counters"
    tier = Tier.REALTIME

    path = PATH
    proplist = COUNTER_PROPLIST
    reply_limit = REPLY_LIMIT

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Map the counters; see the module docstring."""
        result.counter_blocks.append(
            map_counters(rows, ctx.clock(), ctx.monotonic(), Values(PATH, result)))


class InterfaceInventoryCollector:
    """Reads the interface list (type, MAC, MTU, state, link times) each medium poll."""

    name = "interface"
    tier = Tier.MEDIUM
    views = (TableView("interfaces", "Interfaces", (PATH,),
                       ("name", "type", "running", "disabled", "mac-address", "mtu", "comment"),
                       sort="name"),)

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the inventory; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, proplist(INVENTORY_FIELDS),
                          limit=REPLY_LIMIT)
        if rows is not None:
            snap = snapshot("interfaces", rows, INVENTORY_FIELDS, ("name",), ctx.clock(),
                            reader=Values(PATH, result))
            if rows:
                clock = await router_clock(client, ctx, result)
                snap = localize_snapshot(snap, LOCAL_TIMES, clock)
            result.inventory.append(snap)
        return result
