"""Fixtures shared by the API and page tests: an admin, a viewer, their clients and
tokens, a device, a fake collector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

ROUTER_PASSWORD = "r0uter-Secret-9"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Forget counted sign-in and token failures (in the process's cache) between
    tests: every test client comes from 127.0.0.1."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(db, django_user_model):
    """A staff user (admin role)."""
    return django_user_model.objects.create_user("alice", password="alice-pass-123",
                                                 is_staff=True)


@pytest.fixture
def viewer(db, django_user_model):
    """A viewer (no staff flag, in the viewers group)."""
    from mikromon.web.ui.forms import apply_role

    user = django_user_model.objects.create_user("victor", password="victor-pass-123")
    apply_role(user, "viewer")
    return user


@pytest.fixture
def admin_web(client, admin):
    """A test client signed in as the admin."""
    client.force_login(admin)
    return client


@pytest.fixture
def viewer_web(client, viewer):
    """A test client signed in as the viewer."""
    client.force_login(viewer)
    return client


@pytest.fixture
def device(db):
    """A saved device with a stored router password."""
    from mikromon.web.monitor.models import Device

    dev = Device(name="edge-1", host="127.0.0.1", port=8728, username="monitor")
    dev.set_password(ROUTER_PASSWORD)
    dev.save()
    return dev


@pytest.fixture
def admin_token(admin):
    """A raw API token acting as the admin."""
    from mikromon.web.monitor.models import ApiToken

    return ApiToken.issue(admin, "ci")[1]


@pytest.fixture
def viewer_token(viewer):
    """A raw API token acting as the viewer."""
    from mikromon.web.monitor.models import ApiToken

    return ApiToken.issue(viewer, "ci")[1]


@pytest.fixture
def no_collector(monkeypatch):
    """Make the pages see no collector in this process (none configured)."""
    from mikromon.web.control import collector

    monkeypatch.setattr(collector, "local_collector", lambda: None)


class FakeService:
    """A stand-in for CollectorService recording start/stop calls."""

    def __init__(self) -> None:
        self.running = False
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")
        self.running = True

    def stop(self, timeout: float = 10.0) -> bool:
        self.calls.append("stop")
        self.running = False
        return True

    def notify_config_changed(self) -> None:
        self.calls.append("reload")

    def status(self) -> dict[str, object]:
        return {
            "running": self.running, "since": None, "lock_held": True, "time_scale": 1.0,
            "event_loop": "uvloop", "config_version": "v1", "reloads": 2,
            "devices": [{
                "id": 1, "name": "edge-1", "state": "up", "last_error": "",
                "facts": {"identity": "rtr"},
                "tiers": {"realtime": {"interval_s": 5, "effective_interval_s": 5,
                                       "last_run": "2025-01-01T00:00:00Z", "duration_s": 0.01,
                                       "next_due": "2025-01-01T00:00:05Z", "runs": 3,
                                       "errors": 1, "skipped": 0,
                                       "last_error": "timed out after 20 s"}},
            }],
            "writer": {"queue_depth": 3, "queued_rows": 345, "max_rows": 1500000,
                       "max_batches": 5000, "rows_written": 1234,
                       "batches_dropped": 7, "rows_dropped": 70, "write_errors": 0,
                       "last_error": "", "storage": {"mode": "process", "pid": 4243,
                                                     "restarts": 1,
                                                     "why": "auto: 812 devices, 2 CPUs"}},
        }


@pytest.fixture
def fake_collector(monkeypatch):
    """A fake in-process collector service."""
    from mikromon.web.control import collector

    service = FakeService()
    monkeypatch.setattr(collector, "local_collector", lambda: service)
    return service


FLEET_STATES = ["up", "down", "degraded", "slow", "auth_failed", "unknown", "disabled"]


def _make_fleet(n: int, *, start: int = 0) -> list:
    """``n`` devices ``r000``.. spread over sites ``site-0..2``, tags ``core``/``edge``,
    versions, boards and states; the state changes a minute apart."""
    from mikromon.web.monitor.models import Device, Site, Tag

    sites = [Site.objects.get_or_create(name=f"site-{i}")[0] for i in range(3)]
    core, _ = Tag.objects.get_or_create(name="core")
    edge, _ = Tag.objects.get_or_create(name="edge")
    now = datetime.now(UTC)
    made = []
    for i in range(start, start + n):
        dev = Device.objects.create(
            name=f"r{i:03d}", host=f"10.0.{i // 250}.{i % 250 + 1}", username="monitor",
            site=sites[i % 3] if i % 10 else None, state=FLEET_STATES[i % len(FLEET_STATES)],
            ros_version="7.16.2 (stable)" if i % 2 else "7.15.3 (stable)",
            board="RB5009UG+S+" if i % 4 else "hAP ax^2", identity=f"id-{i}",
            status_changed_at=now - timedelta(minutes=i),
        )
        dev.tags.add(core if i % 2 else edge)
        made.append(dev)
    return made


@pytest.fixture
def make_fleet(db):
    """``make_fleet(n, start=0)``: save ``n`` devices ``r000``.. over sites ``site-0``
    .. ``site-2`` (every tenth without), tags ``core`` (odd) and ``edge`` (even),
    two versions, two boards and the states in turn."""
    return _make_fleet
