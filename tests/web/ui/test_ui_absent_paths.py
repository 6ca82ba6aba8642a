"""Details of the pages: the icon, one short log line for a viewer's 403, tabs of
paths the router does not have, times labelled UTC."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
from mikromon.domain.events import Event as DomainEvent


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


@pytest.mark.django_db
def test_favicon_ico_answers():
    """/favicon.ico (asked for by browsers on pages without an icon link, e.g. JSON)
    leads to our icon, without signing in."""
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("/static/mikromon/favicon.svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")


@pytest.mark.django_db
def test_viewer_on_admin_page_logs_one_short_line(viewer_web, device, caplog):
    """A viewer opening an admin page gets a 403 page; the log has one short warning
    line and no traceback."""
    with caplog.at_level(logging.DEBUG):
        response = viewer_web.get(f"/devices/{device.pk}/edit/")
    assert response.status_code == 403
    assert "Only admins" in response.content.decode()
    assert "victor" in response.content.decode()  # it says who is signed in
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None
    assert len(records[0].getMessage()) < 120
    assert f"/devices/{device.pk}/edit/" in records[0].getMessage()


@pytest.mark.django_db
def test_viewer_post_logs_one_short_line(viewer_web, device, caplog):
    """The same for a change a viewer POSTs."""
    with caplog.at_level(logging.DEBUG):
        response = viewer_web.post(f"/devices/{device.pk}/delete/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1
    assert records[0].exc_info is None


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


@pytest.mark.django_db
def test_inventory_api_names_duration_columns(admin_web, device):
    """Durations are numbers of seconds; the API names those columns so that pages can
    show them as 1d 2h 3m."""
    from mikromon.domain.inventory import InventorySnapshot

    _storage().write_inventory(device.pk, InventorySnapshot(
        table="ppp_active", key_fields=("name",), ts=datetime.now(UTC),
        rows=[{"name": "client-1", "service": "pppoe", "uptime": 93784.5}]))
    doc = admin_web.get(f"/api/v1/devices/{device.pk}/inventory/ppp_active").json()
    assert doc["durations"] == ["uptime"]
    assert doc["rows"][0]["uptime"] == 93784.5


@pytest.mark.django_db
def test_times_are_labelled_utc(admin_web, device):
    """Server-rendered times say UTC (dashboard last seen, token list)."""
    now = datetime.now(UTC)
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=now,
                                         last_seen=now))
    body = admin_web.get(f"/devices/{device.pk}/").content.decode()
    assert f"{now:%Y-%m-%d %H:%M:%S} UTC" in body
    tokens = admin_web.get("/tokens/").content.decode()
    assert "Created (UTC)" in tokens

