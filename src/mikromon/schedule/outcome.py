"""The outcome of one completed run of a tier, as a pure function.

:func:`run_outcome` takes what the run read (a :class:`CollectResult`) and what
was known of the router before it (:class:`~mikromon.schedule.changes.DeviceMemory`
and :class:`Reported`) and returns what goes to the writer (samples, inventory
snapshots, events, the device's status) with what is known after it. It changes
none of its arguments, logs nothing and reads no clock: the caller
(:class:`~mikromon.schedule.device.DeviceCollector`) logs, writes and keeps.

What it notices (on transitions only): reboots, version and board changes,
links going up or down, health state sensors failing and recovering
(:mod:`mikromon.schedule.changes`), a device degraded while a health state
sensor fails, a path missing on the router (once per device and path until the
version changes), and values the router sent that could not be read (once per
device, path and field until the raw text changes, or a clean run of the tier
read the field well).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import BadValue, CollectResult, InventorySnapshot
from mikromon.domain.samples import Sample, SampleBlock, SampleItem
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.versions import version_hint
from mikromon.schedule.changes import DeviceMemory, facts_changes, health_changes, link_changes

#: Most characters of a router's raw text quoted in a ``bad_value`` event or line.
RAW_QUOTE_CHARS: Final = 200


def absent_message(path: str, version: str | None) -> str:
    """Return the ``path_absent`` event's text: the path (also the event's
    ``path`` field), then the RouterOS version it was seen on."""
    on = f" (RouterOS {version})" if version else ""
    return (f"{path} is not on this router{on}; skipped, and reported again only if "
            f"its RouterOS version changes")


def bad_value_message(bad: BadValue) -> str:
    """Return the ``bad_value`` event's text: the path and field first, then the
    row, the raw text (quoted, at most :data:`RAW_QUOTE_CHARS` characters) and why
    it was refused."""
    raw = bad.raw if len(bad.raw) <= RAW_QUOTE_CHARS else bad.raw[:RAW_QUOTE_CHARS] + "..."
    row = f" of {bad.row}" if bad.row else ""
    return (f"{bad.path} {bad.field}{row}: unreadable value {raw!r} ({bad.reason}); "
            f"stored as empty, reported again only if it changes")


def device_status(
    device_id: int, memory: DeviceMemory, error: str, ts: datetime,
    last_seen: datetime | None = None,
) -> DeviceStatus:
    """Return the device's status as the writer stores it: ``memory``'s state and
    facts, ``error`` (``""``: none), written at ``ts``, last answered at
    ``last_seen`` (``None``: not now)."""
    facts = memory.facts
    return DeviceStatus(
        device_id=device_id, state=memory.state, ts=ts, last_seen=last_seen,
        last_error=error, identity=facts.identity, board=facts.board, version=facts.version,
    )


@dataclass(frozen=True, slots=True)
class Reported:
    """What was reported of one device already, whichever collector polls it.

    Attributes:
        version: the RouterOS version ``absent`` belongs to (``None`` until known).
        absent: paths announced as absent (one ``path_absent`` event each).
        bad_values: (path, field) -> (tier, raw text) of the unreadable values
            reported (one ``bad_value`` event each until the text changes).
    """

    version: str | None = None
    absent: frozenset[str] = frozenset()
    bad_values: Mapping[tuple[str, str], tuple[Tier, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one completed run gives (see :func:`run_outcome`).

    Attributes:
        memory: what is known of the router after the run.
        reported: what is reported of it after the run.
        samples: gauges, the non-negative rates and the raw counters (a block of
            each reply's counters and one of their rates, one item each:
            :data:`~mikromon.domain.samples.SampleItem`), for the writer.
        snapshots: inventory tables, for the writer.
        events: what changed, in order (facts, links and health, absent paths,
            unreadable values).
        status: the device's status after the run (``last_seen``: the run's time).
        facts_changed: identity, board or version changed (uptime does not count).
        version_changed: the RouterOS version changed (not: first learnt).
        degraded_changed: the state moved between up and degraded.
        failing: the health state sensors failing now (sorted).
        newly_absent: paths announced absent by this run.
        newly_bad: the unreadable values reported by this run (one per path and field).
        dropped: negative rates, never written (a rate calculator bug).
    """

    memory: DeviceMemory
    reported: Reported
    samples: list[SampleItem]
    snapshots: list[InventorySnapshot]
    events: list[Event]
    status: DeviceStatus
    facts_changed: bool = False
    version_changed: bool = False
    degraded_changed: bool = False
    failing: list[str] = field(default_factory=list)
    newly_absent: list[str] = field(default_factory=list)
    newly_bad: list[BadValue] = field(default_factory=list)
    dropped: list[Sample] = field(default_factory=list)


def run_outcome(
    result: CollectResult, memory: DeviceMemory, reported: Reported, *,
    tier: Tier, device_id: int, ts: datetime, mono: float,
    rates: Sequence[Sample | SampleBlock] = (), error: str = "",
) -> RunOutcome:
    """Return what one completed run of ``tier`` gives. Pure: no argument changes.

    Args:
        result: what the run read.
        memory: what was known of the router before the run.
        reported: what was reported of it before the run.
        tier: the tier that ran.
        device_id: the device's id (events, status).
        ts: UTC time of the run's end (events' and status' ``ts``).
        mono: monotonic seconds of the run's end (reboot detection).
        rates: rate samples (a block's as a :class:`SampleBlock`) computed from
            ``result.counters`` and ``result.counter_blocks``.
        error: the device's error after the run (the status' ``last_error``).
    """
    memory = replace(memory)  # changes.* assign new values, never change the old ones
    events: list[Event] = []
    facts_changed = version_changed = False
    version, absent = reported.version, set(reported.absent)
    if result.facts is not None:
        before = memory.facts
        new_events, version_changed = facts_changes(
            memory, result.facts, mono=mono, ts=ts, device_id=device_id)
        events.extend(new_events)
        after = memory.facts
        facts_changed = (after.identity, after.board, after.version) != (
            before.identity, before.board, before.version)
        if version_changed or (before.version is None and after.version):
            version, absent = remembered_version(version, absent, after.version,
                                                 changed=version_changed)
    samples: list[SampleItem] = list(result.samples)
    kept, dropped = _non_negative(rates)
    samples += kept
    # The raw counters too: storage keeps only their latest value (catalog.keeps_history);
    # a reply's block as it is (its samples are made where they are stored).
    samples += [Sample(c.key, float(c.value), c.ts, c.labels) for c in result.counters]
    samples += result.counter_blocks
    for snap in result.inventory:
        events.extend(link_changes(memory, snap, device_id=device_id))
        events.extend(health_changes(memory, snap, device_id=device_id))
    failing = memory.failing_sensors()
    degraded_changed = False
    if memory.state in (DeviceState.UP, DeviceState.DEGRADED):
        wanted = DeviceState.DEGRADED if failing else DeviceState.UP
        degraded_changed = wanted is not memory.state
        memory.state = wanted
    newly_absent = [p for p in dict.fromkeys(result.absent) if p not in absent]
    absent.update(newly_absent)
    events.extend(Event(device_id=device_id, ts=ts, kind=EventKind.PATH_ABSENT, path=path,
                        message=absent_message(path, memory.facts.version))
                  for path in newly_absent)
    bad_values, newly_bad = _bad_values(tier, result, reported.bad_values)
    events.extend(Event(device_id=device_id, ts=ts, kind=EventKind.BAD_VALUE, path=bad.path,
                        message=bad_value_message(bad)) for bad in newly_bad)
    return RunOutcome(
        memory=memory,
        reported=Reported(version=version, absent=frozenset(absent), bad_values=bad_values),
        samples=samples, snapshots=list(result.inventory), events=events,
        status=device_status(device_id, memory, error, ts, last_seen=ts),
        facts_changed=facts_changed, version_changed=version_changed,
        degraded_changed=degraded_changed, failing=failing, newly_absent=newly_absent,
        newly_bad=newly_bad, dropped=dropped,
    )


def _non_negative(rates: Sequence[Sample | SampleBlock]
                  ) -> tuple[list[Sample | SampleBlock], list[Sample]]:
    """``rates`` without the negative ones (a block without those values), and
    those: none, unless the rate calculator is wrong (a block goes as it is
    unless a value of it is negative)."""
    kept: list[Sample | SampleBlock] = []
    dropped: list[Sample] = []
    for rate in rates:
        if isinstance(rate, Sample):
            if rate.value >= 0:
                kept.append(rate)
            elif rate.value < 0:
                dropped.append(rate)
        elif _all_non_negative(rate.values):
            kept.append(rate)
        else:
            dropped += [s for s in rate.samples() if s.value < 0]
            kept.append(SampleBlock(rate.keys, rate.labels, [
                value if value is not None and value >= 0 else None for value in rate.values
            ], rate.ts))
    return kept, dropped


def _all_non_negative(values: Sequence[float | None]) -> bool:
    """Whether every value that is not ``None`` is ``>= 0`` (no NaN): the sum of
    values none of which is negative is NaN only when one is."""
    return min(filter(None, values), default=0.0) >= 0 and not math.isnan(
        sum(filter(None, values)))


def remembered_version(
    known: str | None, absent: set[str], version: str | None, *, changed: bool = False,
) -> tuple[str | None, set[str]]:
    """Return the version the announced absent paths belong to and those paths,
    once ``version`` is known: a version other than ``known`` (it may have changed
    while no collector watched), or ``changed``, announces every path again."""
    if version_hint(version):
        if known is not None and known != version:
            absent = set()
        known = version
    return known, set() if changed else absent


def _bad_values(
    tier: Tier, result: CollectResult, reported: Mapping[tuple[str, str], tuple[Tier, str]],
) -> tuple[dict[tuple[str, str], tuple[Tier, str]], list[BadValue]]:
    """Return the reported unreadable values after the run and the ones to report
    now: each (path, field) not reported before with the same raw text.

    A (path, field) this tier reported is forgotten when a run of the tier
    without failing collectors reads it well, so the same text breaking it
    again is reported again.
    """
    after = dict(reported)
    first: dict[tuple[str, str], BadValue] = {}
    for bad in result.bad_values:
        first.setdefault((bad.path, bad.field), bad)
    new: list[BadValue] = []
    for key, bad in first.items():
        if after.get(key, (None, None))[1] == bad.raw:
            continue
        after[key] = (tier, bad.raw)
        new.append(bad)
    if not result.failures:
        for key in [k for k, (t, _) in after.items() if t is tier and k not in first]:
            del after[key]
    return after, new
