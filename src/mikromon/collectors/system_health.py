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

Tolerated and skipped: ``n/a`` and empty values, rows without ``name`` (a
config-like row napalm-ros notes), other text (v6 fan settings such as
``use-fan``). x86/CHR and some v7 boards return no rows: no samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read, sample
from mikromon.domain import catalog
from mikromon.domain.catalog import HEALTH_PREFIX
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult, InventorySnapshot
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
    "fan-state", "fan1-state", "fan2-state", "fan3-state", "fan4-state",
)
#: The inventory table of state sensors.
STATES_TABLE = "health_states"
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


def _value(text: str) -> float | None:
    """Return a sensor reading as float, ``None`` for anything else."""
    try:
        return parse_float(text.strip())
    except ValueParseError:
        return None  # 'n/a', '' and settings such as 'use-fan=main' are not readings


def _samples(pairs: Iterable[tuple[str, str]], ts: datetime) -> list[Sample]:
    out = []
    for name, text in pairs:
        value = _value(text)
        if name and value is not None:
            out.append(sample(HEALTH_PREFIX + name, value, ts))
    return out


def _v6_pairs(rows: list[Row]) -> list[tuple[str, str]]:
    return [(k, v) for row in rows for k, v in row.items() if k != ".id"]


def map_v6(rows: list[Row], ts: datetime) -> list[Sample]:
    """Map the flat v6 row (or nothing) to samples (words such as states skipped)."""
    return _samples(_v6_pairs(rows), ts)


def map_v7(rows: list[Row], ts: datetime) -> list[Sample]:
    """Map v7 per-sensor rows to samples; rows without ``name``/``value`` and words
    (states, ``n/a``) are skipped."""
    return _samples(((row.get("name", ""), row.get("value", "")) for row in rows), ts)


def states_v6(rows: list[Row]) -> list[dict[str, str]]:
    """Return the ``-state`` keys of the flat v6 row as ``{"name", "state"}`` rows."""
    return [{"name": k, "state": v.strip()} for k, v in _v6_pairs(rows)
            if k.endswith(_STATE_SUFFIX) and v.strip() not in _NO_VALUE]


def states_v7(rows: list[Row]) -> list[dict[str, str]]:
    """Return the v7 rows of type ``""`` as ``{"name", "state"}`` rows (the word as
    the router wrote it; a number there is a reading, not a state)."""
    out = []
    for row in rows:
        name, word = row.get("name", ""), row.get("value", "").strip()
        if (name and "type" in row and row["type"] == "" and word not in _NO_VALUE
                and _value(word) is None):
            out.append({"name": name, "state": word})
    return out


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
            states = states_v6(rows) if v6 else states_v7(rows)
            if states:
                words = tuple((r["name"], r["state"]) for r in states)
                mono = ctx.monotonic()
                last = ctx.health_states
                if last is None or last[0] != words or mono - last[1] >= STATES_REFRESH_S:
                    ctx.health_states = (words, mono)
                    result.inventory.append(InventorySnapshot(
                        table=STATES_TABLE, rows=states, key_fields=("name",), ts=ts))
        return result
