"""``/ip/dhcp-server/lease``: lease counts (short) and the lease table (medium).

Path: ``/ip/dhcp-server/lease`` (v6 and v7; same keys except v7's ``age`` and
``class-id``). Example row (ip_dhcp_server_lease.v7.json)::

    {".id": "*1578", "address": "10.88.0.186", "mac-address": "02:48:E6:8C:F1:E1",
     "server": "defconf", "status": "bound", "expires-after": "2m38s",
     "last-seen": "2m22s", "active-address": "10.88.0.186",
     "host-name": "vacuum-v2_mibt0001", "dynamic": "false", "comment": "Vacuum", ...}

Offline static leases have status ``waiting``, ``last-seen=never``, no
``expires-after`` and no ``active-*`` keys. ``address`` of a static lease may be
a pool name (``dhcp_pool0``); ``active-address`` is then the address in use.
``client-id`` is ``type:hex`` without zero padding (``1:2:83:c2:36:5a:6e``).

Two collectors:

* :class:`DhcpServerLeaseCollector` (short): two ``count-only`` prints, all
  leases and ``?status=bound``. No rows are downloaded (no proplist needed).
  Produces dhcp.total_leases and dhcp.active_leases (count).
* :data:`TABLE` (medium): inventory table ``dhcp_leases``, key ``.id``, with
  the bound rule of :class:`~mikromon.collectors.table_collectors.BoundedTableCollector`:
  ``count-only`` first; at most :data:`~mikromon.collectors.table_collectors.ROW_LIMIT`
  (20,000) leases are printed with the proplist of :data:`FIELDS`; above that
  the table is not read this poll and ``result.failures`` says so.
  ``expires-after``, ``last-seen`` and ``age`` are seconds (float), ``None``
  when the router leaves them out or says ``never``; the flags are bool.

Why ``.id`` and not ``mac-address`` + ``server``: one client can hold two
leases on one server (the same MAC with two client-ids, e.g. a dual-boot PC),
and a key shared by two rows would hide one of them; ``.id`` is unique, and a
lease keeps it for as long as it exists.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, count, flag, sample
from mikromon.collectors.table_collectors import BoundedTableCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values.durations import parse_duration, parse_optional_duration

PATH = "/ip/dhcp-server/lease"
BOUND = ("?status=bound",)
TABLE_NAME = "dhcp_leases"
FIELDS = (
    Field(".id"),
    Field("address"),
    Field("mac-address"),
    Field("client-id"),
    Field("host-name"),
    Field("server"),
    Field("status"),
    Field("expires-after", parse_optional_duration),
    Field("last-seen", parse_optional_duration),
    Field("age", parse_duration),
    Field("active-address"),
    Field("active-mac-address"),
    Field("active-client-id"),
    Field("active-server"),
    Field("class-id"),
    Field("address-lists"),
    Field("dhcp-option"),
    flag("dynamic"),
    flag("disabled"),
    flag("blocked"),
    flag("radius"),
    flag("always-broadcast"),
    Field("comment"),
)


class DhcpServerLeaseCollector:
    """Counts DHCP leases each short poll."""

    name = "ip_dhcp_server_lease"
    tier = Tier.SHORT

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Count all and bound leases.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        total = await count(client, ctx, result, PATH)
        if total is None:
            return result
        active = await count(client, ctx, result, PATH, BOUND)
        ts = ctx.clock()
        result.samples.append(sample("dhcp.total_leases", total, ts))
        if active is not None:
            result.samples.append(sample("dhcp.active_leases", active, ts))
        return result


VIEW = TableView(TABLE_NAME, "DHCP leases", (PATH,),
                 ("address", "mac-address", "host-name", "status", "server", "expires-after"),
                 sort="address", seconds=("age", "expires-after", "last-seen"),
                 tab=Tab("dhcp", "DHCP leases"))
TABLE = BoundedTableCollector(
    "ip_dhcp_server_lease_table", Tier.MEDIUM, PATH, TABLE_NAME, FIELDS, (".id",), counted=True,
    view=VIEW,
)
