"""The device form: tabs, password handling, interval minimums, saving."""

from __future__ import annotations

import pytest

from mikromon.domain.tiers import MINIMUM_INTERVALS, Tier

#: The password the ``device`` fixture stores (see conftest.py).
ROUTER_PASSWORD = "r0uter-Secret-9"


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


@pytest.mark.django_db
def test_edit_page_never_contains_the_password(admin_web, device, no_collector):
    """The stored password is not in the page; the field says "unchanged"."""
    response = admin_web.get(f"/devices/{device.pk}/edit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert ROUTER_PASSWORD not in body
    assert device.password_encrypted not in body
    assert 'placeholder="unchanged"' in body
    assert "Connection" in body
    assert "Collection Intervals" in body


@pytest.mark.django_db
def test_empty_password_keeps_the_stored_one(admin_web, device, no_collector):
    """Saving with an empty password field keeps the old password."""
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(notes="rack 4"))
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.notes == "rack 4"
    assert device.get_password() == ROUTER_PASSWORD


@pytest.mark.django_db
def test_typed_password_replaces_and_clear_removes(admin_web, device, no_collector):
    """A typed password replaces the stored one; "Remove password" empties it."""
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(password="n3w-pass"))
    device.refresh_from_db()
    assert device.get_password() == "n3w-pass"
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(clear_password="on"))
    device.refresh_from_db()
    assert device.has_password is False


@pytest.mark.django_db
def test_add_device_with_site_and_tags(admin_web, no_collector):
    """Adding a device stores its password encrypted and creates the new site and tags."""
    from mikromon.web.monitor.models import Device

    response = admin_web.post("/devices/add/", form_data(
        name="core-9", password="pw-core-9", new_site="Tower B", new_tags="core, lte", port=""))
    assert response.status_code == 302
    device = Device.objects.get(name="core-9")
    assert response["Location"] == f"/devices/{device.pk}/edit/"
    assert device.get_password() == "pw-core-9"
    assert "pw-core-9" not in device.password_encrypted
    assert device.site.name == "Tower B"
    assert sorted(t.name for t in device.tags.all()) == ["core", "lte"]
    assert device.port == 8728


@pytest.mark.django_db
@pytest.mark.parametrize("tier", list(Tier))
def test_interval_below_minimum_is_refused_next_to_the_field(admin_web, device, no_collector,
                                                             tier):
    """An interval under its tier's minimum is an error shown by that field, and the
    Collection Intervals tab opens."""
    field = f"{tier.value}_interval"
    low = str(MINIMUM_INTERVALS[tier] - 1)
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(**{field: low}))
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert f"at least {MINIMUM_INTERVALS[tier]}" in form.errors[field][0]
    body = response.content.decode()
    assert 'data-tab="tab-intervals" class="active"' in body
    device.refresh_from_db()
    assert getattr(device, field) != int(low)


@pytest.mark.django_db
def test_interval_change_notifies_the_collector(admin_web, device, fake_collector):
    """Saving a device asks the in-process collector to reload at once."""
    fake_collector.running = True
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(realtime_interval="7"))
    device.refresh_from_db()
    assert device.realtime_interval == 7
    assert "reload" in fake_collector.calls


@pytest.mark.django_db
def test_connection_errors_open_connection_tab(admin_web, device, no_collector):
    """A missing host is reported on the Connection tab, which stays open."""
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(host=""))
    assert response.status_code == 400
    assert "host" in response.context["form"].errors
    assert 'data-tab="tab-connection" class="active"' in response.content.decode()


@pytest.mark.django_db
def test_bad_encoding_and_port(admin_web, device, no_collector):
    """Unknown encodings and out-of-range ports are refused with clear messages."""
    response = admin_web.post(f"/devices/{device.pk}/edit/",
                              form_data(encoding="klingon", port="70000"))
    errors = response.context["form"].errors
    assert "Unknown text encoding" in errors["encoding"][0]
    assert "port" in errors


@pytest.mark.django_db
def test_delete_device(admin_web, device, no_collector):
    """Deleting removes the device and returns to the list."""
    from mikromon.web.monitor.models import Device

    response = admin_web.post(f"/devices/{device.pk}/delete/")
    assert response.status_code == 302
    assert not Device.objects.filter(pk=device.pk).exists()
