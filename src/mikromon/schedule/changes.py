"""Noticing what changed on a router between two polls: reboots, version and board
changes, interface links going up or down, health state sensors (PSU, fan)
failing and recovering. Pure: values in, events out.

A :class:`DeviceMemory` holds what was seen last; the collector keeps one per
device (and hands it to the next collector when the device's configuration
changes but it is still the same router).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from mikromon.domain.catalog import HEALTH_STATES_TABLE, is_failing
from mikromon.domain.events import DeviceState, Event, EventKind
from mikromon.domain.inventory import DeviceFacts, InventorySnapshot

#: Slack for comparing uptimes (whole seconds on the wire) with monotonic time, seconds.
UPTIME_TOLERANCE_S: Final = 2.0

#: The inventory table and field that carry interface link state (collectors.interface).
INTERFACES_TABLE: Final = "interfaces"
RUNNING_FIELD: Final = "running"


@dataclass(slots=True)
class DeviceMemory:
    """What the collector saw of one router at its last polls.

    Attributes:
        state: the state last reported.
        facts: the newest value of every fact seen (``None`` until seen).
        uptime_s: the router's uptime at the last reading, seconds.
        uptime_mono: monotonic seconds of that reading.
        links: interface name -> running, from the last interface inventory
            (``None`` before the first one).
        first_failure_mono: monotonic seconds when the current outage began.
        health: health state sensor name -> the router's word, from the last
            ``health_states`` table (``None`` before the first one).
    """

    state: DeviceState = DeviceState.UNKNOWN
    facts: DeviceFacts = field(default_factory=DeviceFacts)
    uptime_s: float | None = None
    uptime_mono: float | None = None
    links: dict[str, bool] | None = None
    first_failure_mono: float | None = None
    health: dict[str, str] | None = None

    def failing_sensors(self) -> list[str]:
        """Return the health state sensors last reported failing, sorted."""
        return sorted(n for n, w in (self.health or {}).items() if is_failing(w))


def facts_changes(
    memory: DeviceMemory, facts: DeviceFacts, *, mono: float, ts: datetime, device_id: int
) -> tuple[list[Event], bool]:
    """Compare new facts with the remembered ones, update ``memory``, return events.

    A reboot is noticed when the uptime went back, or is shorter than the time
    since the previous reading (the router rebooted while unreachable). Version
    and board changes are noticed when both old and new values are known.

    Args:
        memory: updated in place.
        facts: what the router just said (fields ``None`` when not read).
        mono: monotonic seconds of the reading.
        ts: UTC time of the reading (events' ``ts``).
        device_id: the device's id.

    Returns:
        The events, and whether the RouterOS version changed (known paths must be
        probed again).
    """
    events: list[Event] = []
    old = memory.facts
    if facts.uptime_s is not None:
        if memory.uptime_s is not None and memory.uptime_mono is not None:
            elapsed = mono - memory.uptime_mono
            went_back = facts.uptime_s + UPTIME_TOLERANCE_S < memory.uptime_s
            booted_since = facts.uptime_s + UPTIME_TOLERANCE_S < elapsed
            if went_back or booted_since:
                events.append(Event(
                    device_id=device_id, ts=ts, kind=EventKind.REBOOT,
                    message=f"router rebooted (uptime {_duration(facts.uptime_s)}, "
                            f"was {_duration(memory.uptime_s)})",
                ))
        memory.uptime_s = facts.uptime_s
        memory.uptime_mono = mono
    version_changed = False
    if facts.version is not None and old.version is not None and facts.version != old.version:
        version_changed = True
        events.append(Event(
            device_id=device_id, ts=ts, kind=EventKind.VERSION_CHANGED,
            message=f"RouterOS version changed from {old.version} to {facts.version}",
        ))
    if facts.board is not None and old.board is not None and facts.board != old.board:
        events.append(Event(
            device_id=device_id, ts=ts, kind=EventKind.BOARD_CHANGED,
            message=f"board changed from {old.board} to {facts.board}",
        ))
    memory.facts = merge_facts(old, facts)
    return events, version_changed


def link_changes(
    memory: DeviceMemory, snapshot: InventorySnapshot, *, device_id: int
) -> list[Event]:
    """Compare an interface inventory with the last one; update ``memory``; return
    link up/down events for interfaces whose ``running`` flag changed.

    The first inventory only sets the baseline; interfaces that appear or
    disappear produce no link event. Snapshots of other tables return ``[]``.
    """
    if snapshot.table != INTERFACES_TABLE:
        return []
    current: dict[str, bool] = {}
    for row in snapshot.rows:
        name = row.get("name")
        running = row.get(RUNNING_FIELD)
        if isinstance(name, str) and isinstance(running, bool):
            current[name] = running
    events: list[Event] = []
    if memory.links is not None:
        for name, running in current.items():
            before = memory.links.get(name)
            if before is None or before == running:
                continue
            kind = EventKind.LINK_UP if running else EventKind.LINK_DOWN
            events.append(Event(
                device_id=device_id, ts=snapshot.ts, kind=kind,
                message=f"interface {name} link {'up' if running else 'down'}",
            ))
    memory.links = current
    return events


def health_changes(
    memory: DeviceMemory, snapshot: InventorySnapshot, *, device_id: int
) -> list[Event]:
    """Compare a ``health_states`` table with the last one; update ``memory``; return
    an event for every sensor whose word changed to a failing one
    (``health_failed``, "psu2-state: fail (was ok)") or back to ``ok``
    (``health_recovered``).

    The first table sets the baseline (a sensor failing already makes the device
    degraded, without an event); a sensor that appears failing later is an
    event. Snapshots of other tables return ``[]``.
    """
    if snapshot.table != HEALTH_STATES_TABLE:
        return []
    current: dict[str, str] = {}
    for row in snapshot.rows:
        name, word = row.get("name"), row.get("state")
        if isinstance(name, str) and isinstance(word, str) and name:
            current[name] = word
    events: list[Event] = []
    if memory.health is not None:
        for name, word in current.items():
            before = memory.health.get(name)
            if before == word or (before is None and not is_failing(word)):
                continue
            was = f" (was {before})" if before is not None else ""
            if is_failing(word):
                events.append(Event(device_id=device_id, ts=snapshot.ts,
                                    kind=EventKind.HEALTH_FAILED, message=f"{name}: {word}{was}"))
            elif before is not None and is_failing(before):
                events.append(Event(device_id=device_id, ts=snapshot.ts,
                                    kind=EventKind.HEALTH_RECOVERED,
                                    message=f"{name}: {word}{was}"))
    memory.health = current
    return events


def merge_facts(old: DeviceFacts, new: DeviceFacts) -> DeviceFacts:
    """Return ``old`` updated with every field ``new`` knows (not ``None``)."""
    known = {
        name: getattr(new, name)
        for name in DeviceFacts.__dataclass_fields__
        if getattr(new, name) is not None
    }
    return replace(old, **known) if known else old


def _duration(seconds: float) -> str:
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    parts = [f"{d}d"] if d else []
    parts.append(f"{h:02d}:{m:02d}:{s:02d}")
    return " ".join(parts)
