"""A minimal blocking RouterOS API client over a raw socket, to see exact reply words.

Only for tests of the emulator: it sends words as given and returns reply sentences
as lists of words, so a test can assert ``!empty``, ``!fatal`` reasons, tag order.
"""

from __future__ import annotations

import socket
import ssl

from mikromon.emulator.codec import decode_sentences, encode_sentence


class RawClient:
    """Blocking client; ``read()`` returns the next reply sentence (list of words)."""

    def __init__(self, host: str, port: int, timeout: float = 5.0,
                 context: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        self.sock: socket.socket = context.wrap_socket(sock) if context else sock
        self.buffer = b""
        self.pending: list[list[str]] = []

    def send(self, *words: str) -> None:
        self.sock.sendall(encode_sentence(words))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> list[str]:
        """Return the next sentence; raise ``EOFError`` when the connection closes."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(f"connection closed; unparsed tail {self.buffer!r}")
            sentences, self.buffer = decode_sentences(self.buffer + data)
            self.pending.extend(sentences)
        return self.pending.pop(0)

    def read_until_done(self, tag: str | None = None) -> list[list[str]]:
        """Read sentences up to and including a ``!done`` (with ``.tag=tag`` if given)."""
        out = []
        while True:
            sentence = self.read()
            out.append(sentence)
            if sentence[0] == "!done" and (tag is None or f".tag={tag}" in sentence):
                return out

    def call(self, *words: str) -> list[list[str]]:
        self.send(*words)
        return self.read_until_done()

    def login(self, username: str = "admin", password: str = "admin") -> None:
        reply = self.call("/login", f"=name={username}", f"=password={password}")
        assert reply == [["!done"]], reply

    def closed(self) -> bool:
        """True when the peer has closed (reads EOF)."""
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attrs(sentence: list[str]) -> dict[str, str]:
    """Attribute words of a sentence as a dict (``=a=b`` -> ``{"a": "b"}``)."""
    out = {}
    for word in sentence[1:]:
        if word.startswith("="):
            name, _, value = word[1:].partition("=")
            out[name] = value
    return out
