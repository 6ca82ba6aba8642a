"""URLs of the pages (mounted at the site root)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from mikromon.web import converters  # noqa: F401  (registers <id:...> and <ifname:...>)
from mikromon.web.ui.views import (
    alert_rules,
    alerts,
    channels,
    collector,
    dashboard,
    device_bulk,
    devices,
    events,
    interface,
    outputs,
    overview,
    profile,
    reports,
    retention,
    search,
    series_browser,
    silences,
    tokens,
    users,
)

app_name = "ui"

urlpatterns = [
    # Browsers ask for /favicon.ico where a page names no icon (JSON, the admin).
    path("favicon.ico", login_not_required(RedirectView.as_view(
        url=static("mikromon/favicon.svg"), permanent=True)), name="favicon"),
    path("", overview.overview, name="overview"),
    path("devices/", devices.device_list, name="device_list"),
    path("devices/add/", devices.device_add, name="device_add"),
    path("devices/bulk/", device_bulk.device_bulk, name="device_bulk"),
    path("devices/import/", device_bulk.device_import, name="device_import"),
    path("devices/<id:pk>/", dashboard.device_dashboard, name="device_dashboard"),
    path("devices/<id:pk>/interfaces/<ifname:name>/", interface.interface_page,
         name="interface"),
    path("devices/<id:pk>/interfaces/<ifname:name>/summary/", interface.interface_summary,
         name="interface_summary"),
    path("devices/<id:pk>/edit/", devices.device_edit, name="device_edit"),
    path("devices/<id:pk>/delete/", devices.device_delete, name="device_delete"),
    path("devices/<id:pk>/test/", devices.device_test, name="device_test"),
    path("devices/<id:pk>/alert-marks/", alerts.device_alert_marks, name="device_alert_marks"),
    path("devices/<id:pk>/alert-rules/", alert_rules.device_rules, name="device_rules"),
    path("devices/<id:pk>/alert-rules/<id:rule_pk>/", alert_rules.device_rule_override,
         name="device_rule_override"),
    path("events/", events.event_list, name="event_list"),
    path("search/", search.search_page, name="search"),
    path("reports/", reports.report_page, name="reports"),
    path("series/", series_browser.series_browser, name="series_browser"),
    path("series/export.csv", series_browser.series_csv, name="series_csv"),
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/history/", alerts.alert_history, name="alert_history"),
    path("alerts/<id:pk>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<id:pk>/ack/", alerts.alert_ack, name="alert_ack"),
    path("alerts/rules/", alert_rules.rule_list, name="rule_list"),
    path("alerts/rules/add/", alert_rules.rule_add, name="rule_add"),
    path("alerts/rules/preview/", alert_rules.rule_preview, name="rule_preview"),
    path("alerts/rules/<id:pk>/", alert_rules.rule_edit, name="rule_edit"),
    path("alerts/rules/<id:pk>/delete/", alert_rules.rule_delete, name="rule_delete"),
    path("alerts/rules/<id:pk>/enabled/", alert_rules.rule_toggle, name="rule_toggle"),
    path("alerts/silences/", silences.silence_list, name="silence_list"),
    path("alerts/silences/add/", silences.silence_add, name="silence_add"),
    path("alerts/silences/<id:pk>/expire/", silences.silence_expire, name="silence_expire"),
    path("alerts/channels/", channels.channel_list, name="channel_list"),
    path("alerts/channels/add/", channels.channel_add, name="channel_add"),
    path("alerts/channels/<id:pk>/", channels.channel_edit, name="channel_edit"),
    path("alerts/channels/<id:pk>/delete/", channels.channel_delete, name="channel_delete"),
    path("alerts/channels/<id:pk>/test/", channels.channel_test, name="channel_test"),
    path("collector/", collector.collector_page, name="collector"),
    path("collector/outputs/", outputs.output_list, name="output_list"),
    path("collector/outputs/add/", outputs.output_add, name="output_add"),
    path("collector/outputs/<id:pk>/", outputs.output_edit, name="output_edit"),
    path("collector/outputs/<id:pk>/delete/", outputs.output_delete, name="output_delete"),
    path("collector/outputs/<id:pk>/test/", outputs.output_test, name="output_test"),
    path("collector/outputs/env/<slug:name>/test/", outputs.output_test_env,
         name="output_test_env"),
    path("collector/retention/", retention.retention_page, name="retention"),
    path("collector/start/", devices.collector_start, name="collector_start"),
    path("collector/stop/", devices.collector_stop, name="collector_stop"),
    path("users/", users.user_list, name="user_list"),
    path("users/<id:pk>/", users.user_update, name="user_update"),
    path("profile/", profile.profile, name="profile"),
    path("profile/password/", profile.PasswordChange.as_view(), name="password_change"),
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<id:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
]
