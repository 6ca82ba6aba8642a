"""Paths the router does not have (PATH_ABSENT events): the device page's tabs and
the inventory API say "Not on this router" until rows arrive or the RouterOS
version changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
from mikromon.domain.events import Event as DomainEvent


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


@pytest.fixture
def chr_device(device):
    """A device on which the collector found no hotspot and no wireless packages."""
    now = datetime.now(UTC)
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=now,
                                         last_seen=now))
    msg = "Not on this router: {}; not asked again until its version changes"
    _storage().write_events([
        DomainEvent(device_id=device.pk, ts=now, kind=EventKind.PATH_ABSENT, path=path,
                    message=msg.format(path))
        for path in ("/ip/hotspot/active", "/interface/wireless/registration-table",
                     "/interface/wifi/registration-table")
    ])
    return device


@pytest.mark.django_db
def test_absent_paths_tabs_say_not_on_this_router(admin_web, chr_device):
    """Tabs of paths the collector found missing say so instead of "Nothing collected
    yet"; other empty tabs keep the collection hint."""
    response = admin_web.get(f"/devices/{chr_device.pk}/")
    tabs = {t.slug: t for t in response.context["tabs"]}
    assert tabs["hotspot"].absent is True
    assert tabs["wireless"].absent is True
    assert tabs["ppp"].absent is False
    body = response.content.decode()
    assert body.count("Not on this router") >= 2


@pytest.mark.django_db
def test_absent_paths_in_the_inventory_api(admin_web, chr_device):
    """The inventory endpoint says a known-absent table is not on the router."""
    doc = admin_web.get(f"/api/v1/devices/{chr_device.pk}/inventory/hotspot_active").json()
    assert doc["absent"] is True
    assert doc["empty_text"].startswith("Not on this router")
    assert "/ip/hotspot/active" in doc["empty_text"]
    ppp = admin_web.get(f"/api/v1/devices/{chr_device.pk}/inventory/ppp_active").json()
    assert ppp["absent"] is False
    assert ppp["empty_text"].startswith("Nothing collected yet")


@pytest.mark.django_db
def test_rows_win_over_an_old_absent_event(admin_web, chr_device):
    """A package installed later: rows are shown, not "Not on this router"."""
    from mikromon.domain.inventory import InventorySnapshot

    _storage().write_inventory(chr_device.pk, InventorySnapshot(
        table="hotspot_active", key_fields=("user",), ts=datetime.now(UTC),
        rows=[{"user": "guest", "address": "10.5.50.2", "uptime": 60.0}]))
    tabs = {t.slug: t for t in admin_web.get(f"/devices/{chr_device.pk}/").context["tabs"]}
    assert tabs["hotspot"].absent is False
    doc = admin_web.get(f"/api/v1/devices/{chr_device.pk}/inventory/hotspot_active").json()
    assert doc["absent"] is False


@pytest.mark.django_db
def test_version_change_forgets_absent_paths(admin_web, chr_device):
    """After a RouterOS version change the collector asks again: old absent events no
    longer count."""
    later = datetime.now(UTC) + timedelta(seconds=5)
    _storage().write_events([DomainEvent(device_id=chr_device.pk, ts=later,
                                         kind=EventKind.VERSION_CHANGED,
                                         message="RouterOS 7.15 -> 7.16")])
    tabs = {t.slug: t for t in admin_web.get(f"/devices/{chr_device.pk}/").context["tabs"]}
    assert tabs["hotspot"].absent is False
