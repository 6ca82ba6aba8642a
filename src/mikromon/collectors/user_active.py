"""``/user/active`` (extended): who is logged in to the router right now.

Path: ``/user/active`` (v6 and v7), proplist: the fields below. Example row
(user_active.v7.json)::

    {".id": "*52", "when": "2024-12-18 10:55:02", "name": "monitor",
     "address": "10.1.2.5", "via": "api", "group": "read", "radius": "false"}

mikromon's own API session shows up here with ``via=api``. ``when`` is a
router-local time (v6: ``jul/21/2023 09:38:39``) stored as UTC ISO text
(:mod:`mikromon.collectors.clock`); old v6 builds have no ``group``.

Not bounded by a count: the table lists logins to the router itself (Winbox,
SSH, API, web), not customers' sessions (those are ``/ppp/active`` and
``/ip/hotspot/active``), so it stays small even on an ISP's router.

Produces: inventory table ``user_sessions`` (key ``.id``).
"""

from __future__ import annotations

from mikromon.collectors.clock import LocalTimeTableCollector
from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.dates import parse_optional_datetime

PATH = "/user/active"
FIELDS = (
    Field(".id"),
    Field("when", parse_optional_datetime),
    Field("name"),
    Field("address"),
    Field("via"),
    Field("group"),
    flag("radius"),
)

VIEW = TableView("user_sessions", "User sessions", (PATH,),
                 ("name", "when", "address", "via", "group"),
                 tab=Tab("sessions", "User sessions", always=False))

COLLECTOR = LocalTimeTableCollector(
    "user_active", Tier.EXTENDED, PATH, "user_sessions", FIELDS, (".id",), local_times=("when",),
    view=VIEW,
)
