"""Comments in a Windows codepage through the real client: a router whose comments
are cp1251 bytes, read by a device configured with ``encoding="cp1251"``, and a
router with UTF-8 comments, which stay intact whatever codepage the device names
(shared/ROUTEROS-API.md §7 "Text encoding")."""

from __future__ import annotations

import asyncio

import pytest

from mikromon.domain.devices import DeviceConfig
from mikromon.emulator.codec import decode_sentences, encode_length, encode_sentence
from mikromon.emulator.interfaces import LOCAL_COMMENTS
from mikromon.emulator.profiles import V6, V7
from mikromon.emulator.server import RouterEmulator
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.client import connect


def config(router: RouterEmulator, encoding: str) -> DeviceConfig:
    return DeviceConfig(id=1, name="cyrillic", host=router.host, port=router.port,
                        username=router.username, password=router.password,
                        encoding=encoding, connect_timeout=5.0, command_timeout=5.0)


def expected_comments(router: RouterEmulator, path: str, key: str) -> dict[str, str]:
    """What the router holds: its comments decoded from the profile's codepage."""
    encoding = router.profile.comment_encoding or "ascii"
    table = router.router.table(path)
    out = {}
    for i in range(len(table)):
        comment = table.get(i, "comment")
        if comment is not None:
            raw = comment.encode("utf-8", "surrogateescape")
            out[str(table.get(i, key))] = raw.decode(encoding)
    return out


@pytest.mark.parametrize("profile", [V7, V6], ids=["v7", "v6"])
async def test_cp1251_comments_decode_with_the_device_encoding(profile) -> None:
    chosen = profile.replace(name="cyrillic", comment_encoding="cp1251")
    async with async_emulators(1, profile=chosen) as (router,):
        client = await connect(config(router, "cp1251"))
        try:
            interfaces = await client.print("/interface", ("name", "comment"))
            leases = await client.print("/ip/dhcp-server/lease", ("address", "comment"))
            # query words go out in the device's codepage and match the stored bytes
            matched = await client.print("/interface", ("name",), ("?comment=Склад №2",))
        finally:
            await client.close()
    got = {row["name"]: row["comment"] for row in interfaces if "comment" in row}
    assert got == expected_comments(router, "/interface", "name")
    assert got["ether1"] == "WAN"
    assert got["ether2"] == "Склад №2"
    assert set(got.values()) - {"WAN"} <= set(LOCAL_COMMENTS)
    lease_comments = {row["address"]: row["comment"] for row in leases if "comment" in row}
    assert lease_comments == expected_comments(router, "/ip/dhcp-server/lease", "address")
    assert set(lease_comments.values()) & set(LOCAL_COMMENTS)
    assert {row["name"] for row in matched} == {
        name for name, text in got.items() if text == "Склад №2"}


@pytest.mark.parametrize("device_encoding", ["cp1251", "utf-8"])
async def test_utf8_router_comments_stay_intact(device_encoding: str) -> None:
    chosen = V7.replace(name="utf8", comment_encoding="utf-8")
    async with async_emulators(1, profile=chosen) as (router,):
        client = await connect(config(router, device_encoding))
        try:
            interfaces = await client.print("/interface", ("name", "comment"))
        finally:
            await client.close()
    got = {row["name"]: row["comment"] for row in interfaces if "comment" in row}
    assert got == expected_comments(router, "/interface", "name")
    assert got["ether2"] == "Склад №2"
    assert got["ether1"] == "WAN"


async def test_comment_word_length_is_the_codepage_byte_count() -> None:
    chosen = V7.replace(name="cyrillic", comment_encoding="cp1251")
    async with async_emulators(1, profile=chosen) as (router,):
        raw = await _raw_print(router, "/interface/print", "=.proplist=comment",
                               "?name=ether2")
    text = "Склад №2".encode("cp1251")
    word = b"=comment=" + text
    assert encode_length(len(word)) + word in raw
    sentences, rest = decode_sentences(raw)
    assert rest == b""
    assert sentences[-1] == ["!done"]


async def _raw_print(router: RouterEmulator, *words: str) -> bytes:
    """Log in, send one command over a plain connection (127.0.0.1) and return the
    bytes of its reply, up to and including its ``!done``."""
    reader, writer = await asyncio.open_connection(router.host, router.port)
    try:
        writer.write(encode_sentence(["/login", f"=name={router.username}",
                                      f"=password={router.password}"]))
        writer.write(encode_sentence(words))
        await writer.drain()
        data = b""
        while data.count(b"\x05!done") < 2:
            chunk = await asyncio.wait_for(reader.read(65536), 5.0)
            if not chunk:
                break
            data += chunk
        return data[data.index(b"\x05!done") + 7:]
    finally:
        writer.close()
