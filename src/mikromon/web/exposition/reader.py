"""Reads a :class:`~mikromon.exporters.prometheus.FleetSnapshot` from the database:
devices, their latest values and health states, the collector's published status
and the alerts firing. No router command is sent.

A latest value or inventory row is left out once it is older than three intervals
of the tier that produces it on that device (an interface removed from the router,
a device that stopped answering): Prometheus then sees the series end, as with
mktxp, instead of an old value repeated. The latest values and inventory rows are
read through per-process caches (:mod:`.latest`, :mod:`.inventory`); the devices,
health states, collector status and alerts are read on every scrape.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import Count

from mikromon.domain import catalog
from mikromon.domain.alerts import Severity
from mikromon.domain.tiers import Tier
from mikromon.exporters.families import DeviceSnapshot, FleetSnapshot, TierPoll
from mikromon.web.alerts.models import Alert, AlertStateChoices
from mikromon.web.control import collector
from mikromon.web.exposition import inventory as exposed_inventory
from mikromon.web.exposition import latest
from mikromon.web.monitor.models import Device, InventoryItem


def read_snapshot(device_name: str | None = None) -> FleetSnapshot:
    """Return the fleet (or the one device named ``device_name``) as it stands.

    Raises:
        Device.DoesNotExist: no device has the name ``device_name``.
    """
    devices = Device.objects.select_related("site").by_name()
    if device_name is not None:
        devices = devices.filter(name=device_name)
        if not devices.exists():
            raise Device.DoesNotExist(f"no device is named {device_name!r}")
    rows = list(devices.values_list(
        "id", "name", "host", "state", "site__name", "identity", "board", "ros_version",
        *(f"{tier.value}_interval" for tier in Tier)))
    ids = [row[0] for row in rows]
    intervals = {row[0]: dict(zip(Tier, row[8:], strict=True)) for row in rows}
    scope = ids if device_name is not None else None
    cutoffs = latest.cutoffs(intervals)
    series = latest.CACHE.read(
        {row[0]: (row[1], row[2], row[7], row[6]) for row in rows}, cutoffs, scope)
    inventory = exposed_inventory.CACHE.read(cutoffs, scope)
    states = _health_states(ids if device_name is not None else None)
    view = collector.read(tidy_devices=False)
    polls = _polls(view.status.get("devices") or [], set(scope) if scope is not None else None)
    snapshot_devices = [
        DeviceSnapshot(
            name=name, address=host, state=state, site=site or "", identity=identity,
            board=board, version=version,
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
        series=series,
    )


def _health_states(device_ids: list[int] | None) -> dict[int, dict[str, str]]:
    query = InventoryItem.objects.filter(table=catalog.HEALTH_STATES_TABLE, gone=False)
    if device_ids is not None:
        query = query.filter(device_id__in=device_ids)
    out: dict[int, dict[str, str]] = {}
    for device_id, data in query.values_list("device_id", "data"):
        if isinstance(data, dict) and data.get("name"):
            out.setdefault(device_id, {})[str(data["name"])] = str(data.get("state", ""))
    return out


def _polls(devices: Iterable[Any], wanted: Collection[int] | None = None
           ) -> dict[int, list[TierPoll]]:
    """Per-tier figures of the published status' device entries, by device id; of
    the ids in ``wanted`` only, when given."""
    out: dict[int, list[TierPoll]] = {}
    for entry in devices:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
            continue
        if wanted is not None and entry["id"] not in wanted:
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
