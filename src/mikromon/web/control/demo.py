"""Which devices and users of a database ``mikromon demo`` created.

The demo marks every device and web user it creates with a
:class:`~mikromon.web.control.models.DemoObject` row. A database holding such
marks is a demo database (:func:`is_demo_database`): the demo made it, so it
keeps working there after an operator added devices or users of their own (it
updates only its own devices and its own ``admin``). A database without marks
is the demo's only while it is empty: pointing the demo at a real database
(one that ``serve`` uses) is refused before anything changes there. The marks live in
their own table, linked to the device or user and deleted with it: editing a
demo device (name, notes, site, tags) does not turn it into a real one, and no
real device can become a demo device by being named or tagged like one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import connection

from mikromon.web.control.models import DemoObject
from mikromon.web.monitor.models import Device

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Names listed per kind in :meth:`Foreign.describe`.
SHOWN_NAMES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Foreign:
    """Devices and users the demo did not create.

    Attributes:
        devices: number of such devices.
        users: number of such users.
        device_names: up to :data:`SHOWN_NAMES` of their names, sorted.
        user_names: up to :data:`SHOWN_NAMES` user names, sorted.
    """

    devices: int
    users: int
    device_names: tuple[str, ...]
    user_names: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.devices or self.users)

    def describe(self) -> str:
        """Return e.g. ``2 devices (core-1, core-2) and 1 user (alice)``."""
        parts = []
        for count, names, what in (
            (self.devices, self.device_names, "device"),
            (self.users, self.user_names, "user"),
        ):
            if count:
                shown = ", ".join(names) + (", ..." if count > len(names) else "")
                parts.append(f"{count} {what}{'s' if count != 1 else ''} ({shown})")
        return " and ".join(parts)


def find_foreign() -> Foreign:
    """Count the devices and users that carry no demo mark.

    Safe on any database, also before migrations: missing tables count as
    empty, and with no mark table at all every device and user is foreign.
    Reads only; changes nothing.

    Returns:
        What the demo did not create (falsy when there is nothing).
    """
    user_model = get_user_model()
    tables = set(connection.introspection.table_names())
    marked = DemoObject._meta.db_table in tables
    devices = Device.objects.all()
    users = user_model.objects.all()
    if marked:
        devices = devices.filter(demo_mark__isnull=True)
        users = users.filter(demo_mark__isnull=True)
    found: dict[str, tuple[int, tuple[str, ...]]] = {}
    for what, model, queryset, field in (
        ("devices", Device, devices, "name"),
        ("users", user_model, users, user_model.USERNAME_FIELD),
    ):
        if model._meta.db_table not in tables:
            found[what] = (0, ())
            continue
        names = tuple(queryset.order_by(field).values_list(field, flat=True)[:SHOWN_NAMES])
        count = queryset.count() if len(names) == SHOWN_NAMES else len(names)
        found[what] = (count, names)
    return Foreign(
        devices=found["devices"][0],
        users=found["users"][0],
        device_names=found["devices"][1],
        user_names=found["users"][1],
    )


def is_demo_database() -> bool:
    """Whether the demo created this database: it holds at least one demo mark.

    The demo refuses every database that holds anything without a mark, so a
    database with marks was empty or the demo's own when the demo first wrote
    to it; whatever was added later (devices, users) belongs to its operator
    and is left alone. Safe before migrations (no mark table: ``False``).
    Reads only.
    """
    if DemoObject._meta.db_table not in connection.introspection.table_names():
        return False
    return DemoObject.objects.exists()


def is_demo_device(device: Device) -> bool:
    """Whether ``device`` (saved) was created by the demo."""
    return DemoObject.objects.filter(device=device).exists()


def is_demo_user(user: User) -> bool:
    """Whether the web user ``user`` (saved) was created by the demo."""
    return DemoObject.objects.filter(user=user).exists()


def mark_device(device: Device) -> None:
    """Record that the demo created ``device`` (saved); idempotent."""
    DemoObject.objects.get_or_create(device=device)


def mark_user(user: User) -> None:
    """Record that the demo created the web user ``user`` (saved); idempotent."""
    DemoObject.objects.get_or_create(user=user)


def demo_devices() -> list[Device]:
    """Return the devices the demo created, by name."""
    return list(Device.objects.filter(demo_mark__isnull=False).order_by("name"))
