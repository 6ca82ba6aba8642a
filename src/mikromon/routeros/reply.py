"""One command's reply: reading sentences up to ``!done`` within a
:class:`~mikromon.routeros.base.ReplyLimit`, and the text of its ``!trap``.

:class:`RawApi` is librouteros's ``AsyncApi`` that keeps every word as text
(librouteros's ``parse_word`` would turn ``"true"`` into ``True``), keeps the
``!done`` attributes (``=ret=`` of ``count-only``) and counts rows and bytes
against the reply's limit. :func:`trap_text` and :func:`small_int` turn router
text into the operator's text and numbers without ever raising.

Source: shared/ROUTEROS-API.md §3 (reply words, traps and their categories).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from librouteros.api import AsyncApi

from mikromon.routeros.base import DEFAULT_REPLY_LIMIT, ReplyLimit, Row
from mikromon.routeros.framing import MAX_SENTENCE, MAX_SENTENCE_WORDS, SentenceTooLarge
from mikromon.routeros.values.text import decode_text
from mikromon.routeros.wire import StockProtocol

__all__ = [
    "TRAP_CATEGORIES", "Command", "MalformedSentence", "OverLimit", "RawApi", "Reply", "small_int",
    "trap_text",
]

#: What a ``!trap``'s ``=category=`` means (shared/ROUTEROS-API.md §3, from the
#: RouterOS API manual), in words shown after the router's message.
TRAP_CATEGORIES: Final[Mapping[int, str]] = {
    0: "missing item or command",
    1: "argument value failure",
    2: "command interrupted",
    3: "scripting failure",
    4: "general failure",
    5: "API failure",
    6: "TTY failure",
    7: "value returned by :return",
}
#: A number in brackets at the end of a trap message (``invalid user name or
#: password (6)``): an internal code of RouterOS that no manual explains (it is not
#: the category: that trap has no ``=category=``), so it is not shown.
_INTERNAL_CODE: Final = re.compile(r"\s*\(\d+\)$", re.ASCII)
#: The reply of a ``count-only`` print: one ``!done`` (a trap at most), no rows.
#: Digits a number from the router may have (2**64 has 20).
_MAX_DIGITS: Final = 20


def small_int(text: str) -> int | None:
    """Return ``text`` as a non-negative int when it is 1-20 ASCII digits, else ``None``.

    Router text such as ``=ret=`` of ``count-only`` or a trap's ``=category=``
    goes through here: ``str.isdigit()`` accepts ``"²"`` and ``"٣"`` and
    strings of any length, which ``int()`` then rejects with ``ValueError``
    (or takes long to convert); this never raises.
    """
    if 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None



def trap_text(traps: Sequence[Mapping[str, str]]) -> str:
    """Return the operator's text of one reply's ``!trap`` sentences.

    Each trap's ``=message=`` without a trailing internal code (``(6)``, see
    :data:`_INTERNAL_CODE`), followed by what its ``=category=`` means in brackets
    (:data:`TRAP_CATEGORIES`; ``category N`` for an unknown number); traps are
    joined with ``"; "``. ``""`` when no trap says anything.

    Example: ``=message=input does not match any value of interface``
    ``=category=1`` -> ``input does not match any value of interface (argument
    value failure)``.
    """
    parts = []
    for trap in traps:
        message = _INTERNAL_CODE.sub("", trap.get("message", ""))
        category = trap.get("category", "")
        if category:
            number = small_int(category)
            meaning = (TRAP_CATEGORIES.get(number, f"category {number}") if number is not None
                       else f"category {category[:20]!r}")
            message = f"{message} ({meaning})" if message else meaning
        if message:
            parts.append(message)
    return "; ".join(parts)


@dataclass(slots=True)
class Reply:
    """Everything one command got back: ``!re`` rows, ``!trap`` attributes, the
    ``!done`` attributes and whether an ``!empty`` came."""

    rows: list[Row] = field(default_factory=list)
    traps: list[dict[str, str]] = field(default_factory=list)
    done: dict[str, str] = field(default_factory=dict)
    empty: bool = False

    def add(self, sentence: list[bytes], size: int, tally: _Tally,
            attributes: Callable[[list[bytes]], dict[str, str]]) -> bool:
        """Take one sentence of ``size`` wire bytes (counted in ``tally``; its
        attributes read with ``attributes``); return whether it was the ``!done``
        that ends the reply.

        Raises:
            OverLimit: past the reply's limit.
            MalformedSentence: not a reply word of §3, or a malformed attribute.
        """
        reply_word = sentence[0]
        tally.count(reply_word, size)
        if reply_word == b"!re":
            self.rows.append(attributes(sentence))
        elif reply_word == b"!done":
            self.done = attributes(sentence)
            return True
        elif reply_word == b"!trap":
            self.traps.append(attributes(sentence))
        elif reply_word == b"!empty":
            attributes(sentence)
            self.empty = True
        else:
            raise MalformedSentence(
                f"unknown reply word {reply_word.decode('latin-1')[:20]!r}")
        return False


class MalformedSentence(Exception):
    """A sentence that parsed as framing but is not a valid reply."""


class OverLimit(Exception):
    """A reply went past its :class:`ReplyLimit` (or a sentence past
    :data:`MAX_SENTENCE`); becomes :class:`ReplyTooLarge` at the boundary."""

    def __init__(self, message: str, limit: int, unit: str, *, command: str = "") -> None:
        self.limit = limit
        self.unit = unit
        self.command = command  # the command whose reply it was, when several ran
        super().__init__(message)


class RawApi(AsyncApi):
    """librouteros ``AsyncApi`` that keeps words as text and ``!done`` attributes."""

    protocol: StockProtocol

    def __init__(self, protocol: StockProtocol, encoding: str) -> None:
        super().__init__(protocol=protocol)
        self.encoding = encoding

    def _attributes(self, words: list[bytes]) -> dict[str, str]:
        """The ``=name=value`` words of a sentence after its reply word, as text in
        the device's codepage (ASCII words as they are).

        A sentence of ASCII words is decoded and split at once (:func:`_ascii_attributes`);
        any other (a word in the codepage, a word without ``=value``, a stray
        word) word by word (:meth:`_attributes_by_word`): the same attributes, or
        the same error.

        Raises:
            MalformedSentence: an attribute word without ``=value``, or a word that
                is neither an attribute nor an API attribute (``.tag=``).
        """
        attributes = _ascii_attributes(words)
        return attributes if attributes is not None else self._attributes_by_word(words)

    def _attributes_by_word(self, words: list[bytes]) -> dict[str, str]:
        """:meth:`_attributes`, one word at a time (raises as it)."""
        attributes: dict[str, str] = {}
        encoding = self.encoding
        for raw in words[1:]:
            if raw[:1] == b"=":
                try:
                    word = raw.decode("ascii")  # nearly every word; else the codepage's text
                except UnicodeDecodeError:
                    word = decode_text(raw, encoding)
                end = word.find("=", 1)  # ``=name=value``: the value may hold ``=``
                if end < 0:
                    raise MalformedSentence(f"attribute word without value: {word[:40]!r}")
                attributes[word[1:end]] = word[end + 1:]
            elif raw[:1] != b".":  # ``.tag=`` and other API attribute words
                raise MalformedSentence(f"unexpected word {raw.decode('latin-1')[:40]!r}")
        return attributes

    async def exchange(
        self, command: str, words: Sequence[str], limit: ReplyLimit = DEFAULT_REPLY_LIMIT
    ) -> Reply:
        """Send one command sentence and read sentences up to its ``!done``.

        Every sentence before ``!done`` (``!re``, ``!trap``, ``!empty``) counts
        against ``limit.rows``; the wire bytes of all of them against
        ``limit.bytes``, checked from each length prefix before the word is read,
        so a reply past its limit costs at most the limit in memory.

        Raises:
            OverLimit: past ``limit`` (rows or bytes) or :data:`MAX_SENTENCE`.
            FramingError, MalformedSentence, and what the transport raises.
        """
        await self.protocol.writeSentence(command, *words)
        reply = Reply()
        tally = _Tally(command, limit)
        buffered = self.protocol.buffered_words
        attributes = self._attributes
        while True:
            budget = tally.budget()
            try:  # a sentence received already is read without awaiting
                got = buffered(budget)
            except SentenceTooLarge as err:
                raise _over_limit(err, budget, limit.bytes) from err
            sentence, size = got if got is not None else await self._read(budget, limit.bytes)
            if reply.add(sentence, size, tally, attributes):
                return reply

    async def exchange_tagged(
        self, commands: Sequence[Command], where: Running | None = None
    ) -> list[Reply]:
        """Send several command sentences at once, each tagged ``.tag=<its index>``,
        and read the sentences of all their replies up to every ``!done``.

        The router runs the commands at the same time and may interleave their
        replies; every reply sentence carries its command's tag
        (shared/ROUTEROS-API.md §4), which says whose it is. Each command keeps
        its own :class:`ReplyLimit` (rows and bytes as :meth:`exchange`); a
        sentence is first bounded by the largest budget left, then counted
        against its own command's.

        Args:
            commands: the commands, each with its limit.
            where: its ``command`` is kept naming the first command not answered
                yet (what a timeout or a broken reply names).

        Returns:
            One :class:`Reply` per command, in the order given (traps in each).

        Raises:
            MalformedSentence: a reply sentence without ``.tag=``, or with a tag
                that names no command still running (the message names the tag).
            OverLimit: a command's reply past its limit (``command`` set to it).
            FramingError, and what the transport raises.
        """
        sentences = [(c.command, *c.words, f".tag={i}") for i, c in enumerate(commands)]
        await self.protocol.write_sentences(sentences)
        replies = [Reply() for _ in commands]
        tallies = [_Tally(c.command, c.limit) for c in commands]
        running = {str(i).encode("ascii"): i for i in range(len(commands))}
        live = list(tallies)  # the tallies of the commands still running
        if where is not None:
            where.command = commands[0].command
        buffered = self.protocol.buffered_words
        budget_of = _Tally.budget
        attributes = self._attributes
        while running:
            budget = max(map(budget_of, live)) if len(live) > 1 else live[0].budget()
            try:  # a sentence received already is read without awaiting
                got = buffered(budget)
            except SentenceTooLarge as err:
                raise _over_limit(err, budget, budget) from err
            sentence, size = got if got is not None else await self._read(budget, budget)
            last = sentence[-1]  # the tag is usually the last word
            tag = last[5:] if last[:5] == b".tag=" else _tag_of(sentence)
            index = running.get(tag) if tag is not None else None
            if index is None:
                shown = "no .tag" if tag is None else f"unknown tag {tag.decode('latin-1')[:20]!r}"
                raise MalformedSentence(
                    f"{sentence[0].decode('latin-1')[:20]} sentence with {shown}")
            if replies[index].add(sentence, size, tallies[index], attributes):
                del running[tag]  # type: ignore[arg-type]  # tag is not None here
                live.remove(tallies[index])
                if where is not None and running:
                    where.command = commands[min(running.values())].command
        return replies

    async def _read(self, budget: int, limit_bytes: int) -> tuple[list[bytes], int]:
        """Read the next sentence within ``budget`` wire bytes: its words and size.

        Raises:
            OverLimit: the sentence is past ``budget`` (a reply of ``limit_bytes``)
                or :data:`MAX_SENTENCE`, or has too many words.
        """
        try:
            return await self.protocol.read_words(budget)
        except SentenceTooLarge as err:
            raise _over_limit(err, budget, limit_bytes) from err


#: An attribute word after the NUL that joins it to the word before: its name (no
#: ``=``: the name ends at the word's second ``=``) and its value (the rest).
_JOINED_ATTRIBUTE: Final = re.compile("\x00=([^=\x00]*)=([^\x00]*)")


def _ascii_attributes(words: list[bytes]) -> dict[str, str] | None:
    """The attributes of :meth:`RawApi._attributes` for a sentence of well-formed
    ASCII words, read with a few calls for the whole sentence (the words joined
    with NUL, decoded once, every attribute word matched by
    :data:`_JOINED_ATTRIBUTE`) instead of a few per word; ``None`` when a word is
    not ASCII, holds a NUL, lacks ``=value`` or is neither an attribute nor an
    API word (the caller reads it word by word then).
    """
    try:
        text = b"\x00".join(words).decode("ascii")
    except UnicodeDecodeError:
        return None
    pairs = _JOINED_ATTRIBUTE.findall(text)
    # Every word after the reply word is one attribute or one API word (``.tag=``),
    # and no word holds a NUL (else the joins would not be where the words meet).
    if (len(pairs) + text.count("\x00.") != len(words) - 1
            or text.count("\x00") != len(words) - 1):
        return None
    return dict(pairs)


class Running(Protocol):
    """Where the command running is named for error messages
    (:class:`mikromon.routeros.boundary.Where`)."""

    command: str


@dataclass(frozen=True, slots=True)
class Command:
    """One command sentence of :meth:`RawApi.exchange_tagged`.

    Attributes:
        command: the command word (``/interface/print``).
        words: its attribute and query words.
        limit: the most its reply may hold.
    """

    command: str
    words: tuple[str, ...]
    limit: ReplyLimit = DEFAULT_REPLY_LIMIT


@dataclass(slots=True)
class _Tally:
    """What one command's reply has used of its :class:`ReplyLimit` so far."""

    command: str
    limit: ReplyLimit
    used: int = 0
    sentences: int = 0

    def budget(self) -> int:
        """Wire bytes the reply may still use."""
        return self.limit.bytes - self.used

    def count(self, reply_word: bytes, size: int) -> None:
        """Count one sentence of ``size`` wire bytes.

        Raises:
            OverLimit: past the limit's rows or bytes.
        """
        self.used += size
        if self.used > self.limit.bytes:
            raise OverLimit(f"reply larger than its limit of {self.limit.bytes} bytes",
                            self.limit.bytes, "bytes", command=self.command)
        if reply_word != b"!done":
            self.sentences += 1
            if self.sentences > self.limit.rows:
                raise OverLimit(
                    f"reply has more than its limit of {self.limit.rows} rows", self.limit.rows,
                    "rows", command=self.command,
                )


def _over_limit(err: SentenceTooLarge, budget: int, limit_bytes: int) -> OverLimit:
    """The :class:`OverLimit` of a sentence read within ``budget`` wire bytes (what
    is left of a reply of ``limit_bytes``) that was larger."""
    if err.unit == "words":
        return OverLimit(str(err), MAX_SENTENCE_WORDS, "words")
    if budget < MAX_SENTENCE:
        return OverLimit(f"reply larger than its limit of {limit_bytes} bytes", limit_bytes,
                         "bytes")
    return OverLimit(f"a sentence larger than {MAX_SENTENCE} bytes", MAX_SENTENCE, "bytes")


def _tag_of(words: list[bytes]) -> bytes | None:
    """The value of a sentence's ``.tag=`` word (anywhere after the reply word,
    shared/ROUTEROS-API.md §4), ``None`` when it has none."""
    for raw in words[1:]:
        if raw[:5] == b".tag=":
            return raw[5:]
    return None


# --- the error boundary -------------------------------------------------------------------
