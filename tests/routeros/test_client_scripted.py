"""LibRouterOSClient against a scripted loopback server: exact replies, edge cases."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from routeros_scripted import (
    CLOSE,
    DONE,
    Account,
    attrs,
    re,
    scripted,
    sentence,
    trap,
    word,
)

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandFailed,
    CommandTimeout,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
    PathAbsent,
)
from mikromon.routeros.client import LibRouterOSClient, connect

PASSWORD = "s3cr3t-Pässwörd"


def config(port: int, **changes: object) -> DeviceConfig:
    values: dict[str, object] = {
        "id": 1, "name": "edge-1", "host": "127.0.0.1", "port": port, "username": "admin",
        "password": PASSWORD, "connect_timeout": 2.0, "command_timeout": 1.0,
    }
    values.update(changes)
    return DeviceConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(params=[True, False], ids=["buffered", "stock"])
def buffered(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def interfaces(words: list[str]) -> bytes:
    return (
        re(name="ether1", mtu="1500", running="true", disabled="false", comment="", id_="007")
        + sentence("!re")
        + DONE
    )


async def test_print_returns_rows_verbatim(buffered: bool) -> None:
    async with scripted(interfaces) as router:
        client = await connect(config(router.port), buffered=buffered)
        rows = await client.print("/interface", ["name", "mtu"], query=["type=ether", "?#|"],
                                  args={"stats": ""})
        await client.close()
    assert rows == [
        {"name": "ether1", "mtu": "1500", "running": "true", "disabled": "false",
         "comment": "", "id-": "007"},
        {},
    ]
    assert all(type(v) is str for v in rows[0].values())
    command = router.received[-1]
    assert command == ["/interface/print", "=.proplist=name,mtu", "=stats=", "?type=ether", "?#|"]


async def test_plain_login_sends_name_and_password_once(buffered: bool) -> None:
    async with scripted(interfaces) as router:
        client = await connect(config(router.port), buffered=buffered)
        await client.close()
    assert router.commands() == ["/login"]
    assert attrs(router.received[0]) == {"name": "admin", "password": PASSWORD}


async def test_md5_challenge_login_for_old_router(buffered: bool) -> None:
    account = Account(password="", challenge="856780b7411eefd3abadee2058c149a3")
    async with scripted(interfaces, account) as router:
        client = await connect(config(router.port, password=""), buffered=buffered)
        assert await client.print("/interface", ["name"])
        await client.close()
    first, second = router.received[0], router.received[1]
    assert attrs(first) == {"name": "admin", "password": ""}  # never a bare /login probe
    # The response in the API documentation's example for this challenge.
    assert attrs(second) == {"name": "admin", "response": "005062f7a5ef124d34675bf3e81f56c556"}


async def test_md5_challenge_login_refused() -> None:
    account = Account(password="other", challenge="00112233445566778899aabbccddeeff")
    async with scripted(interfaces, account) as router:
        with pytest.raises(AuthenticationFailed, match="cannot log in"):
            await connect(config(router.port))


async def test_wrong_password_is_authentication_failed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with scripted(interfaces, Account(password="right")) as router:
        with pytest.raises(AuthenticationFailed) as info:
            await connect(config(router.port))
    err = info.value
    assert "invalid user name or password" in str(err)
    assert "edge-1" in str(err)
    assert err.command == "/login"
    for text in (str(err), repr(err), *(r.getMessage() for r in caplog.records)):
        assert PASSWORD not in text


async def test_refused_port_is_unreachable() -> None:
    async with scripted(interfaces) as router:
        port = router.port
    with pytest.raises(DeviceUnreachable, match="edge-1") as info:
        await connect(config(port))
    assert type(info.value) is DeviceUnreachable


async def test_silent_router_connect_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept, read, never answer
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    with pytest.raises(DeviceUnreachable, match=r"within 0.3 s") as info:
        await connect(config(port, connect_timeout=0.3))
    assert time.monotonic() - started < 1.5
    assert type(info.value) is DeviceUnreachable
    server.close()
    await server.wait_closed()


async def test_command_timeout_within_bound_then_connection_closed(buffered: bool) -> None:
    async def never(words: list[str]) -> bytes:
        return b""  # the router never answers this command

    async with scripted(never) as router:
        client = await connect(config(router.port, command_timeout=0.3), buffered=buffered)
        started = time.monotonic()
        with pytest.raises(CommandTimeout, match=r"within 0.3 s") as info:
            await client.print("/interface", ["name"])
        assert time.monotonic() - started < 1.0
        assert info.value.command == "/interface/print"
        assert client.closed
        with pytest.raises(ConnectionLost, match="connect again"):
            await client.print("/interface", ["name"])


async def test_slow_trickle_is_bounded_as_a_whole(buffered: bool) -> None:
    """A reply that keeps arriving but never completes still times out on time."""

    async def trickle(words: list[str]) -> bytes:
        for _ in range(20):
            await asyncio.sleep(0.05)
        return DONE

    async with scripted(trickle) as router:
        client = await connect(config(router.port, command_timeout=0.3), buffered=buffered)
        with pytest.raises(CommandTimeout):
            await client.print("/interface", ["name"])


async def test_drop_mid_reply_is_connection_lost(buffered: bool) -> None:
    def drop(words: list[str]) -> list[object]:
        return [re(name="ether1"), word("!re"), word("=name=eth"), CLOSE]

    async with scripted(drop) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(ConnectionLost, match="closed") as info:
            await client.print("/interface", ["name"])
    assert "edge-1" in str(info.value)


@pytest.mark.parametrize(
    "garbage",
    [b"HTTP/1.1 400 Bad Request\r\n\r\n", b"\xf8\x00", sentence("!hello"),
     sentence("!re", "name=ether1") + DONE, sentence("!re", "=noequals") + DONE],
    ids=["http", "control-byte", "unknown-reply", "bare-word", "attribute-without-value"],
)
async def test_garbage_is_malformed_reply(buffered: bool, garbage: bytes) -> None:
    # Both readers check the reply word's length prefix before reading the word:
    # "H" (0x48) announces a 72-byte reply word, which no RouterOS reply has.
    async with scripted(lambda words: garbage) as router:
        client = await connect(config(router.port, command_timeout=0.3), buffered=buffered)
        with pytest.raises(MalformedReply) as info:
            await client.print("/interface", ["name"])
    assert info.value.command == "/interface/print"
    assert client.closed


async def test_garbage_instead_of_login_is_malformed() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        await reader.read()

    server = await asyncio.start_server(http, "127.0.0.1", 0)
    with pytest.raises(MalformedReply, match="/login"):
        await connect(config(server.sockets[0].getsockname()[1]))
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize(
    "reply",
    [
        trap("no such command prefix") + DONE,
        sentence("!trap", "=category=0", "=message=no such command or directory (hotspot)")
        + trap("no such command prefix") + DONE,
        trap("unknown thing", category=0) + DONE,
    ],
    ids=["prefix", "two-traps", "category-0"],
)
async def test_missing_path_is_path_absent_and_connection_survives(reply: bytes) -> None:
    def handler(words: list[str]) -> bytes:
        return reply if words[0].startswith("/ip/hotspot") else interfaces(words)

    async with scripted(handler) as router:
        client = await connect(config(router.port))
        with pytest.raises(PathAbsent) as info:
            await client.print("/ip/hotspot/active", ["user"])
        assert info.value.command == "/ip/hotspot/active/print"
        assert not client.closed
        assert (await client.print("/interface", ["name"]))[0]["name"] == "ether1"
        await client.close()


async def test_other_trap_is_command_failed_with_category() -> None:
    reply = trap("input does not match any value of interface", category=1) + DONE
    async with scripted(lambda words: reply) as router:
        client = await connect(config(router.port))
        with pytest.raises(CommandFailed, match="does not match") as info:
            await client.call("/interface/monitor-traffic", {"interface": "nope", "once": ""})
        assert info.value.category == 1
        # The category's number means nothing to an operator: its meaning (§3) is shown.
        assert info.value.message == (
            "input does not match any value of interface (argument value failure)")
        assert router.received[-1] == ["/interface/monitor-traffic", "=interface=nope", "=once="]
        await client.close()


async def test_count_only_reads_ret_from_done(buffered: bool) -> None:
    async with scripted(lambda words: sentence("!done", "=ret=123")) as router:
        client = await connect(config(router.port), buffered=buffered)
        assert await client.count("/ip/firewall/connection", ["?protocol=tcp"]) == 123
        await client.close()
    assert router.received[-1] == ["/ip/firewall/connection/print", "=count-only=",
                                   "?protocol=tcp"]


async def test_count_with_empty_reply_is_zero_and_missing_ret_is_malformed() -> None:
    replies = iter([sentence("!empty") + DONE, DONE, sentence("!done", "=ret=x")])
    async with scripted(lambda words: next(replies)) as router:
        client = await connect(config(router.port))
        assert await client.count("/ppp/active") == 0
        with pytest.raises(MalformedReply, match="count"):
            await client.count("/ppp/active")
        with pytest.raises(MalformedReply, match="count"):
            await client.count("/ppp/active")


async def test_empty_reply_is_no_rows(buffered: bool) -> None:
    tagged_empty = sentence("!empty", ".tag=5") + DONE
    replies = iter([sentence("!empty") + DONE, tagged_empty, DONE])
    async with scripted(lambda words: next(replies)) as router:
        client = await connect(config(router.port), buffered=buffered)
        for _ in range(3):
            assert await client.print("/ip/route", [".id"], ["?comment=test"]) == []
        await client.close()


async def test_empty_sentence_skipped_by_both_readers(buffered: bool) -> None:
    """The protocol ignores empty sentences (both readers parse prefixes themselves)."""
    async with scripted(lambda words: b"\x00" + re(name="x") + DONE) as router:
        client = await connect(config(router.port), buffered=buffered)
        assert await client.print("/interface", ["name"]) == [{"name": "x"}]
        await client.close()


async def test_fatal_is_connection_lost(buffered: bool) -> None:
    async with scripted(lambda w: [sentence("!fatal", "session terminated on request"),
                                   CLOSE]) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(ConnectionLost, match="session terminated"):
            await client.call("/quit")
        assert client.closed


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
async def test_non_utf8_comment_decoded_with_device_codepage(
    buffered: bool, encoding: str
) -> None:
    comment = "Офис, 2-й этаж"
    raw = comment.encode("cp1251")

    def handler(words: list[str]) -> bytes:
        return sentence("!re", b"=comment=" + raw, "=name=ether1") + DONE

    async with scripted(handler) as router:
        client = await connect(config(router.port, encoding=encoding), buffered=buffered)
        rows = await client.print("/interface", ["comment"])
        await client.close()
    if encoding == "cp1251":
        assert rows == [{"comment": comment, "name": "ether1"}]
    else:  # wrong codepage configured: still readable text, never an error
        assert rows[0]["name"] == "ether1"
        assert rows[0]["comment"].isprintable()


async def test_utf8_text_kept_on_cp1251_device() -> None:
    def handler(words: list[str]) -> bytes:
        return re(comment="Zürich 北京") + DONE

    async with scripted(handler) as router:
        client = await connect(config(router.port, encoding="cp1251"))
        assert await client.print("/interface", ["comment"]) == [{"comment": "Zürich 北京"}]
        await client.close()


async def test_query_text_sent_in_device_codepage() -> None:
    async with scripted(lambda words: DONE) as router:
        client = await connect(config(router.port, encoding="cp1251"))
        await client.print("/interface", ["name"], ["?comment=Офис"])
        await client.close()
    # The scripted server decodes as UTF-8 with surrogateescape: cp1251 bytes show as escapes.
    sent = router.received[-1][-1].encode("utf-8", "surrogateescape")
    assert sent == "?comment=Офис".encode("cp1251")


async def test_commands_are_serialized_on_one_connection() -> None:
    first_arrived = asyncio.Event()
    release = asyncio.Event()
    order: list[str] = []

    async def handler(words: list[str]) -> bytes:
        order.append(words[0])
        if words[0] == "/interface/print":
            first_arrived.set()
            await release.wait()
        return re(n=words[0]) + DONE

    async with scripted(handler) as router:
        client = await connect(config(router.port, command_timeout=5.0))
        one = asyncio.create_task(client.print("/interface", ["name"]))
        await first_arrived.wait()
        two = asyncio.create_task(client.print("/ip/address", ["address"]))
        await asyncio.sleep(0)  # give task two every chance to send early
        await asyncio.sleep(0)
        assert order == ["/interface/print"]  # the second command has not been sent
        release.set()
        assert (await one) == [{"n": "/interface/print"}]
        assert (await two) == [{"n": "/ip/address/print"}]
        await client.close()
    assert router.connections == 1


async def test_cancelled_command_closes_connection() -> None:
    started = asyncio.Event()

    async def slow(words: list[str]) -> bytes:
        started.set()
        await asyncio.sleep(10)
        return DONE

    async with scripted(slow) as router:
        client = await connect(config(router.port, command_timeout=5.0))
        task = asyncio.create_task(client.print("/interface", ["name"]))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.closed


async def test_no_password_in_errors_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    async def handler(words: list[str]) -> list[object]:
        return [trap("no such command prefix") + DONE] if words[0] == "/a/print" else [
            re(name="x"), CLOSE]

    async with scripted(handler) as router:
        client = await connect(config(router.port))
        seen.append(repr(client))
        for call in (client.print("/a", ["x"]), client.print("/b", ["x"]),
                     client.print("/c", ["x"])):
            try:
                await call
            except DeviceError as err:
                seen.extend((str(err), repr(err), repr(err.__cause__)))
    seen.append(repr(config(1)))
    seen.extend(record.getMessage() for record in caplog.records)
    assert len(seen) > 5
    for text in seen:
        assert PASSWORD not in text
        assert "Pässwörd" not in text


async def test_print_requires_proplist() -> None:
    async with scripted(interfaces) as router:
        client = await connect(config(router.port))
        with pytest.raises(ValueError, match="proplist"):
            await client.print("/interface", [])
        await client.close()


async def test_repr_and_close_twice() -> None:
    async with scripted(interfaces) as router:
        client = await connect(config(router.port))
        assert isinstance(client, LibRouterOSClient)
        assert "edge-1" in repr(client)
        assert "open" in repr(client)
        await client.close()
        await client.close()
        assert "closed" in repr(client)


class _SilentRefusal(Account):
    """A router that refuses the login with a trap that carries no message."""

    def login(self, words: list[str]) -> bytes:
        return sentence("!trap") + DONE


@pytest.mark.parametrize(
    ("account", "reason"),
    [(Account(password="right"), "invalid user name or password"),
     (Account(password="other", challenge="00112233445566778899aabbccddeeff"),
      "cannot log in"),
     (_SilentRefusal(), "the router gave no reason")],
    ids=["plain", "md5-challenge", "no-message"],
)
async def test_refused_login_message_is_the_routers_reason_only(
    account: Account, reason: str
) -> None:
    """Whoever reports the refusal says "login refused" (the error's type says it
    too): the message itself is the router's reason, so the words appear once in
    the log line, the event, collect-once and device show."""
    async with scripted(interfaces, account) as router:
        with pytest.raises(AuthenticationFailed) as info:
            await connect(config(router.port))
    err = info.value
    assert err.message == reason
    assert str(err) == f"{reason} (device edge-1, command /login)"
    assert "login refused" not in str(err)


async def test_no_error_message_names_the_device_itself(buffered: bool) -> None:
    """DeviceError renders "(device X, command Y)" after the message: a message
    that named the device as well would name it twice."""
    errors: list[DeviceError] = []

    def handler(words: list[str]) -> list[object]:
        if words[0] == "/trap/print":
            return [trap("failure: busy", category=1) + DONE]
        if words[0] == "/absent/print":
            return [trap("no such command prefix") + DONE]
        if words[0] == "/count/print":
            return [sentence("!done", "=ret=many")]
        return [re(name="x"), CLOSE]

    async with scripted(handler) as router:
        client = await connect(config(router.port), buffered=buffered)
        for call in (client.print("/trap", ["x"]), client.print("/absent", ["x"]),
                     client.count("/count"), client.print("/drop", ["x"]),
                     client.print("/after", ["x"])):
            with pytest.raises(DeviceError) as info:
                await call
            errors.append(info.value)
    with pytest.raises(DeviceError) as refused:
        await connect(config(router.port))  # the server is gone
    errors.append(refused.value)
    assert [type(e) for e in errors] == [
        CommandFailed, PathAbsent, MalformedReply, ConnectionLost, ConnectionLost,
        DeviceUnreachable]
    for err in errors:
        assert "edge-1" not in err.message, err.message
        assert str(err).count("edge-1") == 1, str(err)


@pytest.mark.parametrize(
    ("traps", "message"),
    [([("failure: busy (13)", 4)], "failure: busy (general failure)"),
     ([("interrupted", 2)], "interrupted (command interrupted)"),
     ([("something odd (6)", None)], "something odd"),
     ([("bad value (7)", 9)], "bad value (category 9)"),
     ([("no such item (name)", 1), ("second", None)],
      "no such item (name) (argument value failure); second")],
    ids=["code-and-category", "category", "code-only", "unknown-category", "two-traps"],
)
async def test_trap_texts_drop_the_routers_internal_code(
    traps: list[tuple[str, int | None]], message: str
) -> None:
    """A trap message's trailing "(N)" is an undocumented internal number of
    RouterOS (it is not the trap category: the login trap has no category word);
    it is dropped, and a category is shown by what it means."""
    reply = b"".join(trap(m, category=c) for m, c in traps) + DONE
    async with scripted(lambda words: reply) as router:
        client = await connect(config(router.port))
        with pytest.raises(CommandFailed) as info:
            await client.call("/system/reboot")
        assert info.value.message == message
        await client.close()
