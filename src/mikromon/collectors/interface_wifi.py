"""``/interface/wifi`` and its registration table (extended): the v7 wifi
package (wifi / wifi-qcom since 7.13; called ``wifiwave2`` before).

Paths (v6 has neither: on a router known to run v6 nothing is asked); the
version only says which to try first, the router's answer decides
(:func:`candidate_paths`):

* 7.13+: ``/interface/wifi`` and ``/interface/wifi/registration-table``.
* 7.0 - 7.12: ``/interface/wifiwave2`` and ``/interface/wifiwave2/registration-table``.

Interfaces, proplist ``name,mac-address,configuration.ssid,configuration.mode,
channel.band,channel.frequency,cap,running,disabled`` -> inventory table
``wifi_interfaces`` (key ``name``). ``cap`` is set on the interfaces a CAPsMAN
manager (7.13+) created for its CAPs (``<identity>@<base-mac>%<id>``).

Clients, proplist: :data:`CLIENT_FIELDS`. Example row
(interface_wifi_registration_table.v7.json)::

    {".id": "*1", "interface": "wifi1", "ssid": "example-net",
     "mac-address": "02:A4:5E:10:22:31", "uptime": "1h2m", "last-activity": "30ms",
     "signal": "-55", "auth-type": "wpa2-psk", "band": "5ghz-ax",
     "tx-rate": "1200.9Mbps-80MHz/2S/MCS11", "rx-rate": "864.8Mbps-80MHz/2S/MCS9",
     "packets": "412233,198812", "bytes": "512301441,27811930",
     "tx-bits-per-second": "2114480", "rx-bits-per-second": "118232", "authorized": "true"}

-> inventory table ``wifi_clients`` (key ``interface``, ``mac-address``) in the
one client schema (:data:`~mikromon.collectors._wireless.CLIENT_COLUMNS`):
``signal`` dBm, rates and ``*-bits-per-second`` bits/s, durations seconds,
pairs split into ``bytes.tx``/``bytes.rx``, ``packets.tx``/``packets.rx``. On a
7.13+ CAPsMAN manager the registration table also lists the clients of its
CAPs; ``ap`` is then the CAP's identity (from its interface's ``cap``), ``None``
for the router's own radios.
A 7.13+ router always has the (possibly empty) wifi menu; the registration
table is counted first (``count-only``), so on a router without the package
only it is asked and reported absent once. It is printed only with at most
:data:`ROW_LIMIT` (20,000) clients (a wifi CAPsMAN controller lists the
clients of all its access points); above that the clients are counted per
interface instead (``?interface=``), the ``wifi_clients`` table is not read and
``result.failures`` says so (see :mod:`mikromon.collectors._wireless`).

Produces: wireless.clients (label ``interface``, 0 without clients).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mikromon.collectors._wireless import INTERFACES_TAB, client_view, collect_wireless
from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import ROW_LIMIT
from mikromon.collectors.table_view import TableView
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values.durations import parse_duration
from mikromon.routeros.values.numbers import parse_counter
from mikromon.routeros.values.rates import parse_bitrate, parse_signal

__all__ = ["CLIENT_FIELDS", "INTERFACE_FIELDS", "ROW_LIMIT", "WIFIWAVE2_PATH", "WIFI_PATH",
           "InterfaceWifiCollector", "base_path", "candidate_paths"]

WIFI_PATH = "/interface/wifi"
WIFIWAVE2_PATH = "/interface/wifiwave2"
_TXRX = ("tx", "rx")

INTERFACE_FIELDS = (
    Field("name"),
    Field("mac-address"),
    Field("configuration.ssid"),
    Field("configuration.mode"),
    Field("channel.band"),
    Field("channel.frequency"),
    Field("cap"),
    flag("running"),
    flag("disabled"),
)
CLIENT_FIELDS = (
    Field("interface"),
    Field("mac-address"),
    Field("ssid"),
    Field("band"),
    Field("auth-type"),
    Field("signal", parse_signal),
    Field("tx-rate", parse_bitrate),
    Field("rx-rate", parse_bitrate),
    Field("tx-bits-per-second", parse_bitrate),
    Field("rx-bits-per-second", parse_bitrate),
    Field("uptime", parse_duration),
    Field("last-activity", parse_duration),
    Field("packets", parse_counter, parts=_TXRX),
    Field("bytes", parse_counter, parts=_TXRX),
)


def ap_lookup(interfaces: Sequence[Row]) -> Callable[[str], str | None]:
    """Return interface name -> CAP identity, from ``cap`` of the interface rows
    (``hall-ap@02:AA:BB:CC:DD:01%*3`` -> ``hall-ap``); ``None`` for other interfaces."""
    caps = {row["name"]: row["cap"].split("@", 1)[0]
            for row in interfaces if row.get("name") and row.get("cap")}
    return lambda name: caps.get(name) or None


def base_path(ctx: CollectContext) -> str | None:
    """Return the wifi menu the router's version suggests, ``None`` on v6 (first
    of :func:`candidate_paths`)."""
    paths = candidate_paths(ctx)
    return paths[0] if paths else None


def candidate_paths(ctx: CollectContext) -> tuple[str, ...]:
    """Return the wifi menus to try, in order: none on a router known to run v6,
    ``wifi`` first from 7.13 on, ``wifiwave2`` first before it, and ``wifi`` first
    when the version could not be read (then both are asked until the router
    shows which it has)."""
    if ctx.major < 7:  # only a readable version says 6 (the default is 7)
        return ()
    if not ctx.version or ctx.at_least(7, 13):
        return (WIFI_PATH, WIFIWAVE2_PATH)
    return (WIFIWAVE2_PATH, WIFI_PATH)


#: The menus whose absence means the router has no wifi package (the
#: registration table is asked first and is the path reported absent).
_PATHS = (f"{WIFI_PATH}/registration-table", WIFI_PATH,
          f"{WIFIWAVE2_PATH}/registration-table", WIFIWAVE2_PATH)


class InterfaceWifiCollector:
    """Reads wifi interfaces and their clients each extended poll (v7 only)."""

    name = "interface_wifi"
    tier = Tier.EXTENDED
    views = (
        client_view("wifi_clients", "Wireless clients", _PATHS, major=7),
        TableView("wifi_interfaces", "Wireless interfaces", _PATHS,
                  ("name", "configuration.ssid", "configuration.mode", "channel.band",
                   "running"), sort="name", tab=INTERFACES_TAB, major=7),
    )

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read clients, then interfaces; see the module docstring.

        The version only orders the menus (:func:`candidate_paths`): a menu whose
        registration table the router lacks is reported absent (once) and the
        next one is read, so a beta or an unreadable version finds the right one.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        for path in candidate_paths(ctx):
            table = f"{path}/registration-table"
            part = await collect_wireless(
                client, ctx, name=self.name, path=path, interface_fields=INTERFACE_FIELDS,
                client_fields=CLIENT_FIELDS, prefix="wifi", ap_from=ap_lookup,
            )
            result.merge(part)
            if table not in ctx.absent and table not in part.absent:
                break
        return result
