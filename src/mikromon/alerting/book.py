"""Open alerts and their transitions: the state machine under the rule engine
(pending, firing, resolved; flapping), with the queue of transitions that
:meth:`AlertBook.drain` hands out. The rule kinds (:mod:`mikromon.alerting.kinds`)
say when a condition holds or cleared; this says what that does to the alert.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from mikromon.alerting.rules import DeviceInfo, RuleSet
from mikromon.alerting.tracking import MAX_OUTBOX, TIMED_KINDS, Compiled, Entry, Key, Track
from mikromon.alerting.words import describe, utc_text
from mikromon.domain.alerts import AlertState, AlertTransition


class AlertBook:
    """The open alerts (one per rule, device and subject) and the transitions
    waiting for :meth:`drain`; see :mod:`mikromon.alerting.engine` for their life.

    Args:
        rules: the rules in force (their devices name the alerts).
    """

    def __init__(self, rules: RuleSet) -> None:
        self._ruleset = rules
        self._tracks: dict[Key, Track] = {}
        #: The last value and time of rate series (forgotten when their alert closes).
        self._prev: dict[Key, tuple[float, datetime]] = {}
        self._fires: dict[Key, deque[datetime]] = {}
        self._out: deque[AlertTransition] = deque()
        #: Open alerts that ``tick`` looks at (timed kinds, rules gone).
        self._timed: set[Key] = set()
        self.transitions_dropped = 0

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


    # -- state machine ----------------------------------------------------------------

    def _assert(self, comp: Compiled, e: Entry, subject: str, ts: datetime,
                value: float | None, threshold: float | None, message: str | None,
                *, fire_now: bool = False, at: datetime | None = None) -> None:
        """The condition holds at ``ts``: open, or move towards firing.

        ``message`` ``None``: described from the rule, value and threshold (only when
        a transition is emitted: a firing alert costs a dict lookup per sample)."""
        rule = e.rule
        key = (rule.id, comp.device.id, subject)
        track = self._tracks.get(key)
        if track is None:
            track = Track(rule=rule, device_id=comp.device.id, subject=subject,
                           state=AlertState.PENDING, since=ts, value=value,
                           threshold=threshold)
            self._tracks[key] = track
            if rule.kind in TIMED_KINDS:
                self._timed.add(key)
            if message is None:
                message = describe(rule, comp.device, subject, value, threshold)
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

    def _fire(self, key: Key, track: Track, ts: datetime, message: str = "") -> None:
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
        text = message or describe(rule, device, track.subject, track.value,
                                         track.threshold)
        self._emit(track, AlertState.FIRING, AlertState.PENDING, ts,
                   f"{text} since {utc_text(track.since)}")

    def _clear(self, comp: Compiled, key: Key, ts: datetime, value: float | None,
               message: str) -> None:
        track = self._tracks.get(key)
        if track is not None:
            if value is not None:
                track.value = value
            self._close(key, track, ts, value, message)

    def _close(self, key: Key, track: Track, ts: datetime, value: float | None,
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
                f"{': ' + why if why else ''}; {track.state.value} since {utc_text(track.since)}")
        self._emit(track, AlertState.RESOLVED, track.state, ts, text)

    def _close_device(self, device_id: int, ts: datetime, why: str) -> None:
        for key, track in list(self._tracks.items()):
            if key[1] == device_id:
                self._close(key, track, ts, None, why)

    def _emit(self, track: Track, state: AlertState, previous: AlertState | None,
              ts: datetime, message: str) -> None:
        if len(self._out) >= MAX_OUTBOX:
            self._out.popleft()
            self.transitions_dropped += 1
        self._out.append(self._transition(track, state, previous, ts, message))

    def _transition(self, track: Track, state: AlertState, previous: AlertState | None,
                    ts: datetime, message: str) -> AlertTransition:
        rule = track.rule
        return AlertTransition(
            alert_id=None, rule_id=rule.id, rule_name=rule.name, device_id=track.device_id,
            subject=track.subject, state=state, previous=previous, severity=rule.severity,
            ts=ts, value=track.value, threshold=track.threshold, message=message,
            since=track.since, flapping=track.flapping,
        )
