"""``/system/identity`` (extended): the router's name.

Path: ``/system/identity`` (v6 and v7: one row, only ``name``), proplist ``name``.
Example row (system_identity.json): ``{"name": "rtr-core-01"}``.

Produces: DeviceFacts.identity.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row

PATH = "/system/identity"
PROPLIST = ("name",)


class SystemIdentityCollector(PrintCollector):
    """Reads the identity each extended poll."""

    name = "system_identity"
    tier = Tier.EXTENDED

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Keep the identity as a device fact."""
        if rows and rows[0].get("name"):
            result.facts = DeviceFacts(identity=rows[0]["name"])
