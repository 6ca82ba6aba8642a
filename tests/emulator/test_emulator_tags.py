"""Tagged commands running at once on one connection (shared/ROUTEROS-API.md §4):
every reply sentence carries its command's tag, each reply ends with its own
``!done``, and replies of different tags may interleave."""

from __future__ import annotations

from emu_raw import RawClient

from mikromon.domain.devices import DeviceConfig
from mikromon.emulator import ManualClock
from mikromon.emulator.codec import encode_sentence
from mikromon.routeros.base import PrintRequest
from mikromon.routeros.client import connect


def read_tagged(client: RawClient, tags: set[str]) -> list[list[str]]:
    """Read sentences until every tag of ``tags`` has had its ``!done``."""
    out: list[list[str]] = []
    running = set(tags)
    while running:
        sentence = client.read()
        out.append(sentence)
        tag = next(w[5:] for w in sentence if w.startswith(".tag="))
        assert tag in running, sentence
        if sentence[0] == "!done":
            running.discard(tag)
    return out


def test_big_replies_of_two_tags_interleave_and_end_each(emulators) -> None:
    bras = emulators(1, "isp-bras", clock=ManualClock())[0]
    with RawClient(bras.host, bras.port) as c:
        c.login(bras.username, bras.password)
        # both sentences in one write: the router runs them at once
        c.send_bytes(b"".join(encode_sentence(words) for words in (
                ["/ppp/active/print", "=.proplist=name", ".tag=a"],
                ["/interface/print", "=.proplist=name", ".tag=b"])))
        got = read_tagged(c, {"a", "b"})
        alone_a = c.call("/ppp/active/print", "=.proplist=name")
        alone_b = c.call("/interface/print", "=.proplist=name")
    tags = [next(w[5:] for w in s if w.startswith(".tag=")) for s in got]
    untagged = [[w for w in s if not w.startswith(".tag=")] for s in got]
    rows_a = [s for s, t in zip(untagged, tags, strict=True) if t == "a"]
    rows_b = [s for s, t in zip(untagged, tags, strict=True) if t == "b"]
    assert rows_a == alone_a
    assert rows_b == alone_b
    assert len(alone_a) > 1000
    # interleaved: the second command's sentences start before the first's end
    assert tags.index("b") < len(tags) - 1 - tags[::-1].index("a")


async def test_client_batch_reads_as_the_prints_one_by_one(emulators) -> None:
    v7 = emulators(1, "v7", clock=ManualClock())[0]
    config = DeviceConfig(id=1, name="v7", host=v7.host, port=v7.port, username=v7.username,
                          password=v7.password)
    requests = [PrintRequest("/system/identity", ("name",)),
                PrintRequest("/interface", (".id", "name", "type")),
                PrintRequest("/no/such/menu", ("name",)),
                PrintRequest("/ip/address", ("address", "interface"))]
    client = await connect(config)
    try:
        together = await client.print_many(requests)
        alone = []
        for r in requests:
            try:
                alone.append(await client.print(r.path, r.proplist))
            except Exception as err:
                alone.append(err)
        assert not client.closed
    finally:
        await client.close()
    assert together[0] == alone[0]
    assert together[1] == alone[1]
    assert together[3] == alone[3]
    assert type(together[2]) is type(alone[2])
    assert str(together[2]) == str(alone[2])
