"""``/system/package`` (extended): the installed RouterOS packages.

Path: ``/system/package`` (v6 and v7), proplist: the fields below (MikroTik's
manual pages "Packages" and the CLI reference's ``system/package``: name,
version, build-time, scheduled, disabled; newer builds add ``bundle``).
RouterOS 6 lists the ``routeros-<arch>`` bundle and its parts (a part turned
off is ``disabled=true``); RouterOS 7 the ``routeros`` main package and the extra
packages (``wifi-qcom``, ``wireless``, ``container``...). Example row
(system_package.v7.json, written from those pages)::

    {".id": "*0", "name": "routeros", "version": "7.16.2",
     "build-time": "2024-11-26 11:54:42", "scheduled": "", "disabled": "false"}

Values stay the router's text (``build-time`` in the router's own date format,
as ``/system/resource`` prints it); ``disabled`` is a bool (absent -> ``False``).

Bound: a router has a handful of packages (a dozen at most), read whole.

Produces: inventory table ``packages`` (key ``name``); ``/metrics`` exposes it as
mktxp's ``mktxp_installed_packages_info`` (docs/prometheus.md).
"""

from __future__ import annotations

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import TableCollector
from mikromon.collectors.table_view import TableView
from mikromon.domain.tiers import Tier

PATH = "/system/package"
FIELDS = (
    Field("name"),
    Field("version"),
    Field("build-time"),
    Field("scheduled"),
    Field("bundle"),
    flag("disabled"),
)

VIEW = TableView("packages", "Packages", (PATH,),
                 ("name", "version", "build-time", "disabled", "scheduled"), sort="name")

COLLECTOR = TableCollector("system_package", Tier.EXTENDED, PATH, "packages", FIELDS,
                           ("name",), view=VIEW)
