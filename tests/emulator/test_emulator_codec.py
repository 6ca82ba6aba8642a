"""Word-length encoding at every boundary, round trips, and agreement with librouteros."""

from __future__ import annotations

import asyncio

import librouteros.protocol as lr
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikromon.emulator.codec import (
    CodecError,
    decode_length,
    decode_sentences,
    encode_length,
    encode_sentence,
    encode_word,
    length_size,
    read_sentence,
)

BOUNDARIES = [
    (0, b"\x00"),
    (0x7F, b"\x7f"),
    (0x80, b"\x80\x80"),
    (0x3FFF, b"\xbf\xff"),
    (0x4000, b"\xc0\x40\x00"),
    (0x1FFFFF, b"\xdf\xff\xff"),
    (0x200000, b"\xe0\x20\x00\x00"),
    (0xFFFFFFF, b"\xef\xff\xff\xff"),
]


@pytest.mark.parametrize(("length", "encoded"), BOUNDARIES, ids=[hex(b[0]) for b in BOUNDARIES])
def test_boundaries_encode_and_decode(length: int, encoded: bytes) -> None:
    assert encode_length(length) == encoded
    assert length_size(encoded[0]) == len(encoded)
    assert decode_length(encoded) == length


def test_five_byte_form_is_decoded_but_never_encoded() -> None:
    assert decode_length(b"\xf0\x10\x00\x00\x00") == 0x10000000
    assert decode_length(b"\xf0\xff\xff\xff\xff") == 0xFFFFFFFF
    # A non-minimal 5-byte prefix for a small length is still valid framing.
    assert decode_length(b"\xf0\x00\x00\x00\x05") == 5
    with pytest.raises(CodecError):
        encode_length(0x10000000)


@pytest.mark.parametrize("first", [0xF8, 0xF9, 0xFE, 0xFF])
def test_control_bytes_are_refused(first: int) -> None:
    with pytest.raises(CodecError, match="control byte"):
        length_size(first)


def test_wrong_prefix_size_is_refused() -> None:
    with pytest.raises(CodecError):
        decode_length(b"\x80")
    with pytest.raises(CodecError):
        decode_length(b"")
    with pytest.raises(CodecError):
        encode_length(-1)


@given(st.integers(min_value=0, max_value=0xFFFFFFF))
def test_length_round_trip(length: int) -> None:
    encoded = encode_length(length)
    assert len(encoded) == length_size(encoded[0])
    assert decode_length(encoded) == length


@given(st.integers(min_value=0, max_value=0xFFFFFFF))
def test_matches_librouteros_encoder(length: int) -> None:
    assert encode_length(length) == lr.encode_length(length)
    assert lr.decode_length(encode_length(length)) == length


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_five_byte_decoding_round_trip(length: int) -> None:
    assert decode_length(b"\xf0" + length.to_bytes(4, "big")) == length


@given(st.lists(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=5),
                max_size=5))
def test_sentences_round_trip(sentences: list[list[str]]) -> None:
    data = b"".join(encode_sentence(s) for s in sentences)
    decoded, rest = decode_sentences(data)
    assert decoded == sentences
    assert rest == b""


def test_sentence_matches_librouteros_and_splits_tail() -> None:
    words = ["/interface/print", "=.proplist=name,type", "?type=ether", ".tag=7"]
    data = encode_sentence(words)
    assert data == lr.encode_sentence(*words, encoding="utf-8")
    decoded, rest = decode_sentences(data + data[:5])
    assert decoded == [words]
    assert rest == data[:5]


def test_long_words_use_longer_prefixes() -> None:
    word = "x" * 0x4000
    assert encode_word(word)[:3] == b"\xc0\x40\x00"
    assert decode_sentences(encode_sentence([word]))[0] == [[word]]


async def test_stream_reader_accepts_five_byte_prefix_and_skips_empty_sentences() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"\x00")  # an empty sentence is ignored
    reader.feed_data(b"\xf0\x00\x00\x00\x06/login" + encode_word("=name=a") + b"\x00")
    reader.feed_eof()
    assert await read_sentence(reader) == ["/login", "=name=a"]
    with pytest.raises(asyncio.IncompleteReadError):
        await read_sentence(reader)


async def test_stream_reader_enforces_word_limit() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(encode_word("y" * 200))
    with pytest.raises(CodecError, match="exceeds"):
        await read_sentence(reader, max_length=100)
