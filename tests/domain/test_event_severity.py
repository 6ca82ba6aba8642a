"""Every event kind has a severity, in the words alerts and Alertmanager use."""

from __future__ import annotations

from datetime import UTC, datetime

from mikromon.domain.alerts import Severity
from mikromon.domain.events import EVENT_SEVERITIES, EVENT_SEVERITY_ORDER, Event, EventKind


def test_every_kind_has_a_severity() -> None:
    assert set(EVENT_SEVERITIES) == set(EventKind)
    for kind in EventKind:
        assert kind.severity in EVENT_SEVERITY_ORDER


def test_severities_used_are_listed_most_urgent_first() -> None:
    assert set(EVENT_SEVERITIES.values()) == set(EVENT_SEVERITY_ORDER)
    assert [s.rank for s in EVENT_SEVERITY_ORDER] == sorted(
        (s.rank for s in EVENT_SEVERITY_ORDER), reverse=True)


def test_problems_and_records() -> None:
    """A router out of sight is critical; the informational kinds are ``info``."""
    assert EventKind.DEVICE_DOWN.severity is Severity.CRITICAL
    assert EventKind.AUTH_FAILED.severity is Severity.CRITICAL
    assert EventKind.LINK_DOWN.severity is Severity.WARNING
    for kind in (EventKind.PATH_ABSENT, EventKind.CONFIG_RELOADED, EventKind.DEVICE_UP,
                 EventKind.LINK_UP, EventKind.HEALTH_RECOVERED):
        assert kind.severity is Severity.INFO


def test_an_event_has_its_kinds_severity() -> None:
    event = Event(device_id=1, ts=datetime(2026, 1, 1, tzinfo=UTC),
                  kind=EventKind.REBOOT, message="rebooted")
    assert event.severity is Severity.WARNING
