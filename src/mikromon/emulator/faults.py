"""Misbehaviour a router can be told to show, per router, at runtime.

Sessions read the router's :class:`Faults` for every command and every reply
sentence, so a change applies to open connections at once. Faults stay set until
cleared: with ``drop_mid_sentence`` or ``garbage`` set, every new connection fails
the same way (at its login reply), like a router that keeps misbehaving.

=====================  ==========================================================
fault                  effect seen by a client
=====================  ==========================================================
``delay``              every command's first reply comes ``delay`` seconds late
``drop_mid_sentence``  the next reply sentence of each connection is cut in half,
                       then the TCP connection is closed
``garbage``            the next reply of each connection is replaced by bytes that
                       start with a reserved control byte (``0xF8``-``0xFF``), then
                       the connection closes
``trickle``            replies are sent at ``trickle`` bytes/s in small pieces
``refuse_login``       every ``/login`` fails with
                       ``invalid user name or password (6)``
``blackhole``          connections are accepted (TLS handshakes complete) but
                       nothing is ever answered
``endless_rows``       every command after login (each connection's next command
                       and all later ones) is answered by ``!re`` rows that never
                       end: no ``!done``, distinct rows, as fast as the client reads
``endless_sentence``   every command after login is answered by a sentence that
                       starts (``!re``) and keeps sending words forever, never its
                       terminating zero-length word
=====================  ==========================================================

The two ``endless_*`` faults are what a router with a broken API service looked
like in the field: a reply that grows the client's memory until the client gives
up on it. Both go over the real protocol, at the client's reading speed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final

#: Bytes sent instead of a reply under the ``garbage`` fault: a reserved control
#: byte first, so a correct client fails at once instead of waiting for a length.
GARBAGE: Final = bytes([0xFF, 0xF8, 0x13, 0x37, 0xFE, 0x00, 0xAB, 0xCD, 0xEF, 0x00])


@dataclass(slots=True)
class Faults:
    """The faults one router shows now (mutable; set through the fleet or handle).

    Attributes:
        delay: seconds added before each command's first reply (>= 0).
        drop_mid_sentence: cut the next reply sentence and close the connection.
        garbage: send :data:`GARBAGE` instead of the next reply and close.
        trickle: send replies at this many bytes/s (``None`` = full speed).
        refuse_login: fail every login.
        blackhole: accept connections, never answer.
        endless_rows: answer commands with ``!re`` rows forever, never ``!done``.
        endless_sentence: answer commands with one sentence whose words never end.
    """

    delay: float = 0.0
    drop_mid_sentence: bool = False
    garbage: bool = False
    trickle: float | None = None
    refuse_login: bool = False
    blackhole: bool = False
    endless_rows: bool = False
    endless_sentence: bool = False

    def update(self, **changes: object) -> None:
        """Set the named faults; unknown names or bad values raise.

        Raises:
            ValueError: an unknown fault name, a negative delay or a
                non-positive trickle rate.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(names)}")
        delay = changes.get("delay", self.delay)
        if not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"fault delay must be seconds >= 0, got {delay!r}")
        trickle = changes.get("trickle", self.trickle)
        if trickle is not None and (not isinstance(trickle, int | float) or trickle <= 0):
            raise ValueError(f"fault trickle must be bytes/s > 0 or None, got {trickle!r}")
        for name, value in changes.items():
            if name not in ("delay", "trickle") and not isinstance(value, bool):
                raise ValueError(f"fault {name} must be True or False, got {value!r}")
        for name, value in changes.items():  # all valid: apply together
            setattr(self, name, float(delay) if name == "delay" else value)

    def clear(self) -> None:
        """Remove every fault."""
        self.update(**dataclasses.asdict(Faults()))

    def active(self) -> dict[str, object]:
        """Return the faults that differ from the defaults."""
        default = Faults()
        return {k: v for k, v in dataclasses.asdict(self).items()
                if v != getattr(default, k)}
