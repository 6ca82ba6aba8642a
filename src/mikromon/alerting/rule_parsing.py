"""Alert rules from plain mappings (:func:`rule_from_mapping`): every field
checked, a :class:`~mikromon.alerting.rules.Rule` out or a
:class:`~mikromon.domain.errors.ConfigError` naming the rule and the field.

The checks the web forms make too live here once: which kinds compare with a
threshold (:func:`has_levels`), which side of it a recovery level belongs on
(:func:`recovery_side`), what a RouterOS log topic looks like (:data:`LOG_TOPIC`)
and how a log pattern is bounded (:func:`compile_log_pattern`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

from mikromon.alerting.rules import (
    DEFAULT_FLAP_COUNT,
    DEFAULT_FLAP_WINDOW_S,
    DEFAULT_HOLD_S,
    DEVICE_STATES,
    FACTS,
    LOG_PATTERN_LIMIT,
    LOG_TOPICS_LIMIT,
    METRIC_KINDS,
    Rule,
)
from mikromon.domain.alerts import RULE_KINDS, RuleKind, Severity
from mikromon.domain.errors import ConfigError
from mikromon.domain.logs import SEVERITY_TOPICS

__all__ = ["LOG_TOPIC", "compile_log_pattern", "has_levels", "recovery_side",
           "rule_from_mapping"]

# A group holding a quantifier that is itself repeated: ``(a+)+``, ``(\w*)*``,
# ``(x|y+){2,}``: the shape of catastrophic backtracking.
_NESTED_REPEAT: Final = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")
#: A RouterOS log topic as a rule names it (``system``, ``!debug`` for "not").
LOG_TOPIC: Final = re.compile(r"!?[a-z0-9][a-z0-9_.-]{0,31}")


def has_levels(kind: str) -> bool:
    """Whether rules of ``kind`` compare a value with a threshold (and a recovery
    level): the metric kinds and utilisation; the other kinds watch a state."""
    return kind in METRIC_KINDS or kind == RuleKind.UTILISATION.value


def recovery_side(comparison: str, threshold: float, recovery: float) -> str | None:
    """Where the recovery level must be (``at or below`` the threshold for ``>``,
    ``at or above`` for ``<``) when it is on the alerting side; ``None`` when fine."""
    if (comparison == ">" and recovery > threshold) or (comparison == "<" and recovery < threshold):
        return "at or below" if comparison == ">" else "at or above"
    return None


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
    if has_levels(kind):
        if kind != RuleKind.UTILISATION.value and not metric:
            raise ConfigError(f"rule {what}: a {kind} rule needs a metric (catalog key)")
        if threshold is None:
            raise ConfigError(f"rule {what}: a {kind} rule needs a threshold")
        side = recovery_side(comparison, threshold, recovery) if recovery is not None else None
        if side:
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
    bad = [t for t in topics if not LOG_TOPIC.fullmatch(t)]
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
