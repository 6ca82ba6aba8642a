"""The helpers other test suites use: running_emulators (background thread) and
async_emulators (current loop), with the clock, reboot, rates and passwords."""

from __future__ import annotations

import socket
import threading

import librouteros
import pytest
from librouteros.exceptions import TrapError

from mikromon.emulator import ManualClock
from mikromon.emulator.profiles import V6
from mikromon.emulator.testing import EmulatorHandle, async_emulators, running_emulators


def read(r: EmulatorHandle, path: str) -> list[dict[str, object]]:
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        return list(api.path(path))
    finally:
        api.close()


def test_handles_describe_the_routers() -> None:
    with running_emulators(3, profile="mixed", tls=True, tls_mode="adh") as routers:
        assert [r.profile.name for r in routers] == ["v6", "v7", "v7-empty"]
        assert len({r.port for r in routers} | {r.tls_port for r in routers}) == 6
        for r in routers:
            assert r.host == "127.0.0.1"
            assert r.tls_mode == "adh"
            assert (r.username, r.password) == ("admin", "admin")
            assert r.version == r.profile.version
            assert "ether1" in r.rates
        ports = [r.port for r in routers]
    for port in ports:  # stopped on exit
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_bit_rates_from_counters_match_the_configured_rates() -> None:
    clock = ManualClock()
    with running_emulators(1, profile=V6, clock=clock) as (r,):
        before = {row["name"]: row for row in read(r, "/interface")}
        clock.advance(60)
        after = {row["name"]: row for row in read(r, "/interface")}
        for name, rate in r.rates.items():
            rx = (after[name]["rx-byte"] - before[name]["rx-byte"]) * 8 / 60
            assert rx == pytest.approx(rate.rx_bps, abs=0.2)
            tx = (after[name]["tx-byte"] - before[name]["tx-byte"]) * 8 / 60
            assert tx == pytest.approx(rate.tx_bps, abs=0.2)


def test_reboot_through_the_handle() -> None:
    clock = ManualClock()
    with running_emulators(1, clock=clock) as (r,):
        assert read(r, "/system/resource")[0]["uptime"] == "3d4h5m6s"
        r.reboot()
        assert r.uptime() == 0.0
        (resource,) = read(r, "/system/resource")
        assert resource["uptime"] == "0s"
        assert all(row["rx-byte"] == 0 for row in read(r, "/interface"))
        clock.advance(61)
        assert read(r, "/system/resource")[0]["uptime"] == "1m1s"


def test_set_password_and_session_count() -> None:
    with running_emulators(1) as (r,):
        api = librouteros.connect(r.host, r.username, r.password, port=r.port)
        assert r.session_count == 1
        r.set_password("n3w")
        assert r.password == "n3w"
        assert list(api.path("/system/identity"))  # open sessions stay logged in
        api.close()
        with pytest.raises(TrapError):
            librouteros.connect(r.host, "admin", "admin", port=r.port)
        librouteros.connect(r.host, "admin", "n3w", port=r.port).close()


def test_faults_from_many_threads() -> None:
    with running_emulators(2) as routers:
        errors: list[BaseException] = []

        def flip(handle: EmulatorHandle) -> None:
            try:
                for i in range(50):
                    handle.set_fault(delay=i / 1000, refuse_login=bool(i % 2))
                handle.clear_faults()
            except BaseException as err:  # pragma: no cover - reported below
                errors.append(err)

        threads = [threading.Thread(target=flip, args=(r,)) for r in routers for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for r in routers:
            assert r.emulator.faults.active() == {}
            assert read(r, "/system/identity")


def test_bad_options_fail_before_starting() -> None:
    with pytest.raises(ValueError, match="unknown emulator profile"), \
            running_emulators(1, profile="nope"):
        pass  # pragma: no cover


def test_fixture(emulator: EmulatorHandle) -> None:
    assert emulator.profile.name == "v7"
    assert read(emulator, "/system/identity") == [{"name": "rtr-0001"}]


async def test_async_emulators() -> None:
    async with async_emulators(2, profile="v7-empty", password="pw") as routers:
        for r in routers:
            api = await librouteros.async_connect(r.host, r.username, "pw", port=r.port)
            try:
                rows = [row async for row in api.path("/system/resource")]
                assert rows[0]["version"] == "7.18.2 (stable)"
                r.reboot()
                rows = [row async for row in api.path("/system/resource")]
                assert rows[0]["uptime"] in ("0s", "1s")
            finally:
                await api.close()
