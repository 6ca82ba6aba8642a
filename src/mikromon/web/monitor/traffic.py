"""The fleet's interface traffic now: the busiest interfaces and the most used
links, at any fleet size.

Each interface's current ``iface.rx_bps`` and ``iface.tx_bps`` (latest values,
one series each) are paired by device and labels, with its link speed, in one
grouped query, so both directions of an interface come together whatever the
ranking; the database ranks that one pairing for both tables
(:func:`ranked_traffic`), and only the rows and devices listed are loaded. A
rate counts when its device's values are current and the rate itself is no
older than the device's stale threshold (:meth:`Device.stale_after_s`): an
interface that stopped reporting keeps its last rate in the latest table, but is
not "now". Which devices are current is decided in SQL
(:func:`current_devices`), so no device is loaded but the few
listed.

Utilisation is ``max(rx, tx) / link speed`` in percent, the link speed being
the last ``iface.link_speed_bps`` the ethernet monitor read (medium tier:
:mod:`mikromon.collectors.interface_ethernet_monitor`; "rate" of
``/interface/ethernet/monitor``, e.g. ``1Gbps``), whatever its age, as the
utilisation alert rule uses it (:mod:`mikromon.alerting.engine`). Interfaces
without a known speed (VLANs, bridges, ports not read yet, no link) are not
ranked by utilisation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from django.db import connections
from django.db.models import Case, Count, F, FloatField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from mikromon.web.monitor.models import Device, MetricLatest, Series
from mikromon.web.monitor.models.device_reads import (
    ANSWERING,
    CONTACT_METRIC,
    STALE_FLOOR_S,
    STALE_INTERVALS,
    effective_time_scale,
)

RX: Final = "iface.rx_bps"
TX: Final = "iface.tx_bps"
SPEED: Final = "iface.link_speed_bps"
#: How the busiest interfaces may be ranked: rx + tx, receive, transmit.
ORDERS: Final = ("total", "rx", "tx")


@dataclass(frozen=True, slots=True)
class InterfaceTraffic:
    """One interface's current traffic.

    Attributes:
        device: the device.
        interface: the interface's name (label ``interface``).
        rx_bps: receive rate, bits/s (0 when only transmit is known).
        tx_bps: transmit rate, bits/s (0 when only receive is known).
        speed_bps: the link speed, bits/s (``None``: not known).
    """

    device: Device
    interface: str
    rx_bps: float
    tx_bps: float
    speed_bps: float | None = None

    @property
    def total(self) -> float:
        """rx + tx, bits/s."""
        return self.rx_bps + self.tx_bps

    @property
    def utilisation_pct(self) -> float | None:
        """max(rx, tx) / link speed, percent (``None`` without a link speed)."""
        if not self.speed_bps:
            return None
        return max(self.rx_bps, self.tx_bps) / self.speed_bps * 100.0


def contact_cutoffs(now: datetime | None = None) -> dict[int, datetime]:
    """Return realtime interval (seconds, as stored) -> the oldest newest contact of
    a device with that interval whose values are current (:meth:`Device.is_stale`:
    ``STALE_INTERVALS`` intervals at the time scale, at least ``STALE_FLOOR_S``),
    for the intervals of the answering devices (one small query; the time scale
    read once)."""
    now = now or timezone.now()
    scale = effective_time_scale()
    intervals = (Device.objects.filter(state__in=ANSWERING).order_by()
                 .values_list("realtime_interval", flat=True).distinct())
    return {i: now - timedelta(seconds=max(STALE_FLOOR_S, STALE_INTERVALS * i * scale))
            for i in intervals}


def _contacted_since(since: datetime) -> QuerySet[Any]:
    """Ids of the devices whose :data:`CONTACT_METRIC` value is ``since`` or newer
    (``data_ts`` of :meth:`DeviceQuerySet.with_contact`), as a subquery the
    database runs once (not once per device)."""
    return (Series.objects.filter(key=CONTACT_METRIC, labels_key="{}", latest__ts__gte=since)
            .order_by().values("device_id"))


def current_devices(cutoffs: Mapping[int, datetime]) -> QuerySet[Device]:
    """The answering devices whose values are current (:meth:`Device.values_current`:
    ``last_seen`` or the newest contact metric within the stale threshold of their
    realtime interval), as a queryset (the database decides: no device is loaded)."""
    fresh = Q(pk__in=[])
    for interval, since in cutoffs.items():
        fresh |= Q(realtime_interval=interval) & (Q(last_seen__gte=since)
                                                  | Q(pk__in=_contacted_since(since)))
    return Device.objects.filter(state__in=ANSWERING).filter(fresh)


def stale_devices(cutoffs: Mapping[int, datetime]) -> QuerySet[Device]:
    """The answering devices whose newest contact is older than their stale
    threshold, or that never answered (:meth:`Device.is_stale`), as a queryset."""
    stale = Q(pk__in=[])
    for interval, since in cutoffs.items():
        stale |= (Q(realtime_interval=interval)
                  & (Q(last_seen__isnull=True) | Q(last_seen__lt=since))
                  & ~Q(pk__in=_contacted_since(since)))
    return Device.objects.filter(state__in=ANSWERING).filter(stale)


class Rates(NamedTuple):
    """One interface's current rates as read (before its device is loaded).

    Attributes:
        device_id: the device's id.
        labels_key: the series' labels (JSON text, ``{"interface": ...}``).
        rx, tx: receive and transmit rate, bits/s (``None``: not current).
        speed: the link speed, bits/s (``None``: not known).
    """

    device_id: int
    labels_key: str
    rx: float | None
    tx: float | None
    speed: float | None


#: SQL ``ORDER BY`` of the busiest interfaces per :data:`ORDERS` value, over the
#: paired rates (:func:`_paired`): highest rate first, interfaces without that
#: direction's rate last, ties by device id then labels.
_BUSIEST_ORDER: Final = {
    "total": "COALESCE(rx, 0) + COALESCE(tx, 0) DESC",
    "rx": "rx IS NULL, COALESCE(rx, 0) DESC",
    "tx": "tx IS NULL, COALESCE(tx, 0) DESC",
}
#: max(rx, tx) / link speed, in SQL both databases run (no GREATEST in SQLite).
_UTILISATION: Final = ("(CASE WHEN COALESCE(rx, 0) >= COALESCE(tx, 0) THEN COALESCE(rx, 0) "
                       "ELSE COALESCE(tx, 0) END) / speed")


def ranked_traffic(cutoffs: Mapping[int, datetime], *, order: str = "total",
                   limit: int = 10) -> tuple[list[InterfaceTraffic], list[InterfaceTraffic]]:
    """Return the overview's two tables: the ``limit`` interfaces with the highest
    current rate, each with both directions, and the ``limit`` links with the
    highest utilisation (max(rx, tx) / link speed, among interfaces with a current
    rate and a known link speed above 0).

    Both are ranked by the database in one statement over one pairing of the
    latest rates (:func:`_paired`, a common table expression both rankings read):
    at most ``2 * limit`` rows leave it, whatever the fleet's size. Ties rank by
    device id, then labels.

    Args:
        cutoffs: :func:`contact_cutoffs`.
        order: ``total`` (rx + tx), ``rx`` or ``tx`` (:data:`ORDERS`).
        limit: how many of each, at most.

    Raises:
        ValueError: an unknown ``order``.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    rows = _paired(cutoffs)
    if rows is None:
        return [], []
    query = rows.values_list("series__device_id", "series__labels_key", "rx", "tx", "speed")
    paired_sql, params = query.query.sql_with_params()
    connection = connections[query.db]
    q = connection.ops.quote_name
    columns = ", ".join((q("series__device_id"), q("series__labels_key"), "rx", "tx", "speed"))
    ties = f"{q('series__device_id')}, {q('series__labels_key')}"
    sql = (f"WITH paired AS ({paired_sql}) "
           f"SELECT 0, {columns} FROM (SELECT * FROM paired "
           f"ORDER BY {_BUSIEST_ORDER[order]}, {ties} LIMIT %s) busiest "
           f"UNION ALL SELECT 1, {columns} FROM (SELECT * FROM paired WHERE speed > 0 "
           f"ORDER BY {_UTILISATION} DESC, {ties} LIMIT %s) links")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, limit, limit))
        fetched = cursor.fetchall()
    tables: tuple[list[Rates], list[Rates]] = ([], [])
    for table, *values in fetched:
        tables[table].append(Rates._make(values))
    # Each subquery's order is kept by UNION ALL in practice, not by the standard.
    tables[0].sort(key=_busiest_key(order))
    tables[1].sort(key=lambda r: (-max(r.rx or 0.0, r.tx or 0.0) / (r.speed or 1.0),
                                  r.device_id, r.labels_key))
    return _traffic(tables[0]), _traffic(tables[1])


def _busiest_key(order: str) -> Callable[[Rates], tuple[bool, float, int, str]]:
    """The Python sort key of :data:`_BUSIEST_ORDER` (the few rows read)."""
    if order == "total":
        return lambda r: (False, -((r.rx or 0.0) + (r.tx or 0.0)), r.device_id, r.labels_key)
    return lambda r: (
        (v := (r.rx if order == "rx" else r.tx)) is None, -(v or 0.0), r.device_id,
        r.labels_key)


def _paired(cutoffs: Mapping[int, datetime]) -> Any:
    """The latest rates of the current devices' interfaces grouped by device and
    labels: ``rx``, ``tx`` and ``speed`` per group (``None`` where absent), only
    groups with a current rate; ``None`` when no device answers."""
    if not cutoffs:
        return None
    if len(cutoffs) == 1:
        fresh = Q(ts__gte=next(iter(cutoffs.values())))
    else:  # devices polled at different realtime intervals: each one's threshold
        fresh = Q(pk__in=[])
        for interval, since in cutoffs.items():
            fresh |= Q(series__device__realtime_interval=interval, ts__gte=since)
    # One list of current devices (the database runs the subquery once); the link
    # speed counts whatever its age, a rate only when current.
    wanted = (Q(series__key__in=(RX, TX, SPEED),
                series__device_id__in=current_devices(cutoffs).order_by().values("pk"))
              & (Q(series__key=SPEED) | fresh))

    def of(key: str) -> Max:
        return Max(Case(When(series__key=key, then=F("value")), output_field=FloatField()))

    return (
        MetricLatest.objects.filter(wanted).order_by()
        .values("series__device_id", "series__labels_key")
        .annotate(rx=of(RX), tx=of(TX), speed=of(SPEED),
                  rates=Count(Case(When(series__key__in=(RX, TX), then=Value(1)))))
        .filter(rates__gt=0)
    )


def _traffic(ranked: list[Rates]) -> list[InterfaceTraffic]:
    """The ranked rates with their devices (one query for the few listed)."""
    devices = Device.objects.in_bulk({r.device_id for r in ranked})
    out = []
    for r in ranked:
        name = json.loads(r.labels_key or "{}").get("interface")
        device = devices.get(r.device_id)
        if name is None or device is None:
            continue
        out.append(InterfaceTraffic(
            device=device, interface=name, rx_bps=max(0.0, r.rx or 0.0),
            tx_bps=max(0.0, r.tx or 0.0), speed_bps=r.speed,
        ))
    return out
