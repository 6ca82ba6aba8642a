"""Availability of devices and interfaces over a time range, from up/down events.

Pure arithmetic on Unix seconds (UTC); the database reading is in
``mikromon.web.monitor.reports``. How time is counted (docs/operations.md, "Reports"):

- A device is *down* from a ``device_down`` event to the next ``device_up``
  (mikromon.schedule.report writes them when the first connection attempt after
  a working one fails, and when a session opens again). An interface is *down*
  from ``link_down`` to ``link_up`` (mikromon.schedule.changes compares the
  ``running`` flag of two interface inventories).
- The state at the range start is the one left by the last event before it.
  Without an earlier event it is judged from the first event in the range (an
  ``up`` event means it was down until then, a ``down`` event that it was up), and
  without any event from the state known now (``fallback``).
- *Unknown* time is not counted either way: before monitoring started (the device
  was added), after ``now`` (the future), while a device is disabled or refused
  the login, and, for an interface, whenever its device is not up (a router that
  does not answer tells nothing about its links).
- ``availability = up / (up + down)``; ``None`` when no time was known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Presence(StrEnum):
    """What is known about a device or interface at one moment."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Change:
    """The state became ``state`` at ``ts`` (Unix seconds UTC)."""

    ts: float
    state: Presence


@dataclass(frozen=True, slots=True)
class Span:
    """``state`` over ``[start, end)``, Unix seconds UTC."""

    start: float
    end: float
    state: Presence

    @property
    def seconds(self) -> float:
        """Length of the span, seconds."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Availability:
    """Seconds up, down and unknown over a range, and the outages in it.

    Attributes:
        up_seconds, down_seconds, unknown_seconds: add up to the range length.
        outages: down spans that start inside the range (a range starting in an
            outage counts that outage too: it is in the report).
        longest_outage_seconds: the longest down span, clipped to the range.
        ratio: ``up / (up + down)`` in 0..1, ``None`` when nothing was known.
    """

    up_seconds: float
    down_seconds: float
    unknown_seconds: float
    outages: int
    longest_outage_seconds: float

    @property
    def ratio(self) -> float | None:
        """Share of the known time that was up (0..1), ``None`` when none was known."""
        known = self.up_seconds + self.down_seconds
        return self.up_seconds / known if known > 0 else None


def state_at_start(before: Presence | None, first_in_range: Presence | None,
                   fallback: Presence) -> Presence:
    """Return the state at a range's start.

    Args:
        before: the state set by the last event before the start (``None``: none).
        first_in_range: the state set by the first event in the range (``None``: none).
        fallback: what is known now (the device's present state), used when there is
            no event at all.
    """
    if before is not None:
        return before
    if first_in_range is Presence.UP:
        return Presence.DOWN
    if first_in_range is Presence.DOWN:
        return Presence.UP
    return fallback


def timeline(start: float, end: float, initial: Presence,
             changes: Iterable[Change]) -> list[Span]:
    """Return the spans of state over ``[start, end)``.

    Args:
        start, end: the range, Unix seconds; an empty list when ``end <= start``.
        initial: the state at ``start``.
        changes: state changes in any order; those outside the range are ignored,
            and a change to the state already held merges into its span.

    Returns:
        Adjacent spans covering the range, in time order, no two neighbours alike.
    """
    if end <= start:
        return []
    spans: list[Span] = []
    at, state = start, initial
    for change in sorted(changes, key=lambda c: c.ts):
        if change.ts <= start:
            if change.ts == start:
                state = change.state
            continue
        if change.ts >= end:
            break
        if change.state is state:
            continue
        spans.append(Span(at, change.ts, state))
        at, state = change.ts, change.state
    spans.append(Span(at, end, state))
    return spans


def mask(spans: Sequence[Span], allowed: Sequence[Span]) -> list[Span]:
    """Return ``spans`` with every moment that is not ``UP`` in ``allowed`` made
    ``UNKNOWN`` (an interface's time while its device is down or unknown).

    Both lists must cover the same range in time order (as :func:`timeline` gives).
    """
    out: list[Span] = []
    for span in spans:
        for gate in allowed:
            lo, hi = max(span.start, gate.start), min(span.end, gate.end)
            if hi <= lo:
                continue
            state = span.state if gate.state is Presence.UP else Presence.UNKNOWN
            if out and out[-1].state is state and out[-1].end == lo:
                out[-1] = Span(out[-1].start, hi, state)
            else:
                out.append(Span(lo, hi, state))
    return out


def unknown_outside(spans: Sequence[Span], known_from: float | None,
                    known_until: float | None) -> list[Span]:
    """Return ``spans`` with the time before ``known_from`` (monitoring started)
    and from ``known_until`` (now) made ``UNKNOWN``; ``None``: no such bound."""
    if not spans:
        return []
    lo = spans[0].start if known_from is None else max(spans[0].start, known_from)
    hi = spans[-1].end if known_until is None else min(spans[-1].end, known_until)
    gate = [Span(spans[0].start, spans[-1].end, Presence.UNKNOWN)]
    if hi > lo:
        gate = [s for s in (Span(spans[0].start, lo, Presence.UNKNOWN),
                            Span(lo, hi, Presence.UP),
                            Span(hi, spans[-1].end, Presence.UNKNOWN)) if s.end > s.start]
    return mask(spans, gate)


def summarize(spans: Iterable[Span]) -> Availability:
    """Add up ``spans`` (from :func:`timeline`, possibly masked) into an :class:`Availability`."""
    up = down = unknown = longest = 0.0
    outages = 0
    previous: Presence | None = None
    for span in spans:
        if span.state is Presence.UP:
            up += span.seconds
        elif span.state is Presence.DOWN:
            down += span.seconds
            longest = max(longest, span.seconds)
            if previous is not Presence.DOWN:
                outages += 1
        else:
            unknown += span.seconds
        previous = span.state
    return Availability(up_seconds=up, down_seconds=down, unknown_seconds=unknown,
                        outages=outages, longest_outage_seconds=longest)
