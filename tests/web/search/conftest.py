"""Fixtures for the fleet search tests: two routers with inventory rows of every
kind searched (field names and value shapes as in the captures)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

SEEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash web user passwords cheaply: these tests are about searching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _item(device, table, key, data, *, gone=False):
    """Store one row and its search terms (as the inventory writer does)."""
    from mikromon.web.monitor.models import InventoryItem, InventoryTerm
    from mikromon.web.monitor.search_terms import add_terms

    item = InventoryItem.objects.create(
        device=device, table=table, key=key, data=data, first_seen=SEEN, last_seen=SEEN,
        changed_at=SEEN, gone=gone, gone_at=SEEN if gone else None)
    add_terms(InventoryTerm, [(item.pk, table, data)], using="default")
    return item


@pytest.fixture
def fleet(db):
    """Two devices, ``core-gw`` (identity ``CoreGW``) and ``branch-7``, with rows."""
    from mikromon.web.monitor.models import Device

    core = Device.objects.create(name="core-gw", host="192.0.2.10", username="m",
                                 identity="CoreGW", last_seen=SEEN)
    branch = Device.objects.create(name="branch-7", host="branch7.example.net", username="m")
    _item(core, "dhcp_leases", "*1", {
        ".id": "*1", "address": "10.1.0.20", "mac-address": "4C:5E:0C:11:22:33",
        "host-name": "Printer-Hall", "status": "bound", "comment": "printer"})
    _item(core, "dhcp_leases", "*2", {
        ".id": "*2", "address": "10.10.0.9", "mac-address": "4C:5E:0C:44:55:66",
        "host-name": "laptop-zoë", "status": "bound"})
    _item(core, "ppp_active", "*A", {
        ".id": "*A", "name": "Anna.Smith@isp", "service": "pppoe",
        "caller-id": "D4:CA:6D:01:02:03", "address": "100.64.3.7"})
    _item(branch, "hotspot_active", "*3", {
        ".id": "*3", "user": "voucher-7K2Q", "address": "172.16.5.4",
        "mac-address": "4C:5E:0C:11:22:33"})
    _item(branch, "arp", "10.1.0.20\x1fbridge", {
        "address": "10.1.0.20", "mac-address": "4C:5E:0C:11:22:33", "interface": "bridge"},
        gone=True)
    _item(branch, "ip_addresses", "10.1.0.1/24\x1fbridge", {
        "address": "10.1.0.1/24", "network": "10.1.0.0", "interface": "bridge"})
    _item(branch, "interfaces", "ether5", {
        "name": "ether5", "type": "ether", "mac-address": "DC:2C:6E:00:00:05",
        "comment": "Uplink to Hall B"})
    # A field no search reads: no hit for its text.
    _item(branch, "routes", "0.0.0.0/0", {"dst-address": "0.0.0.0/0", "gateway": "voucherGW"})
    return core, branch


@pytest.fixture
def add_row(db):
    """Store one more inventory row: ``add_row(device, table, key, data)``."""
    return _item
