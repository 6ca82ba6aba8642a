"""How each rule kind judges what it reads: levels (threshold, count, rate,
utilisation), up/down states (link, BGP, OSPF, health sensors), no-data clocks,
pulses (reboot, fact changes) and log line counts. Each tells the state machine
(:class:`mikromon.alerting.book.AlertBook`) that a condition holds or cleared.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

from mikromon.alerting.book import AlertBook
from mikromon.alerting.rules import RuleSet
from mikromon.alerting.tracking import (
    IFACE_DISABLED,
    LINK_SPEED,
    OSPF_FULL,
    Compiled,
    Entry,
    Key,
    subject_of,
)
from mikromon.alerting.words import UP_WORDS, what, with_unit
from mikromon.domain import catalog
from mikromon.domain.alerts import AlertState
from mikromon.domain.logs import LogLine
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier


class KindRules(AlertBook):
    """The rule kinds' judgement over :class:`AlertBook`; the engine feeds it.

    Args:
        rules: the rules in force.
        started: when evaluation started, UTC (the no-data clock of series never
            seen starts here; ``None``: the first tick).
    """

    def __init__(self, rules: RuleSet, started: datetime | None) -> None:
        super().__init__(rules)
        self._started = started
        self._up: dict[Key, bool] = {}
        #: (device id, interface) -> the last link speed reported, bits/s (only
        #: devices with a utilisation rule; one entry per ethernet port).
        self._link_speed: dict[tuple[int, str], float] = {}
        self._seen: dict[tuple[int, str], datetime] = {}
        self._log_hits: dict[Key, deque[datetime]] = {}

    def _level(self, comp: Compiled, e: Entry, subject: str, value: float, ts: datetime
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
                    f"{what(rule, subject)} on {comp.device.label} back to "
                    f"{with_unit(rule.metric, value)}")

    def _updown(self, comp: Compiled, e: Entry, s: Sample) -> None:
        rule = e.rule
        subject = subject_of(s)
        if not rule.matches_subject(subject):
            return
        key = (rule.id, comp.device.id, subject)
        if s.key == IFACE_DISABLED:
            if s.value >= 1:
                self._up.pop(key, None)
                if key in self._tracks:
                    self._clear(comp, key, s.ts, None, f"interface {subject} disabled")
            return
        self._up_or_down(comp, e, subject, s.value >= 1, s.ts)

    def _up_or_down(self, comp: Compiled, e: Entry, subject: str, up: bool, ts: datetime,
                    word: str = "") -> None:
        rule = e.rule
        key = (rule.id, comp.device.id, subject)
        said = f" ({word})" if word else ""
        if up:
            self._up[key] = True
            if key in self._tracks:
                self._clear(comp, key, ts, 1.0, f"{UP_WORDS[rule.kind][1]} on "
                            f"{comp.device.label}: {subject}{said}")
            return
        if self._up.get(key) or key in self._tracks:
            self._assert(comp, e, subject, ts, 0.0, None,
                         f"{UP_WORDS[rule.kind][0]} on {comp.device.label}: {subject}{said}",
                         fire_now=rule.for_seconds <= 0)

    def _ospf_missing(self, comp: Compiled, found: list[tuple[Entry, datetime]],
                      samples: Sequence[Sample]) -> None:
        full = {subject_of(s) for s in samples if s.key == OSPF_FULL}
        device_id = comp.device.id
        for e, ts in found:
            rule = e.rule
            for (rule_id, dev, subject), up in list(self._up.items()):
                if rule_id != rule.id or dev != device_id or not up or subject in full:
                    continue
                self._assert(comp, e, subject, ts, 0.0, None,
                             f"OSPF neighbour {subject} gone from {comp.device.label}",
                             fire_now=rule.for_seconds <= 0)

    def _rate(self, comp: Compiled, e: Entry, s: Sample) -> None:
        subject = subject_of(s)
        key = (e.rule.id, comp.device.id, subject)
        prev = self._prev.get(key)
        self._prev[key] = (s.value, s.ts)
        if prev is None:
            return
        dt = (s.ts - prev[1]).total_seconds()
        if dt <= 0:
            return
        self._level(comp, e, subject, (s.value - prev[0]) / dt, s.ts)

    def _utilisation(self, comp: Compiled, e: Entry, s: Sample) -> None:
        iface = subject_of(s)
        key = (comp.device.id, iface)
        if s.key == LINK_SPEED:
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

    def _no_data(self, comp: Compiled, e: Entry, now: datetime) -> None:
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

    def _pulse(self, comp: Compiled, e: Entry, subject: str, ts: datetime, message: str
               ) -> None:
        key = (e.rule.id, comp.device.id, subject)
        track = self._tracks.get(key)
        if track is not None and track.state is AlertState.FIRING:
            track.fired_at = ts  # a new reboot restarts the hold time
            return
        self._assert(comp, e, subject, ts, None, None,
                     f"{e.rule.name} on {comp.device.label}: {message}", fire_now=True)


    def _log_hit(self, comp: Compiled, e: Entry, line: LogLine) -> None:
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
