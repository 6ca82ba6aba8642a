"""The device form's messages: product wording for empty and taken names, and TLS
verification refused without API-SSL (form level; the pages are tested elsewhere)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _data(**changes):
    data = {"name": "r2", "host": "127.0.0.1", "port": "", "username": "mon",
            "password": "pw", "tls_verify": "verify", "encoding": "utf-8",
            "enabled": "on", "realtime_interval": 5, "short_interval": 60,
            "medium_interval": 300, "long_interval": 3600, "extended_interval": 86400}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("field", ["name", "username", "encoding"])
def test_empty_text_says_must_not_be_empty(field):
    from mikromon.web.ui.forms import DeviceForm

    form = DeviceForm(data=_data(**{field: "  "}))
    assert not form.is_valid()
    assert form.errors[field] == [f"{field} must not be empty"]


def test_taken_name_is_named(device):
    from mikromon.web.ui.forms import DeviceForm

    form = DeviceForm(data=_data(name=device.name))
    assert not form.is_valid()
    assert form.errors["name"] == [f"a device named {device.name!r} already exists"]


def test_tls_verify_without_ssl_is_refused(device):
    from mikromon.web.ui.forms import DeviceForm

    form = DeviceForm(data=_data(tls_verify="no-verify"))
    assert not form.is_valid()
    assert "API-SSL" in form.errors["tls_verify"][0]
    assert DeviceForm(data=_data(tls_verify="no-verify", use_ssl="on")).is_valid()


def test_model_blank_message():
    from django.core.exceptions import ValidationError

    from mikromon.web.monitor.models import Device

    with pytest.raises(ValidationError) as err:
        Device(name="", host="127.0.0.1", username="", port=8728).full_clean()
    assert err.value.message_dict["name"] == ["name must not be empty"]
    assert err.value.message_dict["username"] == ["username must not be empty"]
