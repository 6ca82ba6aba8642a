"""Template filters and tags of the pages: formatted values, state badges,
stale hints, percentage meters and the admin check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString

from mikromon.domain import formatting
from mikromon.domain.alerts import Severity
from mikromon.domain.devices import endpoint as _endpoint
from mikromon.web.monitor.choices import STATE_LABELS
from mikromon.web.monitor.choices import state_label as _state_label
from mikromon.web.roles import is_admin as _is_admin
from mikromon.web.roles import role_name

register = template.Library()


@register.simple_tag
def tz_name() -> str:
    """``{% tz_name %}``: the zone this page shows times in (the user's, else UTC)."""
    return timezone.get_current_timezone_name()


@register.filter
def is_admin(user: Any) -> bool:
    """``{% if user|is_admin %}``: the user may change things."""
    return _is_admin(user)


@register.filter
def endpoint(device: Any) -> str:
    """``{{ device|endpoint }}``: ``host:port``, an IPv6 host in brackets
    (:func:`mikromon.domain.devices.endpoint`)."""
    return _endpoint(device.host, device.port)


@register.filter
def role(user: Any) -> str:
    """``admin`` or ``viewer``."""
    return role_name(user)


@register.filter
def bps(value: float | None) -> str:
    """Bits/s as ``12.4 Mbit/s``."""
    return formatting.bps(value)


@register.filter
def bytesize(value: float | None) -> str:
    """Bytes as ``1.5 GiB``."""
    return formatting.bytesize(value)


@register.filter
def duration(value: float | None) -> str:
    """Seconds as ``3d 4h 12m``."""
    return formatting.duration(value)


@register.filter
def interval(value: float | None) -> str:
    """A collection interval in seconds as ``5 s``, ``5 min``, ``24 h``."""
    return formatting.interval(value)


@register.filter
def pct(value: float | None) -> str:
    """A percentage as ``42 %``."""
    return formatting.pct(value)


@register.filter
def unit_value(value: float | None, unit: str) -> str:
    """``{{ value|unit_value:unit }}`` in a catalog unit."""
    return formatting.unit_value(value, unit)


@register.simple_tag
def state_badge(state: str | None) -> SafeString:
    """A coloured badge for a device state (``up``, ``down``, ``auth_failed``...)."""
    key = state if state in STATE_LABELS else "unknown"
    return format_html('<span class="badge state-{}">{}</span>', key, STATE_LABELS[key])


@register.filter
def stale_title(device: Any) -> str:
    """The tooltip of a stale hint: how old the newest data is and what was expected:
    the realtime interval the collector really uses (at its time scale, as
    ``Device.stale_after_s`` counts)."""
    contact = device.last_contact()
    age = "no data yet" if contact is None else (
        f"newest data {formatting.duration((timezone.now() - contact).total_seconds())} old")
    every = formatting.interval(device.realtime_every_s())
    return f"{age}; the collector reads this router every {every}"


@register.simple_tag
def stale_hint(device: Any) -> SafeString:
    """A "stale" hint for a device that says "up" while its newest data is older than
    three realtime intervals (see ``Device.is_stale``); '' otherwise."""
    if not device.is_stale():
        return SafeString("")
    return format_html('<span class="hint stale" title="{}">stale</span>', stale_title(device))


@register.filter
def version_short(version: str | None) -> str:
    """A RouterOS version without its usual channel: ``7.16.2 (stable)`` -> ``7.16.2``;
    other channels stay (``7.17rc1 (testing)``). '' for none."""
    text = (version or "").strip()
    return text[: -len(" (stable)")] if text.endswith(" (stable)") else text


@register.filter
def state_label(state: str | None) -> str:
    """The operator's word for a state."""
    return _state_label(state)


@register.filter
def current(device: Any) -> bool:
    """``{% if device|current %}``: its values are current (up, not stale; see
    ``Device.values_current``)."""
    return bool(device.values_current())


@register.simple_tag
def meter(value: float | None, last_at: datetime | None = None, *,
          old: bool = False) -> SafeString:
    """A small horizontal bar for a percentage (amber over 70 %, red over 90 %).

    ``old``: the value is not current (the router does not answer, or its data is
    stale): the bar is grey, its tooltip "last value at <last_at> <zone>" (the user's zone).

    The bar's width is a class (``p0`` .. ``p100``, whole percent, in app.css), not
    a style attribute: the Content-Security-Policy allows no inline style.
    """
    if value is None:
        return format_html('<span class="muted">{}</span>', formatting.DASH)
    width = max(0.0, min(100.0, float(value)))
    if old:
        when = (f"{timezone.localtime(last_at):%Y-%m-%d %H:%M:%S} "
                f"{timezone.get_current_timezone_name()}" if last_at else "unknown time")
        return format_html(
            '<span class="meter old" title="last value at {}"><span class="bar">'
            '<i class="p{}"></i></span><span class="txt">{}</span></span>',
            when, f"{width:.0f}", formatting.pct(value),
        )
    level = "crit" if value >= 90 else "warn" if value >= 70 else ""
    return format_html(
        '<span class="meter {}"><span class="bar"><i class="p{}"></i></span>'
        '<span class="txt">{}</span></span>',
        level, f"{width:.0f}", formatting.pct(value),
    )


@register.filter
def ago(ts: datetime | None) -> str:
    """How long ago ``ts`` was: ``12 s ago``, ``5 min ago``, ``3 h ago``, ``2 d ago``."""
    if ts is None:
        return "never"
    seconds = (timezone.now() - ts).total_seconds()
    if seconds < 0:
        return "just now"
    if seconds < 90:
        return f"{int(seconds)} s ago"
    if seconds < 5400:
        return f"{int(seconds // 60)} min ago"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


@register.filter
def contact(device: Any) -> datetime | None:
    """``{{ device|contact }}``: when the router last answered, UTC: the newest of its
    data points and ``last_seen`` (which the writer refreshes at most every 30 s);
    the same notion as the dashboard's (``Device.last_contact``). ``None`` when it
    never answered."""
    return device.last_contact()


@register.simple_tag
def column_units() -> SafeString:
    """A JSON script ``mm-column-units``: unit -> inventory column names (bytes,
    bits/s, seconds; see :data:`mikromon.web.monitor.tables.COLUMN_UNITS`), which
    tables.js formats."""
    from mikromon.web.monitor.tables import COLUMN_UNITS

    return json_script({unit: sorted(names) for unit, names in COLUMN_UNITS.items()},
                       "mm-column-units")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ mapping|get_item:key }}``: a dict lookup with a variable key (``None`` if absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


#: Columns that sort descending on the first click (numbers, times).
_DESC_FIRST = {"cpu", "memory", "uptime", "last_seen"}


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str, current: str) -> SafeString:
    """A table header linking to the same page sorted by ``key``; clicking the
    sorted column again reverses the order. Other query parameters are kept."""
    request = context["request"]
    current = current or "name"
    if current == key:
        target, arrow = f"-{key}", "\u25b2"
    elif current == f"-{key}":
        target, arrow = key, "\u25bc"
    else:
        target, arrow = (f"-{key}" if key in _DESC_FIRST else key), ""
    query = request.GET.copy()
    query["sort"] = target
    query.pop("page", None)
    numeric = ""
    if arrow:
        return format_html(
            '<th class="sorted{}" aria-sort="{}"><a href="?{}">{}<span class="arrow">{}</span>'
            "</a></th>",
            numeric, "ascending" if arrow == "\u25b2" else "descending", query.urlencode(),
            label, arrow,
        )
    return format_html('<th class="{}"><a href="?{}">{}</a></th>', numeric.strip(),
                       query.urlencode(), label)


# -- alerting ---------------------------------------------------------------------

@register.simple_tag
def severity_badge(severity: str | None) -> SafeString:
    """A coloured badge for an alert or event severity (``info`` .. ``critical``), in
    the words of :attr:`mikromon.domain.alerts.Severity.label`; an unknown value
    shows as info."""
    try:
        level = Severity(severity or "")
    except ValueError:
        level = Severity.INFO
    return format_html('<span class="badge sev-{}">{}</span>', level.value, level.label)


@register.simple_tag
def alert_state_badge(alert: Any) -> SafeString:
    """A badge for an alert's state (firing, pending, resolved), "acked" when an open
    alert was acknowledged and "flapping" when it flaps."""
    parts = [format_html('<span class="badge plain astate-{}">{}</span>', alert.state,
                         alert.state)]
    if getattr(alert, "acknowledged_at", None) and alert.state != "resolved":
        parts.append(SafeString('<span class="badge plain astate-acked">acked</span>'))
    if getattr(alert, "flapping", False):
        parts.append(SafeString('<span class="badge plain astate-flapping">flapping</span>'))
    return SafeString(" ".join(parts))


def _metric_unit(alert: Any) -> str:
    from mikromon.web.monitor.readers import unit_of

    metric = getattr(alert.rule, "metric", "") or ""
    if alert.rule.kind == "utilisation":
        return "percent"
    return unit_of(metric) if metric else ""


@register.filter
def alert_value(alert: Any) -> str:
    """An alert's value against its threshold, in the metric's unit: ``95 % > 80 %``;
    the value alone without a threshold; '' without either."""
    unit = _metric_unit(alert)
    value = formatting.unit_value(alert.value, unit) if alert.value is not None else ""
    if alert.threshold is None:
        return value
    sign = getattr(alert.rule, "comparison", ">") or ">"
    return f"{value or formatting.DASH} {sign} {formatting.unit_value(alert.threshold, unit)}"


@register.filter
def rule_threshold(rule: Any) -> str:
    """A rule's condition in words: ``> 90 % for 5 min (recovers < 87 %)``,
    ``unreachable for 3 min`` (:func:`mikromon.web.alerts.conditions.condition_text`,
    the words ``mikromon rules list`` shows too)."""
    from mikromon.web.alerts.conditions import condition_text

    return condition_text(rule)


@register.filter
def rule_scope(rule: Any) -> str:
    """Where a rule (or silence) applies: ``device edge-1``, ``site Berlin``, ``tag core``,
    joined with ``+``; ``every device`` when none is set."""
    parts = []
    for field in ("device", "site", "tag"):
        obj = getattr(rule, field, None)
        if obj is not None:
            parts.append(f"{field} {obj.name}")
    return " + ".join(parts) or "every device"


@register.simple_tag
def firing_alert_count() -> int:
    """The number of firing alerts (the navigation's badge; one count query)."""
    from mikromon.web.ui.views.alerts import firing_count

    return firing_count()
