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

from collections import defaultdict
from collections.abc import Sequence
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
    return list(Device.objects.filter(demo_mark__isnull=False).by_name())


@dataclass(frozen=True, slots=True)
class DemoDevice:
    """One emulated router the demo registers as a device.

    Attributes:
        name: the device's name (``demo-<n>-<profile>``).
        host, port, username: the router's API address and user.
        profile: the emulator profile's name (also a tag of the device).
        notes: the device's notes.
    """

    name: str
    host: str
    port: int
    username: str
    profile: str
    notes: str


class NotADemoDevice(Exception):
    """A device of a demo device's name exists that the demo did not create."""

    def __init__(self, name: str) -> None:
        super().__init__(f"device {name!r} exists and was not created by the demo")
        self.name = name


def register_demo_devices(devices: Sequence[DemoDevice], password: str, *, site: str,
                          tag: str) -> list[str]:
    """Create or update one marked device per entry, in one transaction, and
    disable the demo's other devices; return the names, in order.

    Each device gets the ``site``, the tags ``tag`` and its profile, the API
    ``password`` (encrypted) and is enabled; its fields are checked as a form
    would (``full_clean``; the database enforces the unique name and the checks).
    The writes are batched (a few queries for the whole fleet, not a dozen per
    device: ``mikromon demo --routers 200`` registers its devices in well under a
    second), and the configuration version is bumped once at the end (bulk
    writes send no signals: :mod:`mikromon.web.monitor.signals`).

    Raises:
        NotADemoDevice: a device of one of the names exists without a demo mark;
            nothing is changed.
        ValidationError: an entry's fields are invalid.
    """
    from django.db import transaction
    from django.utils import timezone

    from mikromon.web.monitor.models import ConfigVersion, Site, Tag

    names = [d.name for d in devices]
    with transaction.atomic():
        existing = {d.name: d for d in Device.objects.filter(name__in=names)}
        marked = set(DemoObject.objects.filter(device__in=list(existing.values()))
                     .values_list("device_id", flat=True))
        for name in names:
            if name in existing and existing[name].pk not in marked:
                raise NotADemoDevice(name)
        site_row, _ = Site.objects.get_or_create(name=site)
        tags = {name: Tag.objects.get_or_create(name=name)[0]
                for name in dict.fromkeys([tag, *(d.profile for d in devices)])}
        now = timezone.now()
        new: list[Device] = []
        updated: list[Device] = []
        rows: list[tuple[Device, DemoDevice]] = []
        secret = ""
        for entry in devices:
            device = existing.get(entry.name) or Device(name=entry.name)
            device.host = entry.host
            device.port = entry.port
            device.username = entry.username
            device.use_ssl = False
            device.enabled = True
            device.site = site_row
            device.notes = entry.notes
            if not secret:
                device.set_password(password)
                secret = device.password_encrypted
            device.password_encrypted = secret  # one password for every router
            # The site is the row just read (a foreign key's check is a query).
            device.full_clean(exclude=["site"], validate_unique=False,
                              validate_constraints=False)
            device.updated_at = now
            (updated if device.pk else new).append(device)
            rows.append((device, entry))
        Device.objects.bulk_create(new)
        # Updated devices differ in their port (and the few host, user and notes
        # values): one UPDATE per group of equal values, one for the ports (a bulk
        # update of every field is slow to build: a CASE per field and device).
        groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for device in updated:
            groups[(device.host, device.username, device.notes)].append(device.pk)
        for (host, username, notes), ids in groups.items():
            Device.objects.filter(pk__in=ids).update(
                host=host, username=username, notes=notes, use_ssl=False, enabled=True,
                site=site_row, password_encrypted=secret, updated_at=now)
        Device.objects.bulk_update(updated, ["port"])
        DemoObject.objects.bulk_create([DemoObject(device=d) for d in new])
        through = Device.tags.through
        through.objects.filter(device_id__in=[d.pk for d, _ in rows]).delete()
        through.objects.bulk_create([
            through(device_id=d.pk, tag_id=tags[name].pk)
            for d, entry in rows for name in dict.fromkeys([tag, entry.profile])
        ])
        (Device.objects.filter(demo_mark__isnull=False, enabled=True)
         .exclude(name__in=names).update(enabled=False, updated_at=now))
        ConfigVersion.bump()
    return names
