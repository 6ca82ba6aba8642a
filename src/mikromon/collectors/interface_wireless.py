"""``/interface/wireless`` and its registration table (extended): the legacy
wireless package (v6, and v7 boards that still run it).

Paths:

* ``/interface/wireless``, proplist ``name,mac-address,ssid,mode,band,frequency,
  channel-width,running,disabled`` -> inventory table ``wireless_interfaces``
  (key ``name``).
* ``/interface/wireless/registration-table`` with ``stats`` (without it bytes,
  packets and CCQ are missing), proplist: :data:`CLIENT_FIELDS`. Example row
  (interface_wireless_registration_table.v6.json)::

      {".id": "*1", "interface": "wlan1", "mac-address": "02:11:22:3E:1C:EE",
       "rx-rate": "65Mbps-20MHz/1S", "tx-rate": "48Mbps", "packets": "34591,20635",
       "bytes": "6689896,2094536", "uptime": "5d9m11s", "last-activity": "4s750ms",
       "signal-strength": "-51@1Mbps", "signal-to-noise": "50", "tx-ccq": "113",
       "last-ip": "10.88.0.10", "authentication-type": "wpa2-psk", ...}

  -> inventory table ``wireless_clients`` (key ``interface``, ``mac-address``) in
  the one client schema (:data:`~mikromon.collectors._wireless.CLIENT_COLUMNS`):
  ``signal-strength`` is stored as ``signal`` (dBm, float),
  ``authentication-type`` as ``auth-type``; rates bits/s (float), ``uptime`` /
  ``last-activity`` seconds, pairs split into ``bytes.tx``/``bytes.rx`` and
  ``packets.tx``/``packets.rx`` (tx,rx as seen from the AP). The ``ap``/``wds``
  flags (the peer is itself an AP or WDS link) are not kept.

The registration table is counted first (``count-only``): a router without
the wireless package traps on it, it is reported absent once, and nothing else
is asked. It is printed only with at most :data:`ROW_LIMIT` (20,000) clients;
above that the clients are counted per interface instead (``?interface=``),
the ``wireless_clients`` table is not read and ``result.failures`` says so
(see :mod:`mikromon.collectors._wireless`).

Produces: wireless.clients (label ``interface``; 0 for an interface without
clients). Per-client signal is inventory, not a metric.
"""

from __future__ import annotations

from mikromon.collectors._wireless import INTERFACES_TAB, WirelessCollector, client_view
from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import ROW_LIMIT
from mikromon.collectors.table_view import TableView
from mikromon.routeros.values.durations import parse_duration
from mikromon.routeros.values.numbers import parse_counter, parse_int
from mikromon.routeros.values.rates import parse_bitrate, parse_signal

__all__ = ["CLIENT_FIELDS", "CLIENT_NAMES", "INTERFACE_FIELDS", "PATH", "ROW_LIMIT",
           "InterfaceWirelessCollector"]

PATH = "/interface/wireless"
_TXRX = ("tx", "rx")

INTERFACE_FIELDS = (
    Field("name"),
    Field("mac-address"),
    Field("ssid"),
    Field("mode"),
    Field("band"),
    Field("frequency"),
    Field("channel-width"),
    flag("running"),
    flag("disabled"),
)
CLIENT_FIELDS = (
    Field("interface"),
    Field("mac-address"),
    Field("last-ip"),
    Field("signal-strength", parse_signal),
    Field("signal-to-noise", parse_int),
    Field("tx-ccq", parse_counter),  # percent, yet 113 is real (capture notes)
    Field("tx-rate", parse_bitrate),
    Field("rx-rate", parse_bitrate),
    Field("uptime", parse_duration),
    Field("last-activity", parse_duration),
    Field("packets", parse_counter, parts=_TXRX),
    Field("bytes", parse_counter, parts=_TXRX),
    Field("authentication-type"),
)
#: Legacy field names -> the one client schema's columns.
CLIENT_NAMES = {"signal-strength": "signal", "authentication-type": "auth-type"}


#: The menus whose absence means the router has no wireless package (the
#: registration table is asked first and is the path reported absent).
_PATHS = (f"{PATH}/registration-table", PATH)


class InterfaceWirelessCollector(WirelessCollector):
    """Reads legacy wireless interfaces and their clients each extended poll."""

    name = "interface_wireless"
    path = PATH
    prefix = "wireless"
    interface_fields = INTERFACE_FIELDS
    client_fields = CLIENT_FIELDS
    client_names = CLIENT_NAMES
    client_args = {"stats": ""}
    views = (
        client_view("wireless_clients", "Wireless clients", _PATHS),
        TableView("wireless_interfaces", "Wireless interfaces", _PATHS,
                  ("name", "ssid", "mode", "band", "frequency", "running"), sort="name",
                  tab=INTERFACES_TAB),
    )
