"""No data without signing in; viewers cannot change anything (a 403 page and one
short log line); CSRF on forms."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

#: Paths reachable without signing in (the sign-in pages, the icon).
PUBLIC = ("/accounts/login/", "/admin/login/", "/favicon.ico")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route: str, device_id: int) -> str:
    """Fill converters with values that exist (a device id) or are plausible."""
    path = route
    for conv, value in (("<int:pk>", str(device_id)), ("<id:pk>", str(device_id)),
                        ("<str:table>", "interfaces"),
                        ("<str:action>", "start")):
        path = path.replace(conv, value)
    if "<" in path or "(" in path or "^" in path:
        # Regex routes of the admin: use a representative page of it.
        return "/admin/monitor/device/"
    return "/" + path


def all_paths(device_id: int) -> list[str]:
    """Every URL pattern of the project as a concrete path."""
    return sorted({_concrete(r, device_id) for r in _walk(get_resolver().url_patterns)})


@pytest.mark.django_db
def test_every_url_needs_login(device):
    """Every page redirects an anonymous visitor to the sign-in page; the API answers 401."""
    client = Client()
    paths = all_paths(device.pk)
    assert len(paths) > 25
    checked = 0
    for path in paths:
        if path in PUBLIC:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if path.startswith("/metrics"):
                assert response.status_code == 401, (method, path, response.status_code)
                assert "Basic" in response["WWW-Authenticate"]
                assert b"edge-1" not in response.content
            elif path.startswith("/api/"):
                assert response.status_code == 401, (method, path, response.status_code)
                assert response["WWW-Authenticate"].startswith("Token")
                assert b"edge-1" not in response.content
            else:
                assert response.status_code == 302, (method, path, response.status_code)
                assert "login" in response["Location"], (path, response["Location"])
            checked += 1
    assert checked >= 50


@pytest.mark.django_db
def test_sign_in_page_is_public_and_signs_in(admin):
    """The sign-in page renders for anyone and a correct password opens the overview."""
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_error(admin):
    """A wrong password keeps the visitor on the sign-in page with a message."""
    response = Client().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_sessions_expire():
    """Sessions end after a bounded time (MIKROMON_SESSION_HOURS, 8 h by default)."""
    assert 0 < settings.SESSION_COOKIE_AGE <= 7 * 86400
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_session_expiry_applies(admin_web):
    """A signed-in session carries the configured expiry."""
    admin_web.get("/")
    assert admin_web.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def _viewer_changes(device_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/devices/add/", {"name": "x", "host": "127.0.0.1", "username": "u"}),
        (f"/devices/{device_id}/edit/", {"name": "renamed"}),
        (f"/devices/{device_id}/delete/", {}),
        (f"/devices/{device_id}/test/", {}),
        ("/collector/start/", {}),
        ("/collector/stop/", {}),
        ("/users/", {"username": "mallory", "role": "admin", "password": "x"}),
        ("/users/1/", {"action": "admin"}),
        ("/tokens/", {"name": "t", "user": "1"}),
        ("/tokens/1/revoke/", {}),
    ]


@pytest.mark.django_db
def test_viewer_gets_403_on_every_change(viewer_web, device, no_collector):
    """Every change a viewer attempts is refused with 403 and changes nothing."""
    from mikromon.web.control.state import desired_state
    from mikromon.web.monitor.models import Device

    before = desired_state().running
    for path, data in _viewer_changes(device.pk):
        response = viewer_web.post(path, data)
        assert response.status_code == 403, (path, response.status_code)
    assert Device.objects.get(pk=device.pk).name == "edge-1"
    assert Device.objects.count() == 1
    assert desired_state().running == before


@pytest.mark.django_db
def test_viewer_cannot_open_edit_forms(viewer_web, device):
    """The device and user forms are admin pages: viewers get 403 there too."""
    for path in ("/devices/add/", f"/devices/{device.pk}/edit/", "/users/"):
        assert viewer_web.get(path).status_code == 403, path


@pytest.mark.django_db
def test_viewer_reads_everything(viewer_web, device, no_collector):
    """Viewers read every page, without edit buttons."""
    for path in ("/", "/devices/", f"/devices/{device.pk}/", "/events/", "/collector/",
                 "/tokens/"):
        response = viewer_web.get(path)
        assert response.status_code == 200, path
        assert b"Add device" not in response.content
        assert b"Stop Collector" not in response.content
    assert b"viewer" in viewer_web.get("/").content


@pytest.mark.django_db
def test_forms_enforce_csrf(admin, device):
    """A POST without the CSRF token is refused (403) on forms and session API calls."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(f"/devices/{device.pk}/edit/", {"name": "x"}).status_code == 403
    assert client.post("/collector/stop/").status_code == 403
    assert client.post("/api/v1/collector", {"action": "stop"}).status_code == 403
    page = client.get(f"/devices/{device.pk}/edit/")
    assert b"csrfmiddlewaretoken" in page.content


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
