"""Test connection: one realtime poll against an emulated router."""

from __future__ import annotations

import pytest

from mikromon.emulator.testing import running_emulators


@pytest.fixture(scope="module")
def router():
    """One emulated RouterOS 7 router on 127.0.0.1."""
    with running_emulators(count=1, profile="v7") as routers:
        yield routers[0]


def _device(router, password: str):
    from mikromon.web.monitor.models import Device

    dev = Device(name="lab", host=router.host, port=router.port, username=router.username)
    dev.set_password(password)
    dev.save()
    return dev


@pytest.mark.django_db
def test_test_connection_reports_what_the_router_said(admin_web, router, no_collector):
    """A working router: the result names its identity, version and interfaces."""
    dev = _device(router, router.password)
    response = admin_web.post(f"/devices/{dev.pk}/test/", follow=True)
    probe = response.context["probe"]
    assert probe["ok"] is True, probe
    text = "\n".join(probe["detail"])
    assert router.identity in text
    assert router.version in text
    assert "interfaces" in text
    assert "Test connection: Connected" in response.content.decode()


@pytest.mark.django_db
def test_test_connection_wrong_password(admin_web, router, no_collector):
    """A wrong password gives a clear "Authentication failed" and no password in the page."""
    dev = _device(router, "not-the-password")
    response = admin_web.post(f"/devices/{dev.pk}/test/", follow=True)
    probe = response.context["probe"]
    assert probe["ok"] is False
    assert probe["title"] == "Authentication failed"
    assert "not-the-password" not in response.content.decode()


@pytest.mark.django_db
def test_test_connection_unreachable(admin_web, no_collector):
    """A closed port: "Router unreachable" naming the device."""
    import socket

    from mikromon.web.monitor.models import Device

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dev = Device(name="gone", host="127.0.0.1", port=port, username="u")
    dev.save()
    probe = admin_web.post(f"/devices/{dev.pk}/test/", follow=True).context["probe"]
    assert probe["ok"] is False
    assert probe["title"] == "Router unreachable"
    assert "gone" in probe["detail"][0]


@pytest.mark.django_db
def test_save_and_test(admin_web, router, no_collector):
    """"Save and test connection" saves the new device and shows the test result."""
    data = {
        "name": "lab-2", "host": router.host, "port": str(router.port),
        "username": router.username, "password": router.password, "tls_verify": "verify",
        "encoding": "utf-8", "enabled": "on", "realtime_interval": "5",
        "short_interval": "60", "medium_interval": "300", "long_interval": "3600",
        "extended_interval": "86400", "save_and_test": "1",
    }
    response = admin_web.post("/devices/add/", data, follow=True)
    assert response.context["probe"]["ok"] is True
