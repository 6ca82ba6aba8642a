"""``mikromon device add|edit`` and the device form of the pages apply the same rules:
tags are found whatever their case, a tag whose link name is taken is refused with
a clear message, and TLS verification without API-SSL gets one and the same error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ADD = ["device", "add", "--host", "127.0.0.1", "--username", "mon"]


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text("router-pass\n", encoding="utf-8")
    return str(path)


def _form_data(**changes):
    """A valid body of the pages' device form (a new device)."""
    data = {"name": "r9", "host": "127.0.0.1", "port": "", "username": "mon",
            "password": "pw", "tls_verify": "verify", "encoding": "utf-8",
            "enabled": "on", "site": "", "new_site": "", "new_tags": "", "notes": "",
            "realtime_interval": 5, "short_interval": 60, "medium_interval": 300,
            "long_interval": 3600, "extended_interval": 86400}
    data.update(changes)
    return data


def _web_form(instance=None, **changes):
    from mikromon.web.ui.forms import DeviceForm

    return DeviceForm(data=_form_data(**changes), instance=instance)


def test_add_reuses_a_tag_that_differs_only_in_case(cli, password_file) -> None:
    """``--tag Core`` with a tag ``core`` stored tags the device ``core`` (as the
    pages do), instead of failing on the database's unique slug."""
    from mikromon.web.monitor.models import Device, Tag

    assert cli(*ADD, "--name", "r1", "--password-file", password_file, "--tag", "core").code == 0
    result = cli(*ADD, "--name", "r2", "--password-file", password_file,
                 "--tag", "Core", "--tag", "CORE")
    assert result.code == 0, result.err
    assert [t.name for t in Device.objects.get(name="r2").tags.all()] == ["core"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["core"]
    result = cli("device", "edit", "r1", "--tag", "CoRe", "--tag", "edge")
    assert result.code == 0, result.err
    assert [t.name for t in Device.objects.get(name="r1").tags.all()] == ["core", "edge"]


def test_web_form_reuses_a_tag_that_differs_only_in_case() -> None:
    from mikromon.web.monitor.models import Tag

    Tag.objects.create(name="core")
    form = _web_form(new_tags="Core, CORE, lte")
    assert form.is_valid(), form.errors
    device = form.save()
    assert [t.name for t in device.tags.all()] == ["core", "lte"]


def test_a_tag_whose_link_name_is_taken_is_refused_alike(cli, password_file) -> None:
    """``core!`` and ``core`` share the link name (slug) ``core``: both paths refuse the
    new tag with the same message, and nothing is saved."""
    from mikromon.web.monitor.models import Device, Tag

    Tag.objects.create(name="core")
    form = _web_form(new_tags="core!")
    assert not form.is_valid()
    [message] = form.errors["new_tags"]
    assert "'core!'" in message
    assert "'core'" in message
    result = cli(*ADD, "--name", "r1", "--password-file", password_file, "--tag", "core!")
    assert result.code == 2
    assert result.err == f"mikromon: error: {message.rstrip('.')}\n"
    assert "UNIQUE" not in result.err
    assert not Device.objects.exists()
    assert list(Tag.objects.values_list("name", flat=True)) == ["core"]


@pytest.mark.parametrize("verify", ["no-verify", "anonymous-dh"])
def test_tls_verification_without_api_ssl_is_one_rule(cli, password_file, verify) -> None:
    """Adding a plain-API device with a TLS verification other than ``verify`` is
    refused by both paths with the same message."""
    from mikromon.web.monitor.models import Device

    form = _web_form(tls_verify=verify)
    assert not form.is_valid()
    [message] = form.errors["tls_verify"]
    result = cli(*ADD, "--name", "r1", "--password-file", password_file,
                 "--tls-verify", verify)
    assert result.code == 2
    assert message.rstrip(".") in result.err
    assert not Device.objects.exists()


def test_tls_verification_left_at_verify_is_accepted_alike(cli, password_file) -> None:
    """``verify`` (the default) on a plain-API device is no contradiction on either path."""
    from mikromon.web.monitor.models import Device

    assert _web_form(tls_verify="verify").is_valid()
    result = cli(*ADD, "--name", "r1", "--password-file", password_file,
                 "--tls-verify", "verify")
    assert result.code == 0, result.err
    assert Device.objects.get(name="r1").tls_verify == "verify"


def test_edit_tls_verification_of_a_plain_device_is_one_rule(cli, password_file) -> None:
    from mikromon.web.monitor.models import Device

    assert cli(*ADD, "--name", "r9", "--password-file", password_file).code == 0
    device = Device.objects.get(name="r9")
    form = _web_form(instance=device, tls_verify="no-verify", password="")
    assert not form.is_valid()
    [message] = form.errors["tls_verify"]
    result = cli("device", "edit", "r9", "--tls-verify", "no-verify")
    assert result.code == 2
    assert message.rstrip(".") in result.err
    assert Device.objects.get(name="r9").tls_verify == "verify"


def test_ssl_moves_the_plain_default_port_alike(cli, password_file) -> None:
    """``--ssl --port 8728`` stores 8729, as the form does with API-SSL and port 8728."""
    from mikromon.web.monitor.models import Device

    form = _web_form(use_ssl="on", port="8728")
    assert form.is_valid(), form.errors
    assert form.save().port == 8729
    result = cli(*ADD, "--name", "r1", "--password-file", password_file, "--ssl",
                 "--port", "8728")
    assert result.code == 0, result.err
    assert Device.objects.get(name="r1").port == 8729


@pytest.mark.parametrize("action", ["add", "edit"])
def test_a_blank_site_is_refused(cli, password_file, action) -> None:
    """``--site " "`` is an error, never read as "no site"."""
    from mikromon.web.monitor.models import Device

    assert cli(*ADD, "--name", "r1", "--password-file", password_file,
               "--site", "HQ").code == 0
    args = ([*ADD, "--name", "r2", "--password-file", password_file] if action == "add"
            else ["device", "edit", "r1"])
    result = cli(*args, "--site", "  ")
    assert result.code == 2
    assert "site must not be empty" in result.err
    assert Device.objects.get(name="r1").site.name == "HQ"
    assert not Device.objects.filter(name="r2").exists()


def test_edit_with_a_new_password_still_moves_the_port(cli, password_file) -> None:
    """The check made before the password is asked for changes nothing itself."""
    from mikromon.web.monitor.models import Device

    assert cli(*ADD, "--name", "r1", "--password-file", password_file).code == 0
    result = cli("device", "edit", "r1", "--ssl", "--password-file", password_file)
    assert result.code == 0, result.err
    assert "port 8728 -> 8729 (API-SSL)" in result.out
    assert Device.objects.get(name="r1").port == 8729


def test_the_django_admin_applies_the_same_rules(client, django_user_model) -> None:
    """The admin's device form (for repairs) refuses what the pages and the commands
    refuse, with the same message, and reuses a tag whatever its case."""
    from mikromon.web.monitor.models import Device, Tag

    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    body = {k: ("on" if v is True else v) for k, v in _form_data(tls_verify="no-verify").items()}
    response = client.post("/admin/monitor/device/add/", body)
    assert response.status_code == 200
    [message] = _web_form(tls_verify="no-verify").errors["tls_verify"]
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Device.objects.exists()
    Tag.objects.create(name="core")
    response = client.post("/admin/monitor/device/add/", {**body, "tls_verify": "verify",
                                                          "new_tags": "Core"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [t.name for t in Device.objects.get(name="r9").tags.all()] == ["core"]
    assert client.get(f"/admin/monitor/device/{Device.objects.get().pk}/change/"
                      ).status_code == 200
