"""Alert rules as the engine reads them: plain, frozen values, no Django.

A host (the Django app, :class:`mikromon.web.alerts.store.DjangoAlertStore`) turns
its stored rules into :class:`Rule` values with :func:`rule_from_mapping` and
hands the engine a :class:`RuleSet`: the enabled rules, per-device overrides, and
what the engine needs to know of each device (name, site, tags, tier intervals)
to apply scopes and describe alerts.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from mikromon.domain.alerts import RULE_KINDS, AlertState, RuleKind, Severity
from mikromon.domain.errors import ConfigError
from mikromon.domain.logs import SEVERITY_TOPICS
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
    "compile_log_pattern",
    "rule_from_mapping",
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
# A group holding a quantifier that is itself repeated: ``(a+)+``, ``(\w*)*``,
# ``(x|y+){2,}``: the shape of catastrophic backtracking.
_NESTED_REPEAT: Final = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")

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
        speed_bps: utilisation: the link speed, bits/s (without it the rule raises
            nothing).
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
    """

    rules: tuple[Rule, ...] = ()
    overrides: Mapping[tuple[int, int], Override] = field(default_factory=dict)
    devices: Mapping[int, DeviceInfo] = field(default_factory=dict)


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


def _number(data: Mapping[str, Any], key: str, what: str) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"rule {what}: {key} must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"rule {what}: {key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"rule {what}: {key} must be a finite number, got {value!r}")
    return number


def _positive(data: Mapping[str, Any], key: str, what: str, default: float,
              *, minimum: float = 0.0) -> float:
    number = _number(data, key, what)
    if number is None:
        return default
    if number < minimum:
        raise ConfigError(f"rule {what}: {key} must be at least {minimum:g}, got {number:g}")
    return number


def _id(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"rule {what}: {key} must be an integer id, got {value!r}")
    return value


def rule_from_mapping(data: Mapping[str, Any]) -> Rule:
    """Build and check a :class:`Rule` from a plain mapping (the stored rule's
    columns plus ``params``: ``name_pattern``, ``intervals``, ``states``,
    ``facts``, ``hold_seconds``, ``speed_bps``, ``flap_count``,
    ``flap_window_seconds``).

    Raises:
        ConfigError: naming the rule and the field that is wrong (unknown kind,
            severity or comparison; a metric kind without metric or threshold; a
            recovery on the wrong side of the threshold; an unknown device state
            or fact; a negative duration; a non-numeric value).
    """
    name = str(data.get("name") or "").strip()
    what = repr(name) if name else "(unnamed)"
    if not name:
        raise ConfigError("rule (unnamed): name is empty")
    kind = str(data.get("kind") or "")
    if kind not in RULE_KINDS:
        raise ConfigError(f"rule {what}: unknown kind {kind!r} (one of {', '.join(RULE_KINDS)})")
    try:
        severity = Severity(str(data.get("severity") or Severity.WARNING.value))
    except ValueError:
        raise ConfigError(
            f"rule {what}: unknown severity {data.get('severity')!r} "
            f"(one of {', '.join(s.value for s in Severity)})") from None
    comparison = str(data.get("comparison") or ">")
    if comparison not in (">", "<"):
        raise ConfigError(f"rule {what}: comparison must be '>' or '<', got {comparison!r}")
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        raise ConfigError(f"rule {what}: params must be a mapping, got {type(params).__name__}")
    metric = str(data.get("metric") or "").strip()
    threshold = _number(data, "threshold", what)
    recovery = _number(data, "recovery", what)
    if kind in METRIC_KINDS or kind == RuleKind.UTILISATION.value:
        if kind != RuleKind.UTILISATION.value and not metric:
            raise ConfigError(f"rule {what}: a {kind} rule needs a metric (catalog key)")
        if threshold is None:
            raise ConfigError(f"rule {what}: a {kind} rule needs a threshold")
        if recovery is not None and (
            (comparison == ">" and recovery > threshold)
            or (comparison == "<" and recovery < threshold)
        ):
            side = "at or below" if comparison == ">" else "at or above"
            raise ConfigError(
                f"rule {what}: recovery {recovery:g} must be {side} the threshold {threshold:g}")
    if kind == RuleKind.UTILISATION.value and metric not in ("", "iface.rx_bps", "iface.tx_bps"):
        raise ConfigError(f"rule {what}: utilisation reads iface.rx_bps or iface.tx_bps "
                          f"('' for both), not {metric!r}")
    states = tuple(str(s) for s in params.get("states") or ("down",))
    if kind == RuleKind.DEVICE_STATE.value:
        bad = [s for s in states if s not in DEVICE_STATES]
        if bad:
            raise ConfigError(f"rule {what}: unknown device state(s) {', '.join(bad)} "
                              f"(one of {', '.join(DEVICE_STATES)})")
    facts = tuple(str(f) for f in params.get("facts") or FACTS)
    bad_facts = [f for f in facts if f not in FACTS]
    if bad_facts:
        raise ConfigError(f"rule {what}: unknown fact(s) {', '.join(bad_facts)} "
                          f"(one of {', '.join(FACTS)})")
    intervals = _positive(params, "intervals", what, 3, minimum=1)
    flap_count = _positive(params, "flap_count", what, DEFAULT_FLAP_COUNT, minimum=1)
    pattern = params.get("name_pattern") or ""
    if not isinstance(pattern, str):
        raise ConfigError(f"rule {what}: name_pattern must be text, got {pattern!r}")
    log_fields = _log_fields(kind, params, what)
    speed = _number(params, "speed_bps", what)
    if speed is not None and speed <= 0:
        raise ConfigError(f"rule {what}: speed_bps must be above 0, got {speed:g}")
    return Rule(
        id=int(data.get("id") or 0),
        name=name,
        kind=kind,
        severity=severity,
        metric=metric,
        comparison=comparison,
        threshold=threshold,
        recovery=recovery,
        for_seconds=_positive(data, "for_seconds", what, 0.0),
        name_pattern=pattern,
        intervals=int(intervals),
        states=states,
        facts=facts,
        hold_seconds=_positive(params, "hold_seconds", what, DEFAULT_HOLD_S),
        speed_bps=speed,
        flap_count=int(flap_count),
        flap_window_s=_positive(params, "flap_window_seconds", what, DEFAULT_FLAP_WINDOW_S,
                                minimum=1),
        **log_fields,
        site_id=_id(data, "site_id", what),
        tag_id=_id(data, "tag_id", what),
        device_id=_id(data, "device_id", what),
        enabled=bool(data.get("enabled", True)),
        is_default=bool(data.get("is_default", False)),
    )


def compile_log_pattern(pattern: str, what: str = "(unnamed)") -> re.Pattern[str]:
    """Check and compile a ``log`` rule's pattern (case-insensitive).

    The cost of matching is bounded: at most :data:`LOG_PATTERN_LIMIT` characters,
    no repeated group that itself holds a quantifier (``(a+)+``, the shape of
    catastrophic backtracking), searched in at most :data:`LOG_MESSAGE_LIMIT`
    characters of a message.

    Raises:
        ConfigError: naming the rule: too long, a nested repetition, or not a
            valid regular expression (with Python's reason).
    """
    if len(pattern) > LOG_PATTERN_LIMIT:
        raise ConfigError(f"rule {what}: pattern is {len(pattern)} characters long, more "
                          f"than {LOG_PATTERN_LIMIT}")
    if _NESTED_REPEAT.search(pattern):
        raise ConfigError(f"rule {what}: pattern repeats a group that holds a repetition "
                          f"(like (a+)+), which can take exponential time; simplify it")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        raise ConfigError(f"rule {what}: pattern {pattern!r} is not a valid regular "
                          f"expression: {err}") from None


def _log_fields(kind: str, params: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The ``log`` rule fields from ``params`` (``pattern``, ``topics``,
    ``min_severity``, ``count``, ``window_seconds``); empty for other kinds."""
    if kind != RuleKind.LOG.value:
        return {}
    pattern = params.get("pattern") or ""
    if not isinstance(pattern, str):
        raise ConfigError(f"rule {what}: pattern must be text, got {pattern!r}")
    raw_topics = params.get("topics") or ()
    if isinstance(raw_topics, str):
        raw_topics = raw_topics.split(",")
    if not isinstance(raw_topics, list | tuple):
        raise ConfigError(f"rule {what}: topics must be a list or comma-separated text")
    topics = tuple(str(t).strip().lower() for t in raw_topics if str(t).strip())
    if len(topics) > LOG_TOPICS_LIMIT:
        raise ConfigError(f"rule {what}: at most {LOG_TOPICS_LIMIT} topics, got {len(topics)}")
    bad = [t for t in topics if not re.fullmatch(r"!?[a-z0-9][a-z0-9_.-]{0,31}", t)]
    if bad:
        raise ConfigError(f"rule {what}: topic(s) {', '.join(map(repr, bad))} are not "
                          f"RouterOS topic names (like system, account, !debug)")
    severity = str(params.get("min_severity") or "").strip().lower()
    if severity and severity not in SEVERITY_TOPICS:
        raise ConfigError(f"rule {what}: min_severity {severity!r} is not one of "
                          f"{', '.join(SEVERITY_TOPICS)}")
    if not pattern and not topics and not severity:
        raise ConfigError(f"rule {what}: a log rule needs a pattern, topics or a "
                          f"min_severity (it would match every line)")
    count = _positive(params, "count", what, 1, minimum=1)
    return {
        "pattern": pattern,
        "regex": compile_log_pattern(pattern, what),
        "topics": topics,
        "min_severity": severity,
        "count": int(count),
        "window_s": _positive(params, "window_seconds", what, 60.0, minimum=1),
    }
