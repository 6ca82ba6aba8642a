"""Model validation, password encryption, choices, catalog sync, API tokens."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from mikromon.domain.devices import TlsVerify
from mikromon.domain.events import DeviceState, EventKind
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier
from mikromon.web.monitor.catalog import sync_catalog
from mikromon.web.monitor.choices import (
    DeviceStateChoices,
    EventKindChoices,
    TierChoices,
    TlsVerifyChoices,
)
from mikromon.web.monitor.crypto import PasswordDecryptError
from mikromon.web.monitor.models import ApiToken, Device, MetricCatalog, Tag

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def _device(**fields: object) -> Device:
    values: dict[str, object] = {"name": "r1", "host": "127.0.0.1", "username": "api"}
    values.update(fields)
    return Device(**values)


@pytest.mark.parametrize("tier", list(Tier), ids=str)
def test_interval_below_minimum_names_field_and_minimum(tier: Tier) -> None:
    """full_clean rejects an interval under the tier minimum, on that field, saying the minimum."""
    minimum = MINIMUM_INTERVALS[tier]
    dev = _device(**{f"{tier.value}_interval": minimum - 1})
    with pytest.raises(ValidationError) as info:
        dev.full_clean()
    errors = info.value.message_dict
    assert list(errors) == [f"{tier.value}_interval"]
    assert errors[f"{tier.value}_interval"] == [
        f"The {tier.value} interval must be at least {minimum} seconds (got {minimum - 1})."
    ]


@pytest.mark.parametrize("tier", list(Tier), ids=str)
def test_database_rejects_interval_below_minimum(device: Device, tier: Tier) -> None:
    """The CheckConstraint holds even for writes that skip validation."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.filter(pk=device.pk).update(
            **{f"{tier.value}_interval": MINIMUM_INTERVALS[tier] - 1}
        )


def test_defaults_and_ports() -> None:
    """Intervals default to the tier defaults; port 8728, or 8729 with API-SSL."""
    plain = _device()
    plain.full_clean()
    assert plain.port == 8728
    assert plain.intervals == DEFAULT_INTERVALS
    tls = _device(name="r2", use_ssl=True)
    tls.save()
    assert tls.port == 8729
    explicit = _device(name="r3", use_ssl=True, port=9000)
    explicit.save()
    assert explicit.port == 9000


def test_port_and_encoding_validation() -> None:
    """Out-of-range ports and unknown encodings are named."""
    dev = _device(port=70000, encoding="klingon-8")
    with pytest.raises(ValidationError) as info:
        dev.full_clean()
    errors = info.value.message_dict
    assert errors["port"] == ["The port must be between 1 and 65535."]
    assert "Unknown text encoding 'klingon-8'" in errors["encoding"][0]


def test_duplicate_name_rejected(device: Device) -> None:
    """Device names are unique."""
    with pytest.raises(ValidationError) as info:
        _device(name=device.name).full_clean()
    assert "name" in str(info.value.message_dict) or "__all__" in info.value.message_dict


def test_password_is_encrypted_at_rest(device: Device) -> None:
    """The raw column holds a Fernet token, not the password; get_password decrypts it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM monitor_device WHERE id = %s", [device.pk])
        (stored,) = cursor.fetchone()
    assert "s3cret-pass" not in stored
    assert stored.startswith("gAAAA")
    assert Device.objects.get(pk=device.pk).get_password() == "s3cret-pass"


def test_password_never_in_str_or_repr_or_config_repr(device: Device) -> None:
    """Neither the model nor the DeviceConfig shows the password."""
    config = device.to_config()
    for text in (str(device), repr(device), repr(config)):
        assert "s3cret" not in text
    assert device.has_password


def test_wrong_key_gives_clear_error(device: Device, settings) -> None:
    """Decrypting with another key raises PasswordDecryptError naming device and key."""
    from cryptography.fernet import Fernet

    settings.MIKROMON_FERNET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(PasswordDecryptError, match=r"password of device 'edge-1'.*different key"):
        Device.objects.get(pk=device.pk).get_password()


def test_key_rotation_old_key_still_decrypts(device: Device, settings) -> None:
    """With a new key first and the old one second, old passwords still decrypt."""
    from cryptography.fernet import Fernet

    settings.MIKROMON_FERNET_KEYS = [Fernet.generate_key().decode(), *settings.MIKROMON_FERNET_KEYS]
    assert Device.objects.get(pk=device.pk).get_password() == "s3cret-pass"


def test_empty_password() -> None:
    """No password stores nothing and reads back as ''."""
    dev = _device()
    dev.set_password("")
    assert dev.password_encrypted == ""
    assert dev.get_password() == ""
    assert not dev.has_password


def test_to_config(device: Device) -> None:
    """to_config carries every polling field, intervals by tier and the decrypted password."""
    device.use_ssl = True
    device.tls_verify = TlsVerify.ANONYMOUS_DH.value
    device.encoding = "cp1251"
    device.short_interval = 45
    device.save()
    config = device.to_config()
    assert (config.id, config.name, config.host, config.port) == (
        device.pk, "edge-1", "127.0.0.1", 8728,
    )
    assert config.password == "s3cret-pass"
    assert config.tls_verify is TlsVerify.ANONYMOUS_DH
    assert config.intervals[Tier.SHORT] == 45
    assert config.encoding == "cp1251"


@pytest.mark.parametrize(
    ("choices", "enum"),
    [
        (TlsVerifyChoices, TlsVerify),
        (DeviceStateChoices, DeviceState),
        (EventKindChoices, EventKind),
        (TierChoices, Tier),
    ],
)
def test_choices_mirror_domain_enums(choices: type, enum: type) -> None:
    """Every domain enum value is a choice, and nothing else."""
    assert set(choices.values) == {member.value for member in enum}


def test_tag_slug_filled_from_name() -> None:
    """A tag saved without slug gets one from its name."""
    tag = Tag.objects.create(name="Core Routers")
    assert tag.slug == "core-routers"


def test_catalog_sync_inserts_updates_deletes() -> None:
    """sync_catalog makes the table equal to the given specs and reports changes."""
    MetricCatalog.objects.all().delete()
    spec = SimpleNamespace
    first = [
        spec(key="a.pct", unit="%", description="A", tier=Tier.REALTIME, kind="gauge"),
        spec(key="b.bytes", unit="bytes", description="B", tier=Tier.SHORT, kind="gauge"),
    ]
    assert sync_catalog(first) == 2
    assert sync_catalog(first) == 0
    second = [
        spec(key="a.pct", unit="%", description="A changed", tier=Tier.REALTIME, kind="gauge"),
        spec(key="c.bps", unit="bits/s", description="C", tier=Tier.REALTIME, kind="rate"),
    ]
    assert sync_catalog(second) == 3
    rows = {r.key: r for r in MetricCatalog.objects.all()}
    assert set(rows) == {"a.pct", "c.bps"}
    assert rows["a.pct"].description == "A changed"
    assert rows["c.bps"].tier == "realtime"


def test_catalog_sync_from_domain_catalog() -> None:
    """Without arguments the domain CATALOG is mirrored (it is synced after migrate)."""
    from mikromon.domain.catalog import CATALOG

    sync_catalog()
    assert set(MetricCatalog.objects.values_list("key", flat=True)) == {s.key for s in CATALOG}


def test_api_token_issue_and_authenticate() -> None:
    """Only the hash is stored; the raw token authenticates (its use is recorded
    off the request path: tests/web/api/test_api_token_use.py)."""
    user = get_user_model().objects.create_user("ops", password="x-long-password-1")
    token, raw = ApiToken.issue(user, "grafana")
    assert raw not in token.key_hash
    assert raw.startswith(token.prefix)
    found = ApiToken.authenticate(raw)
    assert found is not None
    assert found.pk == token.pk
    assert ApiToken.authenticate(raw + "x") is None
    user.is_active = False
    user.save()
    assert ApiToken.authenticate(raw) is None


@pytest.mark.django_db
def test_event_path_migration_backfills_the_first_word_of_older_path_events() -> None:
    """Events stored before ``path`` existed began their message with the path:
    migration 0006 copies it into the field, for path kinds only."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.models import Event as EventRow

    migration = importlib.import_module("mikromon.web.monitor.migrations.0006_event_path")
    dev = Device(name="old-1", host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    now = timezone.now()
    for kind, message in [
        ("path_absent", "/ip/hotspot/active is not on this router; skipped"),
        ("bad_value", "/system/resource cpu-load: unreadable value 'n/a' (not a number)"),
        ("reboot", "/not/a/path event of another kind"),
        ("bad_value", "no path first"),
    ]:
        EventRow.objects.create(device=dev, ts=now, kind=kind, message=message)
    migration.backfill_paths(apps, SimpleNamespace(connection=SimpleNamespace(alias="default")))
    assert [e.path for e in EventRow.objects.order_by("id")] == [
        "/ip/hotspot/active", "/system/resource", "", ""]
