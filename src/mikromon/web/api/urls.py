"""URLs of the JSON API (mounted at ``/api/v1/``)."""

from __future__ import annotations

from django.urls import path, re_path

from mikromon.web import converters  # noqa: F401  (registers the <id:...> converter)
from mikromon.web.api import alerting, device_writes, reports, storage, views
from mikromon.web.api.search import search
from mikromon.web.api.series_list import series_list

app_name = "api"

urlpatterns = [
    path("", views.index, name="index"),
    path("devices", device_writes.devices, name="devices"),
    path("devices/bulk", device_writes.bulk, name="devices_bulk"),
    path("devices/<id:pk>", device_writes.device, name="device"),
    path("devices/<id:pk>/latest", views.latest, name="latest"),
    path("devices/<id:pk>/series", views.series, name="series"),
    path("devices/<id:pk>/inventory/<str:table>", views.inventory_table, name="inventory"),
    path("events", views.events, name="events"),
    path("series", series_list, name="series_list"),
    path("search", search, name="search"),
    path("reports/availability", reports.availability, name="report_availability"),
    path("reports/percentile", reports.percentile, name="report_percentile"),
    path("reports/top-talkers", reports.top_talkers, name="report_top_talkers"),
    path("collector", views.collector_view, name="collector"),
    # Only the two actions: any other collector/... path is an unknown endpoint (404).
    re_path(r"^collector/(?P<action>start|stop)$", views.collector_view,
            name="collector_action"),
    path("storage", storage.storage, name="storage"),
    path("alerts", alerting.alerts, name="alerts"),
    path("alerts/<id:pk>", alerting.alert, name="alert"),
    path("alerts/<id:pk>/ack", alerting.alert_ack, name="alert_ack"),
    path("silences", alerting.silences, name="silences"),
    path("silences/<id:pk>", alerting.silence, name="silence"),
    path("rules", alerting.rules, name="rules"),
    path("rules/preview", alerting.rule_preview, name="rule_preview"),
    path("rules/<id:pk>", alerting.rule, name="rule"),
    path("rules/<id:pk>/preview", alerting.rule_preview, name="rule_edit_preview"),
    path("rules/<id:pk>/overrides", alerting.rule_overrides, name="rule_overrides"),
    path("rules/<id:pk>/overrides/<id:device>", alerting.rule_override, name="rule_override"),
    path("channels", alerting.channels, name="channels"),
    path("channels/<id:pk>", alerting.channel, name="channel"),
    path("channels/<id:pk>/test", alerting.channel_test, name="channel_test"),
    # Last: every other path answers a JSON 404 (not the HTML page).
    re_path(r"^.*$", views.not_found, name="not_found"),
]
