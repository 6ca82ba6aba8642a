"""The inventory rows a scrape exposes (installed packages, firewall rule counters,
interface link-downs, MTU and info, DHCP leases when
``MIKROMON_METRICS_DHCP_LEASES`` is on, wireless clients and the leases naming them
when ``MIKROMON_METRICS_WIRELESS_CLIENTS`` is on), read through a per-process cache of each row's
fields.

A scrape reads, of every present row of
:data:`~mikromon.exporters.inventory_families.TABLES`, only its id, device, table,
``last_seen`` and ``changed_at``. The fields the families need are extracted from
a row's JSON only when the cache does not hold the row at that ``changed_at``: the
storage sets ``changed_at`` whenever it writes different data into a row
(:func:`mikromon.web.monitor.storage_inventory.sync_inventory`), counters included,
so a row is read again after each poll that changed it (firewall rules: once per
long-tier interval, an hour by default) and not on the scrapes in between. At
1,000 routers (50,000 rows) the extraction was a third of a scrape's time
(bench/metrics_scrape.py).

Why the cache stays true: a row with the same id and the same ``changed_at`` holds
the same data (a rolled-back or restored row with a reused id has another
``changed_at``, written to the microsecond); ``gone`` and ``last_seen`` are read on
every scrape; rows not read by a whole-fleet scrape are dropped from the cache.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

from django.conf import settings
from django.db import connection

from mikromon.collectors.registry import table_views
from mikromon.domain.tiers import Tier
from mikromon.exporters import inventory_families
from mikromon.exporters.inventory_families import InventoryRow
from mikromon.web.exposition.latest import FETCH, TIERS
from mikromon.web.monitor.models import InventoryItem

#: Rows whose fields are read by id, per query; more than :data:`_BY_ID_MAX` in
#: one scrape and the fields of every row are read at once.
_CHUNK: Final = 500
_BY_ID_MAX: Final = 2000
#: Inventory table -> the index (in :data:`~.latest.TIERS`) of the tier that reads it.
_TABLE_TIERS: Final = {declared.view.table: TIERS.index(declared.tier)
                       for declared in table_views()}
_EXTENDED: Final = TIERS.index(Tier.EXTENDED)


class InventoryCache:
    """Inventory row id -> (``changed_at``, the row reduced to
    :data:`~mikromon.exporters.inventory_families.FIELDS`). One per web process
    (:data:`CACHE`); :meth:`read` is serialized by a lock."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[Any, InventoryRow]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def read(self, cutoffs: Mapping[int, Sequence[Any]],
             device_ids: Sequence[int] | None = None) -> dict[int, list[InventoryRow]]:
        """Present rows (not ``gone``) of the devices in ``cutoffs`` seen since the
        cutoff of the tier that reads their table, per device id; only those of
        ``device_ids`` when given. ``cutoffs``: device id -> oldest fresh time per
        tier (:func:`~.latest.cutoffs`)."""
        with self._lock:
            sql, params = _sql("id, device_id, \"table\", {seen}, {changed}", device_ids)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                listed: list[tuple[int, int, str, Any, Any]] = []
                while rows := cursor.fetchmany(FETCH):
                    listed += rows
            known = self._rows
            stale = [row[0] for row in listed
                     if (held := known.get(row[0])) is None or held[0] != row[4]]
            if stale:
                self._learn(stale)
            kept = {} if device_ids is None else known
            out: dict[int, list[InventoryRow]] = {}
            for item_id, device_id, table, seen, _changed in listed:
                held = known.get(item_id)
                if held is None:
                    continue  # gone between the two reads
                kept[item_id] = held  # (its data may be newer than ``changed``)
                own = cutoffs.get(device_id)
                if own is None or seen < own[_TABLE_TIERS.get(table, _EXTENDED)]:
                    continue
                kept_row = held[1]
                if table == inventory_families.DHCP_LEASES and not _lease_info():
                    # read only to name wireless clients: no lease family
                    kept_row = InventoryRow(inventory_families.LEASE_JOIN, kept_row.values)
                out.setdefault(device_id, []).append(kept_row)
            self._rows = kept
            return out

    def _learn(self, ids: list[int]) -> None:
        """Read the fields of the rows ``ids`` (of every row when there are many)."""
        columns = f"id, {{changed}}, \"table\", {', '.join(_fields())}"
        found: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            if len(ids) > _BY_ID_MAX:
                cursor.execute(*_sql(columns, None))
                while rows := cursor.fetchmany(FETCH):
                    found += rows
            else:
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start:start + _CHUNK]
                    sql, params = _sql(columns, None)
                    cursor.execute(f"{sql} AND id IN ({', '.join(['%s'] * len(chunk))})",
                                   [*params, *chunk])
                    found += cursor.fetchall()
        rows = self._rows
        for item_id, changed, table, *data in found:
            # Interned: the same chains, actions, versions and poll times recur.
            rows[item_id] = (_intern(changed), InventoryRow(_intern(table), tuple(
                _intern(value) for value in data)))


#: The web process' cache.
CACHE: Final = InventoryCache()


def _intern(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value


def _sql(columns: str, device_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    """A query of ``columns`` (``{seen}``, ``{changed}``: the times in the form
    compared) over the present rows of the exposed tables."""
    sqlite = connection.vendor == "sqlite"
    tables = _tables()
    columns = columns.format(
        seen="CAST(last_seen AS TEXT)" if sqlite else "last_seen",
        changed="CAST(changed_at AS TEXT)" if sqlite else "changed_at")
    sql = (f"SELECT {columns} FROM {InventoryItem._meta.db_table} WHERE gone = %s "
           f"AND \"table\" IN ({', '.join(['%s'] * len(tables))})")
    params: list[Any] = [False, *tables]
    if device_ids is not None:
        sql += f" AND device_id IN ({', '.join(['%s'] * len(device_ids))})"
        params += device_ids
    return sql, params


def _lease_info() -> bool:
    return bool(getattr(settings, "MIKROMON_METRICS_DHCP_LEASES", False))


def _tables() -> list[str]:
    """The exposed tables, sorted (``dhcp_leases`` only when
    ``MIKROMON_METRICS_DHCP_LEASES`` or ``MIKROMON_METRICS_WIRELESS_CLIENTS`` is on,
    the wireless client tables only when the latter is)."""
    return sorted(inventory_families.tables(
        _lease_info(), bool(getattr(settings, "MIKROMON_METRICS_WIRELESS_CLIENTS", False))))


def _fields() -> list[str]:
    """The SQL extracting each of
    :data:`~mikromon.exporters.inventory_families.FIELDS` from ``data``, only in
    the tables that read it
    (:data:`~mikromon.exporters.inventory_families.TABLE_FIELDS`): SQLite's
    ``json_extract`` gives numbers and booleans as SQL numbers, PostgreSQL's
    ``->>`` gives text; the families read both. No row's whole JSON is parsed in
    Python."""
    sqlite = connection.vendor == "sqlite"
    tables = _tables()
    out = []
    for name in inventory_families.FIELDS:
        value = f"json_extract(data, '$.\"{name}\"')" if sqlite else f"data ->> '{name}'"
        readers = [t for t in tables if name in inventory_families.TABLE_FIELDS[t]]
        if not readers:
            out.append("NULL")
            continue
        if len(readers) < len(tables):  # table names: our own constants
            value = (f"CASE WHEN \"table\" IN ({', '.join(repr(t) for t in readers)}) "
                     f"THEN {value} END")
        out.append(value)
    return out
