"""One router, one reply, one value never harms the rest: bounded replies, typed
errors for odd numbers, and fairness of the event loop against endless replies.

Endless replies come from the emulator's ``endless_rows`` and ``endless_sentence``
faults (real protocol over loopback); exact odd replies from the scripted server.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Any

import pytest
from routeros_scripted import DONE, Account, re, scripted, sentence
from test_client_emulator import device
from test_client_scripted import config

from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandFailed,
    ConnectionLost,
    MalformedReply,
    ReplyTooLarge,
)
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.base import DEFAULT_REPLY_LIMIT, ReplyLimit
from mikromon.routeros.client import COUNT_REPLY_LIMIT, connect
from mikromon.routeros.reply import small_int, trap_text


@pytest.fixture(params=[True, False], ids=["buffered", "stock"])
def buffered(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


# --- numbers from the router ------------------------------------------------------------

ODD_NUMBERS = ["²", "٣", "１２", "9" * 5000, "12a", "", " 7", "-1", "0x10", "+3"]


@pytest.mark.parametrize("text", ODD_NUMBERS)
def test_small_int_never_raises(text: str) -> None:
    assert small_int(text) is None


def test_small_int_reads_ascii_digits() -> None:
    assert small_int("0") == 0
    assert small_int("18446744073709551615") == 2**64 - 1


@pytest.mark.parametrize("ret", ODD_NUMBERS)
async def test_count_with_odd_ret_is_malformed_reply(ret: str, buffered: bool) -> None:
    """``=ret=²`` passed ``isdigit()`` and then raised ValueError out of the client."""
    async with scripted(lambda words: sentence("!done", f"=ret={ret}")) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(MalformedReply, match="count-only reply has no count") as info:
            await client.count("/ip/firewall/connection")
        assert len(str(info.value)) < 300  # 5000 digits are not echoed back
        await client.close()


@pytest.mark.parametrize("category", ODD_NUMBERS)
async def test_trap_with_odd_category_is_command_failed(category: str) -> None:
    reply = sentence("!trap", f"=category={category}", "=message=busy") + DONE
    async with scripted(lambda words: reply) as router:
        client = await connect(config(router.port))
        with pytest.raises(CommandFailed, match="busy") as info:
            await client.call("/interface/monitor-traffic", {"interface": "x", "once": ""})
        assert info.value.category is None
        assert len(str(info.value)) < 300
        await client.close()


@pytest.mark.parametrize("category", ["²", "9" * 5000])
async def test_login_trap_with_odd_category_is_authentication_failed(category: str) -> None:
    class OddAccount(Account):
        def login(self, words: list[str]) -> bytes:
            return sentence("!trap", f"=category={category}", "=message=denied") + DONE

    async with scripted(lambda words: DONE, OddAccount()) as router:
        with pytest.raises(AuthenticationFailed, match="denied"):
            await connect(config(router.port))


def test_trap_text_keeps_odd_categories_short() -> None:
    assert trap_text([{"message": "m", "category": "²"}]) == "m (category '²')"
    assert len(trap_text([{"message": "m", "category": "7" * 5000}])) < 60


# --- bounded replies (scripted: exact limits) ---------------------------------------------


async def test_rows_past_the_limit_raise_reply_too_large(buffered: bool) -> None:
    rows = b"".join(re(name=f"r{i}") for i in range(11))
    async with scripted(lambda words: rows + DONE) as router:
        client = await connect(config(router.port), buffered=buffered)
        assert len(await client.print("/ip/arp", ["name"], limit=ReplyLimit(11, 10_000))) == 11
        with pytest.raises(ReplyTooLarge) as info:
            await client.print("/ip/arp", ["name"], limit=ReplyLimit(10, 10_000))
    err = info.value
    assert isinstance(err, MalformedReply)  # the session is dropped like for garbage
    assert (err.path, err.limit, err.unit) == ("/ip/arp/print", 10, "rows")
    assert "/ip/arp/print" in str(err)
    assert "10 rows" in str(err)
    assert client.closed


async def test_bytes_past_the_limit_raise_reply_too_large(buffered: bool) -> None:
    row = re(comment="x" * 500)
    async with scripted(lambda words: row * 4 + DONE) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(ReplyTooLarge, match="1500 bytes") as info:
            await client.print("/queue/simple", ["comment"], limit=ReplyLimit(100, 1500))
    assert (info.value.unit, info.value.limit) == ("bytes", 1500)
    assert client.closed


async def test_count_only_reply_is_bounded(buffered: bool) -> None:
    rows = b"".join(re(name=f"r{i}") for i in range(COUNT_REPLY_LIMIT.rows + 1))
    async with scripted(lambda words: rows + sentence("!done", "=ret=3")) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(ReplyTooLarge, match="rows"):
            await client.count("/ip/firewall/connection")


async def test_login_reply_is_bounded() -> None:
    class Chatty(Account):
        def login(self, words: list[str]) -> bytes:
            return b"".join(re(x="y") for _ in range(100)) + DONE

    async with scripted(lambda words: DONE, Chatty()) as router:
        with pytest.raises(ReplyTooLarge, match="/login"):
            await connect(config(router.port))


def test_reply_limit_rules() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        ReplyLimit(0, 10)
    assert ReplyLimit.for_rows(10).bytes == 64 * 1024
    assert ReplyLimit.for_rows(100_000, 512) == ReplyLimit(100_000, 51_200_000)
    assert DEFAULT_REPLY_LIMIT.rows >= 10_000


# --- endless replies from the emulator ------------------------------------------------------


@pytest.fixture
async def pair() -> Any:
    async with async_emulators(2, profile="v7") as routers:
        yield routers


@pytest.mark.parametrize("fault", ["endless_rows", "endless_sentence"])
async def test_endless_reply_fails_typed_and_bounded(pair: Any, fault: str,
                                                     buffered: bool) -> None:
    """The reply never ends: the client gives up at the limit (not the timeout),
    holds no more than about the limit in memory, and closes the connection."""
    bad, _ = pair
    client = await connect(device(bad, command_timeout=30.0), buffered=buffered)
    bad.set_fault(**{fault: True})
    limit = ReplyLimit(rows=2_000, bytes=512 * 1024)
    tracemalloc.start()
    try:
        started = time.monotonic()
        with pytest.raises(ReplyTooLarge) as info:
            await client.print("/interface", ["name"], limit=limit)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.path == "/interface/print"
    assert str(info.value.limit) in str(info.value)
    assert elapsed < 25  # failed by the limit, not by the 30 s command timeout
    assert peak < 8 * limit.bytes
    assert client.closed
    with pytest.raises(ConnectionLost):
        await client.print("/interface", ["name"])


async def test_endless_reply_does_not_starve_a_healthy_router(pair: Any) -> None:
    """Polls of a healthy router on the same loop keep their pace while another
    router keeps sending sentences that never end (the reader used to re-parse the
    unfinished sentence on every read and block the loop for seconds)."""
    bad, good = pair
    bad.set_fault(endless_sentence=True)
    healthy = await connect(device(good))
    gaps: list[float] = []
    failures: list[ReplyTooLarge] = []
    end = time.monotonic() + 1.5

    async def poll() -> None:
        last = time.monotonic()
        while time.monotonic() < end:
            await healthy.print("/system/resource", ["uptime"])
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def hammer() -> None:
        while time.monotonic() < end:
            broken = await connect(device(bad, command_timeout=60.0))
            try:
                await broken.print("/interface", ["name"])
            except ReplyTooLarge as err:
                failures.append(err)
            await broken.close()

    await asyncio.wait_for(asyncio.gather(poll(), hammer()), timeout=30)
    await healthy.close()
    assert failures  # every endless sentence ended in a typed error
    assert len(gaps) > 10
    assert max(gaps) < 1.0  # generous: before the fix the stalls grew to seconds
