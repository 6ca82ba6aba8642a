"""The interfaces and simple queues whose rates the traffic reports read, kept by
each web process from one request to the next (:data:`CACHE`).

Reading the fleet's 20,000 interface series and decoding their labels cost about
a quarter of the Reports page at 10,000 devices (bench/reports.py,
bench/pages.py). A request now reads the table's newest series, the number of
series of the kind's keys and, when series were added, only those: a few index
seeks.

Why the cache stays true:

- a ``Series`` row never changes once written and ids are not reused, and after
  a rollback or a restore the cache starts over
  (:class:`.series_newest.NewestSeries`);
- a new interface (or a renamed one: new series of the new name) has a larger id
  than every series read: the series after the newest read are added (the whole
  kind is read again when one of them shares its interface and direction with a
  series known, so that the later of the same name wins as in a full read);
- a deleted series or device (and its series) changes the kind's number of series:
  the whole kind is read again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import Series
from mikromon.web.monitor.points_fetch import Int64Array
from mikromon.web.monitor.series_newest import NewestSeries

#: (rx key, tx key) of the traffic of interfaces and simple queues. A queue's
#: ``rx`` is its upload (traffic from the target), ``tx`` its download.
TRAFFIC_KEYS: Final = {"interface": ("iface.rx_bps", "iface.tx_bps"),
                       "queue": ("queue.upload_bps", "queue.download_bps")}
#: Series id, device id, key, labels (JSON text on SQLite, decoded on PostgreSQL).
_Row = tuple[int, int, str, Any]


@dataclass(frozen=True, slots=True)
class TrafficSeries:
    """The interfaces (or queues) of one kind. Shared between requests: read only.

    Attributes:
        found: ``(device id, name) -> {"rx"/"tx": series id}``; a name is the
            ``interface`` (``queue``) label of the series.
        interface_of: series id -> its ``(device id, name)``.
        rx: the ``rx`` series id of each interface of ``found``, in its order,
            int64 of shape (len(found),); -1: none.
        tx: the same of ``tx``.
    """

    found: dict[tuple[int, str], dict[str, int]]
    interface_of: dict[int, tuple[int, str]]
    rx: Int64Array
    tx: Int64Array

    @classmethod
    def of(cls, found: dict[tuple[int, str], dict[str, int]]) -> TrafficSeries:
        """The interfaces of ``found`` (kept, not copied) with their lookups."""
        n = len(found)
        return cls(found=found,
                   interface_of={sid: key for key, ids in found.items() for sid in ids.values()},
                   rx=np.fromiter((ids.get("rx", -1) for ids in found.values()), np.int64, n),
                   tx=np.fromiter((ids.get("tx", -1) for ids in found.values()), np.int64, n))


def _sql(conn: Any, kind: str, where: str = "") -> tuple[str, list[Any]]:
    qn = conn.ops.quote_name
    sql = (f"SELECT s.id, s.device_id, s.{qn('key')}, s.labels FROM "
           f"{qn(Series._meta.db_table)} s WHERE s.{qn('key')} IN (%s, %s){where}")
    return sql, list(TRAFFIC_KEYS[kind])


def _rows(conn: Any, sql: str, params: list[Any]) -> list[_Row]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _add(found: dict[tuple[int, str], dict[str, int]], kind: str, rows: Iterable[_Row],
         *, replace: bool = True) -> bool:
    """Add ``rows`` to ``found``; each distinct label text is decoded once. Returns
    ``False`` (at the first such row) when one has the interface and direction of
    a series already there and ``replace`` is false."""
    rx_key = TRAFFIC_KEYS[kind][0]
    label = "interface" if kind == "interface" else "queue"
    decoded: dict[Any, Any] = {}
    for pk, dev, key, text in rows:
        labels = decoded.get(text) if isinstance(text, str) else text
        if labels is None:
            labels = decoded[text] = json.loads(text)
        name = labels.get(label) if isinstance(labels, dict) else None
        if isinstance(name, str) and name:
            sides = found.setdefault((dev, name), {})
            side = "rx" if key == rx_key else "tx"
            if not replace and side in sides:
                return False
            sides[side] = pk
    return True


def _ordered(conn: Any, kind: str, device_id: int | None = None) -> list[_Row]:
    """Every series of the kind (of one device, or all): each device's in ``(key,
    labels)`` order, so that a later one of the same name wins in :func:`_add`."""
    qn = conn.ops.quote_name
    sql, params = _sql(conn, kind, "" if device_id is None else " AND s.device_id = %s")
    if device_id is not None:
        params.append(device_id)
    return _rows(conn, f"{sql} ORDER BY s.device_id, s.{qn('key')}, s.labels_key", params)


def read(kind: str, device_id: int | None = None, *, using: str = "default"
         ) -> dict[tuple[int, str], dict[str, int]]:
    """``(device id, name) -> {"rx": series id, "tx": series id}`` of one kind
    (``interface`` or ``queue``) of one device (or all), read from the table. A
    plain cursor: 20,000 rows through the ORM cost twice as much."""
    found: dict[tuple[int, str], dict[str, int]] = {}
    _add(found, kind, _ordered(usable_connection(using), kind, device_id))
    return found


class _Kept:
    """One kind as cached: the series and what they were read up to."""

    __slots__ = ("count", "series", "upto")

    def __init__(self, series: TrafficSeries, count: int, upto: int) -> None:
        self.series = series
        self.count = count  # series of the kind's keys (named or not)
        self.upto = upto  # every series up to this id was read


class ReportSeriesCache:
    """The fleet's interfaces and queues per database alias and kind (one per web
    process, :data:`CACHE`); :meth:`fleet` is serialized by a lock."""

    def __init__(self) -> None:
        self._kinds: dict[tuple[str, str], _Kept] = {}
        self._newest: dict[str, NewestSeries] = {}
        self._lock = threading.Lock()

    def fleet(self, kind: str, *, using: str = "default") -> TrafficSeries:
        """The interfaces (``kind`` ``interface``) or simple queues (``queue``) of
        every device, as :func:`read` reads them (the same pairs and ids).

        Raises:
            KeyError: for a kind other than ``interface`` and ``queue``.
        """
        keys = TRAFFIC_KEYS[kind]
        conn = usable_connection(using)
        with self._lock:
            newest = self._newest.setdefault(using, NewestSeries())
            with conn.cursor() as cursor:
                if not newest.advance(cursor):
                    self._kinds = {k: v for k, v in self._kinds.items() if k[0] != using}
                cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(Series._meta.db_table)}"
                               f" WHERE {conn.ops.quote_name('key')} IN (%s, %s)", list(keys))
                ((count,),) = cursor.fetchall()
            upto = newest.seen_id or 0
            kept = self._kinds.get((using, kind))
            if kept is not None and (kept.upto < upto or kept.count != count):
                kept = self._added(conn, kind, kept, int(count), upto)
            if kept is None:
                kept = self._whole(conn, kind, upto)
            self._kinds[(using, kind)] = kept
            return kept.series

    @staticmethod
    def _added(conn: Any, kind: str, kept: _Kept, count: int, newest: int) -> _Kept | None:
        """``kept`` with the series added after it was read, now read up to at least
        ``newest`` (the table's newest id, read before), or ``None`` when the whole
        kind must be read again (series removed, or one added of an interface and
        direction known). A series committed later with a smaller id changes the
        count without being among those read: the kind is then read whole."""
        sql, params = _sql(conn, kind, " AND s.id > %s")
        new = _rows(conn, f"{sql} ORDER BY s.id", [*params, kept.upto])
        if kept.count + len(new) != count:
            return None
        upto = max([kept.upto, newest, *(int(row[0]) for row in new)])
        if not new:  # series of other keys: the same interfaces
            return _Kept(kept.series, count, upto)
        found = {key: dict(ids) for key, ids in kept.series.found.items()}
        if not _add(found, kind, new, replace=False):
            return None
        return _Kept(TrafficSeries.of(found), count, upto)

    @staticmethod
    def _whole(conn: Any, kind: str, upto: int) -> _Kept:
        """Every series of the kind (and the largest id read, at least ``upto``)."""
        rows = _ordered(conn, kind)
        found: dict[tuple[int, str], dict[str, int]] = {}
        _add(found, kind, rows)
        upto = max([upto, *(int(row[0]) for row in rows)])
        return _Kept(TrafficSeries.of(found), len(rows), upto)


#: The web process' cache.
CACHE: Final = ReportSeriesCache()


def traffic_series(kind: str, device_id: int | None = None, *, using: str = "default"
                   ) -> TrafficSeries:
    """The interfaces (or queues) of one kind: the fleet's from :data:`CACHE`, one
    device's (``device_id``) read from the table (:func:`read`)."""
    if device_id is None:
        return CACHE.fleet(kind, using=using)
    found = read(kind, device_id, using=using)
    return TrafficSeries.of(found)
