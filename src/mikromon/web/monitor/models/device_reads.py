"""What the pages, the API and the commands read about devices besides their
settings: the newest contact with the router, how soon its data counts as stale,
and the summary values of device lists.

:class:`DeviceQuerySet` is ``Device.objects``; the per-device rules are
:class:`~mikromon.web.monitor.models.devices.Device` methods
(``last_contact``, ``stale_after_s``, ``is_stale``, ``values_current``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Self

from django.apps import apps
from django.db import models
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery

from mikromon.config import time_scale
from mikromon.domain.errors import ConfigError
from mikromon.domain.names import name_sort_key

#: The natural order of device names (:meth:`DeviceQuerySet.by_name`): the sort key,
#: then the name (names equal but for case or leading zeros), then the id.
NAME_ORDER: Final = ("name_key", "name", "pk")

#: Device-wide metrics shown in device lists: annotation name -> metric key.
SUMMARY_METRICS = {
    "cpu_pct": "system.cpu.load_pct",
    "memory_pct": "system.memory.used_pct",
    "uptime_s": "system.uptime_seconds",
}

#: The device-wide metric every successful realtime poll writes: the time of its
#: latest value is the newest contact with the router (the device's status row,
#: with ``last_seen``, is refreshed only every 30 s while nothing changes).
CONTACT_METRIC = "system.uptime_seconds"
#: An "up" device whose newest data is older than this many realtime intervals is
#: shown as stale.
STALE_INTERVALS = 3
#: ... but never sooner than this, seconds (tiny time scales of demos and tests).
STALE_FLOOR_S = 2.0
#: States of a router that answers polls (its data keeps coming): up, and degraded
#: (a PSU or fan state sensor failing).
ANSWERING = frozenset({"up", "degraded"})


def effective_time_scale() -> float:
    """The collector's time scale (``MIKROMON_TIME_SCALE``), 1.0 when unset or invalid."""
    try:
        return time_scale()
    except ConfigError:
        return 1.0


def _device_wide_latest(key: str, column: str) -> Subquery:
    """The ``column`` (``value`` or ``ts``) of the latest value of the device-wide
    series ``key`` of the outer device row, ``None`` without one."""
    latest = apps.get_model("monitor", "MetricLatest")
    return Subquery(
        latest.objects.filter(
            series__device=OuterRef("pk"), series__key=key, series__labels_key="{}"
        ).order_by().values(column)[:1]
    )


class DeviceQuerySet(models.QuerySet[Any]):
    """Devices with what lists and documents read besides the settings; writes
    keep each device's ``name_key`` (the natural sort key of its name) in step
    with its name."""

    def by_name(self) -> Self:
        """Ordered by name, naturally (``demo-2`` before ``demo-10``), then id."""
        return self.order_by(*NAME_ORDER)

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        """Create ``objs`` (:meth:`QuerySet.bulk_create`) with their names' sort keys."""
        objs = list(objs)
        for obj in objs:
            obj.name_key = name_sort_key(obj.name)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        """Update the rows (:meth:`QuerySet.update`); a new ``name`` (text) gets its
        sort key.

        Raises:
            ValueError: ``name_key`` given (it follows the name), or a ``name`` that
                is an expression (its key cannot be computed in SQL).
        """
        if "name_key" in kwargs:
            raise ValueError("name_key follows the name: update name instead")
        if "name" in kwargs:
            if not isinstance(kwargs["name"], str):
                raise ValueError("a device name is updated with text, not an expression "
                                 "(its name_key is computed from it)")
            kwargs["name_key"] = name_sort_key(kwargs["name"])
        return super().update(**kwargs)

    def with_contact(self) -> Self:
        """Annotate ``data_ts``: the time (UTC) of the newest :data:`CONTACT_METRIC`
        value, ``None`` when there is none (``Device.last_contact`` reads it)."""
        return self.annotate(data_ts=_device_wide_latest(CONTACT_METRIC, "ts"))

    def with_summary(self) -> Self:
        """Annotate the latest CPU %, memory % and uptime (seconds) of
        :data:`SUMMARY_METRICS` (``None`` where nothing was collected), and
        ``data_ts`` (:meth:`with_contact`)."""
        # Joins (one per metric, on the unique (device, key, labels) index), not a
        # subquery per value: a subquery is run for every device when the list is
        # sorted by one of them, which PostgreSQL did in seconds at 10,000 devices.
        qs = self
        for name, key in SUMMARY_METRICS.items():
            via = f"summary_{name}"
            qs = qs.alias(**{via: FilteredRelation(
                "series", condition=Q(series__key=key, series__labels_key="{}"))})
            qs = qs.annotate(**{name: F(f"{via}__latest__value")})
            if key == CONTACT_METRIC:
                qs = qs.annotate(data_ts=F(f"{via}__latest__ts"))
        return qs

    def for_documents(self) -> Self:
        """Devices ready for their JSON documents (site and tags loaded,
        :meth:`with_summary`): the API's device list and ``mikromon device
        list|show --json`` read them from here."""
        return self.select_related("site").prefetch_related("tags").with_summary()
