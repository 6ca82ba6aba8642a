"""A rule's condition in words, the one text the web's rule lists, the alert page
and ``mikromon rules list`` show: ``> 90 % (recovers < 87 %) for 5 min`` for a
level, ``unreachable for 3 min``, ``BGP session no longer established``... for the
kinds without one (their words are the alert sentences' of
:data:`mikromon.alerting.words.UP_WORDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mikromon.alerting.words import UP_WORDS
from mikromon.domain import formatting
from mikromon.domain.alerts import RuleKind

__all__ = ["STATE_WORDS", "condition_text"]

#: Device states (``device_state`` rules' ``params.states``) in words.
STATE_WORDS: Final = {"down": "unreachable", "auth_failed": "login refused",
                      "slow": "slow", "degraded": "degraded"}


def condition_text(rule: Any) -> str:
    """The condition of ``rule`` (an ``alerts.AlertRule`` or anything with its
    fields: ``kind``, ``metric``, ``comparison``, ``threshold``, ``recovery``,
    ``for_seconds``, ``params``) in words; '' for a kind with nothing to say.

    Levels are written in the metric's catalog unit (``utilisation``: percent).
    """
    params: Mapping[str, Any] = rule.params if isinstance(rule.params, Mapping) else {}
    if rule.threshold is None:
        text = _kind_words(rule.kind, params)
    else:
        unit = "percent" if rule.kind == RuleKind.UTILISATION.value else _unit(rule.metric)
        text = f"{rule.comparison} {formatting.unit_value(rule.threshold, unit)}"
        if rule.recovery is not None:
            back = "<" if rule.comparison == ">" else ">"
            text += f" (recovers {back} {formatting.unit_value(rule.recovery, unit)})"
    if rule.for_seconds:
        text = f"{text} for {formatting.interval(rule.for_seconds)}".strip()
    return text


def _kind_words(kind: str, params: Mapping[str, Any]) -> str:
    pattern = str(params.get("name_pattern") or "")
    if kind == RuleKind.DEVICE_STATE.value:
        states = params.get("states") or ["down"]
        return " or ".join(STATE_WORDS.get(str(s), str(s)) for s in states)
    if kind in UP_WORDS:
        return UP_WORDS[kind][0] + (f" ({pattern})" if pattern else "")
    if kind == RuleKind.REBOOT.value:
        return "router rebooted"
    if kind == RuleKind.FACT_CHANGED.value:
        facts = params.get("facts") or ["version", "board", "identity"]
        return f"{' or '.join(str(f) for f in facts)} changed"
    if kind == RuleKind.NO_DATA.value:
        return f"no data for {params.get('intervals') or 3} polling intervals"
    if kind == RuleKind.LOG.value:
        text = f"log line matching “{params.get('pattern') or ''}”"
        count = params.get("count") or 1
        if isinstance(count, int) and count > 1 and params.get("window_seconds"):
            text += f" {count} times in {formatting.interval(params['window_seconds'])}"
        return text
    return ""


def _unit(metric: str) -> str:
    from mikromon.web.monitor.readers import unit_of

    return unit_of(metric) if metric else ""
