"""SentenceReader: incremental decoding of reply sentences from arbitrary chunks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from routeros_scripted import encode_length, sentence

from mikromon.routeros.framing import (
    MAX_SENTENCE,
    MAX_SENTENCE_WORDS,
    MAX_WORD,
    FramingError,
    SentenceReader,
    SentenceTooLarge,
)

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


@pytest.mark.parametrize("length", [0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF - 3])
def test_length_forms(length: int) -> None:
    reader = SentenceReader()
    value = b"=a=" + b"x" * length
    reader.feed(b"\x03!re" + encode_length(len(value)) + value + b"\x00")
    if len(value) > MAX_WORD:
        with pytest.raises(FramingError, match="word of"):
            reader.next_sentence()
    else:
        assert reader.next_sentence() == [b"!re", value]


def test_four_byte_length_form_is_accepted() -> None:
    reader = SentenceReader()
    reader.feed(b"\x03!re" + b"\xe0\x00\x00\x04=a=b" + b"\x00")
    assert reader.next_sentence() == [b"!re", b"=a=b"]


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


def test_words_are_parsed_once_however_the_sentence_arrives() -> None:
    """An unfinished sentence is resumed, not parsed again on every read: fed one
    small chunk at a time, only the unparsed tail stays buffered (before, every
    call re-read every word of the sentence so far: quadratic time)."""
    reader = SentenceReader()
    words = [b"=w=" + str(i).encode() for i in range(5000)]
    data = sentence("!re", *words)
    got = None
    for start in range(0, len(data), 7):
        reader.feed(data[start:start + 7])
        got = reader.next_sentence()
        assert len(reader._buf) < 64
    assert got == [b"!re", *words]


def test_an_endless_sentence_fails_at_the_sentence_limit() -> None:
    reader = SentenceReader(max_sentence=10_000)
    reader.feed(sentence("!re")[:-1])
    piece = b"".join(encode_length(10) + b"=a=1234567" for _ in range(100))
    for _ in range(9):  # 9,004 bytes so far: under the limit
        reader.feed(piece)
        assert reader.next_sentence() is None
    reader.feed(piece)
    with pytest.raises(SentenceTooLarge) as info:
        reader.next_sentence()
    assert info.value.limit == 10_000
    assert info.value.unit == "bytes"


def test_the_limit_is_checked_from_the_length_prefix() -> None:
    """A word announcing more than the sentence may hold fails before its bytes come."""
    reader = SentenceReader(max_sentence=1000)
    reader.feed(b"\x03!re" + encode_length(5000))
    with pytest.raises(SentenceTooLarge):
        reader.next_sentence()


@pytest.mark.parametrize("length", [100, 127, 200])
def test_the_limit_is_checked_from_a_short_length_prefix_too(length: int) -> None:
    """Words of one- and two-byte lengths alike fail before their bytes come, after
    the words before them and after an empty sentence that counts nothing."""
    reader = SentenceReader(max_sentence=100)
    reader.feed(b"\x00" + b"\x03!re" + encode_length(5) + b"=a=bc" + encode_length(length))
    with pytest.raises(SentenceTooLarge) as info:
        reader.next_sentence()
    assert info.value.size == 4 + 6 + len(encode_length(length)) + length


def test_a_sentence_at_the_limit_is_read_across_chunks() -> None:
    whole = sentence("!re", "=a=bc", "=name=x" * 3)
    reader = SentenceReader(max_sentence=len(whole))
    for cut in (1, 4, 9, len(whole) - 1):
        reader.feed(b"\x00" + whole[:cut])
        assert reader.next_sentence() is None
        reader.feed(whole[cut:])
        assert reader.next_sentence() == [b"!re", b"=a=bc", b"=name=x" * 3]
        assert reader.last_size == len(whole)
    reader = SentenceReader(max_sentence=len(whole) - 2)  # the ending zero byte not counted
    reader.feed(whole)
    with pytest.raises(SentenceTooLarge):
        reader.next_sentence()


def test_max_sentence_cannot_exceed_the_absolute_limit() -> None:
    reader = SentenceReader(max_sentence=10 * MAX_SENTENCE)
    assert reader.max_sentence == MAX_SENTENCE


def test_too_many_words() -> None:
    reader = SentenceReader()
    reader.feed(sentence("!re", *([b"x"] * (MAX_SENTENCE_WORDS + 1))))
    with pytest.raises(SentenceTooLarge, match="words"):
        reader.next_sentence()


def test_sizes_are_reported() -> None:
    reader = SentenceReader()
    one = sentence("!re", "=name=ether1")
    reader.feed(b"\x00" + one + sentence("!done"))
    assert reader.next_sentence() == [b"!re", b"=name=ether1"]
    assert reader.last_size == len(one)
    assert reader.next_sentence() == [b"!done"]
    assert reader.consumed == len(one) + len(sentence("!done"))
