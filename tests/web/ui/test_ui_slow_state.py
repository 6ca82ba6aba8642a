"""The ``slow`` device state on the pages, in the API and in ``device list``: a
badge, a filter value accepted everywhere, a count on the overview."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus


def _slow_and_up():
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC)
    for name, state in (("bras-1", DeviceState.SLOW), ("edge-9", DeviceState.UP)):
        dev = Device(name=name, host="127.0.0.1", username="u")
        dev.set_password("pw")
        dev.save()
        storage.write_status(DeviceStatus(device_id=dev.pk, state=state, ts=now,
                                          last_seen=now))


@pytest.mark.django_db
def test_device_list_filters_and_badges_slow(admin_web) -> None:
    _slow_and_up()
    response = admin_web.get("/devices/?state=slow")
    assert response.status_code == 200
    body = response.content.decode()
    assert "bras-1" in body
    assert "edge-9" not in body
    assert 'class="badge state-slow">Slow<' in body
    assert "is not one of" not in body


@pytest.mark.django_db
def test_overview_counts_slow_devices(admin_web) -> None:
    _slow_and_up()
    body = admin_web.get("/").content.decode()
    assert 'href="/devices/?state=slow"><div class="label">Slow</div><div class="value">1<' in (
        body)


@pytest.mark.django_db
def test_api_filters_slow(admin_token, client) -> None:
    _slow_and_up()
    response = client.get("/api/v1/devices?state=slow",
                          HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    assert response.status_code == 200, response.content
    doc = response.json()
    rows = doc["devices"] if isinstance(doc, dict) else doc
    assert [(d["name"], d["state"]) for d in rows] == [("bras-1", "slow")]


@pytest.mark.django_db
def test_cli_device_list_shows_slow(capsys) -> None:
    from mikromon.cli import main

    _slow_and_up()
    assert main(["device", "list", "--json"]) == 0
    import json

    listed = {d["name"]: d["state"] for d in json.loads(capsys.readouterr().out)}
    assert listed == {"bras-1": "slow", "edge-9": "up"}
