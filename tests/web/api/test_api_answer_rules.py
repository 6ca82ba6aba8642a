"""Rules every API answer follows: times to the second everywhere (the collector's
status included, and named fields such as ``last_seen``), 405 with ``Allow`` on
every endpoint, every bad filter named at once, and docs/api.md listing every
inventory table the API serves."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.samples import Sample

T0 = datetime(2025, 3, 1, 12, 0, 0, 683389, tzinfo=UTC)
#: A time text with a fraction of a second (``12:00:00.5``).
FRACTION = re.compile(r"\d{2}:\d{2}:\d{2}\.\d")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


class _FractionalService:
    """A collector service whose status carries microseconds, as the real one does."""

    running = True

    def status(self) -> dict[str, Any]:
        return {
            "running": True, "since": "2026-11-30T08:53:48.517572Z", "lock_held": True,
            "time_scale": 1.0, "config_version": "v1", "reloads": 0,
            "devices": [{
                "id": 1, "name": "edge-1", "state": "up",
                "config_loaded_at": "2026-11-30T08:53:48.600001+00:00",
                "tiers": {"realtime": {
                    "interval_s": 5.0, "last_run": "2026-11-30T08:54:48.517572Z",
                    "next_due": datetime(2026, 11, 30, 8, 54, 53, 517572, tzinfo=UTC),
                    "running_since": None,
                }},
            }],
            "writer": {"last_error_at": "2026-11-30T08:50:00.1Z"},
        }


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def filled(device):
    from mikromon.domain.events import Event, EventKind
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples(device.pk, [Sample("system.uptime_seconds", 10.0, T0),
                                      Sample("system.cpu.load_pct", 3.0, T0)])
    storage.write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=T0,
                                      last_seen=T0))
    storage.write_events([Event(device_id=device.pk, kind=EventKind.REBOOT, ts=T0,
                                message="rebooted")])
    return device


def _strings(doc: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(doc, dict):
        return [item for k, v in doc.items() for item in _strings(v, f"{path}.{k}")]
    if isinstance(doc, list):
        return [item for i, v in enumerate(doc) for item in _strings(v, f"{path}[{i}]")]
    return [(path, doc)] if isinstance(doc, str) else []


def _endpoints(device_id: int) -> list[str]:
    from mikromon.web.monitor.tables import LOGS, TABLES

    base = f"/api/v1/devices/{device_id}"
    return [
        "/api/v1/", "/api/v1/devices", base, f"{base}/latest",
        f"{base}/series?metric=system.cpu.load_pct&from=2025-03-01T11:00:00Z&to=now",
        *(f"{base}/inventory/{t}" for t in (*TABLES, LOGS)),
        "/api/v1/events", "/api/v1/collector",
        "/api/v1/alerts", "/api/v1/silences", "/api/v1/rules", "/api/v1/channels",
    ]


@pytest.mark.django_db
def test_no_time_in_any_answer_has_a_fraction_of_a_second(api, filled, monkeypatch):
    """Walk every endpoint's JSON: no time text carries a fraction of a second."""
    from mikromon.web.control import collector

    monkeypatch.setattr(collector, "local_collector", lambda: _FractionalService())
    found = []
    for url in _endpoints(filled.pk):
        response = api.get(url)
        assert response.status_code == 200, (url, response.content[:200])
        found += [(url, path, text) for path, text in _strings(response.json())
                  if FRACTION.search(text)]
    assert found == []
    status = api.get("/api/v1/collector").json()["status"]
    assert status["since"] == "2026-11-30T08:53:48Z"
    tier = status["devices"][0]["tiers"]["realtime"]
    assert tier["next_due"] == "2026-11-30T08:54:53Z"
    assert tier["interval_s"] == 5


@pytest.mark.django_db
def test_every_endpoint_answers_405_with_allow(api, device, fake_collector):
    """A wrong method answers 405 with an Allow header on every endpoint."""
    device_url = f"/api/v1/devices/{device.pk}"
    for url in _endpoints(device.pk):
        if url == device_url:  # PUT replaces a device: checked with POST below
            continue
        response = api.put(url)
        assert response.status_code == 405, url
        assert response["Allow"] in ("GET", "GET, POST"), url
    response = api.post(device_url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, PATCH, PUT, DELETE"
    for action in ("start", "stop"):
        response = api.get(f"/api/v1/collector/{action}")
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert "POST" in response.json()["error"]


@pytest.mark.django_db
def test_events_names_every_bad_filter(api):
    """kind and from both bad: both named, the kinds listed."""
    response = api.get("/api/v1/events?kind=bogus&from=yesterday&limit=0")
    assert response.status_code == 400
    text = response.json()["error"]
    assert "kind='bogus'" in text
    assert "reboot" in text
    assert "device_down" in text
    assert "from='yesterday'" in text
    assert "limit" in text


@pytest.mark.django_db
def test_devices_unknown_state_lists_the_states(api, device):
    response = api.get("/api/v1/devices?state=bogus")
    assert response.status_code == 400
    text = response.json()["error"]
    assert "state='bogus' is not one of" in text
    for state in ("up", "down", "unknown", "disabled"):
        assert state in text


@pytest.mark.django_db
def test_device_document_has_a_bracketed_ipv6_endpoint(api, device):
    device.host = "2001:db8::1"
    device.save()
    doc = api.get(f"/api/v1/devices/{device.pk}").json()
    assert doc["host"] == "2001:db8::1"
    assert doc["endpoint"] == "[2001:db8::1]:8728"
    listed = api.get("/api/v1/devices").json()["devices"][0]
    assert listed["endpoint"] == "[2001:db8::1]:8728"


def _docs_table_rows() -> list[str]:
    """The table list docs/api.md must carry, generated from the collectors'
    declarations (their ``views``), in dashboard order."""
    from mikromon.collectors.registry import table_views

    rows = ["| table | title | RouterOS path | RouterOS | tier | sorted by |",
            "|---|---|---|---|---|---|"]
    for d in table_views():
        v = d.view
        paths = ", ".join(f"`{p}`" for p in v.paths)
        major = "6, 7" if v.major is None else str(v.major)
        sort = f"`{v.sort}`" if v.sort else "router's order"
        rows.append(f"| `{v.table}` | {v.title} | {paths} | {major} | {d.tier.value} | {sort} |")
    return rows


def test_docs_list_the_declared_inventory_tables():
    """docs/api.md's table list is the one the collectors declare, row for row (a new
    table is declared on its collector; this test then says which row to add)."""
    from mikromon.web.monitor.tables import LOGS, TABLES

    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### `GET /api/v1/devices/<id>/inventory/<table>`", 1)[1]
    section = section.split("\n### ", 1)[0]
    documented = [line for line in section.splitlines() if line.startswith("| ")
                  or line.startswith("|---")]
    expected = _docs_table_rows()
    assert documented == expected, "docs/api.md should list:\n" + "\n".join(expected)
    # The endpoint serves exactly those tables (the logs included).
    assert [row.split("`")[1] for row in expected[2:]] == list(TABLES)
    assert LOGS in TABLES


@pytest.mark.django_db
def test_times_are_to_the_second(api, device):
    """Every API time is ISO 8601 UTC to the second, as docs/api.md shows."""
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples(device.pk, [Sample("system.uptime_seconds", 10.0, T0)])
    storage.write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=T0,
                                         last_seen=T0))
    doc = api.get(f"/api/v1/devices/{device.pk}").json()
    assert doc["last_data"] == "2025-03-01T12:00:00Z"
    assert doc["last_seen"] == "2025-03-01T12:00:00Z"
    assert "." not in doc["created_at"]
    latest = api.get(f"/api/v1/devices/{device.pk}/latest").json()
    assert latest["values"][0]["ts"] == "2025-03-01T12:00:00Z"
