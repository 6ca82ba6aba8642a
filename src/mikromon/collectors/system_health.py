"""``/system/health`` (realtime): temperatures, voltages, fans, PSU states.

Path: ``/system/health``; the shape depends on the major version:

* v6: ONE flat row, a field per sensor, unit-less numbers
  (system_health.v6.json: ``{"voltage": "24.1", "temperature": "41"}``).
  Proplist: the sensor names known on v6 boards (:data:`V6_SENSORS`); a board
  without a sensor simply leaves the field out.
* v7 (since 7.1beta4): one row per sensor, proplist ``name,value,type``
  (system_health.v7.json: ``{"name": "fan1-speed", "value": "6090", "type": "RPM"}``;
  system_health.v7-hex.json: ``{"name": "voltage", "value": "23.9", "type": "V"}``).

Produces ``system.health.<name>`` with ``<name>`` the RouterOS sensor name
(``cpu-temperature``, ``fan1-speed``, ``psu1-state``). Units: from ``type``
(C, V, RPM, W, A) on v7, from the name on v6 (:func:`mikromon.domain.catalog.health_unit`).
State sensors (``psu1-state``, ``fan-state``, type ``""``) become 1.0 for ``ok``
and 0.0 for ``fail``. Tolerated and skipped: ``n/a`` and empty values, rows
without ``name`` (a config-like row napalm-ros notes), other text (v6 fan
settings such as ``use-fan``). x86/CHR and some v7 boards return no rows: no samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read, sample
from mikromon.domain import catalog
from mikromon.domain.catalog import HEALTH_PREFIX
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values import parse_float

PATH = "/system/health"
V7_PROPLIST = ("name", "value", "type")
#: Sensor fields seen on v6 boards (system_health.v6.json notes, tomaae and
#: mikrotik-exporter v6 branches).
V6_SENSORS = (
    "voltage", "temperature", "cpu-temperature", "board-temperature1", "board-temperature2",
    "phy-temperature", "sfp-temperature", "switch-temperature", "power-consumption", "current",
    "fan1-speed", "fan2-speed", "fan3-speed", "fan4-speed", "psu1-state", "psu2-state",
    "psu1-voltage", "psu2-voltage", "psu1-current", "psu2-current", "poe-out-consumption",
    "jack-voltage", "2pin-voltage", "poe-in-voltage",
)
_STATES = {"ok": 1.0, "fail": 0.0}
#: v7 ``type`` -> catalog unit. Samples carry no unit: the catalog derives it
#: from the sensor name, and the tests check that both agree on the captures.
TYPE_UNITS = {"C": catalog.CELSIUS, "V": catalog.VOLTS, "RPM": catalog.RPM,
              "W": catalog.WATTS, "A": catalog.AMPERES, "": catalog.STATE}


def _value(text: str) -> float | None:
    """Return a sensor reading as float, a state as 1/0, ``None`` for anything else."""
    text = text.strip()
    if text in _STATES:
        return _STATES[text]
    try:
        return parse_float(text)
    except ValueParseError:
        return None  # 'n/a', '' and settings such as 'use-fan=main' are not readings


def _samples(pairs: Iterable[tuple[str, str]], ts: datetime) -> list[Sample]:
    out = []
    for name, text in pairs:
        value = _value(text)
        if name and value is not None:
            out.append(sample(HEALTH_PREFIX + name, value, ts))
    return out


def map_v6(rows: list[Row], ts: datetime) -> list[Sample]:
    """Map the flat v6 row (or nothing) to samples."""
    return _samples(((k, v) for row in rows for k, v in row.items() if k != ".id"), ts)


def map_v7(rows: list[Row], ts: datetime) -> list[Sample]:
    """Map v7 per-sensor rows to samples; rows without ``name``/``value`` are skipped."""
    return _samples(((row.get("name", ""), row.get("value", "")) for row in rows), ts)


class SystemHealthCollector:
    """Reads ``/system/health`` every realtime poll, v6 or v7 shape by ``ctx.major``."""

    name = "system_health"
    tier = Tier.REALTIME

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the sensors; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        v6 = ctx.major < 7
        rows = await read(client, ctx, result, PATH, V6_SENSORS if v6 else V7_PROPLIST)
        if rows:
            ts = ctx.clock()
            result.samples = map_v6(rows, ts) if v6 else map_v7(rows, ts)
        return result
