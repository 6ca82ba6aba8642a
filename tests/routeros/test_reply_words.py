"""RawApi's reading of a sentence's words (bytes straight from the framing)
against the reference it replaced (each word decoded as latin-1, re-decoded in
the device's codepage when not ASCII, split with ``split("=", 2)``): the same
attributes, or the same error, for any words in any codepage."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.routeros.reply import MalformedSentence, RawApi
from mikromon.routeros.values.text import decode_text

ENCODINGS = ("utf-8", "cp1251", "latin-1", "ascii")


def reference(words: list[bytes], encoding: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for text in (w.decode("latin-1") for w in words[1:]):
        word = text
        if word.startswith("="):
            if not word.isascii():
                word = decode_text(word.encode("latin-1"), encoding)
            parts = word.split("=", 2)
            if len(parts) != 3:
                raise MalformedSentence(f"attribute word without value: {word[:40]!r}")
            attributes[parts[1]] = parts[2]
        elif not word.startswith("."):
            raise MalformedSentence(f"unexpected word {word[:40]!r}")
    return attributes


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except MalformedSentence as err:
        return "error", str(err)


def api(encoding: str) -> RawApi:
    raw = RawApi.__new__(RawApi)  # no protocol needed to read words
    raw.encoding = encoding
    return raw


WORD = st.one_of(
    st.binary(min_size=1, max_size=30),
    st.builds(lambda name, value: b"=" + name + b"=" + value,
              st.binary(max_size=8), st.binary(max_size=12)),
    st.builds(lambda text: ("=comment=" + text).encode("utf-8"), st.text(max_size=10)),
    st.builds(lambda text: ("=comment=" + text).encode("cp1251", "replace"), st.text(max_size=10)),
    st.sampled_from([b"=", b"==", b"=a", b"=a=", b"==b", b"=a==b", b".tag=7", b".", b"x=1",
                     b"=name=\xff\xfe", b"=\xd0\xb9=\xd0\xb9"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORD, max_size=6), st.sampled_from(ENCODINGS))
def test_attributes_as_the_reference(words: list[bytes], encoding: str) -> None:
    sentence = [b"!re", *words]
    assert outcome(lambda: api(encoding)._attributes(sentence)) == outcome(
        lambda: reference(sentence, encoding))


@pytest.mark.parametrize(("word", "want"), [
    (b"=name=ether1", {"name": "ether1"}),
    (b"=comment=a=b=c", {"comment": "a=b=c"}),
    (b"==empty-name", {"": "empty-name"}),
    ("=comment=Привет".encode(), {"comment": "Привет"}),
    ("=comment=Привет".encode("cp1251"), {"comment": "Привет"}),
])
def test_attribute_words(word: bytes, want: dict[str, str]) -> None:
    assert api("cp1251")._attributes([b"!re", word]) == want


def test_word_without_value_is_malformed() -> None:
    with pytest.raises(MalformedSentence, match="without value"):
        api("utf-8")._attributes([b"!re", b"=name"])


#: ASCII words as a router sends them, and the ones that must fall back to
#: reading word by word: a NUL inside a word, no ``=value``, a stray word.
ASCII_WORD = st.one_of(
    st.builds(lambda name, value: f"={name}={value}".encode("ascii"),
              st.text("ab-.=\x00", max_size=4), st.text("0123=\x00.", max_size=6)),
    st.sampled_from([b".tag=3", b".", b"=", b"=a", b"==", b"x", b"=a=\x00", b"\x00.tag=1",
                     b".tag=\x00=a=b", b"=a=b\x00=c=d"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ASCII_WORD, max_size=12))
def test_ascii_sentences_as_the_reference(words: list[bytes]) -> None:
    """The whole-sentence reading of ASCII words (tags before, between and after
    the attributes; NULs and ``=`` where they may confuse a split) gives what
    reading word by word gives."""
    sentence = [b"!re", *words]
    assert outcome(lambda: api("utf-8")._attributes(sentence)) == outcome(
        lambda: reference(sentence, "utf-8"))


def test_a_row_with_tags_around_it() -> None:
    sentence = [b"!re", b".tag=2", b"=.id=*1", b"=name=ether1", b"=rx-byte=205164277",
                b"=comment=a=b", b".tag=2"]
    assert api("utf-8")._attributes(sentence) == {
        ".id": "*1", "name": "ether1", "rx-byte": "205164277", "comment": "a=b"}
