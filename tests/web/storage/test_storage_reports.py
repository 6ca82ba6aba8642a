"""The report readers against the database (SQLite here, PostgreSQL with
``-m db_backend`` and MIKROMON_TEST_POSTGRES_URL): availability from stored
events, 95th percentiles from raw points, 5-minute and 1-hour rollups, top talkers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.web.monitor import reports
from mikromon.web.monitor.maintenance import update_rollups
from mikromon.web.monitor.models import (
    Device,
    Event,
    MetricLatest,
    MetricPoint,
    MetricRollup,
    Series,
    labels_key,
)

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

#: A Monday, midnight UTC: every bucket boundary lines up.
T0 = datetime(2026, 11, 2, tzinfo=UTC)
S0 = int(T0.timestamp())


@pytest.fixture
def dev() -> Device:
    """An enabled, up device monitored since a day before T0."""
    device = Device.objects.create(name="core-1", host="127.0.0.1", username="m", state="up")
    Device.objects.filter(pk=device.pk).update(created_at=T0 - timedelta(days=1))
    return Device.objects.get(pk=device.pk)


def _event(dev: Device, seconds: float, kind: str, message: str = "") -> None:
    Event.objects.create(device=dev, ts=T0 + timedelta(seconds=seconds), kind=kind,
                         message=message)


def _series(dev: Device, key: str, **labels: str) -> Series:
    return Series.objects.create(device=dev, key=key, labels_key=labels_key(labels.items()),
                                 labels=labels)


def test_availability_counts_outages_and_masks_interfaces(dev: Device) -> None:
    _event(dev, -50, "device_down")            # the range starts in an outage
    _event(dev, 100, "device_up")
    _event(dev, 600, "device_down")
    _event(dev, 700, "device_up")
    _event(dev, 200, "link_down", "interface ether 2 link down")
    _event(dev, 300, "link_up", "interface ether 2 link up")
    _event(dev, 250, "bad_value", "interface ether9 link down")  # not a link event kind
    rows = reports.availability_report(S0, S0 + 1000, now=S0 + 5000)
    (row,) = rows
    assert (row.availability.down_seconds, row.availability.up_seconds) == (200, 800)
    assert row.availability.outages == 2
    (iface,) = row.interfaces
    assert iface.name == "ether 2"
    # down 200..300; unknown while the device is down (0..100, 600..700)
    assert (iface.availability.down_seconds, iface.availability.unknown_seconds) == (100, 200)


def test_availability_without_events_follows_present_state_and_now(dev: Device) -> None:
    running = _series(dev, "iface.running", interface="ether1")
    MetricLatest.objects.create(series=running, ts=T0, value=1.0)
    (row,) = reports.availability_report(S0, S0 + 1000, now=S0 + 400)
    assert (row.availability.up_seconds, row.availability.unknown_seconds) == (400, 600)
    assert [(i.name, i.availability.up_seconds) for i in row.interfaces] == [("ether1", 400)]


def test_disabled_device_is_unknown_after_its_last_event(dev: Device) -> None:
    Device.objects.filter(pk=dev.pk).update(enabled=False, state="disabled")
    _event(dev, 300, "device_down")
    (row,) = reports.availability_report(S0, S0 + 1000, now=S0 + 5000)
    assert (row.availability.up_seconds, row.availability.unknown_seconds) == (300, 700)


def _points(series: Series, values: list[float], every: int = 300) -> None:
    MetricPoint.objects.bulk_create(
        MetricPoint(series=series, ts=S0 + every * i, value=v) for i, v in enumerate(values))


def test_percentile_same_from_raw_points_and_from_rollups(dev: Device) -> None:
    rx = _series(dev, "iface.rx_bps", interface="ether1")
    tx = _series(dev, "iface.tx_bps", interface="ether1")
    _points(rx, [float(v) for v in range(100, 0, -1)])  # 100 intervals: 1..100
    _points(tx, [7.0] * 100)
    end = S0 + 100 * 300
    (raw,) = reports.percentile_report(S0, end)
    assert (raw.figure.rx_bps, raw.figure.tx_bps, raw.figure.billing_bps) == (95.0, 7.0, 95.0)
    assert raw.figure.rx_samples == 100
    assert raw.resolution == "5m"
    update_rollups(now=end + 3600)
    assert MetricRollup.objects.filter(series=rx, step=300).count() == 100
    (rolled,) = reports.percentile_report(S0, end)
    assert rolled.figure == raw.figure


def test_percentile_of_aged_hours_uses_hourly_rollups(dev: Device) -> None:
    rx = _series(dev, "iface.rx_bps", interface="ether1")
    MetricRollup.objects.bulk_create(
        MetricRollup(series=rx, step=3600, ts=S0 + 3600 * h, count=720, min=0, max=0,
                     avg=float(h), last=float(h)) for h in range(2))
    MetricRollup.objects.bulk_create(
        MetricRollup(series=rx, step=300, ts=S0 + 7200 + 300 * i, count=60, min=0, max=0,
                     avg=100.0, last=100.0) for i in range(12))
    from mikromon.web.monitor.models import MaintenanceState
    MaintenanceState.objects.update_or_create(name="rollup_300", defaults={"value": S0 + 10800})
    (row,) = reports.percentile_report(S0, S0 + 10800)
    assert row.resolution == "5m+1h"
    assert row.figure.rx_samples == 36
    assert reports.series_bytes(rx.pk, S0, S0 + 10800) == (0 + 1) * 3600 / 8 + 12 * 100 * 300 / 8
    assert row.figure.tx_bps is None
    assert row.figure.billing_bps == 100.0


def test_percentile_with_missing_samples_and_none(dev: Device) -> None:
    rx = _series(dev, "iface.rx_bps", interface="ether1")
    _series(dev, "iface.rx_bps", interface="idle")
    _points(rx, [10.0, 20.0], every=3000)  # two intervals of a long range
    rows = {r.interface: r for r in reports.percentile_report(S0, S0 + 86400)}
    assert rows["ether1"].figure.rx_samples == 2
    assert rows["ether1"].figure.rx_bps == 20.0
    assert rows["idle"].figure.billing_bps is None
    assert rows["idle"].resolution == "none"


def test_top_talkers_rank_interfaces_and_queues_by_bytes(dev: Device) -> None:
    for name, rate in (("ether1", 8000.0), ("ether2", 800.0)):
        _points(_series(dev, "iface.rx_bps", interface=name), [rate] * 12)
    _points(_series(dev, "queue.download_bps", queue="cust-7"), [80000.0] * 12)
    talkers = reports.top_talkers(S0, S0 + 3600, limit=2)
    assert [(t.kind, t.name) for t in talkers] == [("queue", "cust-7"), ("interface", "ether1")]
    assert talkers[0].tx_bytes == 80000 * 3600 / 8
    assert talkers[0].rx_bytes == 0
    only = reports.top_talkers(S0, S0 + 3600, kinds=("interface",), device_id=dev.pk)
    assert [t.name for t in only] == ["ether1", "ether2"]
    assert only[0].total_bytes == 8000 * 3600 / 8


def test_link_name_reads_the_collector_wording() -> None:
    assert reports.link_name("interface ether1 link up") == "ether1"
    assert reports.link_name("interface sfp 1 link down") == "sfp 1"
    assert reports.link_name("interface  link up") is None
    assert reports.link_name("ether1 went down") is None


def test_link_name_reads_what_the_collector_writes() -> None:
    """The wording comes from mikromon.schedule.changes.link_changes: a change there
    must not silently empty the interface availability report."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.schedule.changes import (
        INTERFACES_TABLE,
        RUNNING_FIELD,
        DeviceMemory,
        link_changes,
    )

    memory = DeviceMemory()
    names = []
    for running in (True, False, True):
        snapshot = InventorySnapshot(table=INTERFACES_TABLE, key_fields=("name",), ts=T0,
                                     rows=[{"name": "sfp-sfpplus 1", RUNNING_FIELD: running}])
        names += [reports.link_name(e.message) for e in link_changes(memory, snapshot,
                                                                     device_id=1)]
    assert names == ["sfp-sfpplus 1", "sfp-sfpplus 1"]


def test_availability_of_a_page_of_devices_in_a_few_queries(
        dev: Device, django_assert_max_num_queries) -> None:
    """Each device's figures as when asked alone; a page costs the same few queries
    whatever the number of devices."""
    devices = [dev]
    for n in range(6):
        other = Device.objects.create(name=f"edge-{n}", host="127.0.0.1", username="m",
                                      state="down" if n % 2 else "up", enabled=n != 3)
        Device.objects.filter(pk=other.pk).update(created_at=T0 - timedelta(days=1))
        devices.append(other)
        _event(other, -100 + 40 * n, "device_down")
        _event(other, 50 * n, "device_up")
        _event(other, 100 + n, "link_down", f"interface ether{n} link down")
        running = _series(other, "iface.running", interface=f"sfp{n}")
        MetricLatest.objects.create(series=running, ts=T0, value=float(n % 2))
    alone = {d.pk: reports.availability_report(S0, S0 + 1000, now=S0 + 900, device_id=d.pk)[0]
             for d in devices}
    with django_assert_max_num_queries(4):
        page = reports.availability_report(S0, S0 + 1000, now=S0 + 900, offset=2, limit=4)
    assert [r.device for r in page] == ["edge-1", "edge-2", "edge-3", "edge-4"]
    assert page == [alone[r.device_id] for r in page]
    assert reports.device_count() == 7


def test_reports_list_devices_and_interfaces_in_natural_order(dev: Device) -> None:
    """demo-2 before demo-10, ether2 before ether10: the availability report, and the
    percentile table sorted by device or interface, page and whole table alike."""
    from mikromon.web.monitor import report_pages
    from mikromon.web.monitor.report_query import ReportQuery, percentile_rows

    for name in ("demo-10", "demo-2", "Demo-1"):
        other = Device.objects.create(name=name, host="127.0.0.1", username="m", state="up")
        Device.objects.filter(pk=other.pk).update(created_at=T0 - timedelta(days=1))
        for iface in ("ether10", "ether2"):
            _event(other, 100, "link_down", f"interface {iface} link down")
            for key in ("iface.rx_bps", "iface.tx_bps"):
                series = _series(other, key, interface=iface)
                MetricPoint.objects.create(series=series, ts=S0 + 60, value=1000.0)
    rows = reports.availability_report(S0, S0 + 1000, now=S0 + 900)
    assert [r.device for r in rows] == ["core-1", "Demo-1", "demo-2", "demo-10"]
    assert [i.name for i in rows[1].interfaces] == ["ether2", "ether10"]
    query = ReportQuery(start=S0, end=S0 + 3600, device_id=None, preset="custom")
    by_device = [(r["device"], r["interface"]) for r in percentile_rows(query, "device")]
    assert by_device[:3] == [("Demo-1", "ether2"), ("Demo-1", "ether10"), ("demo-2", "ether2")]
    by_interface = [(r["interface"], r["device"]) for r in percentile_rows(query, "interface")]
    assert by_interface[:4] == [("ether2", "Demo-1"), ("ether2", "demo-2"),
                                ("ether2", "demo-10"), ("ether10", "Demo-1")]
    for sort, whole in (("device", by_device), ("interface", by_interface)):
        page, total, _ = report_pages.percentile_page(S0, S0 + 3600, None, sort, 0, 4)
        pairs = [(r.device, r.interface) if sort == "device" else (r.interface, r.device)
                 for r in page]
        assert (pairs, total) == (whole[:4], 6)
