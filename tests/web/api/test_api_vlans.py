"""/interface/vlan end to end: the collector reads an emulated router over the API
protocol, storage keeps the snapshot, the API serves it and the dashboard offers its
tab and sort order, all from the collector's one declaration."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from django.test import Client

from mikromon.collectors import detect_context
from mikromon.collectors.interface_vlan import COLLECTOR
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.inventory import CollectResult
from mikromon.emulator import PROFILES
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.client import connect


async def _read_vlans() -> CollectResult:
    # four VLAN interfaces: the emulator serves one /interface/vlan row per vlanN
    async with async_emulators(count=1, profile=PROFILES["v7"].replace(vlans=4)) as (router,):
        client = await connect(DeviceConfig(
            id=1, name="r", host=router.host, port=router.port, username=router.username,
            password=router.password, connect_timeout=5.0, command_timeout=5.0))
        try:
            return await COLLECTOR.collect(client, await detect_context(client, "r"))
        finally:
            await client.close()


@pytest.fixture
def vlans_stored(device):
    from mikromon.web.monitor.storage import DjangoStorage

    result = asyncio.run(_read_vlans())
    (snap,) = result.inventory
    DjangoStorage(maintenance_interval=None).write_inventory(device.pk, snap)
    return device


@pytest.mark.django_db
def test_the_api_serves_the_vlans_read_from_the_router(admin_token, vlans_stored):
    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    doc = api.get(f"/api/v1/devices/{vlans_stored.pk}/inventory/vlans").json()
    assert doc["label"] == "VLANs"
    assert doc["count"] == 4
    assert doc["columns"][:4] == ["name", "vlan-id", "interface", "running"]
    assert "loop-protect-disable-time" in doc["durations"]
    assert {r["name"]: r["vlan-id"] for r in doc["rows"]} == {
        "vlan10": 10, "vlan11": 11, "vlan12": 12, "vlan13": 13}
    listed = api.get(f"/api/v1/devices/{vlans_stored.pk}").json()["inventory_tables"]
    assert listed["vlans"] == 4


@pytest.mark.django_db
def test_the_dashboard_offers_the_vlan_tab_and_sort(admin_web, vlans_stored):
    response = admin_web.get(f"/devices/{vlans_stored.pk}/")
    tabs = {t.slug: t for t in response.context["tabs"]}
    assert tabs["vlans"].label == "VLANs"
    assert tabs["vlans"].count == 4
    assert tabs["vlans"].hint == "collected once a day, extended tier"
    body = response.content.decode()
    match = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>',
                      body, re.S)
    assert match
    sorts = json.loads(match.group(1))["sorts"]
    assert sorts["vlans"] == "vlan-id"
    assert sorts["arp"] == "address"
    assert "firewall_filter" not in sorts  # rules keep the router's order
