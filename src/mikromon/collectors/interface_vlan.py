"""``/interface/vlan`` (extended): the 802.1Q / 802.1ad VLAN interfaces.

Path: ``/interface/vlan`` (v6 and v7; v7 adds ``mvrp``), proplist: the fields
below. Fields as on MikroTik's manual page "VLAN" (name, mtu, arp, arp-timeout,
interface, use-service-tag, vlan-id, loop-protect and its times; read-only
l2mtu, mac-address, running). Example row (interface_vlan.v7.json, written from
that page: no public capture with values exists)::

    {".id": "*D", "name": "vlan10", "mtu": "1500", "actual-mtu": "1500", "l2mtu": "1592",
     "mac-address": "02:4A:00:00:10:02", "arp": "enabled", "arp-timeout": "auto",
     "loop-protect": "default", "loop-protect-status": "off",
     "loop-protect-send-interval": "5s", "loop-protect-disable-time": "5m",
     "vlan-id": "10", "interface": "bridge", "use-service-tag": "false", "mvrp": "false",
     "running": "true", "disabled": "false", "comment": "management"}

``vlan-id`` is an int (1..4094), the MTUs ints, the loop-protect times seconds
(float); ``arp-timeout`` stays text (``auto`` or a duration). v6 rows have no
``mvrp`` (``None``).

Bound: configuration, but an ISP's aggregation router carries a VLAN per customer
or per access switch (up to 4094 per parent interface), so the table is read by
:class:`~mikromon.collectors.table_collectors.BoundedTableCollector`:
``count-only`` first, printed only with at most
:data:`~mikromon.collectors.table_collectors.ROW_LIMIT` rows.

Produces: inventory table ``vlans`` (key ``name``).
"""

from __future__ import annotations

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import BoundedTableCollector
from mikromon.collectors.table_view import TableView
from mikromon.domain.errors import ValueParseError
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.durations import parse_duration
from mikromon.routeros.values.numbers import parse_bool, parse_int, parse_mtu

PATH = "/interface/vlan"


def parse_vlan_id(text: str) -> int:
    """Return an IEEE 802.1Q VLAN id (``"10"`` -> 10).

    Raises:
        ValueParseError: ``kind="VLAN id"``: not an integer, or outside 1..4094
            (0 and 4095 are reserved; RouterOS refuses them).
    """
    try:
        vid = parse_int(text)
    except ValueParseError:
        raise ValueParseError("VLAN id", text) from None
    if not 1 <= vid <= 4094:
        raise ValueParseError("VLAN id", text, "outside 1..4094")
    return vid


FIELDS = (
    Field("name"),
    Field("vlan-id", parse_vlan_id),
    Field("interface"),
    Field("mtu", parse_mtu),
    Field("actual-mtu", parse_mtu),
    Field("l2mtu", parse_mtu),
    Field("mac-address"),
    Field("arp"),
    Field("arp-timeout"),
    Field("use-service-tag", parse_bool),
    Field("mvrp", parse_bool),
    Field("loop-protect"),
    Field("loop-protect-status"),
    Field("loop-protect-send-interval", parse_duration),
    Field("loop-protect-disable-time", parse_duration),
    flag("running"),
    flag("disabled"),
    Field("comment"),
)

VIEW = TableView(
    "vlans", "VLANs", (PATH,),
    ("name", "vlan-id", "interface", "running", "disabled", "mtu", "use-service-tag", "comment"),
    sort="vlan-id", seconds=("loop-protect-send-interval", "loop-protect-disable-time"),
)

COLLECTOR = BoundedTableCollector("interface_vlan", Tier.EXTENDED, PATH, "vlans", FIELDS,
                                  ("name",), view=VIEW)
