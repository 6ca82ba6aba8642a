"""A restarted demo's routers continue their uptime (no uptime going backwards
without a reboot)."""

from __future__ import annotations

from pathlib import Path

from mikromon.cli.demo_setup import continue_uptime
from mikromon.emulator import ManualClock, Router
from mikromon.emulator.profiles import PROFILES


def test_uptime_continues_across_demo_restarts(tmp_path: Path) -> None:
    first = [Router(PROFILES["v7"], clock=ManualClock()) for _ in range(2)]
    before = [r.uptime() for r in first]
    continue_uptime(first, tmp_path, now=1_000.0)
    assert [r.uptime() for r in first] == before  # the first start: as the profile says
    again = [Router(PROFILES["v7"], clock=ManualClock()) for _ in range(2)]
    continue_uptime(again, tmp_path, now=1_600.0)
    assert [r.uptime() for r in again] == [u + 600.0 for u in before]


def test_a_broken_start_file_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / "demo-started").write_text("garbage")
    routers = [Router(PROFILES["v6"], clock=ManualClock())]
    before = routers[0].uptime()
    continue_uptime(routers, tmp_path, now=50.0)
    assert routers[0].uptime() == before
    assert (tmp_path / "demo-started").read_text().strip() == "50.0"
