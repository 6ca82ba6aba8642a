"""Events the collector writes as it notices them, and the device status it reports.

Every event kind has a severity (:data:`EVENT_SEVERITIES`), in the words of
Prometheus/Alertmanager's ``severity`` label and of our alerts
(:class:`mikromon.domain.alerts.Severity`):

* ``critical``: the router is out of sight or failing now (``device_down``,
  ``auth_failed``, ``health_failed``: a PSU or fan state other than ``ok``);
* ``warning``: something changed that an operator should look at
  (``link_down``, ``reboot``, ``board_changed``: another box answers at the
  address, ``bad_value``: the router sent a value we could not read);
* ``info``: a record, no action (``device_up``, ``link_up``,
  ``health_recovered``, ``version_changed``: an upgrade, normally planned and
  reported as a reboot too, ``config_reloaded``, ``path_absent``: a menu this
  router does not have).

Lists of the latest events leave ``info`` events out unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from mikromon.domain.alerts import Severity


class EventKind(StrEnum):
    """What happened."""

    DEVICE_UP = "device_up"
    DEVICE_DOWN = "device_down"
    AUTH_FAILED = "auth_failed"
    REBOOT = "reboot"
    LINK_UP = "link_up"
    LINK_DOWN = "link_down"
    VERSION_CHANGED = "version_changed"
    BOARD_CHANGED = "board_changed"
    CONFIG_RELOADED = "config_reloaded"
    PATH_ABSENT = "path_absent"
    #: A field the router sent could not be read or held an impossible value
    #: (``path`` carries the path; the message the path, field and raw text).
    BAD_VALUE = "bad_value"
    HEALTH_FAILED = "health_failed"
    HEALTH_RECOVERED = "health_recovered"

    @property
    def severity(self) -> Severity:
        """How urgent an event of this kind is (:data:`EVENT_SEVERITIES`)."""
        return EVENT_SEVERITIES[self]


#: Event kind -> its severity; the module's docstring says why.
EVENT_SEVERITIES: Final[dict[EventKind, Severity]] = {
    EventKind.DEVICE_DOWN: Severity.CRITICAL,
    EventKind.AUTH_FAILED: Severity.CRITICAL,
    EventKind.HEALTH_FAILED: Severity.CRITICAL,
    EventKind.LINK_DOWN: Severity.WARNING,
    EventKind.REBOOT: Severity.WARNING,
    EventKind.BOARD_CHANGED: Severity.WARNING,
    EventKind.BAD_VALUE: Severity.WARNING,
    EventKind.DEVICE_UP: Severity.INFO,
    EventKind.LINK_UP: Severity.INFO,
    EventKind.HEALTH_RECOVERED: Severity.INFO,
    EventKind.VERSION_CHANGED: Severity.INFO,
    EventKind.CONFIG_RELOADED: Severity.INFO,
    EventKind.PATH_ABSENT: Severity.INFO,
}

#: The severities an event can have, most urgent first.
EVENT_SEVERITY_ORDER: Final = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One thing that happened to a device.

    Attributes:
        device_id: the device's id.
        ts: when it was noticed, UTC.
        kind: what happened.
        message: a short sentence for operators (no credentials).
        path: the RouterOS path the event is about (``/interface/wifi`` for
            ``path_absent``, ``/system/resource`` for ``bad_value``); ``""`` for
            events about the device as a whole.
    """

    device_id: int
    ts: datetime
    kind: EventKind
    message: str
    path: str = ""

    @property
    def severity(self) -> Severity:
        """The severity of the event's kind (:data:`EVENT_SEVERITIES`)."""
        return self.kind.severity


class DeviceState(StrEnum):
    """The state shown for a device.

    ``DEGRADED``: the router answers (as ``UP``) but a health state sensor (PSU,
    fan) reports something other than ``ok`` (mikromon.schedule.changes).
    ``slow``: the router answers, but not within the realtime tier's limit
    (a realtime command went unanswered while a new session opened within the
    connect timeout); it is polled at the pace it answers, and is not down.
    """

    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"
    SLOW = "slow"
    DOWN = "down"
    AUTH_FAILED = "auth_failed"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStatus:
    """What the collector reports about a device after a poll.

    Attributes:
        device_id: the device's id.
        state: up, degraded, slow, down, auth failed or disabled.
        ts: when this status was determined, UTC.
        last_seen: last successful reply, UTC (``None``: unchanged / never).
        last_error: the last error's message ('' when the poll succeeded).
        identity, board, version: from the router, ``None`` when not read now.
    """

    device_id: int
    state: DeviceState
    ts: datetime
    last_seen: datetime | None = None
    last_error: str = ""
    identity: str | None = None
    board: str | None = None
    version: str | None = None

    def over(self, old: DeviceStatus) -> DeviceStatus:
        """Return this status with the fields it leaves unset (``None``) taken from
        ``old``: a poll that did not read the facts keeps the ones known before."""
        return DeviceStatus(
            device_id=self.device_id,
            state=self.state,
            ts=self.ts,
            last_seen=self.last_seen if self.last_seen is not None else old.last_seen,
            last_error=self.last_error,
            identity=self.identity if self.identity is not None else old.identity,
            board=self.board if self.board is not None else old.board,
            version=self.version if self.version is not None else old.version,
        )
