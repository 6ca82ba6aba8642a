"""``/ppp/active``: the session count (short) and the session table (medium).

Path: ``/ppp/active`` (v6 and v7, same shape). Example row (ppp_active.v7.json)::

    {".id": "*80000002", "name": "site-office", "service": "sstp",
     "caller-id": "203.0.113.45", "address": "10.1.1.111", "uptime": "3h19m4s",
     "encoding": "AES256-CBC", "session-id": "0x8120002A", "limit-bytes-in": "0",
     "limit-bytes-out": "0", "radius": "false"}

``caller-id`` is the client's MAC for PPPoE and its public IP for SSTP, L2TP and
PPTP. ``session-id`` is hex text. This menu has no byte counters: a session's
traffic is on its dynamic interface (``<pppoe-NAME>``) in ``/interface``. A
router without the ppp package reports the path absent.

Two collectors:

* :data:`COLLECTOR` (short): one ``count-only`` print (no rows downloaded, so
  no proplist). Produces ppp.active_sessions (count).
* :data:`TABLE` (medium): inventory table ``ppp_active``, key ``.id``, with the
  bound rule of :class:`~mikromon.collectors.table_collectors.BoundedTableCollector`:
  ``count-only`` first; at most :data:`~mikromon.collectors.table_collectors.ROW_LIMIT`
  (20,000) sessions are printed with the proplist of :data:`FIELDS`; above
  that the table is not read this poll and ``result.failures`` says so.
  ``uptime`` is seconds (float), ``limit-bytes-in``/``-out`` bytes (int, 0 =
  no limit), ``radius`` bool.

Why ``.id`` and not ``name`` + ``service``: unless its profile says
``only-one=yes``, one name can have several sessions at once, and a key shared
by two rows would hide one of them; a session keeps its ``.id`` for its life.
"""

from __future__ import annotations

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import BoundedTableCollector, CountCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.durations import parse_elapsed
from mikromon.routeros.values.numbers import parse_counter

PATH = "/ppp/active"
TABLE_NAME = "ppp_active"
FIELDS = (
    Field(".id"),
    Field("name"),
    Field("service"),
    Field("caller-id"),
    Field("address"),
    Field("uptime", parse_elapsed),
    Field("encoding"),
    Field("session-id"),
    Field("limit-bytes-in", parse_counter),
    Field("limit-bytes-out", parse_counter),
    flag("radius"),
)

COLLECTOR = CountCollector("ppp_active", Tier.SHORT, PATH, "ppp.active_sessions")
VIEW = TableView(TABLE_NAME, "PPP sessions", (PATH,),
                 ("name", "service", "caller-id", "address", "uptime"), sort="name",
                 seconds=("uptime",), bytes=("limit-bytes-in", "limit-bytes-out"),
                 tab=Tab("ppp", "PPP sessions"))
TABLE = BoundedTableCollector(
    "ppp_active_table", Tier.MEDIUM, PATH, TABLE_NAME, FIELDS, (".id",), counted=True,
    view=VIEW,
)
