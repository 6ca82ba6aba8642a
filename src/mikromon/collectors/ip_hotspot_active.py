"""``/ip/hotspot/active``: the user count (short) and the user table (medium).

Path: ``/ip/hotspot/active`` (v6 and v7, same shape). Example row
(ip_hotspot_active.v7.json)::

    {".id": "*3", "server": "hotspot1", "user": "voucher-7K2Q", "domain": "",
     "address": "10.5.50.23", "mac-address": "02:5C:77:9A:10:3B",
     "login-by": "http-chap", "uptime": "1h2m17s", "session-time-left": "22h57m43s",
     "idle-time": "3s", "idle-timeout": "5m", "keepalive-timeout": "2m",
     "bytes-in": "48211933", "bytes-out": "913376504", "packets-in": "274118",
     "packets-out": "655930", "limit-bytes-total": "1073741824",
     "radius": "false", "blocked": "false"}

``bytes-in`` is what the client sent (upload). ``session-time-left``,
``idle-timeout`` and the ``limit-bytes-*`` keys appear only when a limit
applies. A user logged in by MAC (``login-by=mac``) has its MAC as ``user``.
Routers without a hotspot (CHR without the feature, or the package removed)
answer ``no such command prefix``: the path is reported absent once and
skipped afterwards.

Two collectors:

* :data:`COLLECTOR` (short): one ``count-only`` print (no rows downloaded, so
  no proplist). Produces hotspot.active_users (count).
* :data:`TABLE` (medium): inventory table ``hotspot_active``, key ``.id``, with
  the bound rule of :class:`~mikromon.collectors.table_collectors.BoundedTableCollector`:
  ``count-only`` first; at most :data:`~mikromon.collectors.table_collectors.ROW_LIMIT`
  (20,000) users are printed with the proplist of :data:`FIELDS`; above that
  the table is not read this poll and ``result.failures`` says so. Durations
  are seconds (float; ``None`` when the key is absent), bytes and packets are
  ints (counters since login), flags bool.

Why ``.id`` and not ``user`` + ``mac-address``: a session keeps its ``.id``
for its life and no two sessions share one, whatever the servers' settings.
"""

from __future__ import annotations

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import BoundedTableCollector, CountCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.durations import parse_elapsed, parse_optional_duration
from mikromon.routeros.values.numbers import parse_counter

PATH = "/ip/hotspot/active"
TABLE_NAME = "hotspot_active"
FIELDS = (
    Field(".id"),
    Field("server"),
    Field("user"),
    Field("domain"),
    Field("address"),
    Field("mac-address"),
    Field("login-by"),
    Field("uptime", parse_elapsed),
    Field("idle-time", parse_elapsed),
    Field("session-time-left", parse_optional_duration),
    Field("idle-timeout", parse_optional_duration),
    Field("keepalive-timeout", parse_optional_duration),
    Field("bytes-in", parse_counter),
    Field("bytes-out", parse_counter),
    Field("packets-in", parse_counter),
    Field("packets-out", parse_counter),
    Field("limit-bytes-in", parse_counter),
    Field("limit-bytes-out", parse_counter),
    Field("limit-bytes-total", parse_counter),
    flag("radius"),
    flag("blocked"),
)

COLLECTOR = CountCollector("ip_hotspot_active", Tier.SHORT, PATH, "hotspot.active_users")
VIEW = TableView(TABLE_NAME, "Hotspot users", (PATH,),
                 ("user", "address", "mac-address", "uptime", "bytes-in", "bytes-out"),
                 sort="user",
                 seconds=("uptime", "idle-time", "idle-timeout", "session-time-left",
                          "keepalive-timeout"),
                 bytes=("bytes-in", "bytes-out", "limit-bytes-in", "limit-bytes-out",
                        "limit-bytes-total"),
                 tab=Tab("hotspot", "Hotspot users"))
TABLE = BoundedTableCollector(
    "ip_hotspot_active_table", Tier.MEDIUM, PATH, TABLE_NAME, FIELDS, (".id",), counted=True,
    view=VIEW,
)
