"""``mikromon collect-once`` in a subprocess against emulated routers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mikromon.cli import collect_once
from mikromon.domain import formatting
from mikromon.domain.inventory import BadValue, CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.emulator.testing import EmulatorHandle, running_emulators

MAIN = "import sys; from mikromon.cli import main; sys.exit(main())"


def run_cli(router: EmulatorHandle | None, *args: str, password: str | None = None,
            port: int | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ROUTER_PASSWORD=password or (router.password if router else "x"))
    host_args = ["--host", "127.0.0.1", "--port", str(port or router.port),  # type: ignore[union-attr]
                 "--username", router.username if router else "admin",
                 "--password-env", "ROUTER_PASSWORD"]
    return subprocess.run(
        [sys.executable, "-c", MAIN, "collect-once", *host_args, *args],
        env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def routers() -> Iterator[dict[str, EmulatorHandle]]:
    with running_emulators(count=2, profile="mixed") as fleet:
        by_major = {r.profile.name: r for r in fleet}
        assert set(by_major) == {"v6", "v7"}
        yield by_major


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["v6", "v7"])
def test_json_all_tiers_without_failures(routers: dict[str, EmulatorHandle],
                                         profile: str) -> None:
    router = routers[profile]
    done = run_cli(router, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data["tiers"]) == ["realtime", "short", "medium", "long", "extended"]
    assert data["version"][0] == int(profile[1])
    assert data["facts"]["identity"] == router.identity
    assert data["facts"]["version"].startswith(router.version)
    for name, tier in data["tiers"].items():
        assert tier["failures"] == [], name
    realtime = data["tiers"]["realtime"]
    rates = {(s["key"], s["labels"].get("interface")): s["value"] for s in realtime["samples"]}
    for name, configured in router.rates.items():
        assert rates[("iface.rx_bps", name)] == pytest.approx(configured.rx_bps, rel=0.02)
        assert rates[("iface.tx_bps", name)] == pytest.approx(configured.tx_bps, rel=0.02)
    assert any(s["key"] == "system.cpu.load_pct" and s["unit"] == "percent"
               for s in realtime["samples"])
    tables = {snap["table"] for tier in data["tiers"].values() for snap in tier["inventory"]}
    assert {"interfaces", "routes", "arp", "logs", "users"} <= tables


@pytest.mark.slow
def test_text_output_is_readable(routers: dict[str, EmulatorHandle]) -> None:
    done = run_cli(routers["v7"], "--tier", "realtime")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "== realtime (read twice, 1 s apart)" in out
    assert "system.cpu.load_pct" in out
    assert "Mbit/s" in out  # interface rates with units
    assert "== facts" in out
    assert "== short" not in out


def test_wrong_password_exits_5(routers: dict[str, EmulatorHandle]) -> None:
    done = run_cli(routers["v7"], password="wrong-password")
    assert done.returncode == 5
    assert "login refused" in done.stderr
    assert "wrong-password" not in done.stderr + done.stdout


def test_unreachable_exits_4() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the command runs
    done = run_cli(None, port=port)
    assert done.returncode == 4
    assert "not reachable" in done.stderr


@pytest.mark.slow
def test_silent_router_times_out_within_bound() -> None:
    with running_emulators(count=1, profile="v7") as (router,):
        router.set_fault(blackhole=True)
        started = time.monotonic()
        done = run_cli(router, "--timeout", "1", timeout=30)
        elapsed = time.monotonic() - started
    assert done.returncode == 4, done.stderr
    assert elapsed < 10


def test_password_never_accepted_as_argument(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "collect-once", "--host", "127.0.0.1", "--username",
         "admin", "--password", "secret"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "not accepted on the command line" in done.stderr


def test_missing_password_without_terminal_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "collect-once", "--host", "127.0.0.1", "--username",
         "admin"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "no password given" in done.stderr


@pytest.mark.parametrize(("value", "unit", "text"), [
    (2_000_000.0, "bits/s", "2 Mbit/s"),
    (512.0, "bits/s", "512 bit/s"),
    (1073741824.0, "bytes", "1 GiB"),
    (864_000_000.0, "hertz", "864 MHz"),
    (7.0, "percent", "7 %"),
    (273906.0, "seconds", "3d 4h 5m"),
    (42.0, "celsius", "42 °C"),
    (3.0, "count", "3"),
])
def test_value_formatting(value: float, unit: str, text: str) -> None:
    """The command prints values with the pages' formatter (one formatter in Python)."""
    assert collect_once.unit_value is formatting.unit_value
    assert formatting.unit_value(value, unit) == text


def test_output_promotes_units_at_the_rounding_edge() -> None:
    """999 999 bit/s and 1 048 575 bytes round up to the next unit, as on the pages:
    never ``1000 kbit/s`` or ``1024 KiB``."""
    ts = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    result = CollectResult(samples=[
        Sample("iface.rx_bps", 999_999.0, ts, (("interface", "ether1"),)),
        Sample("iface.tx_bps", 999.999, ts, (("interface", "ether1"),)),
        Sample("system.memory.free_bytes", 1_048_575.0, ts),
        Sample("system.disk.free_bytes", 1023.99, ts),
    ])
    text = collect_once.render(collect_once.Poll("r1", tiers={Tier.REALTIME: result}))
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert lines["system.memory.free_bytes"] == ["1", "MiB"], text
    assert lines["system.disk.free_bytes"] == ["1", "KiB"], text
    assert lines["ether1"] == ["1", "Mbit/s", "1", "kbit/s"], text
    assert "1000" not in text, text
    assert "1024" not in text, text


def test_unreadable_values_are_listed_text_and_json() -> None:
    """A value the router sent that cannot be read is shown with its raw text."""
    result = CollectResult(bad_values=[BadValue("/system/resource", "cpu-load", "n/a",
                                                "not a RouterOS percent: 'n/a'")])
    poll = collect_once.Poll(device="r1", tiers={Tier.REALTIME: result})
    assert "UNREADABLE /system/resource cpu-load: 'n/a'" in collect_once.render(poll)
    assert collect_once.to_json(poll)["tiers"]["realtime"]["bad_values"] == [
        {"path": "/system/resource", "field": "cpu-load", "raw": "n/a",
         "reason": "not a RouterOS percent: 'n/a'", "row": ""}]


def test_health_state_as_words() -> None:
    from mikromon.cli.collect_once import unit_value

    assert unit_value(0.0, "state") == "fail"
    assert unit_value(1.0, "state") == "ok"
