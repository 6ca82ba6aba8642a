"""The app's own error pages: 404 with a way back (and no user menu for a
stranger), a 500 page that renders without context, one 403 page whether a view
refuses or raises PermissionDenied."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory


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
