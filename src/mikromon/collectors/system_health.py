"""``/system/health`` (realtime): temperatures, voltages, fans, PSU states.

Path: ``/system/health``; two shapes, told apart by the reply itself (never
by the version string, so betas and odd builds work). One print asks for both
proplists at once (:data:`PROPLIST`: a router leaves out the names it lacks):

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
and 0.0 for ``fail``. Rows with ``name`` and ``value`` are v7 sensor rows; any
other row is the v6 flat row. Rows without ``name`` among v7 rows (a
config-like row napalm-ros notes) are skipped. Each sensor is read on its own:
``n/a``, an empty value or a reading outside its unit's physical range
(:data:`~mikromon.routeros.values.SENSOR_RANGES`, e.g. a temperature of 900 C)
gives no sample for that sensor and a ``bad_values`` entry named by the sensor.
x86/CHR and some v7 boards return no rows: no samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Values, read, sample
from mikromon.domain import catalog
from mikromon.domain.catalog import HEALTH_PREFIX
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values import parse_sensor

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
#: One proplist for both shapes.
PROPLIST = (*V7_PROPLIST, *V6_SENSORS)
_STATES = {"ok": 1.0, "fail": 0.0}
#: v7 ``type`` -> catalog unit. Samples carry no unit: the catalog derives it
#: from the sensor name, and the tests check that both agree on the captures.
TYPE_UNITS = {"C": catalog.CELSIUS, "V": catalog.VOLTS, "RPM": catalog.RPM,
              "W": catalog.WATTS, "A": catalog.AMPERES, "": catalog.STATE}
#: catalog unit -> v7 ``type`` (a v6 sensor's unit comes from its name).
_UNIT_TYPES = {unit: kind for kind, unit in TYPE_UNITS.items()}


def _value(text: str, unit: str) -> float:
    """Return a sensor reading as float, a state as 1/0.

    Raises:
        ValueParseError: anything else (``n/a``, ``""``, out of range).
    """
    text = text.strip()
    if text in _STATES:
        return _STATES[text]
    return parse_sensor(text, unit)


def _samples(
    sensors: Iterable[tuple[str, str, str]], ts: datetime, reader: Values | None
) -> list[Sample]:
    """``sensors``: (name, text, v7 type or "" when unknown)."""
    values = reader if reader is not None else Values(PATH, CollectResult())
    out = []
    for name, text, kind in sensors:
        if not name:
            continue
        unit = kind or _UNIT_TYPES.get(catalog.health_unit(name), "")
        value = values.parse(text, lambda t, unit=unit: _value(t, unit), name)
        if value is not None:
            out.append(sample(HEALTH_PREFIX + name, value, ts))
    return out


def is_v7_row(row: Row) -> bool:
    """Whether ``row`` is a v7 per-sensor row (has ``name`` and ``value``); the
    v6 flat row has neither (a sensor of that name does not exist)."""
    return "name" in row and "value" in row


def _is_reading(name: str, text: str) -> bool:
    """Whether a flat-row field is a sensor: a known one (:data:`V6_SENSORS`,
    checked even when unreadable), or another field that reads as a number or
    state (a settings field such as ``use-fan=main`` is not a sensor)."""
    if name in V6_SENSORS:
        return True
    try:
        _value(text, "")
    except ValueParseError:
        return False
    return True


def map_v6(rows: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map the flat v6 row (or nothing) to samples, each sensor on its own."""
    return _samples(((k, v, "") for row in rows for k, v in row.items()
                     if k != ".id" and _is_reading(k, v)), ts, reader)


def map_v7(rows: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map v7 per-sensor rows to samples; rows without ``name``/``value`` are skipped."""
    return _samples(((row.get("name", ""), row["value"], row.get("type", ""))
                     for row in rows if "value" in row), ts, reader)


def map_rows(rows: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map a reply of either shape: v7 rows if any row is one, else the v6 flat row."""
    if any(is_v7_row(row) for row in rows):
        return map_v7(rows, ts, reader)
    return map_v6(rows, ts, reader)


class SystemHealthCollector:
    """Reads ``/system/health`` every realtime poll; the reply's shape says v6 or v7."""

    name = "system_health"
    tier = Tier.REALTIME

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the sensors; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST)
        if rows:
            result.samples = map_rows(rows, ctx.clock(), Values(PATH, result))
        return result
