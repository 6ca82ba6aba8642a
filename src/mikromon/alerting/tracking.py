"""What the rule engine keeps per alert and per device: an open alert
(:class:`Track`), a rule as it applies to one device (:class:`Entry`), a device's
rules indexed by what triggers them (:class:`Compiled`), and the sample keys and
kind groups the engine's parts agree on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from mikromon.alerting.rules import STATE_METRICS, DeviceInfo, Rule
from mikromon.domain.alerts import AlertState, RuleKind
from mikromon.domain.events import EventKind
from mikromon.domain.samples import Sample

#: Most transitions kept waiting for :meth:`AlertEngine.drain` (oldest dropped beyond).
MAX_OUTBOX: Final = 100_000

#: Kinds that watch a subject go from up to down.
UP_KINDS: Final = frozenset({RuleKind.LINK_DOWN.value, RuleKind.BGP_DOWN.value,
                             RuleKind.OSPF_DOWN.value, RuleKind.HEALTH_FAIL.value})
#: Kinds that compare each sample with a threshold.
LEVEL_KINDS: Final = frozenset({RuleKind.THRESHOLD.value, RuleKind.COUNT.value})
#: Kinds whose alerts resolve by themselves after the hold time.
HOLD_KINDS: Final = frozenset({RuleKind.REBOOT.value, RuleKind.FACT_CHANGED.value,
                               RuleKind.LOG.value})
#: Polled log lines remembered per device (to evaluate only new ones).
LOG_SEEN_MAX: Final = 2000
#: Syslog messages remembered per device (so the same line read from /log later is
#: not counted again).
LOG_PUSHED_MAX: Final = 2000
#: Kinds whose alerts :meth:`AlertEngine.tick` moves (the others move on samples).
TIMED_KINDS: Final = HOLD_KINDS | {RuleKind.DEVICE_STATE.value}
FACT_EVENTS: Final = {EventKind.VERSION_CHANGED: "version", EventKind.BOARD_CHANGED: "board"}
OSPF_COUNT: Final = "ospf.neighbors"
OSPF_FULL: Final = "ospf.neighbor_full"
IFACE_DISABLED: Final = "iface.disabled"
UTIL_KEYS: Final = ("iface.rx_bps", "iface.tx_bps")
LINK_SPEED: Final = "iface.link_speed_bps"

Key = tuple[int, int, str]


@dataclass(slots=True)
class Track:
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
class Entry:
    """A rule as it applies to one device: the override's levels folded in."""

    rule: Rule
    threshold: float | None
    recovery: float | None


@dataclass(slots=True)
class Compiled:
    """The rules of one device, indexed by what triggers them."""

    device: DeviceInfo
    entries: list[Entry]
    by_key: dict[str, list[Entry]] = field(default_factory=dict)
    states: list[Entry] = field(default_factory=list)
    reboot: list[Entry] = field(default_factory=list)
    facts: list[Entry] = field(default_factory=list)
    no_data: list[Entry] = field(default_factory=list)
    logs: list[Entry] = field(default_factory=list)

    def for_key(self, key: str) -> list[Entry]:
        """Return (and cache) the entries a sample of ``key`` triggers."""
        found = self.by_key.get(key)
        if found is None:
            found = [e for e in self.entries if reads(e.rule, key)]
            self.by_key[key] = found
        return found


def reads(rule: Rule, key: str) -> bool:
    """Whether ``rule`` evaluates samples of ``key``."""
    kind = rule.kind
    if kind in LEVEL_KINDS or kind == RuleKind.RATE.value:
        return key == rule.metric
    if kind == RuleKind.UTILISATION.value:
        return key == LINK_SPEED or (key in UTIL_KEYS
                                      and (not rule.metric or key == rule.metric))
    if kind == RuleKind.LINK_DOWN.value:
        return key in ("iface.running", IFACE_DISABLED)
    if kind == RuleKind.OSPF_DOWN.value:
        return key in (OSPF_FULL, OSPF_COUNT)
    if kind in STATE_METRICS:
        return key == STATE_METRICS[kind][0]
    return False


def subject_of(sample: Sample) -> str:
    labels = sample.labels
    return labels[0][1] if labels else ""
