"""DjangoStorage: samples, latest values, inventory sync, logs, status, events."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, make_labels
from mikromon.web.monitor.models import (
    ConfigVersion,
    Device,
    InventoryItem,
    LogEntry,
    MetricLatest,
    MetricPoint,
    Series,
)
from mikromon.web.monitor.models import Event as EventRow
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def storage() -> DjangoStorage:
    """A storage without background maintenance."""
    return DjangoStorage(maintenance_interval=None)


def _iface(key: str, value: float, ts: datetime, name: str = "ether1") -> Sample:
    return Sample(key, value, ts, make_labels(interface=name))


def test_write_samples_creates_series_points_and_latest(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """Each key+labels gets one series; points are stored as Unix seconds; latest is newest."""
    samples = [
        Sample("system.cpu.load_pct", 12.5, t0),
        _iface("iface.rx_bps", 1000.0, t0),
        _iface("iface.rx_bps", 2000.0, t0, "ether2"),
        Sample("system.cpu.load_pct", 20.0, t0 + timedelta(seconds=5)),
    ]
    assert storage.write_samples(device.pk, samples) == 4
    series = {(s.key, s.labels_key): s for s in Series.objects.filter(device=device)}
    assert set(series) == {
        ("system.cpu.load_pct", "{}"),
        ("iface.rx_bps", '{"interface":"ether1"}'),
        ("iface.rx_bps", '{"interface":"ether2"}'),
    }
    assert series[("iface.rx_bps", '{"interface":"ether2"}')].labels == {"interface": "ether2"}
    cpu = series[("system.cpu.load_pct", "{}")]
    assert list(
        MetricPoint.objects.filter(series=cpu).order_by("ts").values_list("ts", "value")
    ) == [(int(t0.timestamp()), 12.5), (int(t0.timestamp()) + 5, 20.0)]
    latest = MetricLatest.objects.get(series=cpu)
    assert (latest.ts, latest.value) == (t0 + timedelta(seconds=5), 20.0)


def test_latest_is_upserted_and_never_goes_back(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """A newer write replaces the latest value; an older one leaves it."""
    storage.write_samples(device.pk, [Sample("m", 1.0, t0)])
    storage.write_samples(device.pk, [Sample("m", 2.0, t0 + timedelta(seconds=10))])
    storage.write_samples(device.pk, [Sample("m", 3.0, t0 + timedelta(seconds=5))])
    latest = MetricLatest.objects.get(series__key="m")
    assert latest.value == 2.0
    assert MetricLatest.objects.count() == 1
    assert MetricPoint.objects.count() == 3


def test_duplicate_second_and_non_finite_values_are_skipped(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """A repeated (series, second) is ignored; NaN/inf are not stored."""
    assert storage.write_samples(device.pk, [Sample("m", 1.0, t0)]) == 1
    written = storage.write_samples(
        device.pk,
        [Sample("m", 9.0, t0 + timedelta(milliseconds=300)), Sample("m", float("nan"), t0),
         Sample("m", float("inf"), t0 + timedelta(seconds=5))],
    )
    assert written == 0
    assert list(MetricPoint.objects.values_list("value", flat=True)) == [1.0]
    assert storage.write_samples(device.pk, []) == 0


# Foreign keys are checked at commit: these need real transactions.
@pytest.mark.django_db(transaction=True)
def test_series_cache_survives_deleted_series(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """If a cached series is deleted meanwhile, the write recreates it instead of failing."""
    storage.write_samples(device.pk, [Sample("m", 1.0, t0)])
    Series.objects.all().delete()
    assert storage.write_samples(device.pk, [Sample("m", 2.0, t0 + timedelta(seconds=5))]) == 1
    assert Series.objects.count() == 1


# Foreign keys are checked at commit: these need real transactions.
@pytest.mark.django_db(transaction=True)
def test_samples_for_deleted_device_are_dropped(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """Writing for a device deleted meanwhile stores nothing and does not raise."""
    storage.write_samples(device.pk, [Sample("m", 1.0, t0)])
    device_id = device.pk
    device.delete()
    assert storage.write_samples(device_id, [Sample("m", 2.0, t0 + timedelta(seconds=5))]) == 0
    assert Series.objects.count() == 0


def _snapshot(ts: datetime, rows: list[dict], table: str = "interfaces") -> InventorySnapshot:
    return InventorySnapshot(table=table, rows=rows, key_fields=("name",), ts=ts)


def test_inventory_insert_update_gone_and_return(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """New rows are inserted, changed rows updated, missing rows marked gone, returning
    rows revived; first_seen stays, last_seen/changed_at follow."""
    t1, t2, t3 = (t0 + timedelta(minutes=5 * i) for i in (1, 2, 3))
    storage.write_inventory(device.pk, _snapshot(t0, [
        {"name": "ether1", "mtu": 1500, "running": True},
        {"name": "ether2", "mtu": 1500, "running": False},
    ]))
    storage.write_inventory(device.pk, _snapshot(t1, [
        {"name": "ether1", "mtu": 9000, "running": True},
        {"name": "wlan1", "mtu": 1500, "running": True, "ratio": float("nan")},
    ]))
    rows = {i.key: i for i in InventoryItem.objects.filter(device=device)}
    assert set(rows) == {"ether1", "ether2", "wlan1"}
    assert rows["ether1"].data["mtu"] == 9000
    assert (rows["ether1"].first_seen, rows["ether1"].changed_at) == (t0, t1)
    assert rows["ether2"].gone
    assert rows["ether2"].gone_at == t1
    assert rows["ether2"].last_seen == t0
    assert rows["wlan1"].data["ratio"] is None

    storage.write_inventory(device.pk, _snapshot(t2, [
        {"name": "ether1", "mtu": 9000, "running": True},
        {"name": "ether2", "mtu": 1500, "running": False},
    ]))
    rows = {i.key: i for i in InventoryItem.objects.filter(device=device)}
    assert not rows["ether2"].gone
    assert rows["ether2"].gone_at is None
    assert rows["ether2"].last_seen == t2
    assert rows["ether2"].changed_at == t0
    assert rows["ether1"].last_seen == t2
    assert rows["ether1"].changed_at == t1
    assert rows["wlan1"].gone

    storage.write_inventory(device.pk, _snapshot(t3, []))
    assert InventoryItem.objects.filter(device=device, gone=False).count() == 0


def test_inventory_changed_rows_are_all_rewritten_with_their_keys(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """More changed rows than one statement batch, one of them back after it was gone
    with new data: every field of every changed row is written (data, times, gone
    flags, sort keys, search text), nothing of the others."""
    t1, t2 = t0 + timedelta(minutes=5), t0 + timedelta(minutes=10)
    rows = [{"name": f"vlan{n}", "mtu": 1500, "comment": f"c{n}"} for n in range(1200)]
    storage.write_inventory(device.pk, _snapshot(t0, rows))
    storage.write_inventory(device.pk, _snapshot(t1, rows[1:]))  # vlan0 goes
    changed = [{**row, "mtu": 1501 + n, "comment": f"new{n}"} for n, row in enumerate(rows)]
    changed[5] = rows[5]  # unchanged
    storage.write_inventory(device.pk, _snapshot(t2, changed))
    items = {i.key: i for i in InventoryItem.objects.filter(device=device)}
    assert len(items) == 1200
    back = items["vlan0"]
    assert (back.gone, back.gone_at, back.changed_at, back.last_seen) == (False, None, t2, t2)
    assert back.first_seen == t0
    assert back.data == {"name": "vlan0", "mtu": 1501, "comment": "new0"}
    last = items["vlan1199"]
    assert last.data["mtu"] == 2700
    assert (last.changed_at, last.last_seen) == (t2, t2)
    assert last.sort_keys["mtu"] > items["vlan1198"].sort_keys["mtu"]
    assert "new1199" in last.search_text
    kept = items["vlan5"]
    assert (kept.changed_at, kept.last_seen, kept.data["mtu"]) == (t0, t2, 1500)


def test_inventory_tables_are_independent(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """Syncing one table never marks another table's rows gone."""
    storage.write_inventory(device.pk, _snapshot(t0, [{"name": "a"}], table="arp"))
    storage.write_inventory(device.pk, _snapshot(t0, [{"name": "b"}], table="routes"))
    assert not InventoryItem.objects.filter(gone=True).exists()


def test_logs_appended_without_duplicates(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """Overlapping log reads store each line once, keeping when it was first seen."""
    def logs(ts: datetime, lines: list[tuple[str, str]]) -> InventorySnapshot:
        rows = [{"time": t, "topics": "system,info", "message": m} for t, m in lines]
        return InventorySnapshot(
            table="logs", rows=rows, key_fields=("time", "topics", "message"), ts=ts,
            append_only=True,
        )

    storage.write_inventory(device.pk, logs(t0, [("12:00:01", "a"), ("12:00:02", "b")]))
    storage.write_inventory(
        device.pk, logs(t0 + timedelta(hours=1), [("12:00:02", "b"), ("12:30:00", "c")])
    )
    entries = list(LogEntry.objects.filter(device=device).order_by("time"))
    assert [e.message for e in entries] == ["a", "b", "c"]
    assert entries[1].seen_at == t0
    assert entries[0].topics == "system,info"
    assert not InventoryItem.objects.exists()


def test_write_status_updates_state_and_facts_without_config_bump(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """Status writes set state, facts and status_changed_at (only on change), and do not
    count as configuration changes."""
    before = ConfigVersion.current()
    storage.write_status(DeviceStatus(
        device_id=device.pk, state=DeviceState.UP, ts=t0, last_seen=t0,
        identity="edge-1", board="hAP ax^2", version="7.16.2 (stable)",
    ))
    device.refresh_from_db()
    assert (device.state, device.identity, device.board, device.ros_version) == (
        "up", "edge-1", "hAP ax^2", "7.16.2 (stable)",
    )
    assert device.status_changed_at == t0
    assert device.last_seen == t0
    later = t0 + timedelta(minutes=1)
    storage.write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=later))
    device.refresh_from_db()
    assert device.status_changed_at == t0
    assert device.board == "hAP ax^2"
    storage.write_status(DeviceStatus(
        device_id=device.pk, state=DeviceState.DOWN, ts=later, last_error="connection refused",
    ))
    device.refresh_from_db()
    assert (device.state, device.last_error, device.status_changed_at) == (
        "down", "connection refused", later,
    )
    assert device.last_seen == t0
    assert ConfigVersion.current() == before


def test_write_events(storage: DjangoStorage, device: Device, t0: datetime) -> None:
    """Events are appended; events of unknown devices are dropped."""
    storage.write_events([
        Event(device_id=device.pk, ts=t0, kind=EventKind.DEVICE_DOWN, message="down"),
        Event(device_id=device.pk, ts=t0 + timedelta(seconds=30), kind=EventKind.DEVICE_UP,
              message="up again"),
        Event(device_id=device.pk + 1000, ts=t0, kind=EventKind.REBOOT, message="ghost"),
    ])
    storage.write_events([])
    rows = list(EventRow.objects.all())
    assert [(e.kind, e.message) for e in rows] == [
        ("device_up", "up again"), ("device_down", "down"),
    ]


def _absent(device_id: int, ts: datetime, path: str = "/interface/wireless/registration-table",
            version: str = "7.16.2") -> Event:
    # The message does not start with the path: the path field is what counts.
    return Event(device_id=device_id, ts=ts, kind=EventKind.PATH_ABSENT, path=path,
                 message=f"Not on this router (RouterOS {version}): {path}; skipped, and "
                         "reported again only if its RouterOS version changes")


def test_path_absent_is_stored_once_per_device_and_path_until_the_version_changes(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """Each collector start finds the absent paths again; an operator sees one
    event per device and path, and a new one only after a version change."""
    other = Device(name="edge-2", host="127.0.0.1", username="monitor")
    other.set_password("s3cret-pass")
    other.save()
    hotspot = "/ip/hotspot/active"
    for start in range(3):  # three collector starts, each announcing both paths
        ts = t0 + timedelta(minutes=start)
        storage.write_events([_absent(device.pk, ts), _absent(device.pk, ts, hotspot),
                              _absent(other.pk, ts)])
    # In one batch too (two tiers of one run), and after unrelated events.
    storage.write_events([
        Event(device_id=device.pk, ts=t0 + timedelta(minutes=4), kind=EventKind.REBOOT,
              message="rebooted"),
        _absent(device.pk, t0 + timedelta(minutes=4)),
        _absent(device.pk, t0 + timedelta(minutes=4)),
    ])

    def absent(dev: Device) -> list[str]:
        return [e.path for e in EventRow.objects.filter(
            device=dev, kind="path_absent").order_by("id")]

    assert absent(device) == ["/interface/wireless/registration-table", hotspot]
    assert absent(other) == ["/interface/wireless/registration-table"]
    # An upgrade: the path is news again (once), in the same batch as the version
    # change or in a later one.
    later = t0 + timedelta(hours=1)
    storage.write_events([
        Event(device_id=device.pk, ts=later, kind=EventKind.VERSION_CHANGED,
              message="RouterOS 7.16.2 -> 7.17"),
        _absent(device.pk, later, version="7.17"),
        _absent(device.pk, later, version="7.17"),
    ])
    storage.write_events([_absent(device.pk, later + timedelta(minutes=1), hotspot)])
    storage.write_events([_absent(device.pk, later + timedelta(minutes=2), version="7.17")])
    assert absent(device) == ["/interface/wireless/registration-table", hotspot,
                              "/interface/wireless/registration-table", hotspot]
    # A different text for the same path (here another version without a version
    # change event: a downgrade seen while stopped) is stored.
    storage.write_events([_absent(device.pk, later + timedelta(minutes=3), version="7.16.2")])
    assert len(absent(device)) == 5
