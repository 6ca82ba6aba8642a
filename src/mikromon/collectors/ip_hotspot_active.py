"""``/ip/hotspot/active`` (short): number of users logged in to the hotspot.

Path: ``/ip/hotspot/active`` (v6 and v7, same shape), read with ``count-only``
(no rows downloaded, so no proplist). Example row (ip_hotspot_active.v7.json)::

    {".id": "*3", "server": "hotspot1", "user": "voucher-7K2Q",
     "address": "10.5.50.23", "mac-address": "02:5C:77:9A:10:3B", "uptime": "1h2m17s", ...}

Produces: hotspot.active_users (count). Routers without a hotspot (CHR without
the feature, or the package removed) answer ``no such command prefix``: the
path is reported absent once and skipped afterwards.
"""

from __future__ import annotations

from mikromon.collectors.support import CountCollector
from mikromon.domain.tiers import Tier

PATH = "/ip/hotspot/active"

COLLECTOR = CountCollector("ip_hotspot_active", Tier.SHORT, PATH, "hotspot.active_users")
