"""One device's failing write stays its own; router-supplied text never exceeds a
column; a busy database is reported as unavailable (retry), not as lost rows.

Runs on SQLite and, with the db_backend marker, on PostgreSQL (where a text
longer than its column is an error rather than stored as is).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from mikromon.domain.errors import PartialWrite, StorageUnavailable
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.web.monitor.models import (
    Device,
    InventoryItem,
    InventorySync,
    MetricLatest,
    MetricPoint,
    Series,
)
from mikromon.web.monitor.models import Event as EventRow
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend]

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LONG = "sfp-sfpplus1-" + "very-long-sensor-name-" * 12  # 277 characters
WIDE = "\U0001f4e1" * 600  # 600 four-byte characters


def make(name: str) -> Device:
    dev = Device(name=name, host="127.0.0.1", username="api")
    dev.set_password("pw")
    dev.save()
    return dev


def max_length(model: type, field: str) -> int:
    return int(model._meta.get_field(field).max_length)  # type: ignore[attr-defined]


# -- router-supplied text is bounded --------------------------------------------------


@pytest.mark.django_db
def test_a_long_health_name_and_label_fit_their_columns_and_stay_distinct() -> None:
    """v7 health sensors and interfaces may carry long names: the series key and
    label key are bounded (distinct names stay distinct series), the labels keep
    the full names, and the other device in the same call is written."""
    long_dev, healthy = make("long"), make("healthy")
    storage = DjangoStorage(maintenance_interval=None)
    long_samples = [
        Sample(f"system.health.{LONG}", 41.0, T0),
        Sample(f"system.health.{LONG}-2", 42.0, T0),
        Sample("iface.rx_bps", 1.0, T0, (("interface", WIDE),)),
        Sample("iface.rx_bps", 2.0, T0, (("interface", WIDE + "x"),)),
    ]
    written = storage.write_samples_many(
        [(long_dev.pk, long_samples), (healthy.pk, [Sample("system.cpu.load_pct", 5.0, T0)])]
    )
    assert written == 5
    rows = list(Series.objects.filter(device=long_dev).values("key", "labels_key", "labels"))
    assert len(rows) == 4
    for row in rows:
        assert len(row["key"]) <= max_length(Series, "key")
        assert len(row["labels_key"]) <= max_length(Series, "labels_key")
        assert len(row["labels_key"].encode()) <= 1600
    assert len({(r["key"], r["labels_key"]) for r in rows}) == 4
    assert {r["labels"].get("interface") for r in rows} == {None, WIDE, WIDE + "x"}
    assert all(r["key"].startswith("system.health.sfp-sfpplus1-") or r["key"] == "iface.rx_bps"
               for r in rows)
    assert MetricPoint.objects.filter(series__device=healthy).count() == 1
    # Written again: the same series (the bounded keys are stable).
    storage2 = DjangoStorage(maintenance_interval=None)
    later = [Sample(s.key, s.value, T0 + timedelta(seconds=5), s.labels) for s in long_samples]
    assert storage2.write_samples(long_dev.pk, later) == 4
    assert Series.objects.filter(device=long_dev).count() == 4


@pytest.mark.django_db
def test_status_facts_and_inventory_text_are_bounded() -> None:
    dev = make("chatty")
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_status(DeviceStatus(
        device_id=dev.pk, state=DeviceState.UP, ts=T0, last_seen=T0,
        identity="i" * 400, board="b" * 300, version="7.16 " + "v" * 200,
    ))
    dev.refresh_from_db()
    assert dev.state == "up"
    assert len(dev.identity) == max_length(Device, "identity")
    assert len(dev.board) == max_length(Device, "board")
    assert len(dev.ros_version) == max_length(Device, "ros_version")
    assert dev.ros_version.startswith("7.16 ")
    table = "t" * 100
    storage.write_inventory(dev.pk, InventorySnapshot(
        table=table, key_fields=("name",), ts=T0, rows=[{"name": WIDE}, {"name": "ether1"}]))
    items = list(InventoryItem.objects.filter(device=dev))
    assert len(items) == 2
    assert all(len(i.table) <= max_length(InventoryItem, "table") for i in items)
    assert all(len(i.key.encode()) <= 1600 for i in items)
    assert InventorySync.objects.filter(device=dev).count() == 1


# -- one device's failure stays its own -----------------------------------------------


@pytest.mark.django_db
def test_a_device_whose_samples_fail_loses_only_its_own_rows(
    poison: Callable[[str, int], Any],
) -> None:
    bad, good1, good2 = make("bad"), make("good1"), make("good2")
    storage = DjangoStorage(maintenance_interval=None)
    cpu = [Sample("system.cpu.load_pct", 5.0, T0), Sample("system.uptime_seconds", 9.0, T0)]
    with poison("monitor_series", bad.pk), pytest.raises(PartialWrite) as info:
        storage.write_samples_many([(good1.pk, cpu), (bad.pk, cpu), (good2.pk, cpu)])
    err = info.value
    assert err.written == 4
    assert set(err.failed) == {bad.pk}
    assert "poisoned device" in err.failed[bad.pk]
    assert err.pending == ()
    for dev in (good1, good2):
        assert MetricPoint.objects.filter(series__device=dev).count() == 2
        assert MetricLatest.objects.filter(series__device=dev).count() == 2
    assert not Series.objects.filter(device=bad).exists()
    # The next call (trigger gone) writes the device that failed.
    assert storage.write_samples_many([(bad.pk, cpu)]) == 2


@pytest.mark.django_db
def test_a_device_whose_events_fail_loses_only_its_own_events(
    poison: Callable[[str, int], Any],
) -> None:
    bad, good = make("bad"), make("good")
    storage = DjangoStorage(maintenance_interval=None)
    events = [Event(device_id=d.pk, ts=T0, kind=EventKind.REBOOT, message=f"{d.name} rebooted")
              for d in (good, bad, good)]
    with poison("monitor_event", bad.pk), pytest.raises(PartialWrite) as info:
        storage.write_events(events)
    assert set(info.value.failed) == {bad.pk}
    assert info.value.written == 2
    assert EventRow.objects.filter(device=good).count() == 2
    assert not EventRow.objects.filter(device=bad).exists()


# -- a busy database is unavailable, not a failure -------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_locked_database_raises_unavailable_and_keeps_nothing_half_written(
    write_lock_held: Callable[[float], Any], busy_timeout: Callable[[float], Any]
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite write lock")
    dev = make("r1")
    with busy_timeout(20):
        storage = DjangoStorage(maintenance_interval=None, busy_timeout_ms=300)
        cpu = [Sample("system.cpu.load_pct", 5.0, T0)]
        with write_lock_held(30):
            started = time.monotonic()
            with pytest.raises(StorageUnavailable, match="locked"):
                storage.write_samples_many([(dev.pk, cpu)])
            for call in (
                lambda: storage.write_events([Event(device_id=dev.pk, ts=T0,
                                                    kind=EventKind.REBOOT, message="x")]),
                lambda: storage.write_status(DeviceStatus(device_id=dev.pk,
                                                          state=DeviceState.UP, ts=T0)),
                lambda: storage.write_inventory(dev.pk, InventorySnapshot(
                    table="interfaces", key_fields=("name",), ts=T0, rows=[{"name": "e1"}])),
            ):
                with pytest.raises(StorageUnavailable):
                    call()
            assert time.monotonic() - started < 10
        assert storage.write_samples_many([(dev.pk, cpu)]) == 1
        storage.close()


def test_busy_timeout_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    from mikromon.web.monitor.envconfig import sqlite_database

    monkeypatch.setenv("MIKROMON_SQLITE_BUSY_TIMEOUT_MS", "1500")
    entry = sqlite_database(__import__("pathlib").Path(os.devnull))
    assert entry["OPTIONS"]["timeout"] == 1.5
    assert "busy_timeout=1500" in entry["OPTIONS"]["init_command"]
