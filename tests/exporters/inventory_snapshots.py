"""Fleet snapshots for the tests of the families built from inventory rows, and the
check that our writer gives prometheus_client's bytes for them."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as om_latest

from mikromon.exporters.families import DeviceSnapshot, FleetSnapshot
from mikromon.exporters.inventory_families import InventoryRow
from mikromon.exporters.prometheus import OPENMETRICS, TEXT, FleetCollector, render


def edge(*rows: InventoryRow, name: str = "edge-1") -> DeviceSnapshot:
    """An up device at 127.0.0.1 holding ``rows``."""
    return DeviceSnapshot(name=name, address="127.0.0.1", state="up", inventory=rows)


def registry(*devices: DeviceSnapshot) -> CollectorRegistry:
    """A prometheus_client registry serving the fleet of ``devices``."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(FleetCollector(FleetSnapshot(list(devices))))
    return reg


def ids(**extra: str) -> dict[str, str]:
    """The labels naming edge-1, plus ``extra``."""
    return {"routerboard_name": "edge-1", "routerboard_address": "127.0.0.1", **extra}


def assert_renders_like_prometheus_client(devices: Sequence[DeviceSnapshot]) -> None:
    """Our text and OpenMetrics writers give prometheus_client's bytes."""
    snapshot = FleetSnapshot(list(devices))
    reg = CollectorRegistry(auto_describe=False)
    reg.register(FleetCollector(snapshot))
    assert render(snapshot, TEXT) == generate_latest(reg)
    assert render(snapshot, OPENMETRICS) == om_latest(reg)
