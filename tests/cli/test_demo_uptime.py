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


def test_the_start_file_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    """docs/operations.md: everything in the data folder is owner-only (0600 files),
    whatever the umask; a file left 0644 by an older version is made 0600 too."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        continue_uptime([Router(PROFILES["v7"], clock=ManualClock())], tmp_path, now=10.0)
        path = tmp_path / "demo-started"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        path.unlink()
        path.write_text("garbage")
        path.chmod(0o644)
        continue_uptime([Router(PROFILES["v7"], clock=ManualClock())], tmp_path, now=20.0)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().strip() == "20.0"
    finally:
        os.umask(old)
