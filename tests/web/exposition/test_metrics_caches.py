"""``/metrics`` keeps what each series and inventory row is between scrapes
(mikromon.web.exposition.latest and .inventory): a change of a device, a new or
deleted series, a row a poll changed or removed shows on the very next scrape.
Runs on SQLite and PostgreSQL (times and JSON come back in other forms)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from scraping import Samples, scrape

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]



def store(device, key: str, value: float, labels: dict[str, str] | None = None, **extra):
    from mikromon.web.monitor.models import MetricLatest, Series, labels_key

    labels = labels or {}
    series = Series.objects.create(device=device, key=key, labels=labels,
                                   labels_key=labels_key(labels.items()), **extra)
    MetricLatest.objects.create(series=series, value=value, ts=timezone.now())
    return series


def named(got: Samples, family: str) -> dict[str, float]:
    """``name`` label -> value of the samples of ``family``."""
    return {dict(labels).get("name", ""): value for (name, labels), value in got.items()
            if name == family}


def devices_in(got: Samples) -> set[str]:
    return {dict(labels)["routerboard_name"] for (_name, labels) in got
            if "routerboard_name" in dict(labels)}


@pytest.fixture
def edge(device):
    device.state = "up"
    device.ros_version = "7.16.2"
    device.board = "RB5009UG+S+"
    device.save()
    store(device, "iface.rx_bytes", 1000.0, {"interface": "ether1"})
    store(device, "system.cpu.load_pct", 7.0)
    return device


def test_a_renamed_device_shows_on_the_next_scrape(admin_web, edge):
    before = scrape(admin_web)
    assert devices_in(before) == {"edge-1"}
    edge.name, edge.host, edge.ros_version = "edge-renamed", "127.0.0.9", "7.17"
    edge.save()
    got = scrape(admin_web)
    assert devices_in(got) == {"edge-renamed"}
    assert got[("mktxp_interface_rx_byte_total", (
        ("name", "ether1"), ("routerboard_address", "127.0.0.9"),
        ("routerboard_name", "edge-renamed")))] == 1000
    assert got[("mktxp_system_cpu_load", (
        ("board_name", "RB5009UG+S+"), ("routerboard_address", "127.0.0.9"),
        ("routerboard_name", "edge-renamed"), ("version", "7.17")))] == 7


def test_a_new_interface_shows_and_a_deleted_one_disappears(admin_web, edge):
    from mikromon.web.monitor.models import MetricLatest, Series

    assert named(scrape(admin_web), "mktxp_interface_rx_byte_total") == {"ether1": 1000}
    store(edge, "iface.rx_bytes", 5.0, {"interface": "ether2"})
    MetricLatest.objects.filter(series__labels__interface="ether1").update(value=2000.0)
    assert named(scrape(admin_web), "mktxp_interface_rx_byte_total") == {
        "ether1": 2000, "ether2": 5}
    Series.objects.filter(device=edge, labels__interface="ether1").delete()
    assert named(scrape(admin_web), "mktxp_interface_rx_byte_total") == {"ether2": 5}


def test_a_deleted_device_disappears(admin_web, edge):
    from mikromon.web.monitor.models import Device

    other = Device.objects.create(name="core-2", host="127.0.0.2", username="monitor",
                                  state="up")
    store(other, "system.cpu.load_pct", 55.0)
    assert devices_in(scrape(admin_web)) == {"edge-1", "core-2"}
    other.delete()
    assert devices_in(scrape(admin_web)) == {"edge-1"}


def test_a_series_id_given_again_names_the_new_series(admin_web, edge):
    """After a rolled-back transaction or a restore an id can name another series:
    the cache notices that its newest series changed and reads them again."""
    from mikromon.web.monitor.models import Series

    newest = store(edge, "iface.rx_bytes", 1.0, {"interface": "ether5"})
    assert "ether5" in named(scrape(admin_web), "mktxp_interface_rx_byte_total")
    reused = newest.pk
    newest.delete()
    store(edge, "iface.tx_bytes", 3.0, {"interface": "wlan1"}, id=reused)
    assert Series.objects.get(pk=reused).key == "iface.tx_bytes"
    got = scrape(admin_web)
    assert "ether5" not in named(got, "mktxp_interface_rx_byte_total")
    assert named(got, "mktxp_interface_tx_byte_total") == {"wlan1": 3}


def test_a_per_device_scrape_then_the_fleet(admin_web, edge):
    from mikromon.web.monitor.models import Device

    other = Device.objects.create(name="core-2", host="127.0.0.2", username="monitor",
                                  state="up")
    store(other, "iface.rx_bytes", 9.0, {"interface": "sfp1"})
    assert named(scrape(admin_web, target="core-2"), "mktxp_interface_rx_byte_total") == {
        "sfp1": 9}
    assert named(scrape(admin_web), "mktxp_interface_rx_byte_total") == {
        "ether1": 1000, "sfp1": 9}
    assert named(scrape(admin_web, target="edge-1"), "mktxp_interface_rx_byte_total") == {
        "ether1": 1000}


def rules(device, *rows: dict, seconds: float = 0.0) -> None:
    """Store a poll of /ip/firewall/filter as the collector does."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    storage.write_inventory(device.pk, InventorySnapshot(
        table="firewall_filter", rows=list(rows), key_fields=(".id",),
        ts=timezone.now() + timedelta(seconds=seconds)))


def rule(rule_id: str, comment: str, counted: int) -> dict:
    return {".id": rule_id, "chain": "input", "action": "accept", "comment": comment,
            "bytes": counted, "log": False}


def test_inventory_rows_a_poll_changed_show_on_the_next_scrape(admin_web, edge):
    rules(edge, rule("*1", "ssh", 10), rule("*2", "dns", 20))
    assert named(scrape(admin_web), "mktxp_firewall_filter_total") == {
        "| input | accept | ssh": 10, "| input | accept | dns": 20}
    rules(edge, rule("*1", "ssh from the office", 15), rule("*2", "dns", 20),
          rule("*3", "ntp", 30), seconds=0.01)
    assert named(scrape(admin_web), "mktxp_firewall_filter_total") == {
        "| input | accept | ssh from the office": 15, "| input | accept | dns": 20,
        "| input | accept | ntp": 30}
    rules(edge, rule("*3", "ntp", 31), seconds=0.02)  # *1 and *2 are gone
    assert named(scrape(admin_web), "mktxp_firewall_filter_total") == {
        "| input | accept | ntp": 31}


def test_an_interface_row_of_a_renamed_device(admin_web, edge):
    from mikromon.web.monitor.models import InventoryItem

    now = timezone.now()
    InventoryItem.objects.create(device=edge, table="interfaces", key="ether1",
                                 data={"name": "ether1", "link-downs": 2}, first_seen=now,
                                 last_seen=now, changed_at=now)
    assert devices_in({k: v for k, v in scrape(admin_web).items()
                       if k[0] == "mktxp_link_downs_total"}) == {"edge-1"}
    edge.name = "edge-2"
    edge.save()
    got = scrape(admin_web)
    assert got[("mktxp_link_downs_total", (
        ("name", "ether1"), ("routerboard_address", "127.0.0.1"),
        ("routerboard_name", "edge-2")))] == 2


def test_a_long_interface_name_stored_under_a_digest_keeps_its_name(admin_web, edge):
    """A labels_key too long for its column is stored as a digest; the name comes
    from the series' labels."""
    from mikromon.web.monitor.models import MetricLatest, Series

    name = "vlan-" + "x" * 600
    series = Series.objects.create(device=edge, key="iface.rx_bytes",
                                   labels={"interface": name}, labels_key="sha256:" + "0" * 64)
    MetricLatest.objects.create(series=series, value=3.0, ts=timezone.now())
    assert named(scrape(admin_web), "mktxp_interface_rx_byte_total") == {
        "ether1": 1000, name: 3}
