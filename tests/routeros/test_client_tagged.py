"""Several prints at once (``print_many``): tagged sentences written together,
replies demultiplexed by tag (shared/ROUTEROS-API.md §4), against a scripted router."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from routeros_scripted import DONE, scripted, sentence
from test_client_scripted import buffered, config  # noqa: F401  (fixture)

from mikromon.domain.errors import (
    CommandFailed,
    CommandTimeout,
    ConnectionLost,
    MalformedReply,
    PathAbsent,
    ReplyTooLarge,
)
from mikromon.routeros.base import PrintRequest, ReplyLimit, Row, print_all
from mikromon.routeros.client import connect

REQUESTS = (
    PrintRequest("/system/resource", ("uptime", "cpu-load")),
    PrintRequest("/system/health", ("name", "value")),
    PrintRequest("/interface", (".id", "name", "rx-byte")),
)


def tag_of(words: list[str]) -> str:
    return next(w[5:] for w in words if w.startswith(".tag="))


def tagged(tag: str, kind: str, **attrs: str) -> bytes:
    """A reply sentence with its tag first, then ``=key=value`` words."""
    return sentence(kind, f".tag={tag}", *(f"={k.replace('_', '-')}={v}"
                                            for k, v in attrs.items()))


def held_until_last(reply: dict[str, list[bytes]], order: Sequence[tuple[str, int]]):
    """A handler that answers nothing until the last command of the batch has
    come, then every reply's sentences interleaved as ``order`` says:
    ``(path, index of its sentence)``."""
    tags: dict[str, str] = {}

    def handler(words: list[str]) -> bytes:
        path = words[0].removesuffix("/print")
        tags[path] = tag_of(words)
        if len(tags) < len(reply):
            return b""
        return b"".join(reply[path](tags[path])[i] for path, i in order)  # type: ignore[operator]

    return handler


def resource(tag: str) -> list[bytes]:
    return [tagged(tag, "!re", uptime="1h", cpu_load="7"), tagged(tag, "!done")]


def health(tag: str) -> list[bytes]:
    return [tagged(tag, "!re", name="temperature", value="41"),
            tagged(tag, "!re", name="voltage", value="24.1"), tagged(tag, "!done")]


def interface(tag: str) -> list[bytes]:
    return [tagged(tag, "!re", **{".id": "*1"}, name="ether1", rx_byte="5"),
            tagged(tag, "!re", **{".id": "*2"}, name="ether2", rx_byte="6"),
            tagged(tag, "!done")]


REPLIES = {"/system/resource": resource, "/system/health": health, "/interface": interface}


async def test_prints_are_written_at_once_and_read_interleaved(buffered: bool) -> None:  # noqa: F811
    # The last command's first row comes first, the first command's !done last.
    order = [("/interface", 0), ("/system/health", 0), ("/system/resource", 0),
             ("/interface", 1), ("/system/health", 1), ("/interface", 2),
             ("/system/health", 2), ("/system/resource", 1)]
    async with scripted(held_until_last(REPLIES, order)) as router:  # type: ignore[arg-type]
        client = await connect(config(router.port), buffered=buffered)
        got = await client.print_many(REQUESTS)
        assert not client.closed
        # the session goes on: the same batch again
        assert await client.print_many(REQUESTS) == got
        await client.close()
    assert got == [
        [{"uptime": "1h", "cpu-load": "7"}],
        [{"name": "temperature", "value": "41"}, {"name": "voltage", "value": "24.1"}],
        [{".id": "*1", "name": "ether1", "rx-byte": "5"},
         {".id": "*2", "name": "ether2", "rx-byte": "6"}],
    ]
    sent = router.received[1:4]
    assert sent[0] == ["/system/resource/print", "=.proplist=uptime,cpu-load", ".tag=0"]
    assert [tag_of(words) for words in sent] == ["0", "1", "2"]


async def test_trap_fails_its_command_only() -> None:
    def handler(words: list[str]) -> bytes:
        tag = tag_of(words)
        if words[0] == "/system/health/print":
            return tagged(tag, "!trap", category="0",
                          message="no such command or directory (health)") + tagged(tag, "!done")
        if words[0] == "/interface/print":
            return (tagged(tag, "!trap", category="1", message="busy")
                    + tagged(tag, "!trap", message="again") + tagged(tag, "!done"))
        return b"".join(resource(tag))

    async with scripted(handler) as router:
        client = await connect(config(router.port))
        got = await client.print_many(REQUESTS)
        assert not client.closed
        await client.close()
    assert got[0] == [{"uptime": "1h", "cpu-load": "7"}]
    assert isinstance(got[1], PathAbsent)
    assert got[1].command == "/system/health/print"
    # the same text and category as a single print's trap
    assert isinstance(got[2], CommandFailed)
    assert got[2].command == "/interface/print"
    assert got[2].message == "busy (argument value failure); again"
    assert got[2].category == 1


async def test_empty_is_no_rows_per_command() -> None:
    def handler(words: list[str]) -> bytes:
        tag = tag_of(words)
        if words[0] == "/system/health/print":
            return tagged(tag, "!empty") + tagged(tag, "!done")
        return b"".join(REPLIES[words[0].removesuffix("/print")](tag))

    async with scripted(handler) as router:
        client = await connect(config(router.port))
        got = await client.print_many(REQUESTS)
        await client.close()
    assert got[1] == []
    assert len(got[2]) == 2


@pytest.mark.parametrize(("bad", "match"), [
    (sentence("!re", "=name=x"), r"!re sentence with no \.tag"),
    (sentence("!done"), r"!done sentence with no \.tag"),
    (tagged("7", "!re", name="x"), r"unknown tag '7'"),
    # a tag whose reply is over: no command of that tag runs any more
    (tagged("0", "!done"), r"unknown tag '0'"),
], ids=["row-untagged", "done-untagged", "unknown", "finished"])
async def test_untagged_or_unknown_tag_is_malformed(
    buffered: bool, bad: bytes, match: str,  # noqa: F811
) -> None:
    def handler(words: list[str]) -> bytes:
        tag = tag_of(words)
        if tag == "1":
            return bad + b"".join(health(tag))
        return b"".join(REPLIES[words[0].removesuffix("/print")](tag))

    async with scripted(handler) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(MalformedReply, match=match) as info:
            await client.print_many(REQUESTS)
        # named: the first print not answered when the bad sentence came
        assert info.value.command == "/system/health/print"
        assert client.closed  # the stream can no longer be trusted
        with pytest.raises(ConnectionLost):
            await client.print_many(REQUESTS)


async def test_each_command_keeps_its_reply_limit(buffered: bool) -> None:  # noqa: F811
    """Two rows are past the interface print's own limit of one, though the
    other prints' limits are larger."""
    requests = [REQUESTS[0], PrintRequest("/interface", ("name",), limit=ReplyLimit(1, 65536))]

    def handler(words: list[str]) -> bytes:
        return b"".join(REPLIES[words[0].removesuffix("/print")](tag_of(words)))

    async with scripted(handler) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(ReplyTooLarge, match="more than its limit of 1 rows") as info:
            await client.print_many(requests)
        assert info.value.command == "/interface/print"
        assert client.closed


async def test_byte_limit_per_command(buffered: bool) -> None:  # noqa: F811
    big = "x" * 3000
    requests = [PrintRequest("/system/resource", ("uptime",), limit=ReplyLimit(10, 2048)),
                PrintRequest("/interface", ("name",))]

    def handler(words: list[str]) -> bytes:
        tag = tag_of(words)
        if words[0] == "/system/resource/print":
            return tagged(tag, "!re", uptime=big) + tagged(tag, "!done")
        return tagged(tag, "!re", name=big) + tagged(tag, "!done")

    async with scripted(handler) as router:
        client = await connect(config(router.port), buffered=buffered)
        with pytest.raises(ReplyTooLarge, match="2048 bytes"):
            await client.print_many(requests)
        assert client.closed


async def test_one_command_unanswered_times_out_the_batch() -> None:
    def handler(words: list[str]) -> bytes:
        tag = tag_of(words)
        if words[0] == "/interface/print":
            return b""  # never answered
        return b"".join(REPLIES[words[0].removesuffix("/print")](tag))

    async with scripted(handler) as router:
        client = await connect(config(router.port, command_timeout=0.3))
        with pytest.raises(CommandTimeout, match=r"within 0\.3 s") as info:
            await client.print_many(REQUESTS)
        assert info.value.command == "/interface/print"  # the one not answered
        assert client.closed


async def test_a_single_request_is_sent_untagged() -> None:
    async with scripted(lambda words: sentence("!re", "=uptime=1h") + DONE) as router:
        client = await connect(config(router.port))
        assert await client.print_many(REQUESTS[:1]) == [[{"uptime": "1h"}]]
        await client.close()
    assert router.received[-1] == ["/system/resource/print", "=.proplist=uptime,cpu-load"]


async def test_requests_without_proplist_are_refused() -> None:
    async with scripted(lambda words: DONE) as router:
        client = await connect(config(router.port))
        with pytest.raises(ValueError, match="needs a proplist"):
            await client.print_many([REQUESTS[0], PrintRequest("/interface", ())])
        await client.close()


class OneByOne:
    """A client that runs prints only one at a time (no ``print_many``)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[Row]:
        self.asked.append(path)
        if path == "/system/health":
            raise PathAbsent("not on this router", command=f"{path}/print")
        if path == "/interface":
            raise CommandFailed("busy", command=f"{path}/print")
        return [{"uptime": "1h"}]


async def test_print_all_runs_one_after_another_on_other_clients() -> None:
    client = OneByOne()
    got = await print_all(client, REQUESTS)  # type: ignore[arg-type]
    assert client.asked == ["/system/resource", "/system/health", "/interface"]
    assert got[0] == [{"uptime": "1h"}]
    assert isinstance(got[1], PathAbsent)
    assert isinstance(got[2], CommandFailed)


async def test_print_all_pipelines_on_the_real_client() -> None:
    def handler(words: list[str]) -> bytes:
        return b"".join(REPLIES[words[0].removesuffix("/print")](tag_of(words)))

    async with scripted(handler) as router:
        client = await connect(config(router.port))
        got = await print_all(client, REQUESTS)
        await client.close()
    assert [len(rows) for rows in got] == [1, 2, 2]  # type: ignore[arg-type]
    assert all(".tag=" in words[-1] for words in router.received[1:])
