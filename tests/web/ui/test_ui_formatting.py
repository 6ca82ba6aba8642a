"""Value formatting for pages, and the template helpers; server-rendered times
labelled UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mikromon.domain import formatting


@pytest.mark.parametrize(("value", "text"), [
    (0, "0 bit/s"), (999, "999 bit/s"), (1000, "1 kbit/s"), (12_400_000, "12.4 Mbit/s"),
    (1_500_000_000, "1.5 Gbit/s"), (None, "–"),
])
def test_bps(value, text):
    """Bit rates use SI steps and drop trailing zeros."""
    assert formatting.bps(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (512, "512 B"), (1536, "1.5 KiB"), (1024**3, "1 GiB"), (463_000_000, "441.6 MiB"),
])
def test_bytesize(value, text):
    """Sizes use binary steps, as RouterOS shows them."""
    assert formatting.bytesize(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (42, "42s"), (125, "2m 5s"), (3 * 3600 + 60, "3h 1m"), (3 * 86400 + 4 * 3600, "3d 4h 0m"),
])
def test_duration(value, text):
    """Durations are compact."""
    assert formatting.duration(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (86400, "24 h"), (3600, "1 h"), (300, "5 min"), (90, "90 s"), (5, "5 s"), (0.5, "0.5 s"),
    (8640.0, "144 min"), (1.25, "1.25 s"), (None, "–"),
])
def test_interval(value, text):
    """Collection intervals: whole hours, else minutes, else seconds (with a fraction
    at a shortened time scale)."""
    assert formatting.interval(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (999_999, "1 Mbit/s"), (999.999, "1 kbit/s"), (999_499, "999 kbit/s"),
])
def test_bps_promotes_at_the_rounding_edge(value, text):
    assert formatting.bps(value) == text


@pytest.mark.parametrize(("value", "text"), [(1_048_575, "1 MiB"), (1023.99, "1 KiB")])
def test_bytesize_promotes_at_the_rounding_edge(value, text):
    assert formatting.bytesize(value) == text


def test_pages_and_command_line_share_one_formatter():
    """The pages' module is the shared Django-free one, not a copy."""
    from mikromon.domain import formatting as shared

    for name in ("bps", "bytesize", "duration", "interval", "pct", "unit_value"):
        assert getattr(formatting, name) is getattr(shared, name)


@pytest.mark.parametrize(("value", "unit", "text"), [
    (42.4, "percent", "42 %"), (7.25, "percent", "7.2 %"), (51.04, "celsius", "51 °C"),
    (24.1, "volts", "24.1 V"), (6090, "rpm", "6090 rpm"), (1, "state", "ok"),
    (0, "state", "fail"), (3793, "count", "3793"), (864e6, "hertz", "864 MHz"),
    (2.5, "mystery", "2.5 mystery"),
])
def test_unit_value(value, unit, text):
    """Catalog units are shown the way operators read them."""
    assert formatting.unit_value(value, unit) == text


def test_state_badge_escapes_and_colours():
    """Unknown states fall back to the neutral badge; known ones get their class."""
    from mikromon.web.ui.templatetags.mikromon_ui import meter, state_badge

    assert 'class="badge state-auth_failed">Login refused<' in state_badge("auth_failed")
    assert "state-unknown" in state_badge("<script>")
    assert "crit" in meter(95)
    assert "warn" in meter(75)


@pytest.mark.django_db
def test_times_are_labelled_utc(admin_web, device):
    """Server-rendered times say UTC (dashboard last seen, token list)."""
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.web.monitor.storage import DjangoStorage

    now = datetime.now(UTC)
    DjangoStorage(maintenance_interval=None).write_status(
        DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=now, last_seen=now))
    body = admin_web.get(f"/devices/{device.pk}/").content.decode()
    assert f"{now:%Y-%m-%d %H:%M:%S} UTC" in body
    tokens = admin_web.get("/tokens/").content.decode()
    assert "Created (UTC)" in tokens
