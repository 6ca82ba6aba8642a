"""``/metrics`` families read from stored inventory rows: installed packages,
firewall rule counters, interface link downs and actual MTU; gone and stale rows
left out. Runs on SQLite and PostgreSQL (their JSON extraction differs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from scraping import scrape

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

WHO = (("routerboard_address", "127.0.0.1"), ("routerboard_name", "edge-1"))


def row(device, table: str, key: str, data: dict, *, age_s: float = 0.0,
        gone: bool = False) -> None:
    from mikromon.web.monitor.models import InventoryItem

    seen = timezone.now() - timedelta(seconds=age_s)
    InventoryItem.objects.create(device=device, table=table, key=key, data=data,
                                 first_seen=seen, last_seen=seen, changed_at=seen, gone=gone)


@pytest.fixture
def edge(device):
    device.state = "up"
    device.save()
    row(device, "packages", "routeros", {"name": "routeros", "version": "7.16.2",
                                         "build-time": "2024-11-26 11:54:42",
                                         "scheduled": "", "disabled": False})
    row(device, "packages", "ipv6", {"name": "ipv6", "version": "7.16.2",
                                     "build-time": "2024-11-26 11:54:42", "disabled": True})
    row(device, "firewall_filter", "*2", {
        ".id": "*2", "chain": "input", "action": "drop", "comment": "defconf: drop invalid",
        "bytes": 125943, "packets": 2434, "log": True, "protocol": None})
    row(device, "firewall_filter", "*3", {
        ".id": "*3", "chain": "input", "action": "accept", "bytes": 0, "log": False})
    row(device, "firewall_nat", "*1", {
        ".id": "*1", "chain": "srcnat", "action": "masquerade", "comment": "defconf: masquerade",
        "out-interface": "ether1", "bytes": 9000, "log": False})
    row(device, "interfaces", "ether1", {"name": "ether1", "mtu": 1500, "actual-mtu": 1500,
                                         "link-downs": 4, "running": True})
    row(device, "interfaces", "bridge", {"name": "bridge", "mtu": "auto", "actual-mtu": 1500,
                                         "link-downs": None})
    return device


def test_packages_firewall_and_interface_families(admin_web, edge):
    got = scrape(admin_web)
    assert got[("mktxp_installed_packages_info", (
        ("build_time", "2024-11-26 11:54:42"), ("disabled", "false"), ("name", "routeros"),
        *WHO, ("version", "7.16.2")))] == 1
    assert got[("mktxp_installed_packages_info", (
        ("build_time", "2024-11-26 11:54:42"), ("disabled", "true"), ("name", "ipv6"),
        *WHO, ("version", "7.16.2")))] == 1
    assert got[("mktxp_firewall_filter_total", (
        ("log", "1"), ("name", "| input | drop | defconf: drop invalid"), *WHO))] == 125943
    assert got[("mktxp_firewall_nat_total", (
        ("log", "0"), ("name", "| srcnat | masquerade | defconf: masquerade | ether1"),
        *WHO))] == 9000
    assert not [k for k in got if k[0] == "mktxp_firewall_filter_total"
                and ("name", "| input | accept | ") in k[1]]  # never matched
    assert got[("mktxp_link_downs_total", (("name", "ether1"), *WHO))] == 4
    assert ("mktxp_link_downs_total", (("name", "bridge"), *WHO)) not in got
    assert got[("mktxp_interface_actual_mtu", (("name", "bridge"), *WHO))] == 1500


def test_gone_and_stale_rows_are_left_out(admin_web, edge):
    row(edge, "interfaces", "ether9", {"name": "ether9", "link-downs": 1}, gone=True)
    # medium tier (5 minutes): 20 minutes without a poll is stale
    row(edge, "interfaces", "ether8", {"name": "ether8", "link-downs": 2}, age_s=1200)
    # extended tier (a day): 20 minutes is fresh
    row(edge, "packages", "wifi-qcom", {"name": "wifi-qcom", "version": "7.16.2",
                                        "build-time": "x", "disabled": False}, age_s=1200)
    got = scrape(admin_web)
    names = {dict(labels).get("name") for (family, labels) in got
             if family == "mktxp_link_downs_total"}
    assert names == {"ether1"}
    assert any(dict(labels).get("name") == "wifi-qcom" for (family, labels) in got
               if family == "mktxp_installed_packages_info")


def test_per_device_target_carries_only_its_rows(admin_web, edge):
    from mikromon.web.monitor.models import Device

    other = Device.objects.create(name="core-2", host="127.0.0.2", username="monitor",
                                  state="up")
    row(other, "interfaces", "sfp1", {"name": "sfp1", "link-downs": 7, "actual-mtu": 9000})
    got = scrape(admin_web, target="core-2")
    assert {dict(labels)["name"] for (family, labels) in got
            if family == "mktxp_link_downs_total"} == {"sfp1"}
    assert not [k for k in got if k[0] == "mktxp_installed_packages_info"]
