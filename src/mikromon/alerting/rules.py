"""Alert rules as the engine reads them: plain, frozen values, no Django.

A host (the Django app, :class:`mikromon.web.alerts.store.DjangoAlertStore`) turns
its stored rules into :class:`Rule` values with
:func:`mikromon.alerting.rule_parsing.rule_from_mapping` and hands the engine a
:class:`RuleSet`: the enabled rules, per-device overrides, and what the engine
needs to know of each device (name, site, tags, tier intervals) to apply scopes
and describe alerts.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Final

from mikromon.domain.alerts import AlertState, RuleKind, Severity
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier

__all__ = [
    "DEFAULT_FLAP_COUNT",
    "DEFAULT_FLAP_WINDOW_S",
    "LOG_MESSAGE_LIMIT",
    "LOG_PATTERN_LIMIT",
    "METRIC_KINDS",
    "STATE_METRICS",
    "DeviceInfo",
    "OpenAlert",
    "Override",
    "Restored",
    "Rule",
    "RuleSet",
]

#: Flapping: more than this many firings within the window marks an alert flapping.
DEFAULT_FLAP_COUNT: Final = 4
#: Flapping window, seconds.
DEFAULT_FLAP_WINDOW_S: Final = 3600
#: Event-like alerts (reboot, fact changed) resolve by themselves after this long, s.
DEFAULT_HOLD_S: Final = 600
#: Device states a ``device_state`` rule may name. ``slow`` and ``degraded`` are
#: states of newer collectors; they are matched by their value.
DEVICE_STATES: Final = ("down", "auth_failed", "slow", "degraded")
#: Facts a ``fact_changed`` rule may watch.
FACTS: Final = ("version", "board", "identity")

#: The 1/0 sample each "was up, now down" kind reads (key, label naming the subject).
#: ``health_fail`` reads every ``system.health.*state*`` sensor (subject: the sensor).
STATE_METRICS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    RuleKind.LINK_DOWN.value: ("iface.running", "interface"),
    RuleKind.BGP_DOWN.value: ("bgp.established", "peer"),
    RuleKind.OSPF_DOWN.value: ("ospf.neighbor_full", "neighbor"),
})
#: Longest ``log`` rule pattern, characters (the cost of a search is bounded by the
#: pattern and by :data:`LOG_MESSAGE_LIMIT`).
LOG_PATTERN_LIMIT: Final = 300
#: Characters of a log message a ``log`` rule searches.
LOG_MESSAGE_LIMIT: Final = 1024
#: Most topics a ``log`` rule may list.
LOG_TOPICS_LIMIT: Final = 16

#: Kinds that compare a metric with a threshold (and need ``metric`` and ``threshold``).
METRIC_KINDS: Final = frozenset({RuleKind.THRESHOLD.value, RuleKind.RATE.value,
                                 RuleKind.COUNT.value})


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One alert rule.

    Attributes:
        id: the stored rule's id.
        name: unique name, used in messages.
        kind: a :class:`~mikromon.domain.alerts.RuleKind` value.
        severity: severity of its alerts.
        metric: catalog key (threshold, rate, count, no_data; utilisation:
            ``iface.rx_bps`` or ``iface.tx_bps``, ``''`` for both); ``''`` for
            no_data means "any sample".
        comparison: ``'>'`` (fire above) or ``'<'`` (fire below).
        threshold: the level (metric's unit; percent for utilisation; per second for
            rate); ``None`` for state kinds.
        recovery: level at which a firing alert resolves (hysteresis); ``None``:
            as soon as the value no longer passes ``threshold``.
        for_seconds: how long the condition must hold before the alert fires.
        name_pattern: fnmatch pattern on the subject (interface, sensor, peer,
            neighbour), ``''`` for all; case-sensitive as RouterOS names are.
        intervals: no_data: how many of the metric's polling intervals may pass.
        states: device_state: the states that raise it.
        facts: fact_changed: which facts are watched.
        hold_seconds: reboot / fact_changed: how long the alert stays firing.
        speed_bps: utilisation: the link speed, bits/s, of interfaces whose
            ethernet link rate (``iface.link_speed_bps``) is not known; an
            interface with neither is not evaluated.
        flap_count, flap_window_s: more than ``flap_count`` firings within
            ``flap_window_s`` mark the alert flapping.
        pattern: log: the regular expression searched in each line's message
            (case-insensitive; ``''`` matches every line).
        regex: log: :attr:`pattern` compiled (``None`` for other kinds).
        topics: log: topics a line must carry (``!name``: must not carry).
        min_severity: log: lowest severity topic matched (``''``: any).
        count, window_s: log: fire when ``count`` lines matched within
            ``window_s`` seconds (default 1 line).
        site_id, tag_id, device_id: scope (all ``None``: every device).
        enabled: disabled rules are never evaluated.
        is_default: one of the rules created at installation.
    """

    id: int
    name: str
    kind: str
    severity: Severity = Severity.WARNING
    metric: str = ""
    comparison: str = ">"
    threshold: float | None = None
    recovery: float | None = None
    for_seconds: float = 0.0
    name_pattern: str = ""
    intervals: int = 3
    states: tuple[str, ...] = ("down",)
    facts: tuple[str, ...] = FACTS
    hold_seconds: float = DEFAULT_HOLD_S
    speed_bps: float | None = None
    flap_count: int = DEFAULT_FLAP_COUNT
    flap_window_s: float = DEFAULT_FLAP_WINDOW_S
    pattern: str = ""
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    topics: tuple[str, ...] = ()
    min_severity: str = ""
    count: int = 1
    window_s: float = 60.0
    site_id: int | None = None
    tag_id: int | None = None
    device_id: int | None = None
    enabled: bool = True
    is_default: bool = False

    def matches_subject(self, subject: str) -> bool:
        """Return whether ``subject`` passes :attr:`name_pattern` (fnmatch)."""
        return not self.name_pattern or fnmatch.fnmatchcase(subject, self.name_pattern)

    def applies_to(self, device: DeviceInfo) -> bool:
        """Return whether the rule's scope covers ``device``."""
        if self.device_id is not None and self.device_id != device.id:
            return False
        if self.site_id is not None and self.site_id != device.site_id:
            return False
        return self.tag_id is None or self.tag_id in device.tag_ids


@dataclass(frozen=True, slots=True)
class Override:
    """One device's own threshold/recovery for a rule, or the rule off for it."""

    threshold: float | None = None
    recovery: float | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceInfo:
    """What the engine knows of a device.

    Attributes:
        id: the device's id.
        name: its name, for messages.
        site_id: its site (``None``: none).
        tag_ids: its tags.
        intervals: tier -> polling interval, seconds (no_data windows).
        enabled: whether it is polled (disabled devices raise nothing).
    """

    id: int
    name: str = ""
    site_id: int | None = None
    tag_ids: frozenset[int] = frozenset()
    intervals: Mapping[Tier, float] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_INTERVALS)))
    enabled: bool = True

    @property
    def label(self) -> str:
        """The name, or ``device <id>`` when it has none."""
        return self.name or f"device {self.id}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything the engine evaluates with.

    Attributes:
        rules: every enabled rule (disabled ones may be included; they are skipped).
        overrides: (rule id, device id) -> override.
        devices: device id -> :class:`DeviceInfo`; samples of devices missing here
            are evaluated with rules of every-device scope only.
        polled: the devices this collector polls when it shares the fleet with other
            collectors (``None``: every device). The others' devices raise no "no
            data" alerts here, and an open alert of a device that left this set is
            forgotten here, not resolved: the collector polling it carries it on.
    """

    rules: tuple[Rule, ...] = ()
    overrides: Mapping[tuple[int, int], Override] = field(default_factory=dict)
    devices: Mapping[int, DeviceInfo] = field(default_factory=dict)
    polled: frozenset[int] | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAlert:
    """A stored pending or firing alert, as loaded when the engine starts.

    Attributes:
        rule_id, device_id, subject: which alert.
        state: pending or firing.
        since: when its condition began, UTC.
        fired_at: when it fired (``None`` while pending), UTC.
        value, threshold: the last ones recorded.
        flapping: whether it was marked flapping.
    """

    rule_id: int
    device_id: int
    subject: str
    state: AlertState
    since: datetime
    fired_at: datetime | None = None
    value: float | None = None
    threshold: float | None = None
    flapping: bool = False


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restarted engine takes back from storage.

    Attributes:
        open: the pending and firing alerts.
        firings: (rule id, device id, subject, when) of recent firings, for flapping.
    """

    open: tuple[OpenAlert, ...] = ()
    firings: tuple[tuple[int, int, str, datetime], ...] = ()

