"""Django choices mirroring the domain enums (values identical, labels for people).

A test checks that each class lists exactly the values of its domain enum.
"""

from __future__ import annotations

from django.db import models

from mikromon.domain.alerts import Severity
from mikromon.domain.devices import TlsVerify
from mikromon.domain.events import DeviceState, EventKind
from mikromon.domain.tiers import Tier


class TlsVerifyChoices(models.TextChoices):
    """Certificate handling for API-SSL (:class:`mikromon.domain.devices.TlsVerify`)."""

    VERIFY = TlsVerify.VERIFY.value, "Verify the certificate"
    NO_VERIFY = TlsVerify.NO_VERIFY.value, "Accept any certificate (self-signed)"
    ANONYMOUS_DH = TlsVerify.ANONYMOUS_DH.value, "No certificate (anonymous DH)"


class DeviceStateChoices(models.TextChoices):
    """A device's state (:class:`mikromon.domain.events.DeviceState`).

    The labels are the operator's words for the states, the only ones: pages,
    badges, the overview's tiles, the API's ``state_label``, the dashboard's
    script (which reads ``state_label``) and the command line all show these.
    """

    UNKNOWN = DeviceState.UNKNOWN.value, "Unknown"
    UP = DeviceState.UP.value, "Up"
    DEGRADED = DeviceState.DEGRADED.value, "Degraded"
    SLOW = DeviceState.SLOW.value, "Slow"
    DOWN = DeviceState.DOWN.value, "Down"
    AUTH_FAILED = DeviceState.AUTH_FAILED.value, "Login refused"
    DISABLED = DeviceState.DISABLED.value, "Disabled"


#: State value -> the operator's word for it (:class:`DeviceStateChoices`' labels).
STATE_LABELS: dict[str, str] = {value: str(label) for value, label in DeviceStateChoices.choices}


def state_label(state: str | None) -> str:
    """The operator's word for a device state (:data:`STATE_LABELS`); an unknown
    value is shown as it is, ``None`` as the label of ``unknown``."""
    if not state:
        return STATE_LABELS[DeviceState.UNKNOWN.value]
    return STATE_LABELS.get(state, state)


class EventKindChoices(models.TextChoices):
    """What an event reports (:class:`mikromon.domain.events.EventKind`)."""

    DEVICE_UP = EventKind.DEVICE_UP.value, "Device up"
    DEVICE_DOWN = EventKind.DEVICE_DOWN.value, "Device down"
    AUTH_FAILED = EventKind.AUTH_FAILED.value, "Login refused"
    REBOOT = EventKind.REBOOT.value, "Reboot"
    LINK_UP = EventKind.LINK_UP.value, "Link up"
    LINK_DOWN = EventKind.LINK_DOWN.value, "Link down"
    VERSION_CHANGED = EventKind.VERSION_CHANGED.value, "RouterOS version changed"
    BOARD_CHANGED = EventKind.BOARD_CHANGED.value, "Board changed"
    CONFIG_RELOADED = EventKind.CONFIG_RELOADED.value, "Configuration reloaded"
    PATH_ABSENT = EventKind.PATH_ABSENT.value, "Path absent"
    BAD_VALUE = EventKind.BAD_VALUE.value, "Unreadable value"
    HEALTH_FAILED = EventKind.HEALTH_FAILED.value, "Health sensor failing"
    HEALTH_RECOVERED = EventKind.HEALTH_RECOVERED.value, "Health sensor ok again"


class EventSeverityChoices(models.TextChoices):
    """How urgent an event is (:data:`mikromon.domain.events.EVENT_SEVERITIES`),
    most urgent first; the values of :class:`mikromon.domain.alerts.Severity`
    that events use."""

    CRITICAL = Severity.CRITICAL.value, Severity.CRITICAL.label
    WARNING = Severity.WARNING.value, Severity.WARNING.label
    INFO = Severity.INFO.value, Severity.INFO.label


class TierChoices(models.TextChoices):
    """A collection tier (:class:`mikromon.domain.tiers.Tier`)."""

    REALTIME = Tier.REALTIME.value, "Realtime"
    SHORT = Tier.SHORT.value, "Short"
    MEDIUM = Tier.MEDIUM.value, "Medium"
    LONG = Tier.LONG.value, "Long"
    EXTENDED = Tier.EXTENDED.value, "Extended"
