"""Readability of the pages: inventory columns (units, hidden ids, blank rows), no
collector buttons on the device form, the collector page's times and errors, the
device list's last-contact time and board cell, and the app's own 403/404/500 pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _snapshot(device, table: str, rows: list[dict], key: tuple[str, ...] = ("name",)) -> None:
    _storage().write_inventory(device.pk, InventorySnapshot(
        table=table, key_fields=key, ts=datetime.now(UTC), rows=rows))


# --- inventory columns -------------------------------------------------------


def test_column_units_name_bytes_and_bit_rates():
    """Byte counters and bit rates are named by column (sub-fields after a dot too)."""
    from mikromon.web.monitor import inventory

    for name in ("bytes", "bytes.upload", "bytes-in", "limit-bytes-total", "remote.bytes",
                 "bytes.tx"):
        assert inventory.column_unit(name) == "bytes", name
    for name in ("max-limit.upload", "limit-at.download", "tx-rate", "rx-rate",
                 "tx-bits-per-second"):
        assert inventory.column_unit(name) == "bits/s", name
    assert inventory.column_unit("uptime") == "seconds"
    for name in ("packets", "name", "mtu", "signal"):
        assert inventory.column_unit(name) == "", name


@pytest.mark.django_db
def test_inventory_hides_the_internal_id_column(admin_web, device):
    """RouterOS's internal ``.id`` is not a column to show (the rows keep it)."""
    _snapshot(device, "dhcp_leases", [
        {".id": f"*{i:X}", "address": f"10.0.0.{i}", "mac-address": f"02:00:00:00:00:{i:02X}"}
        for i in range(1, 20)], key=(".id",))
    doc = admin_web.get(f"/api/v1/devices/{device.pk}/inventory/dhcp_leases").json()
    assert ".id" not in doc["columns"]
    assert doc["columns"][:2] == ["address", "mac-address"]
    assert doc["rows"][0][".id"]


@pytest.mark.django_db
def test_a_row_without_values_shows_the_empty_state(admin_web, device):
    """A CHR's routerboard row (``routerboard: false``, every other field empty) is no
    row: the table is empty and the tab is not offered with a count of 1."""
    from mikromon.web.monitor import inventory

    _snapshot(device, "routerboard", [{
        "routerboard": False, "board-name": None, "model": None, "serial-number": "",
        "current-firmware": None}], key=())
    data = inventory.read_table(device, "routerboard")
    assert data.rows == []
    # Read, and empty: the router reported none (with the read time), not "nothing yet".
    assert data.empty_text.startswith("None reported")
    assert data.updated is not None
    assert inventory.row_counts(device).get("routerboard", 0) == 0
    tabs = admin_web.get(f"/devices/{device.pk}/").context["tabs"]
    assert "routerboard" not in [t.slug for t in tabs]
    doc = admin_web.get(f"/api/v1/devices/{device.pk}/inventory/routerboard").json()
    assert doc["count"] == 0


@pytest.mark.django_db
def test_a_row_with_values_is_kept(device):
    """Only rows without any value are dropped: a routerboard with a model stays."""
    from mikromon.web.monitor import inventory

    _snapshot(device, "routerboard", [{"routerboard": True, "model": "RB750Gr3",
                                       "board-name": None}], key=())
    assert len(inventory.read_table(device, "routerboard").rows) == 1
    assert inventory.row_counts(device)["routerboard"] == 1


@pytest.mark.django_db
def test_pages_carry_the_column_units(admin_web, device):
    """Every page carries the column units (for tables.js) as a JSON script."""
    body = admin_web.get(f"/devices/{device.pk}/").content.decode()
    match = re.search(r'<script id="mm-column-units" type="application/json">(.*?)</script>',
                      body, re.S)
    assert match, "no column units on the page"
    units = json.loads(match.group(1))
    assert "max-limit" in units["bits/s"]
    assert "bytes" in units["bytes"]
    assert "uptime" in units["seconds"]


# --- device form and collector control ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/devices/add/", "/devices/{pk}/edit/"])
def test_device_form_has_no_collector_buttons(admin_web, device, fake_collector, path):
    """Filling a device form is no place to stop the whole collector: no Start/Stop
    buttons there (they are on the collector page)."""
    fake_collector.running = True
    body = admin_web.get(path.format(pk=device.pk)).content.decode()
    assert 'id="stop-collector"' not in body
    assert 'id="start-collector"' not in body
    assert "Stop Collector" not in body
    collector_page = admin_web.get("/collector/").content.decode()
    assert 'id="stop-collector"' in collector_page


@pytest.mark.django_db
def test_device_form_says_when_the_collector_is_stopped(admin_web, device, fake_collector):
    """A stopped collector is announced on the form (banner with Start), not hidden."""
    fake_collector.running = False
    body = admin_web.get(f"/devices/{device.pk}/edit/").content.decode()
    assert 'id="collector-stopped"' in body
    assert 'id="stop-collector"' not in body


# --- collector page ----------------------------------------------------------


def _patch_status(service, *, since: str | None = None, tier_error: str | None = None):
    """Change what the fake service's status() says (start time, realtime error text)."""
    original = service.status

    def status():
        doc = original()
        doc["since"] = since
        if tier_error is not None:
            doc["devices"][0]["tiers"]["realtime"]["last_error"] = tier_error
        return doc

    service.status = status


@pytest.mark.django_db
def test_collector_page_after_a_stop_shows_the_stop_time(admin_web, fake_collector):
    """After a stop the page says since when it is stopped (the stop, not the start)."""
    from mikromon.web.control.state import desired_state

    fake_collector.running = True
    _patch_status(fake_collector, since="2020-01-02T03:04:05Z")
    admin_web.post("/collector/stop/")
    stopped_at = desired_state().changed_at.astimezone(UTC)
    body = admin_web.get("/collector/").content.decode()
    sub = re.search(r'<div class="sub">(.*?)</div>', body, re.S).group(1)
    assert "2020-01-02 03:04:05" not in sub
    assert f"stopped since {stopped_at:%Y-%m-%d %H:%M:%S} UTC" in " ".join(sub.split())


@pytest.mark.django_db
def test_collector_page_running_shows_the_start_time(admin_web, fake_collector):
    fake_collector.running = True
    _patch_status(fake_collector, since="2020-01-02T03:04:05Z")
    body = admin_web.get("/collector/").content.decode()
    sub = " ".join(re.search(r'<div class="sub">(.*?)</div>', body, re.S).group(1).split())
    assert "running since 2020-01-02 03:04:05 UTC" in sub


@pytest.mark.django_db
def test_collector_page_times_are_full_and_errors_explained(admin_web, fake_collector):
    """Last run and next due both show the date; an error count whose text was cleared
    by a later clean run says so instead of an empty cell."""
    fake_collector.running = True
    _patch_status(fake_collector, tier_error="")
    body = admin_web.get("/collector/").content.decode()
    assert "2025-01-01 00:00:00" in body
    assert "2025-01-01 00:00:05" in body
    row = re.search(r'<tr data-device="edge-1" data-tier="realtime">(.*?)</tr>', body, re.S)
    assert "no error since" in row.group(1)


@pytest.mark.django_db
def test_collector_page_shows_intervals_as_the_dashboard_does(admin_web, fake_collector):
    """Intervals read ``24 h`` / ``5 s`` (never ``86400 s``); at a shortened time scale
    the interval really used is shown too."""
    fake_collector.running = True
    original = fake_collector.status

    def status():
        doc = original()
        tiers = doc["devices"][0]["tiers"]
        tiers["long"] = {"interval_s": 86400, "effective_interval_s": 8640.0,
                              "next_due": "2025-01-02T00:00:00Z", "errors": 0}
        return doc

    fake_collector.status = status
    body = admin_web.get("/collector/").content.decode()

    def cell(tier: str) -> str:
        row = re.search(rf'<tr data-device="edge-1" data-tier="{tier}">(.*?)</tr>', body, re.S)
        td = re.search(r'<td class="num interval">(.*?)</td>', row.group(1), re.S)
        return " ".join(re.sub(r"<[^>]+>", " ", td.group(1)).split())

    assert cell("realtime") == "5 s"
    assert cell("long") == "24 h effective 144 min"
    assert "86400" not in body


# --- device list -------------------------------------------------------------


@pytest.mark.django_db
def test_device_list_last_seen_is_the_newest_data(admin_web, device):
    """"Last seen" is the newest contact (the newest data point), not ``last_seen``,
    which the writer refreshes at most every 30 s."""
    now = datetime.now(UTC).replace(microsecond=0)
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP,
                                         ts=now - timedelta(seconds=25),
                                         last_seen=now - timedelta(seconds=25),
                                         board="CHR QEMU Standard PC (i440FX + PIIX, 1996)"))
    _storage().write_samples(device.pk, [Sample("system.uptime_seconds", 100.0, now)])
    body = admin_web.get("/devices/").content.decode()
    row = re.search(r'<tr data-device="edge-1">(.*?)</tr>', body, re.S).group(1)
    seen = re.search(r'<td class="nowrap" title="([^"]*) UTC">([^<]*)</td>', row)
    assert seen
    assert seen.group(1) == f"{now:%Y-%m-%d %H:%M:%S}"
    # The sample is seconds old (more on a loaded machine), the status row 25 s.
    ago = re.fullmatch(r"(\d+) s ago|just now", seen.group(2))
    assert ago, seen.group(2)
    assert int(ago.group(1) or 0) < 20, seen.group(2)
    board = re.search(r'<td class="clip board"[^>]*>([^<]*)</td>', row)
    assert board
    assert "CHR QEMU" in board.group(1)
    assert 'title="CHR QEMU Standard PC (i440FX + PIIX, 1996)"' in row


# --- error pages -------------------------------------------------------------


@pytest.fixture
def no_debug(settings):
    settings.DEBUG = False


@pytest.mark.django_db
def test_404_is_an_app_page_with_a_way_back(admin_web, no_debug):
    """/devices/999/ answers the app's 404 page: navigation, a link back, the look."""
    response = admin_web.get("/devices/999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "mikromon/app.css" in body
    assert 'class="topbar"' in body
    assert "Page not found" in body
    assert 'href="/devices/"' in body
    assert 'href="/"' in body


@pytest.mark.django_db
def test_404_for_a_stranger_has_no_user_menu(no_debug):
    """Unknown paths answer the styled 404 to anyone, offering the sign-in page."""
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "mikromon/app.css" in body
    assert "Page not found" in body
    assert "Sign out" not in body
    assert "/accounts/login/" in body


def test_500_page_renders_without_context():
    """Django renders 500.html with no context at all: it must still look like the app."""
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/devices/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "mikromon/app.css" in body
    assert "Something went wrong" in body
    assert 'href="/"' in body


@pytest.mark.django_db
def test_403_pages_are_consistent(viewer_web, device, no_debug, rf, viewer):
    """A raised PermissionDenied shows the same app page as a viewer's 403."""
    from django.views.defaults import permission_denied

    ours = viewer_web.get(f"/devices/{device.pk}/edit/")
    assert ours.status_code == 403
    request = rf.get("/x/")
    request.user = viewer
    raised = permission_denied(request, PermissionDenied("no"))
    assert raised.status_code == 403
    for body in (ours.content.decode(), raised.content.decode()):
        assert "Not allowed" in body
        assert "mikromon/app.css" in body
        assert 'class="topbar"' in body



@pytest.mark.django_db
def test_collector_page_shows_a_run_in_progress_and_why_a_tier_waits(admin_web, fake_collector):
    """A tier that is running says since when (its next due time is not known yet);
    a tier that cannot run says why (the device is down or refused the login)."""
    fake_collector.running = True
    original = fake_collector.status

    def status():
        doc = original()
        tiers = doc["devices"][0]["tiers"]
        tiers["realtime"].update(running_since="2025-01-01T00:00:07Z", next_due=None)
        tiers["short"] = {"interval_s": 60, "next_due": "2025-01-01T00:01:00Z", "errors": 0,
                          "blocked": "device down: connection refused"}
        return doc

    fake_collector.status = status
    body = admin_web.get("/collector/").content.decode()

    def row_text(tier: str) -> str:
        row = re.search(rf'<tr data-device="edge-1" data-tier="{tier}">(.*?)</tr>', body, re.S)
        return " ".join(re.sub(r"<[^>]+>", " ", row.group(1)).split())

    assert "running since 2025-01-01 00:00:07" in row_text("realtime")
    assert "waiting: device down: connection refused" in row_text("short")


@pytest.mark.django_db
def test_ipv6_hosts_are_shown_in_brackets(admin_web, device):
    """``2001:db8::1:8728`` is ambiguous: an IPv6 host is written ``[2001:db8::1]:8728``
    on the device list and the dashboard, as in the CLI and the API."""
    device.host = "2001:db8::1"
    device.save()
    for path in ("/devices/", f"/devices/{device.pk}/"):
        body = admin_web.get(path).content.decode()
        assert "[2001:db8::1]:8728" in body, path
        assert "2001:db8::1:8728" not in body.replace("[2001:db8::1]:8728", ""), path


@pytest.mark.django_db
def test_bad_filters_are_named_not_ignored(admin_web, device):
    """A filter value the page does not know is reported (with the values it does
    know), not silently dropped: every bad one, on the events and device lists."""
    body = " ".join(admin_web.get("/events/?kind=bogus&from=yesterday&device=x")
                    .content.decode().split())
    assert "kind=&#x27;bogus&#x27; is not one of: device_up, " in body
    assert "from=&#x27;yesterday&#x27; is not a time" in body
    assert "device=&#x27;x&#x27; is not an id" in body
    body = " ".join(admin_web.get("/devices/?state=bogus&tag=x").content.decode().split())
    assert ("unknown state &#x27;bogus&#x27; (known: unknown, up, degraded, slow, down, "
            "auth_failed, disabled)") in body
    assert "&#x27;tag&#x27; must be a tag id" in body
