"""The rule engine: samples, events and device statuses in, alert transitions out.

Pure and synchronous: no threads, no database, no clock of its own. The collector
feeds it what it hands to the writer (:class:`mikromon.alerting.runner.AlertingQueue`)
and calls :meth:`AlertEngine.tick` about twice a second with the time; the
transitions it produces (:meth:`AlertEngine.drain`) go to an
:class:`mikromon.storage.protocols.AlertStore`. Tests drive it with their own times.

Every alert is one (rule, device, subject); subject is ``''`` for device-wide
rules, else the interface, sensor, BGP peer or OSPF neighbour. Its life:

* condition true -> ``pending`` (since the first time it was seen true);
* still true after the rule's ``for_seconds`` -> ``firing``;
* condition gone while pending -> the pending alert is dropped (a transition to
  ``resolved`` with ``previous=pending``; stores delete it, nothing was notified);
* firing and recovered (below the recovery level for thresholds) -> ``resolved``.

When it fires more than ``flap_count`` times within ``flap_window_s`` it is
marked ``flapping`` (on every transition until the rate drops).

Kinds and what they read:

* ``threshold`` / ``count``: the rule's metric, compared per sample (labelled
  metrics per subject); the first label's value is the subject;
* ``rate``: the metric's change per second between two samples of a series;
* ``utilisation``: ``iface.rx_bps``/``tx_bps`` as percent of the interface's
  link speed: the last ``iface.link_speed_bps`` of that device and interface
  (the negotiated ethernet rate, read on the medium tier by
  :mod:`mikromon.collectors.interface_ethernet_monitor`) when one was seen, else
  the rule's ``speed_bps``; with neither (a VLAN, a bridge, a port not yet read
  and no ``speed_bps``) that interface is not evaluated. A link speed of 0 or
  NaN is no speed. Learned speeds live in memory only: after a restart the
  rule's ``speed_bps`` applies until the next medium poll. Subject
  ``<interface> rx`` / ``<interface> tx``;
* ``no_data``: no sample of the metric (any sample for ``''``) for ``intervals``
  polling intervals of its tier (checked by :meth:`AlertEngine.tick`);
* ``device_state``: a :class:`~mikromon.domain.events.DeviceStatus` whose state
  is one of the rule's states (values compared as text, so newer states such as
  ``slow`` and ``degraded`` work); fires from :meth:`tick` after ``for_seconds``;
* ``link_down`` / ``bgp_down`` / ``ospf_down``: a 1/0 state sample
  (``iface.running``, ``bgp.established``, ``ospf.neighbor_full``) that was 1 and
  is now 0. A subject first seen at 0 raises nothing (an interface never
  cabled). An ``iface.disabled`` = 1 sample clears a link. An OSPF neighbour
  missing from a batch that carries ``ospf.neighbors`` left Full too;
* ``health_fail``: a health state sensor (``psu1-state``, ``fan-state``) whose
  word (:meth:`AlertEngine.observe_health`, from the ``health_states`` table)
  was ``ok`` and is now anything else (:func:`mikromon.domain.catalog.is_failing`);
  one first seen failing raises nothing (an unplugged second PSU);
* ``reboot``: a ``reboot`` event; ``fact_changed``: ``version_changed`` /
  ``board_changed`` events and an identity change seen in statuses. Both fire at
  once and resolve by themselves after ``hold_seconds``;
* ``log``: router log lines (:meth:`AlertEngine.observe_logs`): lines pushed by
  syslog are evaluated as they arrive; lines read from ``/log`` only when new
  (the first read of a device after a start is taken as the baseline, and a line
  already seen through syslog is not counted twice). A line matches when it
  carries the rule's topics, is at least its ``min_severity`` and its message
  matches the pattern; ``count`` matches within ``window_s`` fire the alert at
  once (subject ``''``). It resolves by itself after ``hold_seconds`` without
  a matching line (the quiet period; each match restarts it), and its value is
  the number of matching lines while it was open.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from mikromon.alerting.rules import (
    LOG_MESSAGE_LIMIT,
    STATE_METRICS,
    DeviceInfo,
    Override,
    Restored,
    Rule,
    RuleSet,
)
from mikromon.domain import catalog
from mikromon.domain.alerts import AlertState, AlertTransition, RuleKind
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventoryRow, InventorySnapshot
from mikromon.domain.logs import LogLine, severity_from_topics, severity_rank
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier

log = logging.getLogger(__name__)

__all__ = ["AlertEngine"]

#: Most transitions kept waiting for :meth:`AlertEngine.drain` (oldest dropped beyond).
MAX_OUTBOX: Final = 100_000

_K = RuleKind
_UP_KINDS: Final = frozenset({_K.LINK_DOWN.value, _K.BGP_DOWN.value, _K.OSPF_DOWN.value,
                              _K.HEALTH_FAIL.value})
_LEVEL_KINDS: Final = frozenset({_K.THRESHOLD.value, _K.COUNT.value})
_HOLD_KINDS: Final = frozenset({_K.REBOOT.value, _K.FACT_CHANGED.value, _K.LOG.value})
#: Polled log lines remembered per device (to evaluate only new ones).
_LOG_SEEN_MAX: Final = 2000
#: Syslog messages remembered per device (so the same line read from /log later is
#: not counted again).
_LOG_PUSHED_MAX: Final = 2000
#: Kinds whose alerts :meth:`AlertEngine.tick` moves (the others move on samples).
_TIMED_KINDS: Final = _HOLD_KINDS | {_K.DEVICE_STATE.value}
_FACT_EVENTS: Final = {EventKind.VERSION_CHANGED: "version", EventKind.BOARD_CHANGED: "board"}
_OSPF_COUNT: Final = "ospf.neighbors"
_OSPF_FULL: Final = "ospf.neighbor_full"
_IFACE_DISABLED: Final = "iface.disabled"
_UTIL_KEYS: Final = ("iface.rx_bps", "iface.tx_bps")
_LINK_SPEED: Final = "iface.link_speed_bps"

Key = tuple[int, int, str]


@dataclass(slots=True)
class _Track:
    """One open (pending or firing) alert."""

    rule: Rule
    device_id: int
    subject: str
    state: AlertState
    since: datetime
    value: float | None = None
    threshold: float | None = None
    fired_at: datetime | None = None
    flapping: bool = False


@dataclass(slots=True)
class _Entry:
    """A rule as it applies to one device: the override's levels folded in."""

    rule: Rule
    threshold: float | None
    recovery: float | None


@dataclass(slots=True)
class _Compiled:
    """The rules of one device, indexed by what triggers them."""

    device: DeviceInfo
    entries: list[_Entry]
    by_key: dict[str, list[_Entry]] = field(default_factory=dict)
    states: list[_Entry] = field(default_factory=list)
    reboot: list[_Entry] = field(default_factory=list)
    facts: list[_Entry] = field(default_factory=list)
    no_data: list[_Entry] = field(default_factory=list)
    logs: list[_Entry] = field(default_factory=list)

    def for_key(self, key: str) -> list[_Entry]:
        """Return (and cache) the entries a sample of ``key`` triggers."""
        found = self.by_key.get(key)
        if found is None:
            found = [e for e in self.entries if _reads(e.rule, key)]
            self.by_key[key] = found
        return found


def _reads(rule: Rule, key: str) -> bool:
    """Whether ``rule`` evaluates samples of ``key``."""
    kind = rule.kind
    if kind in _LEVEL_KINDS or kind == _K.RATE.value:
        return key == rule.metric
    if kind == _K.UTILISATION.value:
        return key == _LINK_SPEED or (key in _UTIL_KEYS
                                      and (not rule.metric or key == rule.metric))
    if kind == _K.LINK_DOWN.value:
        return key in ("iface.running", _IFACE_DISABLED)
    if kind == _K.OSPF_DOWN.value:
        return key in (_OSPF_FULL, _OSPF_COUNT)
    if kind in STATE_METRICS:
        return key == STATE_METRICS[kind][0]
    return False


def _log_line(device_id: int, row: InventoryRow, ts: datetime, source: str) -> LogLine:
    get = row.get
    topics = tuple(t for t in str(get("topics") or "").split(",") if t)
    severity = str(get("severity") or "") or severity_from_topics(topics) or "info"
    return LogLine(device_id=device_id, topics=topics, message=str(get("message") or ""),
                   severity=severity, time=str(get("time") or ""), ts=ts, source=source)


def _log_matches(rule: Rule, line: LogLine) -> bool:
    """Whether ``line`` passes ``rule``'s topics, severity and pattern."""
    if rule.topics:
        have = line.topics
        for topic in rule.topics:
            if topic.startswith("!"):
                if topic[1:] in have:
                    return False
            elif topic not in have:
                return False
    if rule.min_severity and severity_rank(line.severity) < severity_rank(rule.min_severity):
        return False
    regex = rule.regex
    return regex is None or not rule.pattern or regex.search(
        line.message[:LOG_MESSAGE_LIMIT]) is not None


def _subject(sample: Sample) -> str:
    labels = sample.labels
    return labels[0][1] if labels else ""


class AlertEngine:
    """Evaluates alert rules; see the module docstring.

    Args:
        rules: the rules to start with (:meth:`set_rules` replaces them).
        started: when evaluation started, UTC (the no-data clock of series never
            seen starts here; default: the first :meth:`tick`).

    Not thread-safe: call it from one thread (the collector's event loop).
    """

    def __init__(self, rules: RuleSet | None = None, *, started: datetime | None = None
                 ) -> None:
        self._ruleset = rules or RuleSet()
        self._compiled: dict[int, _Compiled] = {}
        self._tracks: dict[Key, _Track] = {}
        self._up: dict[Key, bool] = {}
        self._prev: dict[Key, tuple[float, datetime]] = {}
        #: (device id, interface) -> the last link speed reported, bits/s (only
        #: devices with a utilisation rule; one entry per ethernet port).
        self._link_speed: dict[tuple[int, str], float] = {}
        self._fires: dict[Key, deque[datetime]] = {}
        self._seen: dict[tuple[int, str], datetime] = {}
        self._identity: dict[int, str] = {}
        self._log_seen: dict[int, OrderedDict[str, None]] = {}
        self._log_pushed: dict[int, OrderedDict[str, int]] = {}
        self._log_hits: dict[Key, deque[datetime]] = {}
        self.log_lines_seen = 0
        self._started = started
        self._out: deque[AlertTransition] = deque()
        #: Open alerts that :meth:`tick` looks at (timed kinds, rules gone).
        self._timed: set[Key] = set()
        self._no_data_rules = any(r.enabled and r.kind == _K.NO_DATA.value
                                  for r in self._ruleset.rules)
        self.samples_seen = 0
        self.transitions_dropped = 0

    # -- configuration ---------------------------------------------------------------

    @property
    def ruleset(self) -> RuleSet:
        """The rules in force."""
        return self._ruleset

    def set_rules(self, rules: RuleSet, now: datetime) -> None:
        """Evaluate with ``rules`` from now on.

        Open alerts of rules that are gone or disabled, of devices that are gone,
        disabled or out of the rule's scope now, are closed (``resolved``; a
        pending one is dropped).
        """
        self._ruleset = rules
        self._compiled.clear()
        self._no_data_rules = any(r.enabled and r.kind == _K.NO_DATA.value for r in rules.rules)
        by_id = {r.id: r for r in rules.rules if r.enabled}
        self._log_hits = {k: v for k, v in self._log_hits.items() if k[0] in by_id}
        for key, track in list(self._tracks.items()):
            rule_id, device_id, _ = key
            rule = by_id.get(rule_id)
            device = rules.devices.get(device_id)
            gone = (rule is None or device is None or not device.enabled
                    or not rule.applies_to(device)
                    or not rules.overrides.get((rule_id, device_id), Override()).enabled)
            if rule is not None and not gone:
                track.rule = rule
            else:
                self._close(key, track, now, None, "its rule or device changed")

    def restore(self, restored: Restored) -> None:
        """Take back the open alerts and recent firings stored before a restart.

        Alerts of rules unknown to the current rule set are taken back too and
        closed at the next :meth:`set_rules` or :meth:`tick`.
        """
        by_id = {r.id: r for r in self._ruleset.rules}
        for rule_id, device_id, subject, ts in restored.firings:
            self._fires.setdefault((rule_id, device_id, subject), deque()).append(ts)
        for alert in restored.open:
            rule = by_id.get(alert.rule_id) or Rule(id=alert.rule_id, name=f"rule {alert.rule_id}",
                                                   kind=_K.THRESHOLD.value, enabled=False)
            key = (alert.rule_id, alert.device_id, alert.subject)
            self._tracks[key] = _Track(
                rule=rule, device_id=alert.device_id, subject=alert.subject,
                state=alert.state, since=alert.since, value=alert.value,
                threshold=alert.threshold, fired_at=alert.fired_at, flapping=alert.flapping,
            )
            if rule.kind in _UP_KINDS:
                self._up[key] = True
            if rule.kind in _TIMED_KINDS or not rule.enabled:
                self._timed.add(key)

    # -- input ----------------------------------------------------------------------

    def _device(self, device_id: int) -> _Compiled:
        comp = self._compiled.get(device_id)
        if comp is None:
            rs = self._ruleset
            device = rs.devices.get(device_id) or DeviceInfo(id=device_id)
            entries: list[_Entry] = []
            if device.enabled:
                for rule in rs.rules:
                    if not rule.enabled or not rule.applies_to(device):
                        continue
                    over = rs.overrides.get((rule.id, device_id))
                    if over is not None and not over.enabled:
                        continue
                    threshold, recovery = rule.threshold, rule.recovery
                    if over is not None and over.threshold is not None:
                        threshold = over.threshold
                        recovery = over.recovery
                    elif over is not None and over.recovery is not None:
                        recovery = over.recovery
                    entries.append(_Entry(rule, threshold, recovery))
            comp = _Compiled(device, entries)
            for e in entries:
                kind = e.rule.kind
                if kind == _K.DEVICE_STATE.value:
                    comp.states.append(e)
                elif kind == _K.REBOOT.value:
                    comp.reboot.append(e)
                elif kind == _K.FACT_CHANGED.value:
                    comp.facts.append(e)
                elif kind == _K.NO_DATA.value:
                    comp.no_data.append(e)
                elif kind == _K.LOG.value:
                    comp.logs.append(e)
            self._compiled[device_id] = comp
        return comp

    def observe_samples(self, device_id: int, samples: Sequence[Sample]) -> None:
        """Evaluate one batch of a device's samples (a tier run's).

        Raises nothing for odd values: NaN compares false, unknown keys are ignored.
        """
        if not samples:
            return
        self.samples_seen += len(samples)
        comp = self._device(device_id)
        if not comp.entries:
            return
        if comp.no_data:
            for e in comp.no_data:
                metric = e.rule.metric
                for s in samples:
                    if not metric or s.key == metric:
                        self._seen[(device_id, metric)] = s.ts
                        break
        by_key = comp.by_key
        ospf: list[tuple[_Entry, datetime]] | None = None
        for s in samples:
            entries = by_key.get(s.key)
            if entries is None:
                entries = comp.for_key(s.key)
            if not entries:
                continue
            for e in entries:
                kind = e.rule.kind
                if kind in _LEVEL_KINDS:
                    self._level(comp, e, _subject(s), s.value, s.ts)
                elif kind in _UP_KINDS:
                    if s.key == _OSPF_COUNT:
                        ospf = ospf or []
                        ospf.append((e, s.ts))
                    else:
                        self._updown(comp, e, s)
                elif kind == _K.RATE.value:
                    self._rate(comp, e, s)
                elif kind == _K.UTILISATION.value:
                    self._utilisation(comp, e, s)
        if ospf:
            self._ospf_missing(comp, ospf, samples)

    def observe_health(self, device_id: int, rows: Sequence[Mapping[str, object]],
                       ts: datetime) -> None:
        """Evaluate a device's health state sensors: ``rows`` of the
        ``health_states`` table (``{"name": "psu1-state", "state": "fail"}``, the
        router's word). A sensor is up while its word is not failing
        (:func:`mikromon.domain.catalog.is_failing`); rows without a name or word
        are skipped."""
        comp = self._device(device_id)
        entries = [e for e in comp.entries if e.rule.kind == _K.HEALTH_FAIL.value]
        if not entries:
            return
        for row in rows:
            name, word = row.get("name"), row.get("state")
            if not isinstance(name, str) or not isinstance(word, str) or not name:
                continue
            for e in entries:
                if e.rule.matches_subject(name):
                    self._up_or_down(comp, e, name, not catalog.is_failing(word), ts, word)

    def observe_events(self, events: Iterable[Event]) -> None:
        """Evaluate events (reboots, version and board changes)."""
        for ev in events:
            kind = ev.kind
            if kind == EventKind.REBOOT:
                comp = self._device(ev.device_id)
                for e in comp.reboot:
                    self._pulse(comp, e, "", ev.ts, ev.message)
            elif kind in _FACT_EVENTS:
                comp = self._device(ev.device_id)
                fact = _FACT_EVENTS[kind]
                for e in comp.facts:
                    if fact in e.rule.facts:
                        self._pulse(comp, e, fact, ev.ts, ev.message)

    def observe_logs(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Evaluate a batch of a device's log rows (an append-only ``logs``
        snapshot: rows with ``time``, ``topics``, ``message``, and ``source`` =
        ``"syslog"`` for pushed lines; see the module docstring)."""
        pushed = self._log_pushed.setdefault(device_id, OrderedDict())
        polled: list[InventoryRow] = []
        lines: list[LogLine] = []
        for row in snapshot.rows:
            if row.get("source") == "syslog":
                line = _log_line(device_id, row, snapshot.ts, "syslog")
                lines.append(line)
                pushed[line.message] = pushed.get(line.message, 0) + 1
                pushed.move_to_end(line.message)
                while len(pushed) > _LOG_PUSHED_MAX:
                    pushed.popitem(last=False)
            else:
                polled.append(dict(row))
        if polled:
            first = device_id not in self._log_seen
            seen = self._log_seen.setdefault(device_id, OrderedDict())
            for row in polled:
                key = snapshot.row_key(row)
                if key in seen:
                    continue
                seen[key] = None
                message = str(row.get("message") or "")
                if first:
                    continue  # the baseline: lines from before we started
                left = pushed.get(message, 0)
                if left:  # already evaluated when syslog brought it
                    if left == 1:
                        del pushed[message]
                    else:
                        pushed[message] = left - 1
                    continue
                lines.append(_log_line(device_id, row, snapshot.ts, "poll"))
            while len(seen) > _LOG_SEEN_MAX:
                seen.popitem(last=False)
        self.observe_log_lines(lines)

    def observe_log_lines(self, lines: Iterable[LogLine]) -> None:
        """Evaluate log lines (already filtered to new ones) against ``log`` rules."""
        for line in lines:
            self.log_lines_seen += 1
            comp = self._device(line.device_id)
            for e in comp.logs:
                if _log_matches(e.rule, line):
                    self._log_hit(comp, e, line)

    def _log_hit(self, comp: _Compiled, e: _Entry, line: LogLine) -> None:
        rule = e.rule
        key = (rule.id, comp.device.id, "")
        ts = line.ts
        track = self._tracks.get(key)
        if track is not None and track.state is AlertState.FIRING:
            track.fired_at = ts  # the quiet period starts again
            track.value = (track.value or 0.0) + 1.0
            return
        hits = self._log_hits.setdefault(key, deque())
        hits.append(ts)
        horizon = ts - timedelta(seconds=rule.window_s)
        while hits and hits[0] < horizon:
            hits.popleft()
        if len(hits) < rule.count:
            return
        count = float(len(hits))
        hits.clear()
        topics = f"{line.topics_text} " if line.topics else ""
        self._assert(comp, e, "", ts, count, float(rule.count) if rule.count > 1 else None,
                     f"{rule.name} on {comp.device.label}: {topics}{line.message[:300]}",
                     fire_now=True)

    def observe_status(self, status: DeviceStatus) -> None:
        """Evaluate a device status (state rules, identity changes)."""
        comp = self._device(status.device_id)
        state = str(status.state)
        if state == DeviceState.DISABLED.value:
            self._close_device(status.device_id, status.ts, "device disabled")
            return
        for e in comp.states:
            key = (e.rule.id, status.device_id, "")
            if state in e.rule.states:
                self._assert(comp, e, "", status.ts, None, None,
                             f"{comp.device.label} is {state.replace('_', ' ')}"
                             + (f": {status.last_error}" if status.last_error else ""),
                             fire_now=e.rule.for_seconds <= 0)
            elif state != DeviceState.UNKNOWN.value and key in self._tracks:
                self._clear(comp, key, status.ts, None, f"{comp.device.label} is {state}")
        identity = status.identity
        if identity is not None:
            before = self._identity.get(status.device_id)
            self._identity[status.device_id] = identity
            if before is not None and before != identity:
                for e in comp.facts:
                    if "identity" in e.rule.facts:
                        self._pulse(comp, e, "identity", status.ts,
                                    f"identity changed from {before} to {identity}")

    def tick(self, now: datetime) -> None:
        """Advance timers to ``now``: fire device-state alerts whose duration passed,
        raise no-data alerts, resolve reboot/fact alerts after their hold time."""
        if self._started is None:
            self._started = now
        for key in list(self._timed):
            track = self._tracks.get(key)
            if track is None:
                self._timed.discard(key)
                continue
            kind = track.rule.kind
            if track.state is AlertState.PENDING and kind == _K.DEVICE_STATE.value:
                if (now - track.since).total_seconds() >= track.rule.for_seconds:
                    self._fire(key, track, now)
            elif kind in _HOLD_KINDS and track.state is AlertState.FIRING:
                fired = track.fired_at or track.since
                if (now - fired).total_seconds() >= track.rule.hold_seconds:
                    quiet = (f"no matching log line for {track.rule.hold_seconds:g} s"
                             if kind == _K.LOG.value else "")
                    self._close(key, track, now, None, quiet)
            elif not track.rule.enabled:
                self._close(key, track, now, None, "its rule was removed or disabled")
        if not self._no_data_rules:
            return
        for device in self._ruleset.devices.values():
            if not device.enabled:
                continue
            comp = self._device(device.id)
            for e in comp.no_data:
                self._no_data(comp, e, now)

    # -- output ---------------------------------------------------------------------

    def drain(self) -> list[AlertTransition]:
        """Return and forget the transitions produced since the last call, in order."""
        out = list(self._out)
        self._out.clear()
        return out

    def open_alerts(self) -> list[AlertTransition]:
        """Return the open alerts now as transitions (state = current state); for
        status pages and tests."""
        return [
            self._transition(t, t.state, t.state, t.fired_at or t.since, "")
            for t in list(self._tracks.values())
        ]

    def stats(self) -> dict[str, int]:
        """Counters: open (alerts), pending, firing, samples_seen, transitions_dropped.
        Safe to call from any thread."""
        # Called from other threads (status pages): list() copies the values in one
        # step under the interpreter lock, so a concurrent change cannot break it.
        tracks = list(self._tracks.values())
        firing = sum(1 for t in tracks if t.state is AlertState.FIRING)
        return {"open": len(tracks), "pending": len(tracks) - firing,
                "firing": firing, "samples_seen": self.samples_seen,
                "transitions_dropped": self.transitions_dropped}

    # -- kinds ----------------------------------------------------------------------

    def _level(self, comp: _Compiled, e: _Entry, subject: str, value: float, ts: datetime
               ) -> None:
        rule = e.rule
        threshold = e.threshold
        if threshold is None or not rule.matches_subject(subject):
            return
        above = rule.comparison == ">"
        breach = value > threshold if above else value < threshold
        key = (rule.id, comp.device.id, subject)
        track = self._tracks.get(key)
        if breach:
            self._assert(comp, e, subject, ts, value, threshold, None)
            return
        if track is None:
            return
        if track.state is AlertState.FIRING and e.recovery is not None:
            recovered = value < e.recovery if above else value > e.recovery
            if not recovered:
                track.value = value  # between recovery and threshold: still firing
                return
        self._clear(comp, key, ts, value,
                    f"{self._what(rule, subject)} on {comp.device.label} back to "
                    f"{_fmt(rule.metric, value)}")

    def _updown(self, comp: _Compiled, e: _Entry, s: Sample) -> None:
        rule = e.rule
        subject = _subject(s)
        if not rule.matches_subject(subject):
            return
        key = (rule.id, comp.device.id, subject)
        if s.key == _IFACE_DISABLED:
            if s.value >= 1:
                self._up.pop(key, None)
                if key in self._tracks:
                    self._clear(comp, key, s.ts, None, f"interface {subject} disabled")
            return
        self._up_or_down(comp, e, subject, s.value >= 1, s.ts)

    def _up_or_down(self, comp: _Compiled, e: _Entry, subject: str, up: bool, ts: datetime,
                    word: str = "") -> None:
        rule = e.rule
        key = (rule.id, comp.device.id, subject)
        said = f" ({word})" if word else ""
        if up:
            self._up[key] = True
            if key in self._tracks:
                self._clear(comp, key, ts, 1.0, f"{_UP_WORDS[rule.kind][1]} on "
                            f"{comp.device.label}: {subject}{said}")
            return
        if self._up.get(key) or key in self._tracks:
            self._assert(comp, e, subject, ts, 0.0, None,
                         f"{_UP_WORDS[rule.kind][0]} on {comp.device.label}: {subject}{said}",
                         fire_now=rule.for_seconds <= 0)

    def _ospf_missing(self, comp: _Compiled, found: list[tuple[_Entry, datetime]],
                      samples: Sequence[Sample]) -> None:
        full = {_subject(s) for s in samples if s.key == _OSPF_FULL}
        device_id = comp.device.id
        for e, ts in found:
            rule = e.rule
            for (rule_id, dev, subject), up in list(self._up.items()):
                if rule_id != rule.id or dev != device_id or not up or subject in full:
                    continue
                self._assert(comp, e, subject, ts, 0.0, None,
                             f"OSPF neighbour {subject} gone from {comp.device.label}",
                             fire_now=rule.for_seconds <= 0)

    def _rate(self, comp: _Compiled, e: _Entry, s: Sample) -> None:
        subject = _subject(s)
        key = (e.rule.id, comp.device.id, subject)
        prev = self._prev.get(key)
        self._prev[key] = (s.value, s.ts)
        if prev is None:
            return
        dt = (s.ts - prev[1]).total_seconds()
        if dt <= 0:
            return
        self._level(comp, e, subject, (s.value - prev[0]) / dt, s.ts)

    def _utilisation(self, comp: _Compiled, e: _Entry, s: Sample) -> None:
        iface = _subject(s)
        key = (comp.device.id, iface)
        if s.key == _LINK_SPEED:
            if s.value > 0 and math.isfinite(s.value):
                self._link_speed[key] = s.value
            else:
                self._link_speed.pop(key, None)
            return
        speed = self._link_speed.get(key) or e.rule.speed_bps
        if not speed:
            return
        direction = "rx" if s.key == "iface.rx_bps" else "tx"
        self._level(comp, e, f"{iface} {direction}", s.value * 100.0 / speed, s.ts)

    def _no_data(self, comp: _Compiled, e: _Entry, now: datetime) -> None:
        rule = e.rule
        device = comp.device
        tier = Tier.REALTIME
        if rule.metric:
            try:
                tier = catalog.lookup(rule.metric).tier
            except KeyError:
                pass
        interval = float(device.intervals.get(tier, DEFAULT_INTERVALS[tier]))
        window = rule.intervals * interval
        last = self._seen.get((device.id, rule.metric)) or self._started or now
        key = (rule.id, device.id, "")
        silent = (now - last).total_seconds()
        if silent > window:
            what = f"no {rule.metric} samples" if rule.metric else "no data"
            self._assert(comp, e, "", last, silent, window,
                         f"{what} from {device.label} for {silent:.0f} s "
                         f"(more than {rule.intervals} x {interval:g} s)",
                         fire_now=True, at=now)
        elif key in self._tracks:
            self._clear(comp, key, now, None, f"data from {device.label} again")

    def _pulse(self, comp: _Compiled, e: _Entry, subject: str, ts: datetime, message: str
               ) -> None:
        key = (e.rule.id, comp.device.id, subject)
        track = self._tracks.get(key)
        if track is not None and track.state is AlertState.FIRING:
            track.fired_at = ts  # a new reboot restarts the hold time
            return
        self._assert(comp, e, subject, ts, None, None,
                     f"{e.rule.name} on {comp.device.label}: {message}", fire_now=True)

    # -- state machine ----------------------------------------------------------------

    def _assert(self, comp: _Compiled, e: _Entry, subject: str, ts: datetime,
                value: float | None, threshold: float | None, message: str | None,
                *, fire_now: bool = False, at: datetime | None = None) -> None:
        """The condition holds at ``ts``: open, or move towards firing.

        ``message`` ``None``: described from the rule, value and threshold (only when
        a transition is emitted: a firing alert costs a dict lookup per sample)."""
        rule = e.rule
        key = (rule.id, comp.device.id, subject)
        track = self._tracks.get(key)
        if track is None:
            track = _Track(rule=rule, device_id=comp.device.id, subject=subject,
                           state=AlertState.PENDING, since=ts, value=value,
                           threshold=threshold)
            self._tracks[key] = track
            if rule.kind in _TIMED_KINDS:
                self._timed.add(key)
            if message is None:
                message = self._describe(rule, comp.device, subject, value, threshold)
            self._emit(track, AlertState.PENDING, None, at or ts, message)
        else:
            if track.state is AlertState.FIRING:
                track.value = value
                return
            track.value = value
            if threshold is not None:
                track.threshold = threshold
        if track.state is AlertState.PENDING and (
            fire_now or ((at or ts) - track.since).total_seconds() >= rule.for_seconds
        ):
            self._fire(key, track, at or ts, message or "")

    def _fire(self, key: Key, track: _Track, ts: datetime, message: str = "") -> None:
        rule = track.rule
        fires = self._fires.setdefault(key, deque())
        fires.append(ts)
        horizon = ts - timedelta(seconds=rule.flap_window_s)
        while fires and fires[0] < horizon:
            fires.popleft()
        track.flapping = len(fires) > rule.flap_count
        track.state = AlertState.FIRING
        track.fired_at = ts
        device = self._ruleset.devices.get(track.device_id) or DeviceInfo(id=track.device_id)
        text = message or self._describe(rule, device, track.subject, track.value,
                                         track.threshold)
        self._emit(track, AlertState.FIRING, AlertState.PENDING, ts,
                   f"{text} since {_when(track.since)}")

    def _clear(self, comp: _Compiled, key: Key, ts: datetime, value: float | None,
               message: str) -> None:
        track = self._tracks.get(key)
        if track is not None:
            if value is not None:
                track.value = value
            self._close(key, track, ts, value, message)

    def _close(self, key: Key, track: _Track, ts: datetime, value: float | None,
               why: str) -> None:
        del self._tracks[key]
        self._timed.discard(key)
        self._prev.pop(key, None)
        if track.state is AlertState.FIRING:
            fires = self._fires.get(key)
            horizon = ts - timedelta(seconds=track.rule.flap_window_s)
            if fires:
                while fires and fires[0] < horizon:
                    fires.popleft()
                track.flapping = len(fires) > track.rule.flap_count
        device = self._ruleset.devices.get(track.device_id) or DeviceInfo(id=track.device_id)
        where = f" ({track.subject})" if track.subject else ""
        text = (f"{track.rule.name} resolved on {device.label}{where}"
                f"{': ' + why if why else ''}; {track.state.value} since {_when(track.since)}")
        self._emit(track, AlertState.RESOLVED, track.state, ts, text)

    def _close_device(self, device_id: int, ts: datetime, why: str) -> None:
        for key, track in list(self._tracks.items()):
            if key[1] == device_id:
                self._close(key, track, ts, None, why)

    def _emit(self, track: _Track, state: AlertState, previous: AlertState | None,
              ts: datetime, message: str) -> None:
        if len(self._out) >= MAX_OUTBOX:
            self._out.popleft()
            self.transitions_dropped += 1
        self._out.append(self._transition(track, state, previous, ts, message))

    def _transition(self, track: _Track, state: AlertState, previous: AlertState | None,
                    ts: datetime, message: str) -> AlertTransition:
        rule = track.rule
        return AlertTransition(
            alert_id=None, rule_id=rule.id, rule_name=rule.name, device_id=track.device_id,
            subject=track.subject, state=state, previous=previous, severity=rule.severity,
            ts=ts, value=track.value, threshold=track.threshold, message=message,
            since=track.since, flapping=track.flapping,
        )

    # -- words ----------------------------------------------------------------------

    @staticmethod
    def _what(rule: Rule, subject: str) -> str:
        metric = rule.metric or "interface utilisation (%)"
        return f"{metric} of {subject}" if subject else metric

    def _describe(self, rule: Rule, device: DeviceInfo, subject: str, value: float | None,
                  threshold: float | None) -> str:
        if value is None:
            return f"{rule.name} on {device.label}" + (f" ({subject})" if subject else "")
        metric = rule.metric if rule.kind != _K.UTILISATION.value else ""
        side = "above" if rule.comparison == ">" else "below"
        per_s = "/s" if rule.kind == _K.RATE.value else ""
        level = f"{_fmt(metric, threshold)}{per_s}" if threshold is not None else "?"
        return (f"{rule.name}: {self._what(rule, subject)} on {device.label} is "
                f"{_fmt(metric, value)}{per_s}, {side} {level}"
                + (f" for {rule.for_seconds:g} s" if rule.for_seconds else ""))


_UP_WORDS: Final = {
    _K.LINK_DOWN.value: ("link down", "link up again"),
    _K.BGP_DOWN.value: ("BGP session no longer established", "BGP session established again"),
    _K.OSPF_DOWN.value: ("OSPF neighbour left Full", "OSPF neighbour Full again"),
    _K.HEALTH_FAIL.value: ("health sensor failed", "health sensor ok again"),
}

_UNIT_WORDS: Final = {catalog.PERCENT: " %", catalog.CELSIUS: " °C", catalog.BITS_PER_SECOND:
                      " bit/s", catalog.BYTES: " B", catalog.SECONDS: " s", catalog.VOLTS: " V",
                      catalog.RPM: " rpm", catalog.PER_SECOND: "/s"}


def _fmt(metric: str, value: float | None) -> str:
    """``95 %``, ``61 °C``, ``3.2/s``: a value with its catalog unit."""
    if value is None:
        return "?"
    unit = ""
    if not metric:
        unit = " %"
    else:
        try:
            unit = _UNIT_WORDS.get(catalog.lookup(metric).unit, "")
        except KeyError:
            unit = ""
    if not math.isfinite(value):
        return f"{value}{unit}"
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return text + unit


def _when(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")
