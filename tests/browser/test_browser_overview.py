"""The overview's traffic tables in the browser, with a fleet of 45 routers in the
database: the busiest interfaces show receive and transmit for every row, the
column headings rank by their direction, and the top links by utilisation list
the most used links first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browserkit import sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLEET = 45


def _fleet() -> None:
    """45 access routers receiving much more than they send, one 1 Gbit/s port each
    (ether2) and one 10 Gbit/s uplink (sfp1)."""
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC)
    for i in range(FLEET):
        dev = Device(name=f"bras-{i:02d}", host="127.0.0.1", username="u")
        dev.set_password("pw")
        dev.save()
        samples = [Sample("system.cpu.load_pct", 3.0, now)]
        for iface, rx, tx, speed in (("sfp1", 900e6 + i * 1e6, 40e6 + i * 1e5, 10e9),
                                     ("ether2", 200e6 + i * 1e6, 9e6, 1e9)):
            labels = make_labels(interface=iface)
            samples += [Sample("iface.rx_bps", rx, now, labels),
                        Sample("iface.tx_bps", tx, now, labels),
                        Sample("iface.link_speed_bps", speed, now - timedelta(seconds=200),
                               labels)]
        storage.write_samples(dev.pk, samples)
        storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                          last_seen=now))


def _cells(page: Any, table: str, column: int) -> list[str]:
    return page.locator(f"#{table} tbody tr td:nth-child({column})").all_inner_texts()


def test_overview_traffic_tables(page, live_url, users, monkeypatch):
    monkeypatch.delenv("MIKROMON_TIME_SCALE", raising=False)
    _fleet()
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/")
    busiest = page.locator("#busiest")
    expect(busiest.locator("tbody tr")).to_have_count(10)
    assert _cells(page, "busiest", 1)[:2] == ["bras-44", "bras-43"]
    assert set(_cells(page, "busiest", 2)) == {"sfp1"}
    transmit = _cells(page, "busiest", 4)
    assert all(t.endswith("bit/s") and not t.startswith("0 ") for t in transmit), transmit
    assert transmit[0] == "44.4 Mbit/s"

    # Rank by transmit: the heading is a link that keeps the page's other choices.
    busiest.locator("thead a", has_text="Transmit").click()
    page.wait_for_url("**/?group=site&busiest=tx")
    expect(page.locator("#busiest thead th[aria-sort=descending]")).to_have_text("Transmit ▼")
    sent = _cells(page, "busiest", 4)
    assert sent[0] == "44.4 Mbit/s"

    utilisation = page.locator("#utilisation")
    expect(utilisation.locator("tbody tr")).to_have_count(10)
    # ether2 at 244 Mbit/s of 1 Gbit/s is more used than sfp1 at 944 Mbit/s of 10 Gbit/s.
    assert _cells(page, "utilisation", 1)[0] == "bras-44"
    assert set(_cells(page, "utilisation", 2)) == {"ether2"}
    assert _cells(page, "utilisation", 5)[0] == "1 Gbit/s"
    assert _cells(page, "utilisation", 6)[0] == "24 %"
