"""The device form: tabs, password handling, interval minimums, saving, no collector
buttons (and a word when the collector is stopped)."""

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
def test_typed_password_replaces_the_stored_one(admin_web, device, no_collector):
    """A typed password replaces the stored one; there is no way to store none."""
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(password="n3w-pass"))
    device.refresh_from_db()
    assert device.get_password() == "n3w-pass"
    form = admin_web.get(f"/devices/{device.pk}/edit/").context["form"]
    assert "clear_password" not in form.fields
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(clear_password="on"))
    device.refresh_from_db()
    assert device.get_password() == "n3w-pass"


@pytest.mark.django_db
def test_new_device_needs_a_password(admin_web, no_collector):
    """A new device without a password is refused next to the password field."""
    from mikromon.web.monitor.models import Device

    response = admin_web.post("/devices/add/", form_data(name="core-1"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["password"]
    assert "password" in errors["password"][0].lower()
    assert not Device.objects.filter(name="core-1").exists()
    assert response.context["form"].fields["password"].required is True


@pytest.mark.django_db
def test_device_without_stored_password_needs_one(admin_web, no_collector):
    """Editing a device that has no stored password asks for one."""
    from mikromon.web.monitor.models import Device

    dev = Device.objects.create(name="bare", host="127.0.0.1", username="u")
    response = admin_web.post(f"/devices/{dev.pk}/edit/", form_data(name="bare"))
    assert response.status_code == 400
    assert "password" in response.context["form"].errors
    ok = admin_web.post(f"/devices/{dev.pk}/edit/", form_data(name="bare", password="pw-1"))
    assert ok.status_code == 302


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


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "words"), [
    ("not a host!! <b>x</b>", "a space is not allowed"),
    ("router_1.lan", "'_' is not allowed"),
    ("999.1.1.1", "not a valid IPv4 address"),
    ("router.lan:8728", "port in its own field"),
    ("[router.lan]", "brackets are only for an IPv6 address"),
    ("-edge.lan", "starts or ends with '-'"),
])
def test_bad_hosts_are_refused(admin_web, device, no_collector, typed, words):
    """A host that is no host name, IPv4 or IPv6 address is refused with a clear message
    next to the host field; the stored host stays."""
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(host=typed))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["host"]
    assert words in errors["host"][0]
    device.refresh_from_db()
    assert device.host == "127.0.0.1"


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "stored"), [
    ("  router-1.example.net ", "router-1.example.net"),
    ("192.0.2.10", "192.0.2.10"),
    ("[::1]", "::1"),
    ("2001:db8::7", "2001:db8::7"),
])
def test_good_hosts_are_stored_normalised(admin_web, device, no_collector, typed, stored):
    """Host names, IPv4 and IPv6 addresses are accepted; spaces and brackets go."""
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(host=typed))
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.host == stored


@pytest.mark.django_db
def test_model_validation_refuses_a_bad_host(device):
    """The model's own validation (admin, scripts) refuses a bad host too."""
    from django.core.exceptions import ValidationError

    device.host = "not a host!! <b>x</b>"
    with pytest.raises(ValidationError) as caught:
        device.full_clean()
    assert "host" in caught.value.message_dict
    assert "not allowed" in caught.value.message_dict["host"][0]
    device.host = "[2001:db8::1]"
    device.full_clean()
    assert device.host == "2001:db8::1"


def test_validate_host_is_a_pure_domain_function():
    """mikromon.domain.devices.validate_host: the one rule for CLI and web."""
    from mikromon.domain.devices import validate_host
    from mikromon.domain.errors import ConfigError

    assert validate_host(" [fe80::1%ether1] ") == "fe80::1%ether1"
    assert validate_host("edge.") == "edge."
    assert validate_host("a" * 63 + ".lan") == "a" * 63 + ".lan"
    for bad in ("", "   ", "a" * 64 + ".lan", "a..b", "::g", "1.2.3", "b\u00fccher.lan",
                ".".join(["abcdefgh"] * 29)):
        with pytest.raises(ConfigError):
            validate_host(bad)


@pytest.mark.django_db
def test_ssl_on_moves_the_default_port(admin_web, device, no_collector):
    """Turning API-SSL on moves a port left at 8728 to 8729, and back when turned off."""
    response = admin_web.post(f"/devices/{device.pk}/edit/",
                              form_data(use_ssl="on", port="8728"), follow=True)
    device.refresh_from_db()
    assert (device.use_ssl, device.port) == (True, 8729)
    assert "Port 8728 changed to 8729" in response.content.decode()
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(port="8729"))
    device.refresh_from_db()
    assert (device.use_ssl, device.port) == (False, 8728)


@pytest.mark.django_db
def test_ssl_keeps_a_custom_port(admin_web, device, no_collector):
    """A port other than the two defaults is the operator's choice and stays."""
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(use_ssl="on", port="18729"))
    device.refresh_from_db()
    assert (device.use_ssl, device.port) == (True, 18729)
    admin_web.post(f"/devices/{device.pk}/edit/", form_data(port="18729"))
    device.refresh_from_db()
    assert (device.use_ssl, device.port) == (False, 18729)


@pytest.mark.django_db
def test_new_ssl_device_with_plain_port_gets_8729(admin_web, no_collector):
    """Adding a device with API-SSL and port 8728 (or none) stores 8729."""
    from mikromon.web.monitor.models import Device

    admin_web.post("/devices/add/", form_data(name="tls-1", password="pw", use_ssl="on"))
    admin_web.post("/devices/add/", form_data(name="tls-2", password="pw", use_ssl="on",
                                              port=""))
    assert Device.objects.get(name="tls-1").port == 8729
    assert Device.objects.get(name="tls-2").port == 8729


@pytest.mark.django_db
def test_form_page_loads_the_port_helper(admin_web, device, no_collector):
    """The form page carries the script that moves the port as API-SSL is toggled."""
    body = admin_web.get(f"/devices/{device.pk}/edit/").content.decode()
    assert "mikromon/device_form.js" in body
    assert 'data-plain-port="8728"' in body
    assert 'data-ssl-port="8729"' in body


@pytest.mark.django_db
def test_rejected_rename_keeps_the_stored_name_in_heading(admin_web, device, no_collector):
    """Renaming to a taken name fails; the heading, breadcrumb and title still name the
    device by its stored name (the rejected one only in the field)."""
    from mikromon.web.monitor.models import Device

    Device(name="taken", host="127.0.0.1", username="u").save()
    response = admin_web.post(f"/devices/{device.pk}/edit/", form_data(name="taken"))
    assert response.status_code == 400
    body = response.content.decode()
    crumbs = body.split('<div class="crumbs">', 1)[1].split("</div>", 1)[0]
    heading = body.split("<h1>", 1)[1].split("</h1>", 1)[0]
    title = body.split("<title>", 1)[1].split("</title>", 1)[0]
    for part in (crumbs, heading, title):
        assert "edge-1" in part, part
        assert "taken" not in part, part
    assert 'value="taken"' in body
    assert Device.objects.get(pk=device.pk).name == "edge-1"


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
