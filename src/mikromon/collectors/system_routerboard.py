"""``/system/routerboard`` (extended): serial number, model and firmware.

Path: ``/system/routerboard`` (v6 and v7: one row, no ``.id``), proplist: the
fields below. Example row (system_routerboard.v7.json)::

    {"routerboard": "true", "board-name": "hAP ac^3", "model": "RBD53iG-5HacD2HnD",
     "serial-number": "HCQ0000AAAA", "firmware-type": "ipq4000",
     "factory-firmware": "7.2.3", "current-firmware": "7.2.3", "upgrade-firmware": "7.5"}

On x86 and CHR installations the only key is ``routerboard=false`` (the console
prints just ``routerboard: no``; the emulator's ``chr`` profile answers the same):
not a RouterBOARD, so the table is stored empty (no row of blanks) and no serial.

Produces: DeviceFacts.serial; inventory table ``routerboard`` (one row, key
``serial-number``), where ``current-firmware`` != ``upgrade-firmware`` means a
firmware upgrade is waiting for a reboot.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, Values, flag, proplist, snapshot
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row

PATH = "/system/routerboard"
FIELDS = (
    flag("routerboard"),
    Field("board-name"),
    Field("model"),
    Field("revision"),
    Field("serial-number"),
    Field("firmware-type"),
    Field("factory-firmware"),
    Field("current-firmware"),
    Field("upgrade-firmware"),
)

PROPLIST = proplist(FIELDS)


class SystemRouterboardCollector(PrintCollector):
    """Reads the routerboard facts each extended poll."""

    name = "system_routerboard"
    tier = Tier.EXTENDED
    views = (TableView("routerboard", "Routerboard", (PATH,),
                       ("model", "serial-number", "current-firmware", "upgrade-firmware"),
                       tab=Tab("routerboard", "Routerboard", always=False)),)

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Keep the routerboard row (none on a CHR) and its serial number as a fact."""
        boards = [row for row in rows[:1] if row.get("routerboard") != "false"]
        result.inventory.append(
            snapshot("routerboard", boards, FIELDS, ("serial-number",), ctx.clock(),
                     reader=Values(PATH, result))
        )
        if rows and rows[0].get("serial-number"):
            result.facts = DeviceFacts(serial=rows[0]["serial-number"])
