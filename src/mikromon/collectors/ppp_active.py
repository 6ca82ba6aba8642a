"""``/ppp/active`` (short): number of active PPP sessions.

Path: ``/ppp/active`` (v6 and v7, same shape), read with ``count-only`` (no
rows downloaded, so no proplist). Example row (ppp_active.v7.json)::

    {".id": "*80000002", "name": "site-office", "service": "sstp",
     "caller-id": "203.0.113.45", "address": "10.1.1.111", "uptime": "3h19m4s", ...}

Produces: ppp.active_sessions (count). A router without the ppp package reports
the path absent.
"""

from __future__ import annotations

from mikromon.collectors.support import CountCollector
from mikromon.domain.tiers import Tier

PATH = "/ppp/active"

COLLECTOR = CountCollector("ppp_active", Tier.SHORT, PATH, "ppp.active_sessions")
