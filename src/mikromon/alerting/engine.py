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

The engine is built in layers: :class:`mikromon.alerting.book.AlertBook` keeps
the open alerts and their transitions (the life above),
:class:`mikromon.alerting.kinds.KindRules` judges each kind, and
:class:`AlertEngine` here takes the input and routes it to the rules of each
device (:mod:`mikromon.alerting.tracking`); log lines come in through
:class:`mikromon.alerting.log_intake.LogIntake`, the sentences are from
:mod:`mikromon.alerting.words`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import cast

from mikromon.alerting.kinds import KindRules
from mikromon.alerting.log_intake import LogIntake, log_matches
from mikromon.alerting.rules import DeviceInfo, Override, Restored, Rule, RuleSet
from mikromon.alerting.tracking import (
    FACT_EVENTS,
    HOLD_KINDS,
    LEVEL_KINDS,
    OSPF_COUNT,
    TIMED_KINDS,
    UP_KINDS,
    Compiled,
    Entry,
    Track,
    subject_of,
)
from mikromon.domain import catalog
from mikromon.domain.alerts import AlertState, RuleKind
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.logs import LogLine
from mikromon.domain.samples import Sample, SampleItem, has_blocks, sample_count

log = logging.getLogger(__name__)

__all__ = ["AlertEngine"]


class AlertEngine(KindRules):
    """Evaluates alert rules; see the module docstring.

    Args:
        rules: the rules to start with (:meth:`set_rules` replaces them).
        started: when evaluation started, UTC (the no-data clock of series never
            seen starts here; default: the first :meth:`tick`).

    Not thread-safe: call it from one thread (the collector's event loop).
    """

    def __init__(self, rules: RuleSet | None = None, *, started: datetime | None = None
                 ) -> None:
        super().__init__(rules or RuleSet(), started)
        self._compiled: dict[int, Compiled] = {}
        self._identity: dict[int, str] = {}
        self._log_intake = LogIntake()
        self.log_lines_seen = 0
        self._no_data_rules = any(r.enabled and r.kind == RuleKind.NO_DATA.value
                                  for r in self._ruleset.rules)
        self.samples_seen = 0

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
        self._no_data_rules = any(r.enabled and r.kind == RuleKind.NO_DATA.value
                                  for r in rules.rules)
        by_id = {r.id: r for r in rules.rules if r.enabled}
        self._log_hits = {k: v for k, v in self._log_hits.items() if k[0] in by_id}
        for key, track in list(self._tracks.items()):
            rule_id, device_id, _ = key
            if rules.polled is not None and device_id not in rules.polled:
                self._forget(key)  # another collector polls it now and carries it on
                continue
            rule = by_id.get(rule_id)
            device = rules.devices.get(device_id)
            gone = (rule is None or device is None or not device.enabled
                    or not rule.applies_to(device)
                    or not rules.overrides.get((rule_id, device_id), Override()).enabled)
            if rule is not None and not gone:
                track.rule = rule
            else:
                self._close(key, track, now, None, "its rule or device changed")

    def _forget(self, key: tuple[int, int, str]) -> None:
        """Drop an open alert without a transition (its device is polled elsewhere)."""
        self._tracks.pop(key, None)
        self._timed.discard(key)
        self._prev.pop(key, None)
        self._up.pop(key, None)

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
                                                   kind=RuleKind.THRESHOLD.value, enabled=False)
            key = (alert.rule_id, alert.device_id, alert.subject)
            self._tracks[key] = Track(
                rule=rule, device_id=alert.device_id, subject=alert.subject,
                state=alert.state, since=alert.since, value=alert.value,
                threshold=alert.threshold, fired_at=alert.fired_at, flapping=alert.flapping,
            )
            if rule.kind in UP_KINDS:
                self._up[key] = True
            if rule.kind in TIMED_KINDS or not rule.enabled:
                self._timed.add(key)

    # -- input ----------------------------------------------------------------------

    def _device(self, device_id: int) -> Compiled:
        comp = self._compiled.get(device_id)
        if comp is None:
            rs = self._ruleset
            device = rs.devices.get(device_id) or DeviceInfo(id=device_id)
            entries: list[Entry] = []
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
                    entries.append(Entry(rule, threshold, recovery))
            comp = Compiled(device, entries)
            for e in entries:
                kind = e.rule.kind
                if kind == RuleKind.DEVICE_STATE.value:
                    comp.states.append(e)
                elif kind == RuleKind.REBOOT.value:
                    comp.reboot.append(e)
                elif kind == RuleKind.FACT_CHANGED.value:
                    comp.facts.append(e)
                elif kind == RuleKind.NO_DATA.value:
                    comp.no_data.append(e)
                elif kind == RuleKind.LOG.value:
                    comp.logs.append(e)
            self._compiled[device_id] = comp
        return comp

    def observe_samples(self, device_id: int, items: Sequence[SampleItem]) -> None:
        """Evaluate one batch of a device's samples (a tier run's; blocks of raw
        counters as their samples, made only for a block a rule reads).

        Raises nothing for odd values: NaN compares false, unknown keys are ignored.
        """
        if not items:
            return
        self.samples_seen += sample_count(items)
        comp = self._device(device_id)
        if not comp.entries:
            return
        samples = _read_by(comp, items)
        if comp.no_data:
            for e in comp.no_data:
                metric = e.rule.metric
                for s in samples:
                    if not metric or s.key == metric:
                        self._seen[(device_id, metric)] = s.ts
                        break
        by_key = comp.by_key
        ospf: list[tuple[Entry, datetime]] | None = None
        for s in samples:
            entries = by_key.get(s.key)
            if entries is None:
                entries = comp.for_key(s.key)
            if not entries:
                continue
            for e in entries:
                kind = e.rule.kind
                if kind in LEVEL_KINDS:
                    self._level(comp, e, subject_of(s), s.value, s.ts)
                elif kind in UP_KINDS:
                    if s.key == OSPF_COUNT:
                        ospf = ospf or []
                        ospf.append((e, s.ts))
                    else:
                        self._updown(comp, e, s)
                elif kind == RuleKind.RATE.value:
                    self._rate(comp, e, s)
                elif kind == RuleKind.UTILISATION.value:
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
        entries = [e for e in comp.entries if e.rule.kind == RuleKind.HEALTH_FAIL.value]
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
            elif kind in FACT_EVENTS:
                comp = self._device(ev.device_id)
                fact = FACT_EVENTS[kind]
                for e in comp.facts:
                    if fact in e.rule.facts:
                        self._pulse(comp, e, fact, ev.ts, ev.message)

    def observe_logs(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Evaluate a batch of a device's log rows (an append-only ``logs``
        snapshot: rows with ``time``, ``topics``, ``message``, and ``source`` =
        ``"syslog"`` for pushed lines; see the module docstring and
        :meth:`mikromon.alerting.log_intake.LogIntake.new_lines`)."""
        self.observe_log_lines(self._log_intake.new_lines(device_id, snapshot))

    def observe_log_lines(self, lines: Iterable[LogLine]) -> None:
        """Evaluate log lines (already filtered to new ones) against ``log`` rules."""
        for line in lines:
            self.log_lines_seen += 1
            comp = self._device(line.device_id)
            for e in comp.logs:
                if log_matches(e.rule, line):
                    self._log_hit(comp, e, line)

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
            if track.state is AlertState.PENDING and kind == RuleKind.DEVICE_STATE.value:
                if (now - track.since).total_seconds() >= track.rule.for_seconds:
                    self._fire(key, track, now)
            elif kind in HOLD_KINDS and track.state is AlertState.FIRING:
                fired = track.fired_at or track.since
                if (now - fired).total_seconds() >= track.rule.hold_seconds:
                    quiet = (f"no matching log line for {track.rule.hold_seconds:g} s"
                             if kind == RuleKind.LOG.value else "")
                    self._close(key, track, now, None, quiet)
            elif not track.rule.enabled:
                self._close(key, track, now, None, "its rule was removed or disabled")
        if not self._no_data_rules:
            return
        polled = self._ruleset.polled
        for device in self._ruleset.devices.values():
            if not device.enabled or (polled is not None and device.id not in polled):
                continue
            comp = self._device(device.id)
            for e in comp.no_data:
                self._no_data(comp, e, now)

    # -- output ---------------------------------------------------------------------

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


def _read_by(comp: Compiled, items: Sequence[SampleItem]) -> Sequence[Sample]:
    """The samples of ``items`` that ``comp``'s rules may read: every sample, and
    of each block the samples of the keys a rule reads (or a ``no_data`` rule: of
    that key, or of any key when the batch has no sample outside blocks)."""
    if not has_blocks(items):
        return cast(Sequence[Sample], items)  # no block: samples only
    watched = {e.rule.metric for e in comp.no_data}
    alone = "" in watched and not any(isinstance(item, Sample) for item in items)
    out: list[Sample] = []
    for item in items:
        if isinstance(item, Sample):
            out.append(item)
        elif alone:
            out += item.samples()
        else:
            read = {key for key in item.keys if comp.for_key(key) or key in watched}
            if read:
                out += item.samples(read)
    return out
