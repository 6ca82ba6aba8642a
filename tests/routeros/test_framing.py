"""SentenceReader: incremental decoding of reply sentences from arbitrary chunks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from routeros_scripted import encode_length, sentence

from mikromon.routeros.framing import MAX_WORD, FramingError, SentenceReader

REPLY_WORDS = st.sampled_from([b"!re", b"!done", b"!trap", b"!empty", b"!fatal"])
WORDS = st.binary(min_size=1, max_size=300)  # crosses the 1/2-byte length boundary at 128
SENTENCES = st.lists(st.tuples(REPLY_WORDS, st.lists(WORDS, max_size=5)), max_size=8)


def drain(reader: SentenceReader) -> list[list[bytes]]:
    out = []
    while (s := reader.next_sentence()) is not None:
        out.append(s)
    return out


@given(SENTENCES, st.lists(st.integers(min_value=1, max_value=50), max_size=200))
def test_any_chunking_gives_the_same_sentences(
    sentences: list[tuple[bytes, list[bytes]]], cuts: list[int]
) -> None:
    stream = b"".join(sentence(reply, *words) for reply, words in sentences)
    reader = SentenceReader()
    got: list[list[bytes]] = []
    pos = 0
    for size in [*cuts, len(stream)]:
        reader.feed(stream[pos:pos + size])
        pos += size
        got.extend(drain(reader))
    assert got == [[reply, *words] for reply, words in sentences]
    assert reader.pending == 0


@pytest.mark.parametrize("length", [0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000])
def test_length_forms(length: int) -> None:
    reader = SentenceReader()
    value = b"=a=" + b"x" * length
    reader.feed(b"\x03!re" + encode_length(len(value)) + value + b"\x00")
    assert reader.next_sentence() == [b"!re", value]


def test_five_byte_length_form_is_accepted() -> None:
    reader = SentenceReader()
    reader.feed(b"\x03!re" + b"\xf0\x00\x00\x00\x04=a=b" + b"\x00")
    assert reader.next_sentence() == [b"!re", b"=a=b"]


def test_empty_sentences_are_skipped() -> None:
    reader = SentenceReader()
    reader.feed(b"\x00\x00" + sentence("!done"))
    assert reader.next_sentence() == [b"!done"]


def test_incomplete_sentence_waits() -> None:
    reader = SentenceReader()
    data = sentence("!re", "=name=ether1")
    reader.feed(data[:-1])
    assert reader.next_sentence() is None
    reader.feed(data[-1:])
    assert reader.next_sentence() == [b"!re", b"=name=ether1"]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\xf8", "control byte"), (b"\xff\x00", "control byte"),
     (b"HTTP/1.1 400 Bad Request\r\n", "reply word of 72 bytes"),
     (b"\x05hello\x00", "not a !word"),
     (b"\x03!re\xef\xff\xff\xff", "word of"),
     (b"\x03!re" + encode_length(MAX_WORD + 1), "word of")],
)
def test_garbage_raises(data: bytes, message: str) -> None:
    reader = SentenceReader()
    reader.feed(data)
    with pytest.raises(FramingError, match=message):
        reader.next_sentence()
