"""mktxp's per-client wireless families (``mktxp_wlan_clients_*``) from the stored
client rows of the v6 ``/interface/wireless`` and the v7 ``/interface/wifi``
registration tables, named by the DHCP lease of each client's MAC address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inventory_snapshots import assert_renders_like_prometheus_client, edge, ids, registry
from prometheus_client import generate_latest

from mikromon.collectors import interface_wifi, interface_wireless
from mikromon.collectors._wireless import client_rows
from mikromon.exporters.inventory_families import LEASE_JOIN, InventoryRow, row, tables

DATA = Path(__file__).resolve().parents[2] / "src" / "mikromon" / "emulator" / "data"


def stored(capture: str, module: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    """The rows the collector stores from a registration-table capture."""
    rows = json.loads((DATA / capture).read_text())["rows"]
    return client_rows(rows, module.CLIENT_FIELDS, names)


V6 = stored("interface_wireless_registration_table.v6.json", interface_wireless,
            interface_wireless.CLIENT_NAMES)
V7 = stored("interface_wifi_registration_table.v7.json", interface_wifi, {})




def lease(mac: str, host: str, address: str, table: str = "dhcp_leases",
          status: str = "bound") -> InventoryRow:
    return row(table, {"mac-address": mac, "host-name": host, "address": address,
                       "status": status, "server": "defconf"})


def test_v6_client_values_come_from_the_capture_forms():
    first = V6[0]  # signal-strength "-51@1Mbps", bytes "6689896,2094536" (tx,rx)
    reg = registry(edge(row("wireless_clients", first),
                        lease(first["mac-address"].lower(), "laptop", "10.88.0.10")))
    who = ids(dhcp_name="laptop")
    assert reg.get_sample_value("mktxp_wlan_clients_signal_strength", who) == -51
    assert reg.get_sample_value("mktxp_wlan_clients_signal_to_noise", who) == 50
    assert reg.get_sample_value("mktxp_wlan_clients_tx_ccq", who) == 113
    assert reg.get_sample_value("mktxp_wlan_clients_tx_bytes_total", who) == 6689896
    assert reg.get_sample_value("mktxp_wlan_clients_rx_bytes_total", who) == 2094536
    assert reg.get_sample_value("mktxp_wlan_clients_devices_info", ids(
        dhcp_name="laptop", dhcp_address="10.88.0.10", rx_signal="-51", ssid="",
        tx_rate="48000000", rx_rate="65000000", interface="wlan1",
        mac_address="02:11:22:3E:1C:EE", uptime="432551")) == 1


def test_v7_clients_have_no_snr_nor_ccq_and_unleased_ones_are_named_by_mac():
    reg = registry(edge(*(row("wifi_clients", r) for r in V7)))
    text = generate_latest(reg).decode()
    assert "mktxp_wlan_clients_signal_to_noise" not in text
    assert "mktxp_wlan_clients_tx_ccq" not in text
    first = V7[0]  # signal "-55", bytes "512301441,27811930"
    who = ids(dhcp_name=first["mac-address"])
    assert reg.get_sample_value("mktxp_wlan_clients_signal_strength", who) == -55
    assert reg.get_sample_value("mktxp_wlan_clients_tx_bytes_total", who) == 512301441
    assert reg.get_sample_value("mktxp_wlan_clients_rx_bytes_total", who) == 27811930
    assert reg.get_sample_value("mktxp_wlan_clients_devices_info", ids(
        dhcp_name=first["mac-address"], dhcp_address="No DHCP Record", rx_signal="-55",
        ssid="example-net", tx_rate="1200900000", rx_rate="864800000", interface="wifi1",
        mac_address=first["mac-address"], uptime="3720")) == 1
    assert len([line for line in text.splitlines()
                if line.startswith("mktxp_wlan_clients_devices_info{")]) == len(V7)


def test_dhcp_name_join_prefers_the_bound_lease_and_falls_back_to_the_mac():
    mac = V7[0]["mac-address"]
    reg = registry(edge(
        row("wifi_clients", V7[0]),
        lease(mac, "old", "10.0.0.1", status="waiting"),
        lease(mac, "phone", "10.0.0.2", table=LEASE_JOIN),
        lease(V7[1]["mac-address"], "", "10.0.0.3"),
        row("wifi_clients", V7[1]),
    ))
    names = {s.labels["dhcp_name"]: s.labels["dhcp_address"]
             for f in reg.collect() if f.name == "mktxp_wlan_clients_devices"
             for s in f.samples}
    assert names == {"phone": "10.0.0.2", V7[1]["mac-address"]: "10.0.0.3"}
    # a lease read only to name clients gives no lease family
    assert "mktxp_dhcp_lease_info" not in generate_latest(registry(edge(
        row("wifi_clients", V7[0]), lease(mac, "phone", "10.0.0.2", table=LEASE_JOIN),
    ))).decode()


def test_the_same_client_on_two_interfaces_is_one_series():
    twice = {**V6[0], "interface": "wlan2"}
    reg = registry(edge(row("wireless_clients", V6[0]), row("wireless_clients", twice)))
    text = generate_latest(reg).decode()
    assert len([line for line in text.splitlines()
                if line.startswith("mktxp_wlan_clients_tx_bytes_total{")]) == 1
    assert len([line for line in text.splitlines()
                if line.startswith("mktxp_wlan_clients_devices_info{")]) == 2


def test_missing_values_give_no_sample():
    reg = registry(edge(row("wifi_clients", {"interface": "wifi1",
                                             "mac-address": "02:00:00:00:00:01"})))
    text = generate_latest(reg).decode()
    assert "mktxp_wlan_clients_tx_bytes" not in text
    assert "mktxp_wlan_clients_signal_strength" not in text
    assert reg.get_sample_value("mktxp_wlan_clients_devices_info", ids(
        dhcp_name="02:00:00:00:00:01", dhcp_address="No DHCP Record", rx_signal="",
        ssid="", tx_rate="", rx_rate="", interface="wifi1",
        mac_address="02:00:00:00:00:01", uptime="")) == 1


def test_render_equals_prometheus_client_for_wireless_families():
    devices = [edge(*(row("wireless_clients", r) for r in V6),
                    *(row("wifi_clients", r) for r in V7),
                    lease(V6[0]["mac-address"], 'ünï "x" \\ y\nz', "10.0.0.9"),
                    name=f"r{i}") for i in range(3)]
    assert_renders_like_prometheus_client(devices)


def test_wireless_client_tables_are_read_only_when_asked_and_off_by_default():
    from mikromon import config

    assert config.flag("MIKROMON_METRICS_WIRELESS_CLIENTS", {}) is False
    assert config.flag("MIKROMON_METRICS_WIRELESS_CLIENTS",
                       {"MIKROMON_METRICS_WIRELESS_CLIENTS": "on"}) is True
    assert not {"wireless_clients", "wifi_clients", "dhcp_leases"} & tables()
    assert {"wireless_clients", "wifi_clients", "dhcp_leases"} <= tables(
        wireless_clients=True)
    assert not {"wireless_clients", "wifi_clients"} & tables(dhcp_leases=True)


def test_the_reader_extracts_every_field_the_families_read():
    from mikromon.exporters.inventory_families import FIELDS, TABLE_FIELDS
    from mikromon.exporters.wireless_families import CLIENT_FIELDS, LEASE_FIELDS

    assert TABLE_FIELDS["dhcp_leases"] >= LEASE_FIELDS
    assert CLIENT_FIELDS <= TABLE_FIELDS["wireless_clients"] == TABLE_FIELDS["wifi_clients"]
    assert set(FIELDS) >= CLIENT_FIELDS | LEASE_FIELDS
