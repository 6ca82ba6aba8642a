"""``/metrics`` per-client wireless families read from stored client rows and named
by the stored DHCP leases (joined by MAC address), only when
``MIKROMON_METRICS_WIRELESS_CLIENTS`` is on. Runs on SQLite and PostgreSQL (their
JSON extraction differs: ``bytes.tx`` is a key with a dot)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from scraping import label_sets

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

MAC = "02:11:22:3E:1C:EE"


def store(device, table: str, key: str, data: dict) -> None:
    from mikromon.web.monitor.models import InventoryItem

    now = timezone.now()
    InventoryItem.objects.create(device=device, table=table, key=key, data=data,
                                 first_seen=now, last_seen=now, changed_at=now)


@pytest.fixture
def radio(device):
    device.state = "up"
    device.save()
    # as the collector stores them (interface_wireless_registration_table.v6.json)
    store(device, "wireless_clients", f"wlan1/{MAC}", {
        "interface": "wlan1", "mac-address": MAC, "ssid": None, "signal": -51.0,
        "signal-to-noise": 50, "tx-ccq": 113, "tx-rate": 48000000.0, "rx-rate": 65000000.0,
        "bytes.tx": 6689896, "bytes.rx": 2094536, "uptime": 432551.0})
    store(device, "dhcp_leases", "*1", {
        "mac-address": MAC.lower(), "host-name": "laptop", "address": "10.88.0.10",
        "status": "bound", "server": "defconf", "expires-after": 300})
    return device


def test_wireless_client_families_named_by_the_lease(admin_web, radio, settings):
    settings.MIKROMON_METRICS_WIRELESS_CLIENTS = True
    settings.MIKROMON_METRICS_DHCP_LEASES = False
    got = label_sets(admin_web)
    assert "mktxp_dhcp_lease_info" not in got  # leases read only to name clients
    (tx,) = got["mktxp_wlan_clients_tx_bytes_total"]
    assert (tx["dhcp_name"], tx["value"]) == ("laptop", "6689896.0")
    (rx,) = got["mktxp_wlan_clients_rx_bytes_total"]
    assert rx["value"] == "2094536.0"
    (signal,) = got["mktxp_wlan_clients_signal_strength"]
    assert signal["value"] == "-51.0"
    assert got["mktxp_wlan_clients_tx_ccq"][0]["value"] == "113.0"
    (info,) = got["mktxp_wlan_clients_devices_info"]
    assert (info["dhcp_address"], info["rx_signal"], info["tx_rate"], info["uptime"]) == (
        "10.88.0.10", "-51", "48000000", "432551")
    settings.MIKROMON_METRICS_DHCP_LEASES = True
    assert "mktxp_dhcp_lease_info" in label_sets(admin_web)


def test_wireless_client_families_off_by_default(admin_web, radio):
    got = label_sets(admin_web)
    assert not [name for name in got if name.startswith("mktxp_wlan_clients")]
    assert "mktxp_dhcp_lease_info" not in got
