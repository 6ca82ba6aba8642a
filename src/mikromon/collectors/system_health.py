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
(``cpu-temperature``, ``fan1-speed``). Units: from ``type`` (C, V, RPM, W, A)
on v7, from the name on v6 (:func:`mikromon.domain.catalog.health_unit`).

State sensors stay states: v7 rows of type ``""`` (``psu1-state``, ``fan-state``;
system_health.v7.json ``{"name": "psu2-state", "value": "fail", "type": ""}``)
and v6 keys ending in ``-state`` (``psu1-state=ok``, ``fan-state``) go to the
inventory table ``health_states`` (key ``name``; rows ``{"name": "psu2-state",
"state": "fail"}``) with the router's word as it is (``ok``, ``fail`` or any
other), never a number. The table is sent only by boards that have state
sensors (a snapshot every realtime poll: most boards have none, and then none
is written), and only when a word changed or the last table is older than
:data:`STATES_REFRESH_S`: the realtime tier runs every few seconds and the words
rarely change. The scheduler turns a change of word into an event and shows the
device as degraded while one is not ``ok`` (:mod:`mikromon.schedule.changes`).

Rows with ``name`` and ``value`` are v7 sensor rows; any other row is the v6
flat row (the reply's shape decides, not the version). Rows without ``name``
among v7 rows (a config-like row napalm-ros notes) and v6 settings fields
(``use-fan``) are skipped. Each reading is parsed on its own: ``n/a``, an empty
value or a reading outside its unit's physical range
(:data:`~mikromon.routeros.values.numbers.SENSOR_RANGES`, e.g. a temperature of 900 C)
gives no sample for that sensor and a ``bad_values`` entry named by the sensor.
x86/CHR and some v7 boards return no rows: no samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Values, sample
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain import catalog
from mikromon.domain.catalog import HEALTH_PREFIX
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult, InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row
from mikromon.routeros.values.numbers import parse_float, parse_sensor

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
    "fan-state", "fan1-state", "fan2-state", "fan3-state", "fan4-state",
)
#: One proplist for both shapes.
PROPLIST = (*V7_PROPLIST, *V6_SENSORS)
#: The inventory table of state sensors.
STATES_TABLE = catalog.HEALTH_STATES_TABLE
#: Seconds after which unchanged health states are sent again (the table's read time).
STATES_REFRESH_S = 300.0
#: v6 keys that are states, not readings.
_STATE_SUFFIX = "-state"
#: Words that are no reading at all.
_NO_VALUE = frozenset({"", "n/a"})
#: v7 ``type`` -> catalog unit. Samples carry no unit: the catalog derives it
#: from the sensor name, and the tests check that both agree on the captures.
TYPE_UNITS = {"C": catalog.CELSIUS, "V": catalog.VOLTS, "RPM": catalog.RPM,
              "W": catalog.WATTS, "A": catalog.AMPERES, "": catalog.STATE}
#: catalog unit -> v7 ``type`` (a v6 sensor's unit comes from its name).
_UNIT_TYPES = {unit: kind for kind, unit in TYPE_UNITS.items()}


def _value(text: str, unit: str) -> float:
    """Return a sensor reading as float.

    Raises:
        ValueParseError: anything else (``n/a``, ``""``, a word, out of range).
    """
    return parse_sensor(text.strip(), unit)


def _is_number(text: str) -> bool:
    try:
        parse_float(text.strip())
    except ValueParseError:
        return False
    return True


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


def _is_state(name: str, text: str, kind: str | None) -> bool:
    """Whether a sensor is a state, not a reading: a v7 row of type ``""`` whose
    value is a word, or a v6 key ending in ``-state``."""
    if kind is None:
        return name.endswith(_STATE_SUFFIX)
    return kind == "" and not _is_number(text)


def _is_reading(name: str, text: str) -> bool:
    """Whether a flat-row field is a sensor reading: a known one (:data:`V6_SENSORS`,
    checked even when unreadable), or another field that reads as a number (a
    settings field such as ``use-fan=main`` is not a sensor)."""
    if name in V6_SENSORS:
        return True
    return _is_number(text)


def _v6_pairs(rows: Sequence[Row]) -> list[tuple[str, str]]:
    return [(k, v) for row in rows for k, v in row.items() if k != ".id"]


def map_v6(rows: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map the flat v6 row (or nothing) to samples, each sensor on its own
    (states such as ``psu1-state`` are not samples: see :func:`map_states`)."""
    return _samples(((k, v, "") for k, v in _v6_pairs(rows)
                     if not _is_state(k, v, None) and _is_reading(k, v)), ts, reader)


def map_v7(rows: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map v7 per-sensor rows to samples; rows without ``name``/``value`` and
    state rows (type ``""`` with a word) are skipped."""
    return _samples(((row.get("name", ""), row["value"], row.get("type", ""))
                     for row in rows if "value" in row
                     and not _is_state(row.get("name", ""), row["value"], row.get("type"))),
                    ts, reader)


def map_rows(rows: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map a reply of either shape: v7 rows if any row is one, else the v6 flat row."""
    if any(is_v7_row(row) for row in rows):
        return map_v7(rows, ts, reader)
    return map_v6(rows, ts, reader)


def map_states(rows: Sequence[Row]) -> list[dict[str, str]]:
    """Return the state sensors of a reply of either shape as ``{"name", "state"}``
    rows, the word as the router wrote it (``ok``, ``fail`` or any other):
    v7 rows of type ``""`` whose value is a word, v6 keys ending in ``-state``.
    ``n/a`` and empty values are no state."""
    if any(is_v7_row(row) for row in rows):
        pairs = [(row.get("name", ""), row["value"]) for row in rows
                 if is_v7_row(row) and _is_state(row.get("name", ""), row["value"],
                                                 row.get("type"))]
    else:
        pairs = [(k, v) for k, v in _v6_pairs(rows) if _is_state(k, v, None)]
    return [{"name": name, "state": word.strip()} for name, word in pairs
            if name and word.strip() not in _NO_VALUE]


class SystemHealthCollector(PrintCollector):
    """Reads ``/system/health`` every realtime poll; the reply's shape says v6 or v7."""

    name = "system_health"
    tier = Tier.REALTIME
    views = (TableView(STATES_TABLE, "Health states", (PATH,), ("name", "state"),
                       tab=Tab("health", "Health states", always=False)),)

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Map the sensors; see the module docstring."""
        if rows:
            ts = ctx.clock()
            result.samples = map_rows(rows, ts, Values(PATH, result))
            states = map_states(rows)
            if states:
                words = tuple((r["name"], r["state"]) for r in states)
                mono = ctx.monotonic()
                last = ctx.health_states
                if last is None or last[0] != words or mono - last[1] >= STATES_REFRESH_S:
                    ctx.health_states = (words, mono)
                    result.inventory.append(InventorySnapshot(
                        table=STATES_TABLE, rows=states, key_fields=("name",), ts=ts))
