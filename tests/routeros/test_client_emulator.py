"""LibRouterOSClient against the RouterOS emulator: logins, faults, v6/v7 shapes, TLS."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mikromon.domain.devices import DeviceConfig, TlsVerify
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandTimeout,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
    PathAbsent,
    TlsSetupFailed,
)
from mikromon.emulator import tls as emulator_tls
from mikromon.emulator.profiles import CHR, V6, V7
from mikromon.emulator.testing import async_emulators, running_emulators
from mikromon.routeros.client import LibRouterOSClient, connect
from mikromon.routeros.tls import tls_failure

PASSWORD = "Emul-s3cret-Ω"


def device(router: Any, *, tls: bool = False, **changes: object) -> DeviceConfig:
    values: dict[str, object] = {
        "id": 7, "name": "emu-7", "host": router.host,
        "port": router.tls_port if tls else router.port, "username": router.username,
        "password": router.password, "use_ssl": tls, "connect_timeout": 3.0,
        "command_timeout": 2.0,
    }
    values.update(changes)
    return DeviceConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(params=[True, False], ids=["buffered", "stock"])
def buffered(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
async def v7() -> AsyncIterator[Any]:
    async with async_emulators(1, profile="v7", password=PASSWORD) as routers:
        yield routers[0]


async def test_plain_login_and_verbatim_rows(v7: Any, buffered: bool) -> None:
    client = await connect(device(v7), buffered=buffered)
    try:
        rows = await client.print("/interface", ["name", "type", "mtu", "running", "rx-byte"])
        resource = await client.print("/system/resource", ["uptime", "version", "cpu-load"])
    finally:
        await client.close()
    names = [row["name"] for row in rows]
    assert names[:2] == ["ether1", "ether2"]
    assert all(isinstance(v, str) for row in rows for v in row.values())
    ether1 = rows[0]
    assert ether1["running"] in ("true", "false")  # not a Python bool
    assert ether1["mtu"].isdigit()
    assert ether1["rx-byte"].isdigit()
    assert set(ether1) <= {"name", "type", "mtu", "running", "rx-byte"}
    assert resource[0]["version"].startswith("7.16.2")


async def test_md5_login_on_router_older_than_6_43(buffered: bool) -> None:
    old = V6.replace(name="v6-old", version="6.42.1")
    async with async_emulators(1, profile=old, password=PASSWORD) as routers:
        client = await connect(device(routers[0]), buffered=buffered)
        try:
            [row] = await client.print("/system/resource", ["version"])
        finally:
            await client.close()
    assert row["version"].startswith("6.42.1")


async def test_md5_login_with_wrong_password_fails() -> None:
    old = V6.replace(name="v6-old", version="6.40.5")
    async with async_emulators(1, profile=old, password=PASSWORD) as routers:
        with pytest.raises(AuthenticationFailed):
            await connect(device(routers[0], password="nope"))


async def test_wrong_password_is_authentication_failed(
    v7: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-Секрет"
    with pytest.raises(AuthenticationFailed, match="emu-7") as info:
        await connect(device(v7, password=wrong))
    texts = [str(info.value), repr(info.value), *(r.getMessage() for r in caplog.records)]
    for text in texts:
        assert wrong not in text
        assert PASSWORD not in text


async def test_refused_login_fault(v7: Any) -> None:
    v7.set_fault(refuse_login=True)
    with pytest.raises(AuthenticationFailed, match="invalid user name or password"):
        await connect(device(v7))


async def test_blackhole_router_times_out_connect_and_commands(v7: Any, buffered: bool) -> None:
    client = await connect(device(v7, command_timeout=0.4), buffered=buffered)
    v7.set_fault(blackhole=True)
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match=r"0\.4 s"):
        await client.print("/interface", ["name"])
    assert time.monotonic() - started < 1.2
    await client.close()
    started = time.monotonic()
    with pytest.raises(DeviceUnreachable, match=r"0\.4 s"):
        await connect(device(v7, connect_timeout=0.4))
    assert time.monotonic() - started < 1.2


async def test_a_shorter_limit_on_the_same_connection_closes_it_for_all(v7: Any) -> None:
    """A tier with tiny replies uses a short limit on the shared connection; when
    it expires the connection is unusable for every client on it."""
    client = await connect(device(v7, command_timeout=5.0))
    quick = client.with_timeout(0.3)
    assert (quick.command_timeout, client.command_timeout) == (0.3, 5.0)
    assert (await quick.print("/system/identity", ["name"]))[0]["name"]
    v7.set_fault(blackhole=True)
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match=r"within 0\.3 s") as info:
        await quick.print("/interface", ["name"])
    assert time.monotonic() - started < 1.0
    assert info.value.waited_s == 0.3
    assert client.closed
    assert quick.closed
    with pytest.raises(ConnectionLost):
        await client.print("/interface", ["name"])
    await client.close()
    with pytest.raises(ValueError):
        client.with_timeout(0)


async def test_the_limit_counts_from_sending_not_from_waiting_for_the_lock(v7: Any) -> None:
    """A command waiting for another one on the connection is not timed meanwhile.

    Every reply comes 1 s late: the quick command waits 1 s for the lock and 1 s for
    its own reply, 2 s in all, more than its 1.5 s limit (so a limit counted from
    the wait would expire), while its own reply has 0.5 s of slack for a busy machine."""
    client = await connect(device(v7, command_timeout=5.0))
    quick = client.with_timeout(1.5)
    v7.set_fault(delay=1.0)
    slow = asyncio.create_task(client.print("/interface", ["name"]))
    await asyncio.sleep(0)  # the slow command takes the lock first
    rows = await quick.print("/system/identity", ["name"])  # 1 s waiting + 1 s reply
    assert rows
    assert (await slow)
    assert not client.closed
    await client.close()


async def test_slow_router_is_command_timeout(v7: Any) -> None:
    client = await connect(device(v7, command_timeout=0.3))
    v7.set_fault(delay=2.0)
    with pytest.raises(CommandTimeout):
        await client.print("/system/resource", ["uptime"])
    assert client.closed


async def test_trickled_reply_is_bounded_as_a_whole(v7: Any, buffered: bool) -> None:
    client = await connect(device(v7, command_timeout=0.5), buffered=buffered)
    v7.set_fault(trickle=200.0)  # bytes/s: the interface table takes seconds
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        await client.print("/interface", ["name", "type", "mtu", "rx-byte", "tx-byte"])
    assert time.monotonic() - started < 1.5


async def test_drop_mid_reply_is_connection_lost(v7: Any, buffered: bool) -> None:
    client = await connect(device(v7), buffered=buffered)
    v7.set_fault(drop_mid_sentence=True)
    with pytest.raises(ConnectionLost, match="emu-7"):
        await client.print("/interface", ["name"])
    with pytest.raises(ConnectionLost):
        await client.print("/interface", ["name"])


async def test_garbage_is_malformed_reply(v7: Any, buffered: bool) -> None:
    client = await connect(device(v7), buffered=buffered)
    v7.set_fault(garbage=True)
    with pytest.raises(MalformedReply, match="/interface/print"):
        await client.print("/interface", ["name"])
    assert client.closed


async def test_missing_packages_are_path_absent_and_session_survives() -> None:
    async with async_emulators(1, profile=CHR, password=PASSWORD) as routers:
        client = await connect(device(routers[0]))
        try:
            for path in ("/ip/hotspot/active", "/interface/wireless/registration-table",
                         "/routing/bgp/peer"):
                with pytest.raises(PathAbsent, match=path):
                    await client.print(path, ["name"])
            assert await client.print("/system/identity", ["name"])
        finally:
            await client.close()


async def test_count_only(v7: Any) -> None:
    client = await connect(device(v7))
    try:
        connections = await client.count("/ip/firewall/connection")
        ethers = await client.count("/interface", ["?type=ether"])
    finally:
        await client.close()
    assert connections > 1000  # profile: about 4187, churning
    assert ethers == V7.ethernet


@pytest.mark.parametrize(("profile", "version"), [("v7-empty", "7.18"), ("v7", "7.16")])
async def test_no_rows_with_and_without_empty(profile: str, version: str, buffered: bool) -> None:
    async with async_emulators(1, profile=profile, password=PASSWORD) as routers:
        client = await connect(device(routers[0]), buffered=buffered)
        try:
            assert await client.print("/interface", ["name"], ["?name=no-such-port"]) == []
            assert await client.count("/interface", ["?name=no-such-port"]) == 0
            assert (await client.print("/system/resource", ["version"]))[0]["version"].startswith(
                version)
        finally:
            await client.close()


async def test_monitor_traffic_once(v7: Any) -> None:
    client = await connect(device(v7))
    try:
        rows = await client.call("/interface/monitor-traffic",
                                 {"interface": "ether1,ether2", "once": ""})
    finally:
        await client.close()
    assert [row["name"] for row in rows] == ["ether1", "ether2"]
    assert float(rows[0]["rx-bits-per-second"]) == pytest.approx(
        v7.rates["ether1"].rx_bps, rel=0.2)


async def test_tls_no_verify_with_certificate(buffered: bool) -> None:
    async with async_emulators(1, profile="v7", tls=True, tls_mode="cert",
                               password=PASSWORD) as routers:
        client = await connect(device(routers[0], tls=True, tls_verify=TlsVerify.NO_VERIFY),
                               buffered=buffered)
        try:
            assert await client.print("/system/identity", ["name"])
        finally:
            await client.close()


async def test_tls_verify_rejects_unknown_ca_then_accepts_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with async_emulators(1, profile="v7", tls=True, tls_mode="cert",
                               password=PASSWORD) as routers:
        router = routers[0]
        before = router.session_count
        with pytest.raises(TlsSetupFailed, match="certificate rejected") as info:
            await connect(device(router, tls=True))
        assert info.value.cause == "certificate-rejected"
        assert "no-verify" in str(info.value)  # names the setting that fixes it
        assert not isinstance(info.value, DeviceUnreachable)  # not "router down"
        assert router.session_count == before  # nothing left open, no plaintext retry
        ca = tmp_path / "emulator-ca.pem"
        ca.write_bytes(emulator_tls.certificate()[0])
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        client = await connect(device(router, tls=True, tls_verify=TlsVerify.VERIFY))
        assert await client.print("/system/identity", ["name"])
        await client.close()


async def test_tls_anonymous_dh(buffered: bool) -> None:
    async with async_emulators(1, profile="v7", tls=True, tls_mode="adh",
                               password=PASSWORD) as routers:
        router = routers[0]
        client = await connect(device(router, tls=True, tls_verify=TlsVerify.ANONYMOUS_DH),
                               buffered=buffered)
        try:
            assert await client.print("/system/identity", ["name"])
        finally:
            await client.close()
        for mode in (TlsVerify.NO_VERIFY, TlsVerify.VERIFY):
            with pytest.raises(TlsSetupFailed, match="no certificate") as info:
                await connect(device(router, tls=True, tls_verify=mode))
            assert info.value.cause == "no-certificate"
            assert "anonymous-dh" in str(info.value)  # names the setting that fixes it
            assert not isinstance(info.value, DeviceUnreachable)


async def test_tls_anonymous_dh_against_a_router_with_a_certificate() -> None:
    async with async_emulators(1, profile="v7", tls=True, tls_mode="cert",
                               password=PASSWORD) as routers:
        with pytest.raises(TlsSetupFailed, match="has a certificate") as info:
            await connect(device(routers[0], tls=True, tls_verify=TlsVerify.ANONYMOUS_DH))
    assert info.value.cause == "certificate-present"
    assert "verify or no-verify" in str(info.value)


async def test_tls_hostname_mismatch_is_named() -> None:
    """A trusted certificate that does not name the host: the error says so."""
    async with async_emulators(1, profile="v7", tls=True, tls_mode="cert",
                               password=PASSWORD) as routers:
        router = routers[0]
        context = emulator_tls.client_context("cert", verify=True)
        with pytest.raises(ssl.SSLCertVerificationError) as raised:
            await asyncio.open_connection(router.host, router.tls_port, ssl=context,
                                          server_hostname="router.invalid")
    err = tls_failure(raised.value, TlsVerify.VERIFY, "emu-7")
    assert isinstance(err, TlsSetupFailed)
    assert "Hostname mismatch" in str(err)
    assert "no-verify" in str(err)


async def test_no_password_anywhere_across_failures(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with async_emulators(1, profile="v6", password=PASSWORD) as routers:
        router = routers[0]
        client = await connect(device(router, command_timeout=0.3))
        seen.append(repr(client))
        await client.close()
        for fault in ({"delay": 1.0}, {"garbage": True}, {"drop_mid_sentence": True}):
            router.clear_faults()
            client = await connect(device(router, command_timeout=0.3))
            router.set_fault(**fault)
            try:
                await client.print("/interface", ["name"])
            except DeviceError as err:
                seen.extend((str(err), repr(err), repr(err.__cause__)))
            await client.close()
        router.clear_faults()
        try:
            await connect(device(router, password=PASSWORD + "x"))
        except DeviceError as err:
            seen.extend((str(err), repr(err)))
    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(str(record.args) for record in caplog.records)
    assert len(seen) >= 8
    for text in seen:
        assert PASSWORD not in text


async def test_background_fleet_from_async_client() -> None:
    """The sync helper (emulators in a background thread) serves an async client too."""
    with running_emulators(2, profile="mixed", password=PASSWORD) as routers:
        for router in routers:
            client = await connect(device(router))
            try:
                assert isinstance(client, LibRouterOSClient)
                [row] = await client.print("/system/resource", ["version"])
                assert row["version"].startswith(router.version)
            finally:
                await client.close()
