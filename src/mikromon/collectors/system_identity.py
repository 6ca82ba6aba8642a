"""``/system/identity`` (extended): the router's name.

Path: ``/system/identity`` (v6 and v7: one row, only ``name``), proplist ``name``.
Example row (system_identity.json): ``{"name": "rtr-core-01"}``.

Produces: DeviceFacts.identity.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient

PATH = "/system/identity"
PROPLIST = ("name",)


class SystemIdentityCollector:
    """Reads the identity each extended poll."""

    name = "system_identity"
    tier = Tier.EXTENDED

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the identity.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST)
        if rows and rows[0].get("name"):
            result.facts = DeviceFacts(identity=rows[0]["name"])
        return result
