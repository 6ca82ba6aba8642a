"""``mikromon simulate`` in a subprocess, and the fleet's port layout."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys

import librouteros
import pytest

from mikromon.emulator.fleet import Fleet

MAIN = "from mikromon.cli import main; raise SystemExit(main())"


def simulate(*args: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", MAIN, "simulate", *args],
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def read_endpoints(proc: subprocess.Popen[str], count: int) -> list[dict[str, object]]:
    assert proc.stdout is not None
    return [json.loads(proc.stdout.readline()) for _ in range(count)]


def test_simulate_json_then_sigterm() -> None:
    proc = simulate("--count", "4", "--base-port", "0", "--json", "--profile", "mixed",
                    "--username", "ops", "--password", "pw1")
    try:
        endpoints = read_endpoints(proc, 4)
        assert [e["profile"] for e in endpoints] == ["v6", "v7", "v7-empty", "chr"]
        for e in endpoints:
            assert e["host"] == "127.0.0.1"
            assert (e["username"], e["password"]) == ("ops", "pw1")
            assert e["tls_port"] is None
            assert isinstance(e["port"], int)
            assert e["port"] > 0
        first = endpoints[0]
        api = librouteros.connect(str(first["host"]), "ops", "pw1", port=int(first["port"]))
        try:
            (resource,) = list(api.path("/system/resource"))
        finally:
            api.close()
        assert resource["version"] == f"{first['version']} (long-term)"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert out == ""


def test_simulate_control_on_stdin() -> None:
    proc = simulate("--count", "2", "--base-port", "0", "--json", "--tls",
                    "--tls-mode", "adh", stdin=subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stderr is not None
    try:
        endpoints = read_endpoints(proc, 2)
        assert all(e["tls_mode"] == "adh" and e["tls_port"] for e in endpoints)
        proc.stdin.write("reboot 0\nfault 1 refuse_login=true\nfault 9 delay=1\n")
        proc.stdin.flush()
        answers = [proc.stderr.readline().strip() for _ in range(3)]
        assert answers[:2] == ["ok: reboot 0", "ok: fault 1"]
        assert answers[2].startswith("error: no router '9'")
        api = librouteros.connect("127.0.0.1", "admin", "admin", port=int(endpoints[0]["port"]))
        (resource,) = list(api.path("/system/resource"))
        api.close()
        assert resource["uptime"] in ("0s", "1s", "2s", "3s")
        with pytest.raises(librouteros.exceptions.TrapError):
            librouteros.connect("127.0.0.1", "admin", "admin", port=int(endpoints[1]["port"]))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_simulate_table_output() -> None:
    proc = simulate("--count", "2", "--base-port", "0", "--profile", "chr")
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert lines[0].split()[:4] == ["#", "host", "api", "api-ssl"]
    assert "127.0.0.1" in lines[1]
    assert "admin" in lines[1]
    assert "chr" in lines[1]
    assert proc.returncode == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "192.168.88.1", "::", "example.com"])
def test_simulate_refuses_non_loopback_hosts(host: str) -> None:
    proc = simulate("--host", host, "--base-port", "0")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "loopback" in err
    assert out == ""


def test_simulate_traffic_swing_is_checked_and_applied() -> None:
    proc = simulate("--base-port", "0", "--traffic-swing", "1.5")
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "traffic_swing must be within 0..1" in err
    proc = simulate("--count", "1", "--base-port", "0", "--json", "--traffic-swing", "0.5")
    try:
        (endpoint,) = read_endpoints(proc, 1)
        api = librouteros.connect(str(endpoint["host"]), "admin", "admin",
                                  port=int(endpoint["port"]))
        try:
            assert list(api.path("/system/identity"))
        finally:
            api.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_simulate_reports_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = simulate("--base-port", str(port))
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "cannot start the routers" in err


def test_simulate_names_a_bad_event_loop_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIKROMON_EVENT_LOOP", "trio")
    proc = simulate("--base-port", "0")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "MIKROMON_EVENT_LOOP" in err
    assert "auto, uvloop or asyncio" in err
    assert out == ""


def free_range(size: int) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size > 65535:
            continue
        socks = []
        try:
            for p in range(base, base + size):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


async def test_fleet_port_layout() -> None:
    base = free_range(4)
    fleet = Fleet(2, base_port=base, tls=True)
    await fleet.start()
    try:
        ends = fleet.endpoints()
        assert [(e.port, e.tls_port) for e in ends] == [(base, base + 2), (base + 1, base + 3)]
        _reader, writer = await asyncio.open_connection("127.0.0.1", base + 1)
        writer.close()
        await writer.wait_closed()
    finally:
        await fleet.stop()


def test_fleet_validation() -> None:
    with pytest.raises(ValueError, match="count"):
        Fleet(0)
    with pytest.raises(ValueError, match="do not fit"):
        Fleet(10, base_port=65530)
    with pytest.raises(ValueError, match="loopback"):
        Fleet(1, host="0.0.0.0")
    with pytest.raises(ValueError, match="unknown emulator profile"):
        Fleet(1, profile="v5")
    assert len(Fleet(3, profile="mixed")) == 3  # nothing is bound before start()


def test_simulate_control_health_and_zone() -> None:
    from mikromon.cli.simulate import run_control
    from mikromon.emulator import ManualClock

    fleet = Fleet(2, profile="mixed", clock=ManualClock())
    assert run_control(fleet, "health 1 psu1-state=fail fan1-state=ok") == "ok: health 1"
    v7 = fleet[1].router
    states = {r["name"]: r["value"] for r in (v7.table("/system/health").row(i)
                                              for i in range(len(v7.table("/system/health"))))
              if r.get("type") == ""}
    assert states == {"psu1-state": "fail", "psu2-state": "ok", "fan1-state": "ok"}
    assert run_control(fleet, "health 0 psu1-state=fail") == "ok: health 0"
    assert fleet[0].router.table("/system/health").row(0)["psu1-state"] == "fail"  # v6 key
    assert run_control(fleet, "zone all +03:00 Europe/Moscow") == "ok: zone all"
    clock_row = fleet[0].router.table("/system/clock").row(0)
    assert (clock_row["gmt-offset"], clock_row["time-zone-name"]) == ("+03:00", "Europe/Moscow")
    assert run_control(fleet, "zone 0 soon").startswith("error: ")
    assert run_control(fleet, "health 0 psu1-state").startswith("error: health needs 2")
    assert "health I sensor=state" in run_control(fleet, "help")
