"""Django admin for the monitor app (the web UI is the main interface; the admin
is for inspection and repairs). Passwords are write-only here too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mikromon.web.monitor.forms import DeviceSettingsForm
from mikromon.web.monitor.models import (
    ApiToken,
    CollectorLease,
    Device,
    Event,
    InventoryItem,
    LogEntry,
    MetricCatalog,
    Series,
    Site,
    Tag,
)


class DeviceAdminForm(DeviceSettingsForm):
    """The device rules of the pages and ``mikromon device add|edit``
    (:class:`~mikromon.web.monitor.forms.DeviceSettingsForm`); the password is
    write-only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.fields["password"].required:
            self.fields["password"].help_text = "Leave empty to keep the stored password."


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Devices: configuration editable, collector status read-only."""

    form = DeviceAdminForm
    list_display = ["name", "host", "port", "use_ssl", "enabled", "state", "last_seen", "site"]
    list_filter = ["enabled", "state", "use_ssl", "site", "tags"]
    search_fields = ["name", "host", "identity", "notes"]
    readonly_fields = [
        "state", "last_seen", "last_error", "identity", "board", "ros_version",
        "status_changed_at", "created_at", "updated_at",
    ]
    filter_horizontal = ["tags"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """Sites."""

    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags."""

    list_display = ["name", "slug", "colour"]
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin for rows only the collector writes."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Nobody adds these by hand."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Nobody edits these by hand."""
        return False


@admin.register(MetricCatalog)
class MetricCatalogAdmin(ReadOnlyAdmin):
    """The metric catalog (synced from the code)."""

    list_display = ["key", "unit", "tier", "kind"]
    list_filter = ["tier", "kind"]


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    """Time series."""

    list_display = ["id", "device", "key", "labels_key", "created_at"]
    list_filter = ["key"]
    search_fields = ["key", "labels_key", "device__name"]


@admin.register(InventoryItem)
class InventoryItemAdmin(ReadOnlyAdmin):
    """Inventory rows."""

    list_display = ["device", "table", "key", "gone", "last_seen"]
    list_filter = ["table", "gone"]
    search_fields = ["key", "device__name"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Router log lines."""

    list_display = ["device", "time", "topics", "message", "seen_at"]
    search_fields = ["message", "topics"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events."""

    list_display = ["ts", "device", "severity", "kind", "message"]
    list_filter = ["severity", "kind"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens (created through the UI; listed and revoked here)."""

    list_display = ["name", "user", "prefix", "created_at", "last_used"]
    readonly_fields = ["prefix", "created_at", "last_used"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Tokens are issued by ApiToken.issue (the raw key is shown once)."""
        return False


@admin.register(CollectorLease)
class CollectorLeaseAdmin(ReadOnlyAdmin):
    """Which collector holds the database."""

    list_display = ["owner", "host", "pid", "heartbeat", "expires_at"]
