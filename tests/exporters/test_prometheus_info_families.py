"""mktxp's interface info families (comment, type, MAC address, default name) and
its per-lease family ``mktxp_dhcp_lease_info`` (bound leases, value: seconds until
the lease expires), built from inventory rows."""

from __future__ import annotations

from inventory_snapshots import assert_renders_like_prometheus_client, edge, ids, registry
from prometheus_client import generate_latest

from mikromon.exporters.inventory_families import row

LEASE = {"address": "10.88.0.186", "active-address": "10.88.0.186",
         "mac-address": "02:48:E6:8C:F1:E1", "active-mac-address": "02:48:E6:8C:F1:E1",
         "host-name": "vacuum", "comment": "Vacuum", "server": "defconf",
         "client-id": "1:2:48:e6:8c:f1:e1", "status": "bound", "expires-after": 158.0}


def lease_labels(**extra: str) -> dict[str, str]:
    base = {"active_address": "10.88.0.186", "address": "10.88.0.186",
            "mac_address": "02:48:E6:8C:F1:E1", "host_name": "vacuum", "comment": "Vacuum",
            "server": "defconf", "client_id": "1:2:48:e6:8c:f1:e1",
            "active_mac_address": "02:48:E6:8C:F1:E1"}
    return ids(**{**base, **extra})


def test_interface_info_families_carry_mktxp_labels():
    reg = registry(edge(
        row("interfaces", {"name": "ether1", "default-name": "ether1", "type": "ether",
                           "mac-address": "48:A9:8A:0B:2C:01", "comment": "uplink"}),
        row("interfaces", {"name": "bridge", "type": "bridge", "mac-address": None}),
    ))
    assert reg.get_sample_value("mktxp_interface_comment_info",
                                ids(name="ether1", comment="uplink")) == 1
    assert reg.get_sample_value("mktxp_interface_comment_info",
                                ids(name="bridge", comment="")) == 1
    assert reg.get_sample_value("mktxp_interface_type_info",
                                ids(name="ether1", type="ether")) == 1
    assert reg.get_sample_value("mktxp_interface_type_info",
                                ids(name="bridge", type="bridge")) == 1
    assert reg.get_sample_value("mktxp_interface_mac_address_info",
                                ids(name="ether1", mac_address="48:A9:8A:0B:2C:01")) == 1
    assert reg.get_sample_value("mktxp_interface_default_name_info",
                                ids(name="ether1", default_name="ether1")) == 1
    assert reg.get_sample_value("mktxp_interface_default_name_info",
                                ids(name="bridge", default_name="")) == 1


def test_dhcp_lease_info_holds_seconds_to_expiry_of_bound_leases_only():
    reg = registry(edge(
        row("dhcp_leases", LEASE),
        row("dhcp_leases", {**LEASE, "address": "dhcp_pool0", "host-name": "phone",
                            "expires-after": "600"}),
        row("dhcp_leases", {"address": "10.88.0.9", "mac-address": "02:00:00:00:00:09",
                            "status": "waiting", "server": "defconf"}),
        row("dhcp_leases", {**LEASE, "host-name": "no-expiry", "expires-after": None}),
    ))
    assert reg.get_sample_value("mktxp_dhcp_lease_info", lease_labels()) == 158
    assert reg.get_sample_value("mktxp_dhcp_lease_info", lease_labels(
        address="dhcp_pool0", host_name="phone")) == 600
    text = generate_latest(reg).decode()
    assert "# TYPE mktxp_dhcp_lease_info gauge" in text
    assert "10.88.0.9" not in text  # waiting: not an active lease
    assert "no-expiry" not in text


def test_no_lease_rows_no_lease_family():
    reg = registry(edge(row("interfaces", {"name": "ether1", "type": "ether"})))
    assert "mktxp_dhcp_lease_info" not in generate_latest(reg).decode()


def test_render_equals_prometheus_client_for_info_families():
    devices = [edge(row("interfaces", {"name": "ether1", "default-name": "ether1",
                                       "type": "ether", "mac-address": "48:A9:8A:0B:2C:01",
                                       "comment": 'quote " and \\ back\nline'}),
                    row("dhcp_leases", {**LEASE, "comment": "ünï \"x\""}),
                    name=f"r{i}") for i in range(3)]
    assert_renders_like_prometheus_client(devices)


def test_dhcp_lease_table_is_read_only_when_asked_and_off_by_default():
    from mikromon import config
    from mikromon.exporters.inventory_families import tables

    assert config.flag("MIKROMON_METRICS_DHCP_LEASES", {}) is False
    assert config.flag("MIKROMON_METRICS_DHCP_LEASES",
                       {"MIKROMON_METRICS_DHCP_LEASES": "on"}) is True
    assert "dhcp_leases" not in tables()
    assert "dhcp_leases" in tables(dhcp_leases=True)
    assert "interfaces" in tables()
