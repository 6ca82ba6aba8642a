"""What a notification says: one or more alerts of one rule and severity.

A :class:`Notification` is what the outbox stores (as :meth:`Notification.to_json`)
and what every channel renders: a title and a plain-text body for people
(Apprise: mail, chat), a JSON document for our webhook, Alertmanager alerts.
Each :class:`AlertItem` says what happened, where (device, site, subject), since
when, the value and the threshold, and links to the device's page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from mikromon.domain.formatting import duration, unit_value, utc_iso

#: Devices named in a title before "and N more".
TITLE_NAMES = 3


class NotificationKind(StrEnum):
    """Why a message is sent."""

    FIRING = "firing"  # alerts started firing
    RESOLVED = "resolved"  # alerts resolved
    REPEAT = "repeat"  # alerts still firing after the channel's repeat interval
    TEST = "test"  # "Send test" from the channel's page, API or CLI


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: UTC expected")
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """``2026-12-06T16:00:05Z`` (:func:`~mikromon.domain.formatting.utc_iso`, whole
    seconds), ``None`` for ``None``."""
    return None if value is None else utc_iso(value, whole_seconds=True)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _required_time(data: Mapping[str, Any], field: str) -> datetime:
    """``data[field]`` read as an ISO 8601 time.

    Raises:
        KeyError: the field is missing.
        ValueError: it is empty or no ISO 8601 time, naming the field.
    """
    value = data[field]
    if not isinstance(value, str) or not value:
        raise ValueError(f"alert item field {field!r} is no time: {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"alert item field {field!r} is no ISO 8601 time: "
                         f"{value[:40]!r}") from None


def _clock(value: datetime) -> str:
    return _utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One alert in a notification (from one alert event).

    Attributes:
        alert_id: the alert's id (``alerts.Alert``); ``None`` for a test message.
        rule_id / rule_name: the rule that fired.
        device_id / device_name / site: where (``site`` ``''`` when none).
        subject: the interface, sensor or peer, ``''`` device-wide.
        state: ``firing`` or ``resolved``.
        severity: ``info``, ``warning``, ``high`` or ``critical``.
        since: when the condition began (UTC).
        ts: when this state was reached (UTC): fired or resolved.
        value / threshold: the measured value and the rule's threshold (``None``
            for rules without numbers, e.g. link down).
        message: the rule engine's sentence (what happened, where, since when).
        url: the device's page (``MIKROMON_BASE_URL`` + path), ``''`` when no base URL.
        flapping: the alert fires and resolves repeatedly.
        event_id: the ``alerts.AlertEvent`` id it comes from (``None``: repeat/test).
    """

    alert_id: int | None
    rule_id: int
    rule_name: str
    device_id: int
    device_name: str
    site: str
    subject: str
    state: str
    severity: str
    since: datetime
    ts: datetime
    value: float | None
    threshold: float | None
    message: str
    url: str = ""
    flapping: bool = False
    event_id: int | None = None

    def where(self) -> str:
        """``edge-1 ether1 (site Berlin)``: device, subject, site."""
        text = self.device_name + (f" {self.subject}" if self.subject else "")
        return text + (f" (site {self.site})" if self.site else "")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times ISO 8601 UTC with ``Z``)."""
        return {
            "alert_id": self.alert_id,
            "rule_id": self.rule_id,
            "rule": self.rule_name,
            "device_id": self.device_id,
            "device": self.device_name,
            "site": self.site,
            "subject": self.subject,
            "state": self.state,
            "severity": self.severity,
            "since": iso(self.since),
            "ts": iso(self.ts),
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "url": self.url,
            "flapping": self.flapping,
            "event_id": self.event_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertItem:
        """Rebuild an item from :meth:`to_json`.

        Raises:
            ValueError: a field is missing or malformed, naming it.
        """
        try:
            return cls(
                alert_id=data["alert_id"],
                rule_id=int(data["rule_id"]),
                rule_name=str(data["rule"]),
                device_id=int(data["device_id"]),
                device_name=str(data["device"]),
                site=str(data.get("site") or ""),
                subject=str(data.get("subject") or ""),
                state=str(data["state"]),
                severity=str(data["severity"]),
                since=_required_time(data, "since"),
                ts=_required_time(data, "ts"),
                value=data.get("value"),
                threshold=data.get("threshold"),
                message=str(data.get("message") or ""),
                url=str(data.get("url") or ""),
                flapping=bool(data.get("flapping")),
                event_id=data.get("event_id"),
            )
        except KeyError as err:
            raise ValueError(f"alert item lacks the field {err.args[0]!r}") from None

    def text(self) -> str:
        """Lines for people: where and what, value/threshold/since, the link."""
        lines = [f"{self.where()}: {self.message or self.rule_name}"]
        facts = []
        if self.value is not None:
            facts.append(f"value {unit_value(self.value, '')}")
        if self.threshold is not None:
            facts.append(f"threshold {unit_value(self.threshold, '')}")
        facts.append(f"since {_clock(self.since)}")
        if self.state == "resolved":
            lasted = duration((self.ts - self.since).total_seconds())
            facts.append(f"resolved {_clock(self.ts)} after {lasted}")
        if self.flapping:
            facts.append("flapping")
        lines.append("  " + ", ".join(facts))
        if self.url:
            lines.append(f"  {self.url}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one channel: alerts of one rule, severity and state.

    Attributes:
        key: unique per channel and message; the same on every retry (receivers
            may drop duplicates by it: webhook ``id`` and ``X-Mikromon-Delivery``).
        kind: :class:`NotificationKind`.
        rule_name / severity: what the items share.
        items: the alerts, at least one except for a test message.
        created: when the message was composed (UTC).
    """

    key: str
    kind: NotificationKind
    rule_name: str
    severity: str
    items: tuple[AlertItem, ...] = field(default=())
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def status(self) -> str:
        """``firing`` or ``resolved`` (a test message counts as firing)."""
        return "resolved" if self.kind == NotificationKind.RESOLVED else "firing"

    def title(self) -> str:
        """One line: ``[FIRING 30] high: Device unreachable: r1, r2, r3 and 27 more``."""
        if self.kind == NotificationKind.TEST:
            return "[TEST] mikromon test notification"
        label = {"firing": "FIRING", "resolved": "RESOLVED", "repeat": "STILL FIRING"}[self.kind]
        count = f" {len(self.items)}" if len(self.items) > 1 else ""
        names = [item.device_name + (f" {item.subject}" if item.subject else "")
                 for item in self.items[:TITLE_NAMES]]
        more = len(self.items) - TITLE_NAMES
        where = ", ".join(names) + (f" and {more} more" if more > 0 else "")
        return f"[{label}{count}] {self.severity}: {self.rule_name}: {where}"

    def text(self) -> str:
        """The plain-text body: one paragraph per alert, then the message key."""
        if self.kind == NotificationKind.TEST:
            body = ("This is a test message from mikromon. If you can read it, "
                    "the channel works.")
        else:
            body = "\n\n".join(item.text() for item in self.items)
        return f"{body}\n\n(mikromon message {self.key})"

    def to_json(self) -> dict[str, Any]:
        """The JSON document (the webhook body and the stored outbox payload)."""
        return {
            "version": 1,
            "id": self.key,
            "kind": str(self.kind),
            "status": self.status,
            "rule": self.rule_name,
            "severity": self.severity,
            "created": iso(self.created),
            "title": self.title(),
            "text": self.text(),
            "alerts": [item.to_json() for item in self.items],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notification:
        """Rebuild a notification from :meth:`to_json`.

        Raises:
            ValueError: a field is missing or malformed, naming it.
        """
        try:
            return cls(
                key=str(data["id"]),
                kind=NotificationKind(data["kind"]),
                rule_name=str(data.get("rule") or ""),
                severity=str(data.get("severity") or ""),
                items=tuple(AlertItem.from_json(item) for item in data.get("alerts") or ()),
                created=_parse(data.get("created")) or datetime.now(UTC),
            )
        except KeyError as err:
            raise ValueError(f"notification lacks the field {err.args[0]!r}") from None

    def with_items(self, items: Sequence[AlertItem]) -> Notification:
        """A copy holding ``items`` (grouping adds alerts to an open message)."""
        return Notification(self.key, self.kind, self.rule_name, self.severity,
                            tuple(items), self.created)
