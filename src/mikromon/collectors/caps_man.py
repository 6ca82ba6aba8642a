"""``/caps-man`` (extended): the legacy CAPsMAN manager (the wireless package's
controller, v6 and v7 routers that still run it) and its clients.

RouterOS 7.13+ CAPsMAN (wifi package) needs no collector of its own: the
manager lists its CAPs' clients in ``/interface/wifi/registration-table``
(:mod:`mikromon.collectors.interface_wifi`).

Paths:

* ``/caps-man/registration-table``, proplist: :data:`CLIENT_FIELDS` (CLI
  reference caps-man registration-table; the key set mktxp's CAPsMAN collector
  reads). Example row::

      {".id": "*1", "interface": "cap1", "ssid": "example-net",
       "mac-address": "02:00:00:00:00:0B", "tx-rate": "72.2Mbps-20MHz/1S/SGI",
       "rx-rate": "65Mbps", "rx-signal": "-63", "uptime": "1h", "packets": "10,20",
       "bytes": "1000,2000"}

  -> inventory table ``capsman_clients`` (key ``interface``, ``mac-address``) in
  the one client schema (:data:`~mikromon.collectors._wireless.CLIENT_COLUMNS`):
  ``rx-signal`` (the client's signal as the CAP hears it) is stored as
  ``signal`` (dBm).
* ``/caps-man/interface``, proplist ``name,mac-address,current-state,
  current-channel,current-registered-clients,disabled`` -> inventory table
  ``capsman_interfaces`` (key ``name``).

A router without the wireless package traps on the registration table: it is
reported absent once and nothing else is asked. A router whose manager is off
answers with no rows. Bounded like the other client tables (``count-only``
first, :data:`ROW_LIMIT`; see :mod:`mikromon.collectors._wireless`).

Produces: wireless.clients (label ``interface``, the CAP interface).
"""

from __future__ import annotations

from mikromon.collectors._wireless import WirelessCollector, client_view
from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import ROW_LIMIT
from mikromon.collectors.table_view import Tab, TableView
from mikromon.routeros.values.durations import parse_duration
from mikromon.routeros.values.numbers import parse_int
from mikromon.routeros.values.rates import parse_bitrate, parse_signal

__all__ = ["CLIENT_FIELDS", "CLIENT_NAMES", "INTERFACE_FIELDS", "INTERFACE_PATH", "PATH",
           "ROW_LIMIT", "CapsManCollector"]

PATH = "/caps-man"
INTERFACE_PATH = "/caps-man/interface"
_TXRX = ("tx", "rx")

INTERFACE_FIELDS = (
    Field("name"),
    Field("mac-address"),
    Field("current-state"),
    Field("current-channel"),
    Field("current-registered-clients", parse_int),
    flag("disabled"),
)
CLIENT_FIELDS = (
    Field("interface"),
    Field("mac-address"),
    Field("ssid"),
    Field("rx-signal", parse_signal),
    Field("tx-rate", parse_bitrate),
    Field("rx-rate", parse_bitrate),
    Field("uptime", parse_duration),
    Field("packets", parse_int, parts=_TXRX),
    Field("bytes", parse_int, parts=_TXRX),
)
#: Legacy CAPsMAN field names -> the one client schema's columns.
CLIENT_NAMES = {"rx-signal": "signal"}


#: The menu whose absence means the router has no CAPsMAN (asked first).
_PATHS = (f"{PATH}/registration-table",)


class CapsManCollector(WirelessCollector):
    """Reads legacy CAPsMAN clients and CAP interfaces each extended poll."""

    name = "caps_man"
    path = PATH
    prefix = "capsman"
    interface_fields = INTERFACE_FIELDS
    client_fields = CLIENT_FIELDS
    client_names = CLIENT_NAMES
    interface_path = INTERFACE_PATH
    views = (
        client_view("capsman_clients", "CAPsMAN clients", _PATHS,
                    tab=Tab("capsman", "CAPsMAN clients", always=False)),
        TableView("capsman_interfaces", "CAPsMAN interfaces", _PATHS,
                  ("name", "mac-address", "current-state", "current-channel",
                   "current-registered-clients", "disabled"), sort="name",
                  tab=Tab("caps", "CAPsMAN interfaces", always=False)),
    )
