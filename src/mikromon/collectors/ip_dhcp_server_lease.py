"""``/ip/dhcp-server/lease`` (short): active and total DHCP leases.

Path: ``/ip/dhcp-server/lease`` (v6 and v7, same keys but v7's ``age``), read
with two ``count-only`` prints: all leases, and those matching
``?status=bound``. No rows are downloaded (no proplist needed).
Example row (ip_dhcp_server_lease.v7.json)::

    {".id": "*1578", "address": "10.88.0.186", "mac-address": "02:48:E6:8C:F1:E1",
     "server": "defconf", "status": "bound", "expires-after": "2m38s", ...}

Offline static leases have status ``waiting`` (counted in the total only).

Produces: dhcp.active_leases (status bound), dhcp.total_leases (count).
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import count, sample
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient

PATH = "/ip/dhcp-server/lease"
BOUND = ("?status=bound",)


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
