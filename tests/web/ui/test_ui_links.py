"""Links built from the query string: the state links of the device list and the
paging links of the events list lead where they say (one '?', filters kept)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _device(name: str, state: DeviceState):
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    now = datetime.now(UTC)
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=state, ts=now,
                                         last_seen=now if state is DeviceState.UP else None))
    return dev


def link(body: str, text: str) -> str:
    """The href of the first <a> whose text starts with ``text`` (HTML-unescaped)."""
    for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', body, re.S):
        if re.sub(r"<[^>]+>", "", inner).strip().startswith(text):
            return html.unescape(href)
    raise AssertionError(f"no link {text!r} in the page")


def _names(response) -> list[str]:
    return [d.name for d in response.context["devices"]]


@pytest.mark.django_db
def test_state_links_of_the_device_list_filter(admin_web):
    """"2 Up" and "1 Down" (the states' labels) link to the list filtered by that
    state (one '?')."""
    _device("alpha", DeviceState.UP)
    _device("bravo", DeviceState.UP)
    _device("charlie", DeviceState.DOWN)
    body = admin_web.get("/devices/").content.decode()
    up = link(body, "2 Up")
    assert up.startswith("?"), up
    assert not up.startswith("??"), up
    assert _names(admin_web.get(f"/devices/{up}")) == ["alpha", "bravo"]
    down = link(body, "1 Down")
    assert _names(admin_web.get(f"/devices/{down}")) == ["charlie"]


@pytest.mark.django_db
def test_state_links_keep_search_and_sort(admin_web):
    """From a searched and sorted list, the state link keeps both and replaces the state."""
    _device("alpha", DeviceState.UP)
    _device("alpine", DeviceState.UP)
    _device("bravo", DeviceState.UP)
    _device("alder", DeviceState.DOWN)
    body = admin_web.get("/devices/?q=al&sort=-name&state=down").content.decode()
    up = link(body, "3 Up")
    response = admin_web.get(f"/devices/{up}")
    assert response.context["params"]["state"] == "up"
    assert _names(response) == ["alpine", "alpha"]


@pytest.fixture
def many_events(db):
    """150 events of 'alpha' and 30 of 'bravo', one a minute, newest 'bravo' first."""
    from mikromon.web.monitor.models import Event

    alpha = _device("alpha", DeviceState.UP)
    bravo = _device("bravo", DeviceState.UP)
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [Event(device=alpha, ts=now - timedelta(minutes=i + 30), kind="link_down",
                  message=f"alpha {i}") for i in range(150)]
    rows += [Event(device=bravo, ts=now - timedelta(minutes=i), kind="reboot",
                   message=f"bravo {i}") for i in range(30)]
    Event.objects.bulk_create(rows)
    return {"alpha": alpha, "bravo": bravo}


def _messages(response) -> list[str]:
    return [e.message for e in response.context["page"]]


@pytest.mark.django_db
def test_events_paging_reaches_page_two(admin_web, many_events):
    """"Older →" opens page 2 and "← Newer" comes back, without filters."""
    first = admin_web.get("/events/")
    assert first.context["page"].number == 1
    older = link(first.content.decode(), "Older")
    assert older.startswith("?"), older
    assert not older.startswith("??"), older
    second = admin_web.get(f"/events/{older}")
    assert second.context["page"].number == 2
    assert len(_messages(second)) == 80
    assert _messages(second)[0] == "alpha 70"
    newer = link(second.content.decode(), "← Newer")
    assert admin_web.get(f"/events/{newer}").context["page"].number == 1


@pytest.mark.django_db
def test_events_paging_keeps_filters(admin_web, many_events):
    """With a device and kind filter, page 2 is page 2 of the filtered events."""
    alpha = many_events["alpha"]
    first = admin_web.get(f"/events/?device={alpha.pk}&kind=link_down")
    assert first.context["page"].paginator.count == 150
    older = link(first.content.decode(), "Older")
    second = admin_web.get(f"/events/{older}")
    assert second.context["page"].number == 2
    assert second.context["params"]["device"] == str(alpha.pk)
    assert _messages(second) == [f"alpha {i}" for i in range(100, 150)]
