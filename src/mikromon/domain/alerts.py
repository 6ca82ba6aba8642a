"""Alert value types shared by the rule engine, storage and notifications.

An alert is one rule's finding about one device and, for rules about interfaces,
sensors or routing peers, one *subject* (the interface, sensor or peer name; ``''``
for device-wide rules). It moves ``pending -> firing -> resolved``; every move is
an :class:`AlertTransition`, which storage appends to the alert history and the
notification side reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["RULE_KINDS", "AlertState", "AlertTransition", "RuleKind", "Severity"]


class Severity(StrEnum):
    """How urgent an alert is, lowest first (``info < warning < high < critical``)."""

    INFO = "info"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 3 for critical: compare severities by rank."""
        return _SEVERITY_ORDER.index(self)

    @property
    def label(self) -> str:
        """The word people read: ``Info``, ``Warning``, ``High``, ``Critical`` (badges,
        filters, forms and notifications all use it)."""
        return self.value.capitalize()


_SEVERITY_ORDER = (Severity.INFO, Severity.WARNING, Severity.HIGH, Severity.CRITICAL)


class AlertState(StrEnum):
    """Where an alert is in its life: ``pending`` (condition true, waiting for the
    rule's "for" duration), ``firing`` (notified), ``resolved`` (condition gone)."""

    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class RuleKind(StrEnum):
    """What a rule watches (the ``kind`` column of ``alerts.AlertRule``).

    - ``threshold``: a catalog metric above/below a level for ``for_seconds``, with
      a recovery level (hysteresis);
    - ``no_data``: no sample of a metric (or none at all) for N polling intervals;
    - ``rate``: a metric's change per second above/below a level;
    - ``device_state``: the device is in one of the listed states (down,
      auth_failed, slow, degraded);
    - ``link_down``: an interface that was running and is not disabled stopped running;
    - ``reboot``: the router rebooted (uptime went back, or a REBOOT event);
    - ``bgp_down`` / ``ospf_down``: a BGP session no longer established / an OSPF
      neighbour that left Full;
    - ``health_fail``: a health sensor (PSU, fan) in a failing state;
    - ``fact_changed``: RouterOS version, board or identity changed;
    - ``count``: a DHCP/PPP/hotspot/connection count above or below a level;
    - ``utilisation``: interface traffic as a percentage of its link speed;
    - ``log``: a router log line (received by syslog or read from ``/log``)
      matching a pattern, topics and a minimum severity.
    """

    THRESHOLD = "threshold"
    NO_DATA = "no_data"
    RATE = "rate"
    DEVICE_STATE = "device_state"
    LINK_DOWN = "link_down"
    REBOOT = "reboot"
    BGP_DOWN = "bgp_down"
    OSPF_DOWN = "ospf_down"
    HEALTH_FAIL = "health_fail"
    FACT_CHANGED = "fact_changed"
    COUNT = "count"
    UTILISATION = "utilisation"
    LOG = "log"


#: Every rule kind value, in declaration order.
RULE_KINDS: tuple[str, ...] = tuple(kind.value for kind in RuleKind)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertTransition:
    """One move of one alert from one state to another.

    Attributes:
        alert_id: the stored alert's id (``None`` until storage assigned one).
        rule_id: the rule's id.
        rule_name: the rule's name, for messages.
        device_id: the device's id.
        subject: interface, sensor or peer name; ``''`` for device-wide rules.
        state: the new state.
        previous: the state before (``None`` for a new alert).
        severity: the rule's severity (or the override's).
        ts: when the move happened, timezone-aware UTC.
        value: the value that caused it, in the metric's catalog unit (``None``
            for state rules such as link down).
        threshold: the level it was compared with (``None`` for state rules).
        message: what happened, where, since when, the value and the threshold.
        since: when the alert became pending (for ``firing``/``resolved`` the
            start of the condition), UTC.
        flapping: the alert fired and resolved more often than the rule allows
            within its flapping window.
    """

    alert_id: int | None
    rule_id: int
    rule_name: str
    device_id: int
    subject: str
    state: AlertState
    previous: AlertState | None
    severity: Severity
    ts: datetime
    value: float | None
    threshold: float | None
    message: str
    since: datetime
    flapping: bool = False
