"""The connection's reader wakes its reading task per reply end, not per segment."""

from __future__ import annotations

import asyncio

from mikromon.routeros.stream import WAKE_BYTES, ReplyReader
from mikromon.routeros.wire import encode_sentence


def row(i: int) -> bytes:
    return encode_sentence(["!re", f"=name=ether{i}", ".tag=2"], "utf-8")


DONE = encode_sentence(["!done", ".tag=2"], "utf-8")


async def wakes(segments: list[bytes], *, eof: bool = False) -> tuple[int, bytes]:
    """Feed ``segments`` one at a time to a reader whose task reads until it has
    every byte (64 KiB a read); returns its reads and what it read."""
    reader = ReplyReader()
    total = sum(map(len, segments))
    woken = 0
    got = bytearray()

    async def read() -> None:
        nonlocal woken
        while len(got) < total:
            chunk = await reader.read(65536)
            if not chunk:
                return
            woken += 1
            got.extend(chunk)

    task = asyncio.create_task(read())
    for segment in segments:
        await asyncio.sleep(0)  # the reader waits again (when it was woken)
        reader.feed_data(segment)
    if eof:
        await asyncio.sleep(0)
        reader.feed_eof()
    await asyncio.wait_for(task, 2)
    return woken, bytes(got)


async def test_a_reply_in_many_segments_wakes_for_its_first_and_its_end() -> None:
    segments = [row(i) for i in range(20)] + [DONE]
    woken, got = await wakes(segments)
    assert got == b"".join(segments)
    assert woken == 2


async def test_an_end_split_across_segments_still_wakes() -> None:
    data = b"".join(row(i) for i in range(3)) + DONE
    cut = len(data) - len(DONE) + 3  # inside "!done"
    for segments in ([data[:5], data[5:cut], data[cut:]],
                     [data[:5], data[5:cut], data[cut:cut + 1], data[cut + 1:]]):
        woken, got = await wakes(segments)
        assert got == data
        assert woken <= 3


async def test_the_end_of_the_stream_and_a_full_buffer_wake() -> None:
    # No reply end: only the first segment and the end of the stream wake.
    woken, got = await wakes([row(1), row(2), row(3)], eof=True)
    assert got == row(1) + row(2) + row(3)
    assert woken == 2
    big = row(7) * (WAKE_BYTES // len(row(7)) + 1)
    woken, got = await wakes([row(1), big, row(2)], eof=True)
    # The first; the full buffer (read as 64 KiB and the rest, without waiting);
    # then the last segment, when the stream ends.
    assert woken == 4
    assert got == row(1) + big + row(2)


async def test_every_segment_wakes_a_plain_reader() -> None:
    """What the reader saves (the same test on asyncio's reader)."""
    reader = asyncio.StreamReader()
    segments = [row(i) for i in range(5)] + [DONE]
    woken = 0

    async def read() -> None:
        nonlocal woken
        got = 0
        while got < sum(map(len, segments)):
            got += len(await reader.read(65536))
            woken += 1

    task = asyncio.create_task(read())
    for segment in segments:
        await asyncio.sleep(0)
        reader.feed_data(segment)
    await asyncio.wait_for(task, 2)
    assert woken == len(segments)
