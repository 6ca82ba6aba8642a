"""Inventory rows, router log lines and events."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, Value

from mikromon.domain.alerts import Severity
from mikromon.domain.events import EventKind
from mikromon.web.monitor.choices import EventKindChoices, EventSeverityChoices
from mikromon.web.monitor.models.devices import Device


class InventoryItem(models.Model):
    """One row of one inventory table of one device (an interface, an ARP entry,
    a DHCP lease, a route, a BGP session ...).

    ``table`` is the snapshot's table name (``interfaces``, ``arp``, ``dhcp_leases``),
    ``key`` the row identity from :meth:`InventorySnapshot.row_key`, ``data`` the
    row as the collector mapped it (RouterOS field names, parsed values).
    Rows the router stops reporting are kept with ``gone=True`` and ``gone_at``;
    they come back (``gone=False``) when reported again. ``sort_keys`` and
    ``search_text`` are derived from ``data`` whenever it is written
    (:mod:`mikromon.web.monitor.sort_keys`), so tables page, sort and filter in SQL.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="inventory")
    table = models.CharField(max_length=64)
    key = models.CharField(max_length=500)
    data = models.JSONField(default=dict)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    changed_at = models.DateTimeField(help_text="When data last changed (or first seen).")
    gone = models.BooleanField(default=False)
    gone_at = models.DateTimeField(null=True, blank=True)
    sort_keys = models.JSONField(
        default=dict, db_default=Value({}, models.JSONField()), blank=True,
        help_text="Column -> sort key of its value (mikromon.web.monitor.sort_keys).")
    search_text = models.TextField(
        blank=True, default="", db_default="",
        help_text="The values in lower case for the text filter; '' for a blank row.")

    class Meta:
        ordering = ["device", "table", "key"]
        verbose_name = "inventory item"
        constraints = [
            models.UniqueConstraint(
                fields=["device", "table", "key"], name="monitor_inventoryitem_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["table", "gone"], name="monitor_inventory_table_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.table}:{self.key}"


class InventorySync(models.Model):
    """When one inventory table of one device was last read (``synced_at``, UTC).

    Written on every sync, also when the router reported no rows (an empty table,
    ``!empty`` on RouterOS 7.18+, a CHR's ``routerboard=false``), so a table read
    empty can be told from a table never read. One record per device and table.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="inventory_syncs")
    table = models.CharField(max_length=64)
    synced_at = models.DateTimeField(help_text="When the router last answered for it, UTC.")

    class Meta:
        ordering = ["device", "table"]
        verbose_name = "inventory read"
        constraints = [
            models.UniqueConstraint(
                fields=["device", "table"], name="monitor_inventorysync_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.table} read {self.synced_at:%Y-%m-%d %H:%M:%S}"


class LogEntry(models.Model):
    """One router log line (``/log``), appended once.

    ``key`` is a stable digest of the line's identity (time, topics, message), so
    the same line read again by a later poll is not stored twice.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="log_entries")
    key = models.CharField(max_length=64)
    time = models.CharField(max_length=40, blank=True, help_text="Router time as reported.")
    topics = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="The whole row.")
    seen_at = models.DateTimeField(help_text="When mikromon first read it, UTC.")

    class Meta:
        ordering = ["device", "seen_at", "id"]
        verbose_name = "log entry"
        verbose_name_plural = "log entries"
        constraints = [
            models.UniqueConstraint(fields=["device", "key"], name="monitor_logentry_unique"),
        ]
        indexes = [models.Index(fields=["device", "seen_at"], name="monitor_logentry_seen_idx")]

    def __str__(self) -> str:
        return f"{self.time} {self.topics}: {self.message}"


class Event(models.Model):
    """Something that happened to a device (went down, rebooted, link up ...).

    ``severity`` is the kind's (:data:`mikromon.domain.events.EVENT_SEVERITIES`),
    stored so lists filter and index on it; :meth:`save` fills it from ``kind``
    when it is empty, the collector's writer sets it on every row.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    ts = models.DateTimeField(help_text="When it was noticed, UTC.")
    kind = models.CharField(max_length=32, choices=EventKindChoices.choices)
    message = models.TextField(blank=True)
    path = models.TextField(
        blank=True, default="",
        help_text="The RouterOS path the event is about ('' for the device as a whole).",
    )
    severity = models.CharField(
        max_length=16, choices=EventSeverityChoices.choices,
        help_text="How urgent: the kind's severity (critical, warning, info).",
    )

    class Meta:
        ordering = ["-ts", "-id"]
        indexes = [
            models.Index(fields=["device", "ts"], name="monitor_event_device_ts_idx"),
            models.Index(fields=["kind", "ts"], name="monitor_event_kind_ts_idx"),
            models.Index(fields=["severity", "ts"], name="monitor_event_severity_ts_idx"),
            # The latest-events lists (overview, device page): newest first, no info.
            models.Index(fields=["-ts", "-id"], name="monitor_event_notable_idx",
                         condition=~Q(severity=Severity.INFO.value)),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, filling an empty ``severity`` from ``kind`` (an unknown kind: ``info``)."""
        if not self.severity:
            self.severity = severity_of(self.kind)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.ts:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message}"


def severity_of(kind: str) -> str:
    """The severity value of an event kind value (an unknown kind: ``info``)."""
    try:
        return EventKind(kind).severity.value
    except ValueError:
        return Severity.INFO.value


class InventoryTerm(models.Model):
    """One search term of one inventory row (:mod:`mikromon.web.monitor.search_terms`).

    ``kind`` is what the term is searched as (``mac``, ``ip``, ``ppp_user``,
    ``dhcp_host``, ``hotspot_user``, ``interface``), ``term`` the normalised value
    (a MAC or its tail, an address in hex, a name from a word start, case-folded),
    ``field`` the RouterOS field it was read from. Kept by the inventory writer in
    the same transaction as its row; deleted with it. The index on (kind, term,
    item) answers equality and prefix lookups without reading the table (on
    PostgreSQL with the pattern operator class, so ``LIKE 'prefix%'`` uses it
    whatever the database's collation).
    """

    item = models.ForeignKey(InventoryItem, on_delete=models.CASCADE, related_name="terms")
    kind = models.CharField(max_length=16)
    term = models.CharField(max_length=100)
    field = models.CharField(max_length=64)

    class Meta:
        verbose_name = "inventory search term"
        indexes = [
            # The row's id in the index too: a lookup reads the index only.
            models.Index(fields=["kind", "term", "item"], name="monitor_invterm_term_idx",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "int8_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.term}"
