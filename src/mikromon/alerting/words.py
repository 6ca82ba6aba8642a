"""The sentences of alert transitions: what a rule watches, a value with its
catalog unit (``95 %``, ``61 °C``), the up/down words of state kinds and times
as ``2026-01-31 12:00:00 UTC``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Final

from mikromon.alerting.rules import DeviceInfo, Rule
from mikromon.domain import catalog
from mikromon.domain.alerts import RuleKind

#: The words of state kinds: (gone down, back up).
UP_WORDS: Final = {
    RuleKind.LINK_DOWN.value: ("link down", "link up again"),
    RuleKind.BGP_DOWN.value: ("BGP session no longer established", "BGP session established again"),
    RuleKind.OSPF_DOWN.value: ("OSPF neighbour left Full", "OSPF neighbour Full again"),
    RuleKind.HEALTH_FAIL.value: ("health sensor failed", "health sensor ok again"),
}

#: Catalog units as the sentences write them after a value.
UNIT_WORDS: Final = {catalog.PERCENT: " %", catalog.CELSIUS: " °C", catalog.BITS_PER_SECOND:
                      " bit/s", catalog.BYTES: " B", catalog.SECONDS: " s", catalog.VOLTS: " V",
                      catalog.RPM: " rpm", catalog.PER_SECOND: "/s"}


def with_unit(metric: str, value: float | None) -> str:
    """``95 %``, ``61 °C``, ``3.2/s``: a value with its catalog unit."""
    if value is None:
        return "?"
    unit = ""
    if not metric:
        unit = " %"
    else:
        try:
            unit = UNIT_WORDS.get(catalog.lookup(metric).unit, "")
        except KeyError:
            unit = ""
    if not math.isfinite(value):
        return f"{value}{unit}"
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return text + unit


def utc_text(ts: datetime) -> str:
    """``2026-01-31 12:00:00 UTC``."""
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def what(rule: Rule, subject: str) -> str:
    """What a level rule watches: ``system.cpu.load_pct``, ``iface.rx_bps of ether1``."""
    metric = rule.metric or "interface utilisation (%)"
    return f"{metric} of {subject}" if subject else metric


def describe(rule: Rule, device: DeviceInfo, subject: str, value: float | None,
             threshold: float | None) -> str:
    """The sentence of an alert that opened: ``cpu: system.cpu.load_pct on r1 is
    95 %, above 90 %``; for state kinds (``value`` ``None``) the rule and device."""
    if value is None:
        return f"{rule.name} on {device.label}" + (f" ({subject})" if subject else "")
    metric = rule.metric if rule.kind != RuleKind.UTILISATION.value else ""
    side = "above" if rule.comparison == ">" else "below"
    per_s = "/s" if rule.kind == RuleKind.RATE.value else ""
    level = f"{with_unit(metric, threshold)}{per_s}" if threshold is not None else "?"
    return (f"{rule.name}: {what(rule, subject)} on {device.label} is "
            f"{with_unit(metric, value)}{per_s}, {side} {level}"
            + (f" for {rule.for_seconds:g} s" if rule.for_seconds else ""))
