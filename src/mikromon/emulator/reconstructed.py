"""Menus no capture covers, rebuilt from the RouterOS key lists in the captures'
value rendering: ``/ip/firewall/mangle``, ``/system/clock``, ``/interface/wireless``,
``/interface/wifi`` (``/interface/wifiwave2`` before 7.13) and the legacy CAPsMAN
menus ``/caps-man/interface`` and ``/caps-man/registration-table``.

Rendering rules are those of shared/ROUTEROS-API.md §7 and the neighbouring
captures: booleans ``true``/``false``, frequencies in MHz without a unit, counters
as plain decimals, v6 and v7 < 7.10 dates ``nov/30/2026``, 7.10+ ``2026-11-30``.
Key sets:

* mangle: the key set of ip_firewall_filter.v7 / ip_firewall_nat.v7 (``.id``,
  ``chain``, ``action``, matchers, ``comment``, ``bytes``, ``packets``,
  ``invalid``, ``dynamic``, ``disabled``, ``log``, ``log-prefix``) plus the mangle
  action properties of the CLI reference (ip/firewall/mangle: ``new-connection-mark``,
  ``new-routing-mark``, ``new-packet-mark``, ``new-mss``, ``new-dscp``,
  ``passthrough``). Counters grow with uptime and restart at a reboot.
* clock: ``time``, ``date``, ``time-zone-autodetect``, ``time-zone-name``,
  ``gmt-offset``, ``dst-active`` (help.mikrotik.com "Clock"; the console order).
  By default the emulated router keeps UTC: ``time-zone-name=manual``,
  ``gmt-offset=+00:00`` (the documented default of a manual zone), no daylight
  saving. A profile's ``gmt_offset_s``/``time_zone_name``, or
  :meth:`~mikromon.emulator.router.Router.set_time_zone`, move it: ``date`` and
  ``time`` are then local (``wall + offset``) and ``gmt-offset`` reads
  ``+03:00``.
* wireless: the legacy package's interface properties (CLI reference
  interface/wireless), one row per ``wlanN`` radio with the ``.id`` and MAC it has
  in ``/interface``.
* caps-man: the CLI reference key lists (caps-man interface: ``name``,
  ``mac-address``, ``master-interface``, ``configuration``, ``current-state``,
  ``current-channel``, ``current-registered-clients``, ``disabled``; caps-man
  registration-table: ``interface``, ``ssid``, ``mac-address``, ``tx-rate``,
  ``rx-rate``, ``rx-signal``, ``uptime``, ``packets``, ``bytes``, ``eap-identity``,
  ``comment``), values rendered as the legacy wireless registration capture does
  (rates ``72.2Mbps-20MHz/1S/SGI``, pairs ``tx,rx``, durations ``1h2m3s``).
* wifi: the wifi package's interface with its configuration, channel and security
  set inline, as the 7.13+ default configuration does (``configuration.ssid``,
  ``channel.band``, ``channel.frequency``... dotted keys as in
  routing_bgp_connection.v7), one row per ``wifiN`` radio.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Final

from mikromon.emulator.data import MONTHS
from mikromon.emulator.dynamics import counter, noise, render_duration
from mikromon.emulator.generated import Moment
from mikromon.emulator.interfaces import Port, mac_address
from mikromon.emulator.tables import FixedTable, Row

#: Noise channel of the mangle counters.
_MANGLE: Final = 21
#: Flag keys every firewall rule row ends with (ip_firewall_filter.v7 order).
_RULE_TAIL: Final = {"invalid": "false", "dynamic": "false", "disabled": "false",
                     "log": "false", "log-prefix": ""}

#: Mangle rules: (row without counters, bytes/s it matches, mean packet bytes).
#: A dual-WAN policy-routing set with MSS clamping and a marking for queues.
MANGLE_RULES: Final[tuple[tuple[Mapping[str, str], float, int], ...]] = (
    ({".id": "*1", "chain": "prerouting", "action": "mark-connection",
      "connection-state": "new", "in-interface": "ether1",
      "new-connection-mark": "wan1-conn", "passthrough": "true",
      "comment": "mark connections opened from WAN1"}, 1_800.0, 74),
    ({".id": "*2", "chain": "prerouting", "action": "mark-routing",
      "in-interface-list": "LAN", "connection-mark": "wan1-conn",
      "new-routing-mark": "to-wan1", "passthrough": "false",
      "comment": "answer WAN1 connections through WAN1"}, 96_000.0, 820),
    ({".id": "*3", "chain": "prerouting", "action": "mark-routing",
      "src-address-list": "via-wan2", "dst-address-list": "!local-nets",
      "new-routing-mark": "to-wan2", "passthrough": "false",
      "comment": "policy route the via-wan2 list"}, 41_000.0, 690),
    ({".id": "*4", "chain": "forward", "action": "change-mss", "protocol": "tcp",
      "tcp-flags": "syn", "out-interface": "ether1", "new-mss": "clamp-to-pmtu",
      "passthrough": "true", "comment": "clamp MSS to path MTU"}, 950.0, 60),
    ({".id": "*5", "chain": "forward", "action": "mark-packet",
      "connection-mark": "wan1-conn", "new-packet-mark": "bulk", "passthrough": "false",
      "comment": "packets for the bulk queue"}, 120_000.0, 1_100),
    ({".id": "*6", "chain": "postrouting", "action": "change-dscp", "protocol": "udp",
      "dst-port": "5060", "new-dscp": "46", "passthrough": "true",
      "comment": "VoIP signalling as EF", "disabled": "true"}, 0.0, 200),
)


def mangle(m: Moment) -> FixedTable:
    """``/ip/firewall/mangle``: :data:`MANGLE_RULES` with byte and packet counters
    that grow with uptime (per-router rates within 0.5-1.5x of the listed ones;
    a disabled rule stays at 0)."""
    rows = []
    for k, (rule, rate, size) in enumerate(MANGLE_RULES):
        row = dict(rule)
        disabled = row.pop("disabled", "false")
        comment = row.pop("comment", None)
        if comment is not None:
            row["comment"] = comment
        scaled = 0.0 if disabled == "true" else rate * (0.5 + noise(m.seed, _MANGLE, k))
        matched = counter(0, scaled, m.uptime)
        row["bytes"] = str(matched)
        row["packets"] = str(matched // size)
        row.update(_RULE_TAIL)
        row["disabled"] = disabled
        rows.append(row)
    return FixedTable(rows)


def render_date(iso: bool, year: int, month: int, day: int) -> str:
    """A date as RouterOS prints it: ``2026-11-30`` (7.10+) or ``nov/30/2026``."""
    if iso:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{MONTHS[month - 1]}/{day:02d}/{year:04d}"


def render_offset(seconds: int) -> str:
    """A ``gmt-offset`` as the router prints it: ``+03:00``, ``-05:30``, ``+00:00``."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def clock(m: Moment) -> FixedTable:
    """``/system/clock``: the router's wall clock in its local time
    (:attr:`Moment.wall` + :attr:`Moment.gmt_offset`)."""
    t = time.gmtime(m.wall + m.gmt_offset)
    return FixedTable([{
        "time": f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}",
        "date": render_date(m.profile.iso_dates, t.tm_year, t.tm_mon, t.tm_mday),
        "time-zone-autodetect": "true",
        "time-zone-name": m.time_zone,
        "gmt-offset": render_offset(m.gmt_offset),
        "dst-active": "true" if m.dst else "false",
    }])


#: Per radio number (cycling): band, frequency (MHz), channel width, as the
#: legacy package renders them (CLI reference interface/wireless).
_WIRELESS_RADIOS: Final = (
    ("2ghz-b/g/n", "2412", "20/40mhz-XX"),
    ("5ghz-a/n/ac", "5180", "20/40/80mhz-XXXX"),
)


def wireless_interfaces(m: Moment, ports: list[Port]) -> FixedTable:
    """``/interface/wireless``: one row per ``wlan`` port (legacy package)."""
    rows = []
    radios = [p for p in ports if p.kind == "wlan"]
    for k, port in enumerate(radios):
        band, frequency, width = _WIRELESS_RADIOS[k % len(_WIRELESS_RADIOS)]
        mac = mac_address(m.seed, port.index)
        rows.append({
            ".id": f"*{port.index + 1:X}", "name": port.name, "mtu": "1500",
            "l2mtu": "1600", "mac-address": mac, "arp": "enabled", "arp-timeout": "auto",
            "disable-running-check": "false", "interface-type": "IPQ4019",
            "radio-name": mac.replace(":", ""), "mode": "ap-bridge", "ssid": "example-net",
            "area": "", "frequency-mode": "regulatory-domain", "country": "etsi",
            "antenna-gain": "0", "frequency": frequency, "band": band,
            "channel-width": width, "scan-list": "default", "wireless-protocol": "802.11",
            "rate-set": "default", "distance": "indoors", "tx-power-mode": "default",
            "noise-floor-threshold": "default", "vlan-mode": "no-tag", "vlan-id": "1",
            "wds-mode": "disabled", "wds-default-bridge": "none", "bridge-mode": "enabled",
            "default-authentication": "true", "default-forwarding": "true",
            "hide-ssid": "false", "security-profile": "default", "wps-mode": "disabled",
            "installation": "indoor", "running": "true", "disabled": "false",
        })
    return FixedTable(rows)


#: Per radio number (cycling): band, frequencies (MHz list), width (hAP ax^2:
#: wifi1 is the 5 GHz radio; the registration capture has 5ghz-ax on wifi1).
_WIFI_RADIOS: Final = (
    ("5ghz-ax", "5180", "20/40/80mhz"),
    ("2ghz-ax", "2412,2437,2462", "20/40mhz"),
)


def wifi_interfaces(m: Moment, ports: list[Port]) -> FixedTable:
    """``/interface/wifi`` (``/interface/wifiwave2`` before 7.13): one row per
    ``wifi``/``wifiwave2`` port; empty when the radios run the legacy package."""
    rows: list[Row] = []
    radios = [p for p in ports if p.kind in ("wifi", "wifiwave2")]
    for k, port in enumerate(radios):
        band, frequency, width = _WIFI_RADIOS[k % len(_WIFI_RADIOS)]
        mac = mac_address(m.seed, port.index)
        rows.append({
            ".id": f"*{port.index + 1:X}", "name": port.name, "default-name": port.name,
            "l2mtu": "1560", "mac-address": mac, "arp-timeout": "auto", "radio-mac": mac,
            "configuration.mode": "ap", "configuration.ssid": "example-net",
            "configuration.country": "Latvia", "channel.band": band,
            "channel.frequency": frequency, "channel.width": width,
            "channel.skip-dfs-channels": "10min-cac",
            "security.authentication-types": "wpa2-psk,wpa3-psk",
            "master": "true", "bound": "true", "inactive": "false", "running": "true",
            "disabled": "false",
        })
    return FixedTable(rows)


#: CAPs the emulated CAPsMAN manager controls: (CAP interface, channel, clients).
_CAPSMAN_CAPS: Final = (("cap1", "2412/20-Ce/gn(20dBm)", 2), ("cap2", "5180/20-Ceee/ac(23dBm)", 1))


def capsman_names() -> tuple[str, ...]:
    """The CAP interface names of the emulated CAPsMAN manager (``cap1``, ``cap2``)."""
    return tuple(name for name, _, _ in _CAPSMAN_CAPS)


def capsman_interfaces(m: Moment, enabled: bool) -> FixedTable:
    """``/caps-man/interface``: one row per CAP radio when the manager is on."""
    if not enabled:
        return FixedTable([])
    rows = []
    for k, (name, channel, clients) in enumerate(_CAPSMAN_CAPS):
        rows.append({
            ".id": f"*{k + 1:X}", "name": name, "mac-address": mac_address(m.seed, 40 + k),
            "master-interface": "none", "configuration": "cfg-example",
            "current-state": "running-ap", "current-channel": channel,
            "current-registered-clients": str(clients), "disabled": "false",
        })
    return FixedTable(rows)


def capsman_clients(m: Moment, enabled: bool) -> FixedTable:
    """``/caps-man/registration-table``: the clients of :data:`_CAPSMAN_CAPS`, their
    counters growing with uptime."""
    if not enabled:
        return FixedTable([])
    rows = []
    n = 0
    for cap, _, clients in _CAPSMAN_CAPS:
        for _ in range(clients):
            tx = counter(0, 40_000.0 * (n + 1), m.uptime)
            rx = counter(0, 9_000.0 * (n + 1), m.uptime)
            rows.append({
                ".id": f"*{n + 1:X}", "interface": cap, "ssid": "example-net",
                "mac-address": mac_address(m.seed, 60 + n),
                "tx-rate": "72.2Mbps-20MHz/1S/SGI", "rx-rate": "65Mbps-20MHz/1S",
                "rx-signal": str(-55 - 4 * n), "uptime": render_duration(int(m.uptime)),
                "packets": f"{tx // 900},{rx // 300}", "bytes": f"{tx},{rx}",
                "eap-identity": "", "comment": "",
            })
            n += 1
    return FixedTable(rows)
