"""Own profile: the time zone every page shows times in, and the password change."""

from __future__ import annotations

import datetime as dt

import pytest

ZONE = "Asia/Kathmandu"  # UTC+05:45: no whole-hour offset hides a wrong conversion


@pytest.mark.django_db
def test_profile_page_offers_zones_and_defaults_to_utc(viewer_web):
    """Every signed-in user (a viewer too) has a profile with a zone select; UTC first."""
    response = viewer_web.get("/profile/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="UTC" selected>' in page
    assert f'<option value="{ZONE}">' in page


@pytest.mark.django_db
def test_profile_stores_a_zone_and_refuses_an_unknown_one(viewer_web, viewer):
    """A known zone is stored for the user; an unknown one is refused, naming it."""
    from mikromon.web.control.models import UserProfile

    response = viewer_web.post("/profile/", {"time_zone": ZONE})
    assert response.status_code == 302
    assert UserProfile.objects.get(user=viewer).time_zone == ZONE
    bad = viewer_web.post("/profile/", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert "Mars/Olympus" in bad.content.decode()
    assert UserProfile.objects.get(user=viewer).time_zone == ZONE


@pytest.mark.django_db
def test_event_times_show_in_the_users_zone(admin_web, device):
    """An event at 12:00 UTC shows as 17:45 for a user in Asia/Kathmandu, with the
    zone named in the column heading; stored times stay UTC."""
    from mikromon.web.monitor.models import Event

    at = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    Event.objects.create(device=device, ts=at, severity="warning", kind="device_down",
                         message="went down")
    page = admin_web.get("/events/").content.decode()
    assert "2026-03-01 12:00:00" in page
    assert admin_web.post("/profile/", {"time_zone": ZONE}).status_code == 302
    page = admin_web.get("/events/").content.decode()
    assert "2026-03-01 17:45:00" in page
    assert f"Time ({ZONE})" in page
    assert Event.objects.get().ts == at


@pytest.mark.django_db
def test_api_keeps_utc_for_a_user_in_another_zone(admin_web, device):
    """The API answers in UTC whatever the user's zone."""
    from mikromon.web.monitor.models import Event

    admin_web.post("/profile/", {"time_zone": ZONE})
    Event.objects.create(device=device, ts=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
                         severity="warning", kind="device_down", message="m")
    body = admin_web.get("/api/v1/events").content.decode()
    assert "2026-03-01T12:00:00" in body
    assert "17:45" not in body


@pytest.mark.django_db
def test_dashboard_config_names_the_zone(admin_web, device):
    """The dashboard's script config carries the zone its times are formatted in."""
    admin_web.post("/profile/", {"time_zone": ZONE})
    page = admin_web.get(f"/devices/{device.pk}/").content.decode()
    assert f'"time_zone": "{ZONE}"' in page


@pytest.mark.django_db
def test_header_links_profile_and_password_change(viewer_web):
    """The header's user menu links the profile and the password change."""
    page = viewer_web.get("/").content.decode()
    assert 'href="/profile/"' in page
    assert 'href="/profile/password/"' in page


@pytest.mark.django_db
def test_change_own_password_keeps_the_session(viewer_web, viewer):
    """The old password is checked, validators apply, the session stays signed in."""
    wrong = viewer_web.post("/profile/password/", {
        "old_password": "nope", "new_password1": "Fresh-Pass-481",
        "new_password2": "Fresh-Pass-481"})
    assert wrong.status_code == 200
    assert "incorrect" in wrong.content.decode()
    weak = viewer_web.post("/profile/password/", {
        "old_password": "victor-pass-123", "new_password1": "123",
        "new_password2": "123"})
    assert "too short" in weak.content.decode()
    ok = viewer_web.post("/profile/password/", {
        "old_password": "victor-pass-123", "new_password1": "Fresh-Pass-481",
        "new_password2": "Fresh-Pass-481"})
    assert ok.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password("Fresh-Pass-481")
    assert viewer_web.get("/profile/").status_code == 200


@pytest.mark.django_db
def test_a_stored_zone_applies_at_sign_in(client, admin, device):
    """A zone saved earlier (another browser) applies when the user signs in."""
    from mikromon.web.control.models import UserProfile

    UserProfile.objects.create(user=admin, time_zone=ZONE)
    client.force_login(admin)
    assert f"{ZONE}" in client.get("/events/").content.decode()


@pytest.mark.django_db
def test_silence_times_are_read_and_told_in_the_users_zone(admin_web):
    """A silence ending 18:00 Asia/Kathmandu is stored as 12:15 UTC, and the page
    says "18:00 Asia/Kathmandu"."""
    from mikromon.web.alerts.models import Silence

    admin_web.post("/profile/", {"time_zone": ZONE})
    response = admin_web.post("/alerts/silences/add/", {
        "reason": "works", "starts_at": "2099-03-01T10:00", "ends_at": "2099-03-01T18:00"},
        follow=True)
    silence = Silence.objects.get()
    assert silence.ends_at == dt.datetime(2099, 3, 1, 12, 15, tzinfo=dt.UTC)
    assert f"2099-03-01 18:00 {ZONE}" in response.content.decode()


@pytest.mark.django_db
def test_event_time_filter_reads_the_users_zone(admin_web, device):
    """The events page's from/to (datetime-local) are in the user's zone: an event
    at 12:00 UTC (17:45 Kathmandu) is after 17:40 and not after 17:50 there."""
    from mikromon.web.monitor.models import Event

    Event.objects.create(device=device, ts=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
                         severity="warning", kind="device_down", message="went down")
    admin_web.post("/profile/", {"time_zone": ZONE})
    page = admin_web.get("/events/", {"from": "2026-03-01T17:40"}).content.decode()
    assert "went down" in page
    assert f"({ZONE})" in page
    page = admin_web.get("/events/", {"from": "2026-03-01T17:50"}).content.decode()
    assert "went down" not in page
    page = admin_web.get("/events/", {"from": "2026-03-01T11:50:00Z"}).content.decode()
    assert "went down" in page


@pytest.mark.django_db
def test_admin_site_edits_a_profile_and_refuses_an_unknown_zone(client, django_user_model,
                                                                viewer):
    """Django's admin lists user profiles; a zone outside the Profile page's list is
    refused there too, naming it, and a known one is stored."""
    from mikromon.web.control.models import UserProfile

    root = django_user_model.objects.create_superuser("root", password="root-pass-123")
    client.force_login(root)
    assert client.get("/admin/control/userprofile/").status_code == 200
    bad = client.post("/admin/control/userprofile/add/",
                      {"user": viewer.pk, "time_zone": "Mars/Olympus"})
    assert bad.status_code == 200
    assert "Mars/Olympus is not a known time zone name." in bad.content.decode()
    assert not UserProfile.objects.filter(user=viewer).exists()
    good = client.post("/admin/control/userprofile/add/", {"user": viewer.pk, "time_zone": ZONE})
    assert good.status_code == 302
    assert UserProfile.objects.get(user=viewer).time_zone == ZONE
