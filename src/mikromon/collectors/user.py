"""``/user`` (extended): the router's local users.

Path: ``/user`` (v6 and v7), proplist: the fields below. Passwords are never
returned. Example row (user.v7.json)::

    {".id": "*2", "name": "monitor", "group": "read", "address": "10.0.0.0/8",
     "last-logged-in": "2023-07-18 05:12:46", "disabled": "false"}

``last-logged-in`` is a router-local time (v6 and v7 < 7.10 send ``dec/05/2016
22:58:02``) stored as UTC ISO text (:mod:`mikromon.collectors.clock`), ``None``
for ``never`` or when absent.

Produces: inventory table ``users`` (key ``name``).
"""

from __future__ import annotations

from mikromon.collectors.clock import LocalTimeTableCollector
from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_view import TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.dates import parse_optional_datetime

PATH = "/user"
FIELDS = (
    Field("name"),
    Field("group"),
    Field("address"),
    Field("last-logged-in", parse_optional_datetime),
    flag("disabled"),
    Field("comment"),
)

VIEW = TableView("users", "Users", (PATH,),
                 ("name", "group", "address", "last-logged-in", "disabled"), sort="name")

COLLECTOR = LocalTimeTableCollector("user", Tier.EXTENDED, PATH, "users", FIELDS, ("name",),
                                    local_times=("last-logged-in",), view=VIEW)
