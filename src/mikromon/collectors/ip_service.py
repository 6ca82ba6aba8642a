"""``/ip/service`` (extended): the router's management services.

Path: ``/ip/service`` (v6 and v7; v7 adds ``vrf``, ``max-sessions``), proplist:
the fields below. Example row (ip_service.v7.json)::

    {".id": "*5", "name": "api", "port": "8728", "address": "10.0.0.0/8", "vrf": "main",
     "max-sessions": "20", "invalid": "false", "dynamic": "false", "disabled": "false"}

Newest builds also list dynamic rows (established connections, btest...):
rows with ``dynamic=true`` are left out.

Produces: inventory table ``ip_services`` (key ``name``).
"""

from __future__ import annotations

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import TableCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row
from mikromon.routeros.values.numbers import parse_counter

PATH = "/ip/service"
FIELDS = (
    Field("name"),
    Field("port", parse_counter),
    Field("address"),
    Field("certificate"),
    Field("tls-version"),
    Field("vrf"),
    Field("max-sessions", parse_counter),
    flag("disabled"),
    flag("invalid"),
    flag("dynamic"),
)


def _configured(row: Row) -> bool:
    return row.get("dynamic", "false") not in ("true", "yes")


VIEW = TableView("ip_services", "Services", (PATH,),
                 ("name", "port", "address", "disabled", "certificate"), sort="name",
                 tab=Tab("services", "Services"))

COLLECTOR = TableCollector(
    "ip_service", Tier.EXTENDED, PATH, "ip_services", FIELDS, ("name",), keep=_configured,
    view=VIEW,
)
