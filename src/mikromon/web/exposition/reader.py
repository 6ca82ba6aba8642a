"""Reads a :class:`~mikromon.exporters.prometheus.FleetSnapshot` from the database:
devices, their latest values and health states, the collector's published status
and the alerts firing. No router command is sent.

A latest value is left out once it is older than three intervals of the tier that
produces it on that device (an interface removed from the router, a device that
stopped answering): Prometheus then sees the series end, as with mktxp, instead of
an old value repeated.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.db import connection
from django.db.models import Count

from mikromon import config
from mikromon.collectors.registry import table_views
from mikromon.domain import catalog
from mikromon.domain.alerts import Severity
from mikromon.domain.samples import Labels
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.exporters import inventory_families
from mikromon.exporters.families import DeviceSnapshot, FleetSnapshot, TierPoll
from mikromon.exporters.inventory_families import InventoryRow
from mikromon.exporters.mktxp import FAMILIES
from mikromon.web.alerts.models import Alert, AlertStateChoices
from mikromon.web.control import collector
from mikromon.web.monitor.models import Device, InventoryItem, MetricLatest, Series

#: A latest value older than this many of its tier's intervals is not exposed.
STALE_INTERVALS: Final = 3
#: Rows per database fetch of latest values.
_FETCH: Final = 5000


def read_snapshot(device_name: str | None = None) -> FleetSnapshot:
    """Return the fleet (or the one device named ``device_name``) as it stands.

    Raises:
        Device.DoesNotExist: no device has the name ``device_name``.
    """
    devices = Device.objects.select_related("site").order_by("name")
    if device_name is not None:
        devices = devices.filter(name=device_name)
        if not devices.exists():
            raise Device.DoesNotExist(f"no device is named {device_name!r}")
    rows = list(devices.values_list(
        "id", "name", "host", "state", "site__name", "identity", "board", "ros_version",
        *(f"{tier.value}_interval" for tier in Tier)))
    ids = [row[0] for row in rows]
    intervals = {row[0]: dict(zip(Tier, row[8:], strict=True)) for row in rows}
    values = _latest_values(ids if device_name is not None else None, intervals)
    inventory = _inventory(ids if device_name is not None else None, intervals)
    states = _health_states(ids if device_name is not None else None)
    view = collector.read(tidy_devices=False)
    polls = _polls(view.status.get("devices") or [])
    snapshot_devices = [
        DeviceSnapshot(
            name=name, address=host, state=state, site=site or "", identity=identity,
            board=board, version=version, values=values.get(pk, ()),
            health_states=states.get(pk, {}), polls=polls.get(pk, ()),
            inventory=inventory.get(pk, ()),
        )
        for pk, name, host, state, site, identity, board, version, *_ in rows
    ]
    writer = view.status.get("writer") or {}
    return FleetSnapshot(
        devices=snapshot_devices,
        collector_running=view.running,
        writer={k: float(v) for k, v in writer.items()
                if k in ("queue_depth", "batches_dropped", "rows_written")
                and isinstance(v, int | float)},
        alerts_firing=_alerts_firing() if device_name is None else {},
        outputs=[o for o in view.status.get("outputs") or [] if isinstance(o, dict)]
        if device_name is None else [],
    )


def _latest_values(
    device_ids: list[int] | None, intervals: Mapping[int, Mapping[Tier, int]],
) -> dict[int, list[tuple[str, Labels, float]]]:
    """Latest values of the exported keys per device id, fresh ones only
    (:data:`STALE_INTERVALS`).

    One SQL query over the latest-value and series tables, without Django's model
    layer: at 1,000 routers it returns about 150,000 rows, and converting each
    time through the ORM alone took seconds. SQLite hands times back as text
    (``YYYY-MM-DD HH:MM:SS[.ffffff]``, UTC), compared as text with cutoffs written
    the same way; PostgreSQL hands back datetimes.
    """
    now = datetime.now(UTC)
    scale = config.time_scale()
    latest = MetricLatest._meta.db_table
    series = Series._meta.db_table
    wanted = sorted(EXPORTED_KEYS)
    # On SQLite the time is read as text: no per-row conversion to a datetime.
    ts = "CAST(l.ts AS TEXT)" if connection.vendor == "sqlite" else "l.ts"
    sql = (f"SELECT s.device_id, s.key, s.labels_key, {ts}, l.value FROM {latest} l "
           f"JOIN {series} s ON s.id = l.series_id WHERE (s.key IN "
           f"({', '.join(['%s'] * len(wanted))}) OR s.key LIKE %s)")
    params: list[Any] = [*wanted, catalog.HEALTH_PREFIX + "%"]
    if device_ids is not None:
        sql += f" AND s.device_id IN ({', '.join(['%s'] * len(device_ids))})"
        params += device_ids
    labels_of: dict[str, Labels] = {}
    cutoffs: dict[tuple[int, Tier], Any] = {}
    out: dict[int, list[tuple[str, Labels, float]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH):
            for device_id, key, labels_key, ts, value in rows:
                own = intervals.get(device_id)
                if own is None or value is None:
                    continue
                tier = _tier(key)
                cutoff = cutoffs.get((device_id, tier))
                if cutoff is None:
                    cutoff = cutoffs[(device_id, tier)] = _cutoff(now, own, tier, scale, ts)
                if ts < cutoff:
                    continue
                labels = labels_of.get(labels_key)
                if labels is None:
                    labels = labels_of[labels_key] = _labels(labels_key)
                out.setdefault(device_id, []).append((key, labels, float(value)))
    return out


#: How SQLite stores Django's UTC datetimes (naive text).
_SQLITE_TIME: Final = "%Y-%m-%d %H:%M:%S.%f"
#: The catalog keys the exposition reads (health sensors come by prefix).
EXPORTED_KEYS: Final = frozenset(spec.key for spec in FAMILIES)


@functools.cache
def _tier(key: str) -> Tier:
    """The tier producing ``key`` (health sensors: realtime)."""
    return catalog.lookup(key).tier


def _labels(text: str) -> Labels:
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in data.items())) if isinstance(
        data, dict) else ()


def _inventory(
    device_ids: list[int] | None, intervals: Mapping[int, Mapping[Tier, int]],
) -> dict[int, list[InventoryRow]]:
    """Inventory rows of :data:`~mikromon.exporters.inventory_families.TABLES` per
    device id: present rows (not ``gone``) seen within :data:`STALE_INTERVALS` of
    the tier that reads their table.

    One SQL query; the database extracts the few fields the families need
    (:data:`~mikromon.exporters.inventory_families.FIELDS`) so no row's whole JSON
    is parsed here: SQLite's ``json_extract`` gives numbers and booleans as SQL
    numbers, PostgreSQL's ``->>`` gives text; both are read by the families.
    """
    now = datetime.now(UTC)
    scale = config.time_scale()
    tables = sorted(inventory_families.TABLES)
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        fields = [f"json_extract(data, '$.\"{name}\"')" for name in inventory_families.FIELDS]
        seen = "CAST(last_seen AS TEXT)"
    else:
        fields = [f"data ->> '{name}'" for name in inventory_families.FIELDS]
        seen = "last_seen"
    sql = (f'SELECT device_id, "table", {seen}, {", ".join(fields)} '
           f"FROM {InventoryItem._meta.db_table} WHERE gone = %s AND \"table\" IN "
           f"({', '.join(['%s'] * len(tables))})")
    params: list[Any] = [False, *tables]
    if device_ids is not None:
        sql += f" AND device_id IN ({', '.join(['%s'] * len(device_ids))})"
        params += device_ids
    cutoffs: dict[tuple[int, Tier], Any] = {}
    out: dict[int, list[InventoryRow]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH):
            for device_id, table, ts, *data in rows:
                own = intervals.get(device_id)
                if own is None:
                    continue
                tier = _TABLE_TIERS.get(table, Tier.EXTENDED)
                cutoff = cutoffs.get((device_id, tier))
                if cutoff is None:
                    cutoff = cutoffs[(device_id, tier)] = _cutoff(now, own, tier, scale, ts)
                if ts < cutoff:
                    continue
                out.setdefault(device_id, []).append(InventoryRow(table, data))
    return out


def _cutoff(now: datetime, own: Mapping[Tier, int], tier: Tier, scale: float, ts: Any) -> Any:
    """The oldest time still fresh for ``tier`` on a device, in the form the
    database hands ``ts`` back (SQLite: text; PostgreSQL: a datetime)."""
    seconds = STALE_INTERVALS * (own.get(tier) or DEFAULT_INTERVALS[tier]) * scale
    oldest = now - timedelta(seconds=seconds)
    return (oldest.strftime(_SQLITE_TIME) if isinstance(ts, str)
            else oldest if ts.tzinfo is not None else oldest.replace(tzinfo=None))


#: Inventory table -> the tier of the collector that reads it.
_TABLE_TIERS: Final = {declared.view.table: declared.tier for declared in table_views()}


def _health_states(device_ids: list[int] | None) -> dict[int, dict[str, str]]:
    query = InventoryItem.objects.filter(table=catalog.HEALTH_STATES_TABLE, gone=False)
    if device_ids is not None:
        query = query.filter(device_id__in=device_ids)
    out: dict[int, dict[str, str]] = {}
    for device_id, data in query.values_list("device_id", "data"):
        if isinstance(data, dict) and data.get("name"):
            out.setdefault(device_id, {})[str(data["name"])] = str(data.get("state", ""))
    return out


def _polls(devices: Iterable[Any]) -> dict[int, list[TierPoll]]:
    """Per-tier figures of the published status' device entries, by device id."""
    out: dict[int, list[TierPoll]] = {}
    for entry in devices:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
            continue
        tiers = entry.get("tiers") or {}
        out[entry["id"]] = [
            TierPoll(tier=str(name), duration_s=_number(doc.get("duration_s")),
                     errors=int(doc.get("errors") or 0), lag_s=_number(doc.get("lag_s")))
            for name, doc in tiers.items() if isinstance(doc, dict)
        ]
    return out


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _alerts_firing() -> dict[str, int]:
    """Alerts firing per severity, every severity present (0 when none fires)."""
    counts = (Alert.objects.filter(state=AlertStateChoices.FIRING)
              .values_list("severity").annotate(n=Count("id")))
    out = {severity.value: 0 for severity in Severity}
    out.update({str(severity): int(n) for severity, n in counts})
    return out
