"""Device names sort naturally (``demo-2`` before ``demo-10``) wherever devices are
listed by name: the device list and the API (sorted and paged by the database),
the overview's worst devices, the collector page, the device filters and
drop-downs. The database sorts a key written with the name
(:func:`mikromon.domain.names.name_sort_key`), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from mikromon.domain.names import name_sort_key

pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]

#: Created in this (unnatural) order; listed naturally.
CREATED = ["demo-10", "demo-2", "demo-1", "Demo-3", "demo-11", "demo-9a", "demo-9"]
NATURAL = ["demo-1", "demo-2", "Demo-3", "demo-9", "demo-9a", "demo-10", "demo-11"]


@pytest.fixture
def demos():
    from mikromon.web.monitor.models import Device

    out = []
    for name in CREATED:
        dev = Device(name=name, host="127.0.0.1", username="u", state="down",
                     status_changed_at=datetime(2026, 1, 1, tzinfo=UTC))
        dev.set_password("pw")
        dev.save()
        out.append(dev)
    return out


def _names_in(html: str, pattern: str) -> list[str]:
    return [n for n in re.findall(pattern, html) if n.lower().startswith("demo-")]


def test_the_key_is_written_with_the_name_however_devices_are_saved(demos) -> None:
    from mikromon.web.monitor.models import Device

    assert [d.name for d in Device.objects.all()] == NATURAL
    assert Device.objects.get(name="demo-10").name_key == name_sort_key("demo-10")
    Device.objects.bulk_create([Device(name="demo-0", host="127.0.0.1", username="u",
                                       port=8728)])
    Device.objects.filter(name="demo-11").update(name="demo-12")
    renamed = Device.objects.get(name="demo-2")
    renamed.name = "demo-20"
    renamed.save()
    assert [d.name for d in Device.objects.by_name()] == [
        "demo-0", "demo-1", "Demo-3", "demo-9", "demo-9a", "demo-10", "demo-12", "demo-20"]
    with pytest.raises(ValueError, match="name_key"):
        Device.objects.update(name_key="x")


@pytest.mark.parametrize("sort", ["", "name", "-name"])
def test_device_list_sorts_names_naturally_in_the_database(admin_web, demos, sort) -> None:
    body = admin_web.get("/devices/", {"sort": sort} if sort else {}).content.decode()
    shown = _names_in(body, r'data-device="([^"]+)"')
    assert shown == (NATURAL[::-1] if sort == "-name" else NATURAL)


def test_device_list_pages_follow_the_natural_order(demos) -> None:
    """A page of the sorted list is a slice in the database (LIMIT/OFFSET), and
    other sorts break ties by the natural name."""
    from mikromon.web.monitor.device_filters import sort_devices
    from mikromon.web.monitor.models import Device

    qs, _ = sort_devices(Device.objects.all(), "name", [])
    assert [d.name for d in qs[3:6]] == NATURAL[3:6]
    qs, _ = sort_devices(Device.objects.all(), "state", [])
    assert [d.name for d in qs] == NATURAL


def test_api_lists_devices_naturally(admin_web, demos) -> None:
    data = admin_web.get("/api/v1/devices").json()
    assert [d["name"] for d in data["devices"]] == NATURAL
    data = admin_web.get("/api/v1/devices", {"sort": "-name"}).json()
    assert [d["name"] for d in data["devices"]] == NATURAL[::-1]


def test_overview_worst_devices_tie_by_natural_name(admin_web, demos) -> None:
    body = admin_web.get("/").content.decode()
    part = body.split('id="worst-devices"', 1)[1]
    assert _names_in(part, r'<tr data-device="([^"]+)"') == NATURAL


def test_device_filters_and_drop_downs_list_devices_naturally(admin_web, demos) -> None:
    for url in ("/events/", "/alerts/", "/alerts/silences/add/"):
        body = admin_web.get(url).content.decode()
        select = body.split('name="device"', 1)[1].split("</select>", 1)[0]
        assert _names_in(select, r">([^<>]+)</option>") == NATURAL, url


def test_migration_fills_the_key_of_devices_stored_before(demos, monkeypatch):
    """Migration 0015 writes the key of every device stored before it, a batch at
    a time (here two devices a batch)."""
    import importlib
    from types import SimpleNamespace

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from mikromon.web.monitor.models import Device

    migration = importlib.import_module("mikromon.web.monitor.migrations.0015_device_name_key")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Device._meta.db_table} SET name_key = ''")
    assert set(Device.objects.values_list("name_key", flat=True)) == {""}
    monkeypatch.setattr(migration, "BATCH", 2)
    # The models as the migration sees them (no guard of the key: that is the code's).
    apps = MigrationLoader(connection).project_state(("monitor", "0015_device_name_key")).apps
    migration.backfill_keys(apps, SimpleNamespace(connection=SimpleNamespace(alias="default")))
    assert {d.name: d.name_key for d in Device.objects.all()} == {
        name: name_sort_key(name) for name in CREATED}
    assert list(Device.objects.values_list("name", flat=True)) == NATURAL


def test_bulk_changes_and_unknown_name_hints_list_devices_naturally(demos) -> None:
    """A bulk change reports the devices changed in natural order; a device name
    the rule form does not know is refused with the known names, naturally."""
    from django.core.exceptions import ValidationError

    from mikromon.web.alerts.rule_form import RuleForm
    from mikromon.web.monitor.device_bulk import apply_bulk

    result = apply_bulk({"action": "disable", "devices": [d.pk for d in demos]})
    assert result.changed == NATURAL
    with pytest.raises(ValidationError) as err:
        RuleForm.base_fields["device"].clean("nosuch")
    assert ", ".join(NATURAL) in err.value.messages[0]
