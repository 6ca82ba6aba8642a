"""Forms keep what was typed after a validation error, except secrets: a password
is never sent back, and the form says it must be typed again."""

from __future__ import annotations

import pytest


def form_data(**overrides: str) -> dict[str, str]:
    """A valid POST body for the device form."""
    data = {
        "name": "edge-1", "host": "127.0.0.1", "port": "8728", "username": "monitor",
        "password": "", "tls_verify": "verify", "encoding": "utf-8", "enabled": "on",
        "site": "", "new_site": "", "new_tags": "", "notes": "",
        "realtime_interval": "5", "short_interval": "60", "medium_interval": "300",
        "long_interval": "3600", "extended_interval": "86400",
    }
    data.update(overrides)
    return data


RETYPE = "type the password again"


@pytest.mark.django_db
def test_add_form_keeps_typed_values_but_not_the_password(admin_web, no_collector):
    """A refused add (bad port) shows name, host, user, notes and new site as typed;
    the password input is empty and says it must be typed again."""
    response = admin_web.post("/devices/add/", form_data(
        name="core-7", host="10.9.8.7", port="99999", username="watcher",
        password="typed-Secret-77", notes="rack 9", new_site="Lab", new_tags="edge, lab"))
    assert response.status_code == 400
    page = response.content.decode()
    for typed in ('value="core-7"', 'value="10.9.8.7"', 'value="watcher"', "rack 9",
                  'value="Lab"', 'value="edge, lab"', 'value="99999"'):
        assert typed in page, typed
    assert "typed-Secret-77" not in page
    assert RETYPE in page.lower()


@pytest.mark.django_db
def test_add_form_without_a_typed_password_says_nothing_about_retyping(admin_web,
                                                                      no_collector):
    """Only a password that was typed and dropped asks to be typed again."""
    response = admin_web.post("/devices/add/", form_data(name="core-8", port="99999"))
    assert response.status_code == 400
    assert RETYPE not in response.content.decode().lower()


@pytest.mark.django_db
def test_edit_form_keeps_values_and_asks_for_a_typed_password(admin_web, device,
                                                             no_collector):
    """A refused edit with a new password typed keeps the other values and asks for
    the password again; the stored one is never shown."""
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(
        host="", notes="moved", password="n3w-Secret-5"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "moved" in page
    assert "n3w-Secret-5" not in page
    assert "r0uter-Secret-9" not in page
    assert RETYPE in page.lower()


@pytest.mark.django_db
def test_user_form_keeps_the_name_and_asks_for_the_password_again(admin_web):
    """A refused new user (too short a password) keeps name and role, not the password."""
    response = admin_web.post("/users/", {"username": "bob", "role": "admin",
                                          "password": "short"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="bob"' in page
    assert 'value="short"' not in page
    assert RETYPE in page.lower()
