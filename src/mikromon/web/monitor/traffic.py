"""The fleet's interface traffic now: the busiest interfaces and the most used
links, ranked in the database at any fleet size.

Each interface's current ``iface.rx_bps`` and ``iface.tx_bps`` (latest values,
one series each) are paired by device and labels in one grouped query, so both
directions of an interface come together whatever the ranking; only the top
``limit`` rows leave the database. A rate counts when its device's values are
current and the rate itself is no older than the device's stale threshold
(:meth:`Device.stale_after_s`): an interface that stopped reporting keeps its
last rate in the latest table, but is not "now". Which devices are current is
decided in SQL (:func:`current_devices`), so no device is loaded but the few
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import Case, Count, F, FloatField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from mikromon.web.monitor.models import Device, MetricLatest
from mikromon.web.monitor.models.device_reads import (
    ANSWERING,
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


def current_devices(cutoffs: Mapping[int, datetime]) -> QuerySet[Device]:
    """The answering devices whose values are current (:meth:`Device.values_current`),
    as a queryset (the database decides: no device is loaded here)."""
    fresh = Q(pk__in=[])
    for interval, since in cutoffs.items():
        fresh |= Q(realtime_interval=interval) & (Q(last_seen__gte=since)
                                                  | Q(data_ts__gte=since))
    return Device.objects.filter(state__in=ANSWERING).with_contact().filter(fresh)


def stale_devices(cutoffs: Mapping[int, datetime]) -> QuerySet[Device]:
    """The answering devices whose newest contact is older than their stale
    threshold, or that never answered (:meth:`Device.is_stale`), as a queryset."""
    stale = Q(pk__in=[])
    for interval, since in cutoffs.items():
        stale |= (Q(realtime_interval=interval)
                  & (Q(last_seen__isnull=True) | Q(last_seen__lt=since))
                  & (Q(data_ts__isnull=True) | Q(data_ts__lt=since)))
    return Device.objects.filter(state__in=ANSWERING).with_contact().filter(stale)


def busiest_interfaces(cutoffs: Mapping[int, datetime], *, order: str = "total",
                       limit: int = 10) -> list[InterfaceTraffic]:
    """Return the ``limit`` interfaces with the highest current rate, each with
    both its receive and transmit rate.

    Args:
        cutoffs: :func:`contact_cutoffs` (which devices' values are current, and
            how old a current rate may be).
        order: ``total`` (rx + tx), ``rx`` or ``tx`` (:data:`ORDERS`).
        limit: how many, at most.

    Raises:
        ValueError: an unknown ``order``.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    rows = _paired(cutoffs)
    if rows is None:
        return []
    if order == "total":
        rows = rows.annotate(total=Coalesce("rx", 0.0) + Coalesce("tx", 0.0))
    ranked = rows.order_by(F(order).desc(nulls_last=True), "series__device_id",
                           "series__labels_key")
    return _traffic(ranked[:limit])


def top_utilisation(cutoffs: Mapping[int, datetime], *, limit: int = 10
                    ) -> list[InterfaceTraffic]:
    """Return the ``limit`` links with the highest utilisation (max(rx, tx) / link
    speed), among interfaces with a current rate and a known link speed above 0
    (``cutoffs``: :func:`contact_cutoffs`)."""
    rows = _paired(cutoffs)
    if rows is None:
        return []
    ranked = (
        rows.filter(speed__gt=0)
        .annotate(used=Greatest(Coalesce("rx", 0.0), Coalesce("tx", 0.0)) / F("speed"))
        .order_by(F("used").desc(), "series__device_id", "series__labels_key")
    )
    return _traffic(ranked[:limit])


def _paired(cutoffs: Mapping[int, datetime]) -> Any:
    """The latest rates of the current devices' interfaces grouped by device and
    labels: ``rx``, ``tx`` and ``speed`` per group (``None`` where absent), only
    groups with a current rate; ``None`` when no device answers."""
    if not cutoffs:
        return None
    fresh = Q(pk__in=[])
    for interval, since in cutoffs.items():
        ids = current_devices({interval: since}).order_by().values("pk")
        fresh |= Q(series__device_id__in=ids, ts__gte=since)
    current = current_devices(cutoffs).order_by().values("pk")
    wanted = (Q(series__key__in=(RX, TX)) & fresh) | Q(series__key=SPEED,
                                                       series__device_id__in=current)

    def of(key: str) -> Max:
        return Max(Case(When(series__key=key, then=F("value")), output_field=FloatField()))

    return (
        MetricLatest.objects.filter(wanted)
        .values("series__device_id", "series__labels_key")
        .annotate(rx=of(RX), tx=of(TX), speed=of(SPEED),
                  rates=Count(Case(When(series__key__in=(RX, TX), then=Value(1)))))
        .filter(rates__gt=0)
    )


def _traffic(rows: Iterable[dict[str, Any]]) -> list[InterfaceTraffic]:
    """The ranked rows with their devices (one query for the few listed)."""
    rows = list(rows)
    devices = Device.objects.in_bulk({row["series__device_id"] for row in rows})
    out = []
    for row in rows:
        labels = json.loads(row["series__labels_key"] or "{}")
        name = labels.get("interface")
        device = devices.get(row["series__device_id"])
        if name is None or device is None:
            continue
        out.append(InterfaceTraffic(
            device=device, interface=name, rx_bps=max(0.0, row["rx"] or 0.0),
            tx_bps=max(0.0, row["tx"] or 0.0), speed_bps=row["speed"],
        ))
    return out
