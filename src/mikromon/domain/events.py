"""Events the collector writes as it notices them, and the device status it reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
