"""mktxp's families built from inventory rows: installed packages, firewall rule
counters (mktxp's rule names, only rules that matched, equal label sets summed),
interface link-downs and actual MTU."""

from __future__ import annotations

from inventory_snapshots import assert_renders_like_prometheus_client, edge, ids, registry
from prometheus_client import generate_latest

from mikromon.exporters.inventory_families import InventoryRow, row


def rule(table: str = "firewall_filter", **fields: str | float | None) -> InventoryRow:
    base: dict[str, str | float | bool | None] = {"chain": "input", "action": "drop", "log": False}
    return row(table, {**base, **fields})


def test_installed_packages_info_carries_mktxp_labels():
    reg = registry(edge(
        row("packages", {"name": "routeros", "version": "7.16.2",
                                  "build-time": "2024-11-26 11:54:42", "disabled": False}),
        row("packages", {"name": "ipv6", "version": "6.49.15",
                                  "build-time": "Dec/03/2021 12:15:05", "disabled": True})))
    assert reg.get_sample_value("mktxp_installed_packages_info", ids(
        name="routeros", version="7.16.2", build_time="2024-11-26 11:54:42",
        disabled="false")) == 1
    assert reg.get_sample_value("mktxp_installed_packages_info", ids(
        name="ipv6", version="6.49.15", build_time="Dec/03/2021 12:15:05",
        disabled="true")) == 1


def test_firewall_rules_are_counters_named_as_mktxp_names_them():
    reg = registry(edge(
        rule(comment="defconf: drop invalid", bytes=125943, log=True),
        rule(action="accept", protocol="icmp", bytes=80),
        rule("firewall_nat", chain="srcnat", action="masquerade", comment="defconf: masq",
             **{"out-interface": "ether1"}, bytes=5000),
        rule("firewall_mangle", chain="prerouting", action="mark-routing", comment="isp2",
             bytes="77"),
    ))
    assert reg.get_sample_value("mktxp_firewall_filter_total", ids(
        name="| input | drop | defconf: drop invalid", log="1")) == 125943
    assert reg.get_sample_value("mktxp_firewall_filter_total", ids(
        name="| input | accept |  | icmp", log="0")) == 80
    assert reg.get_sample_value("mktxp_firewall_nat_total", ids(
        name="| srcnat | masquerade | defconf: masq | ether1", log="0")) == 5000
    assert reg.get_sample_value("mktxp_firewall_mangle_total", ids(
        name="| prerouting | mark-routing | isp2", log="0")) == 77
    assert "# TYPE mktxp_firewall_filter_total counter" in generate_latest(reg).decode()


def test_rules_without_counters_or_not_matched_are_left_out_and_twins_summed():
    reg = registry(edge(
        rule(comment="never matched", bytes=0),
        rule(comment="no counters"),
        rule(comment="unreadable", bytes=None),
        rule(comment="twin", bytes=10),
        rule(comment="twin", bytes=32),
    ))
    text = generate_latest(reg).decode()
    assert "never matched" not in text
    assert "no counters" not in text
    assert "unreadable" not in text
    assert text.count("twin") == 1
    assert reg.get_sample_value("mktxp_firewall_filter_total",
                                ids(name="| input | drop | twin", log="0")) == 42


def test_link_downs_and_actual_mtu_per_interface():
    reg = registry(edge(
        row("interfaces", {"name": "ether1", "link-downs": 3, "actual-mtu": 1500}),
        row("interfaces", {"name": "bridge", "link-downs": 0, "actual-mtu": None}),
        row("interfaces", {"name": "pppoe-out1", "link-downs": "nan"}),
    ))
    assert reg.get_sample_value("mktxp_link_downs_total", ids(name="ether1")) == 3
    assert reg.get_sample_value("mktxp_link_downs_total", ids(name="bridge")) == 0
    assert reg.get_sample_value("mktxp_interface_actual_mtu", ids(name="ether1")) == 1500
    assert reg.get_sample_value("mktxp_interface_actual_mtu", ids(name="bridge")) is None
    assert [line for line in generate_latest(reg).decode().splitlines()
            if "pppoe-out1" in line and "link_downs" in line] == []


def test_render_equals_prometheus_client_for_inventory_families():
    devices = [edge(rule(comment='quote " and \\ back', bytes=1),
                    row("packages", {"name": "wifi-qcom", "version": "7.16.2",
                                              "build-time": "x", "disabled": False}),
                    row("interfaces", {"name": "ether1", "link-downs": 1,
                                                "actual-mtu": 1500}),
                    name=f"r{i}") for i in range(3)]
    assert_renders_like_prometheus_client(devices)
