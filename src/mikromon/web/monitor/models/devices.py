"""Devices and what groups them (sites, tags), plus the configuration version
counter the collector watches to reload device settings."""

from __future__ import annotations

import codecs
from collections.abc import Collection, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from mikromon.domain.devices import DeviceConfig, TlsVerify, validate_host
from mikromon.domain.errors import ConfigError
from mikromon.domain.names import MAX_NAME_SORT_KEY, name_sort_key
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier
from mikromon.web.monitor import crypto
from mikromon.web.monitor.choices import DeviceStateChoices, TlsVerifyChoices, state_label
from mikromon.web.monitor.models.device_reads import (
    ANSWERING,
    STALE_FLOOR_S,
    STALE_INTERVALS,
    DeviceQuerySet,
    effective_time_scale,
)

#: Plain API port and API-SSL port (RouterOS ``/ip service`` defaults).
API_PORT = 8728
API_SSL_PORT = 8729

#: Tier -> name of the Device field holding its interval (seconds).
INTERVAL_FIELDS: MappingProxyType[Tier, str] = MappingProxyType(
    {tier: f"{tier.value}_interval" for tier in Tier}
)


def default_port(use_ssl: bool) -> int:
    """Return the RouterOS API port for the transport: 8729 with TLS, else 8728."""
    return API_SSL_PORT if use_ssl else API_PORT


def validate_encoding(value: str) -> None:
    """Reject text encodings Python does not know.

    Raises:
        ValidationError: naming the encoding.
    """
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValidationError(
            "Unknown text encoding %(value)s (use e.g. utf-8, cp1251, latin-1).",
            code="unknown_encoding",
            params={"value": repr(value)},
        ) from None


def _interval_field(tier: Tier) -> models.PositiveIntegerField:
    minimum = MINIMUM_INTERVALS[tier]
    return models.PositiveIntegerField(
        f"{tier.value} interval (s)",
        default=DEFAULT_INTERVALS[tier],
        validators=[
            MinValueValidator(
                minimum,
                message=f"The {tier.value} interval must be at least %(limit_value)s "
                "seconds (got %(show_value)s).",
            )
        ],
        help_text=f"Seconds between {tier.value}-tier polls; at least {minimum}.",
    )


def _interval_constraint(tier: Tier) -> models.CheckConstraint:
    field = INTERVAL_FIELDS[tier]
    minimum = MINIMUM_INTERVALS[tier]
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": minimum}),
        name=f"monitor_device_{field}_min",
        violation_error_message=f"The {tier.value} interval must be at least {minimum} seconds.",
    )


class Site(models.Model):
    """A place where devices stand (an office, a tower, a data centre)."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="monitor_site_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label for grouping devices (``core``, ``customer-x``)."""

    name = models.CharField(max_length=50)
    slug = models.SlugField(max_length=50, blank=True)
    colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb.")],
        help_text="Optional colour, #rrggbb.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="monitor_tag_name_unique"),
            models.UniqueConstraint(
                fields=["slug"], condition=~Q(slug=""), name="monitor_tag_slug_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, **kwargs: Any) -> None:
        """Fill ``slug`` from ``name`` when blank, then save."""
        if not self.slug:
            self.slug = slugify(self.name)[:50]
        super().save(**kwargs)


class Device(models.Model):
    """One router polled over the RouterOS API.

    The password is stored encrypted (:mod:`mikromon.web.monitor.crypto`); set it
    with :meth:`set_password` and read it with :meth:`get_password`. It never
    appears in ``str``/``repr``. ``port`` left empty means 8728, or 8729 with
    ``use_ssl``. ``name_key`` is written with the name (``save``, ``bulk_create``,
    ``update``): devices list in the natural order of their names (``demo-2``
    before ``demo-10``; :meth:`DeviceQuerySet.by_name`). The status fields
    (``state`` .. ``status_changed_at``) are written by the collector through
    :class:`~mikromon.web.monitor.storage.DjangoStorage` with ``QuerySet.update``
    so they do not count as configuration changes.
    """

    name = models.CharField(max_length=100, help_text="Unique name shown everywhere.")
    name_key = models.CharField(
        max_length=MAX_NAME_SORT_KEY, blank=True, default="", editable=False,
        help_text="The name's natural sort key (mikromon.domain.names.name_sort_key), "
                  "written with the name.")
    host = models.CharField(max_length=253, help_text="Address or host name of the router.")
    port = models.PositiveIntegerField(
        blank=True,
        validators=[
            MinValueValidator(1, message="The port must be between 1 and 65535."),
            MaxValueValidator(65535, message="The port must be between 1 and 65535."),
        ],
        help_text="API port; empty means 8728, or 8729 with API-SSL.",
    )
    username = models.CharField(max_length=100)
    password_encrypted = models.TextField(blank=True, editable=False)
    use_ssl = models.BooleanField("API-SSL", default=False)
    tls_verify = models.CharField(
        "TLS verification",
        max_length=16,
        choices=TlsVerifyChoices.choices,
        default=TlsVerifyChoices.VERIFY,
    )
    encoding = models.CharField(
        max_length=32,
        default="utf-8",
        validators=[validate_encoding],
        help_text="Text encoding of the router's names and comments.",
    )
    enabled = models.BooleanField(default=True)
    realtime_interval = _interval_field(Tier.REALTIME)
    short_interval = _interval_field(Tier.SHORT)
    medium_interval = _interval_field(Tier.MEDIUM)
    long_interval = _interval_field(Tier.LONG)
    extended_interval = _interval_field(Tier.EXTENDED)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")
    notes = models.TextField(blank=True)

    state = models.CharField(
        max_length=16, choices=DeviceStateChoices.choices, default=DeviceStateChoices.UNKNOWN
    )
    last_seen = models.DateTimeField(null=True, blank=True, help_text="Last reply, UTC.")
    last_error = models.TextField(blank=True)
    identity = models.CharField(max_length=255, blank=True)
    board = models.CharField(max_length=100, blank=True)
    ros_version = models.CharField("RouterOS version", max_length=64, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["name_key", "name"]
        indexes = [models.Index(fields=["state"], name="monitor_device_state_idx"),
                   models.Index(fields=["name_key", "name"], name="monitor_device_name_key_idx")]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="monitor_device_name_unique"),
            models.CheckConstraint(
                condition=Q(port__gte=1) & Q(port__lte=65535),
                name="monitor_device_port_range",
                violation_error_message="The port must be between 1 and 65535.",
            ),
            *(_interval_constraint(tier) for tier in Tier),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, **kwargs: Any) -> None:
        """Fill the default port and the name's sort key, then save."""
        if self.port is None:
            self.port = default_port(self.use_ssl)
        self.name_key = name_sort_key(self.name)
        fields = kwargs.get("update_fields")
        if fields is not None and "name" in fields and "name_key" not in fields:
            kwargs["update_fields"] = [*fields, "name_key"]
        super().save(**kwargs)

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Check the fields; an empty required text says ``<field> must not be empty``
        (not Django's "This field cannot be blank").

        Raises:
            ValidationError: per field.
        """
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as err:
            raise ValidationError({
                name: [
                    ValidationError(f"{name.replace('_', ' ')} must not be empty",
                                    code=e.code)
                    if e.code in ("blank", "null") else e
                    for e in errors
                ]
                for name, errors in err.error_dict.items()
            }) from None

    def unique_error_message(self, model_class: type[models.Model],
                             unique_check: Sequence[str]) -> ValidationError:
        """A taken name says ``a device named 'x' already exists``."""
        if tuple(unique_check) == ("name",):
            return ValidationError(f"a device named {self.name!r} already exists",
                                   code="unique")
        return super().unique_error_message(model_class, unique_check)

    def clean(self) -> None:
        """Check and normalise the host (:func:`mikromon.domain.devices.validate_host`:
        a host name, IPv4 or IPv6 address; brackets removed) and fill the default
        port (8728, or 8729 with API-SSL).

        Raises:
            ValidationError: on ``host``, with the validator's message (an empty
                host is left to the field's own "required" check).
        """
        if self.host:
            try:
                self.host = validate_host(self.host)
            except ConfigError as err:
                raise ValidationError({"host": str(err)}) from None
        if self.port is None:
            self.port = default_port(self.use_ssl)

    @property
    def state_label(self) -> str:
        """The operator's word for the state (:func:`~mikromon.web.monitor.choices.state_label`)."""
        return state_label(self.state)

    def last_contact(self) -> datetime | None:
        """The newest contact with the router, UTC: the later of ``last_seen`` and
        ``data_ts`` (exact for devices annotated by ``with_contact``; ``last_seen``
        alone otherwise), ``None`` when it never answered."""
        times = [t for t in (self.last_seen, getattr(self, "data_ts", None)) if t is not None]
        return max(times) if times else None

    def realtime_every_s(self) -> float:
        """Seconds between two realtime polls as the collector really runs them: the
        realtime interval at the collector's time scale (``MIKROMON_TIME_SCALE``)."""
        return self.realtime_interval * effective_time_scale()

    def stale_after_s(self) -> float:
        """Seconds without news after which an "up" device counts as stale:
        ``STALE_INTERVALS`` times :meth:`realtime_every_s`, at least
        ``STALE_FLOOR_S``."""
        return max(STALE_FLOOR_S, STALE_INTERVALS * self.realtime_every_s())

    def is_stale(self, now: datetime | None = None) -> bool:
        """Whether the device says "up" (or "degraded") but its newest data is older
        than :meth:`stale_after_s` (collector stopped or stuck). Other states are
        never stale: they already say that no data comes."""
        if self.state not in ANSWERING:
            return False
        contact = self.last_contact()
        if contact is None:
            return True
        return ((now or timezone.now()) - contact).total_seconds() > self.stale_after_s()

    def values_current(self) -> bool:
        """Whether the newest values are current: answering and not stale. Otherwise
        pages show them as the last values, never as "now"."""
        return self.state in ANSWERING and not self.is_stale()

    def set_password(self, raw: str) -> None:
        """Store ``raw`` encrypted (call :meth:`save` afterwards)."""
        self.password_encrypted = crypto.encrypt(raw) if raw else ""

    def get_password(self) -> str:
        """Return the decrypted password ('' when none is set).

        Raises:
            PasswordDecryptError: when the Fernet key is not the one the password
                was stored with.
        """
        if not self.password_encrypted:
            return ""
        return crypto.decrypt(self.password_encrypted, what=f"the password of device {self.name!r}")

    @property
    def has_password(self) -> bool:
        """Whether a password is stored (its value is never shown back)."""
        return bool(self.password_encrypted)

    @property
    def intervals(self) -> dict[Tier, int]:
        """Tier -> interval in seconds, from the five interval fields."""
        return {tier: int(getattr(self, field)) for tier, field in INTERVAL_FIELDS.items()}

    def to_config(self) -> DeviceConfig:
        """Return the collector's view of this device, password decrypted.

        Raises:
            PasswordDecryptError: when the password cannot be decrypted.
        """
        return DeviceConfig(
            id=self.pk,
            name=self.name,
            host=self.host,
            port=self.port if self.port is not None else default_port(self.use_ssl),
            username=self.username,
            password=self.get_password(),
            use_ssl=self.use_ssl,
            tls_verify=TlsVerify(self.tls_verify),
            encoding=self.encoding,
            enabled=self.enabled,
            intervals=MappingProxyType(self.intervals),
        )


class ConfigVersion(models.Model):
    """A single-row counter bumped (by signal handlers) whenever a device, site or
    tag is saved or deleted, or a device's tags change.

    Any process reads it cheaply (:meth:`current`) to notice configuration changes
    made by another process. Writes through the ORM bump it; raw SQL writes and
    ``QuerySet.update``/``bulk_create`` on Device do not (call :meth:`bump`).
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    counter = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="monitor_configversion_single_row"),
        ]

    def __str__(self) -> str:
        return f"configuration version {self.counter}"

    @classmethod
    def bump(cls, using: str = "default") -> None:
        """Increase the counter by one (creating the row when missing)."""
        rows = cls.objects.using(using)
        updated = rows.filter(pk=cls.SINGLETON_ID).update(
            counter=F("counter") + 1, changed_at=timezone.now()
        )
        if not updated:
            rows.get_or_create(pk=cls.SINGLETON_ID, defaults={"counter": 1})

    @classmethod
    def current(cls, using: str = "default") -> str:
        """Return the version token (``"v<counter>"``; ``"v0"`` before any change)."""
        counter = (
            cls.objects.using(using)
            .filter(pk=cls.SINGLETON_ID)
            .values_list("counter", flat=True)
            .first()
        )
        return f"v{counter or 0}"
