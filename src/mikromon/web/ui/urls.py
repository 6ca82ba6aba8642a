"""URLs of the pages (mounted at the site root)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from mikromon.web import converters  # noqa: F401  (registers the <id:...> converter)
from mikromon.web.ui.views import (
    alerts,
    collector,
    dashboard,
    devices,
    events,
    overview,
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
    path("devices/<id:pk>/", dashboard.device_dashboard, name="device_dashboard"),
    path("devices/<id:pk>/edit/", devices.device_edit, name="device_edit"),
    path("devices/<id:pk>/delete/", devices.device_delete, name="device_delete"),
    path("devices/<id:pk>/test/", devices.device_test, name="device_test"),
    path("devices/<id:pk>/alert-marks/", alerts.device_alert_marks, name="device_alert_marks"),
    path("devices/<id:pk>/alert-rules/", alerts.device_rules, name="device_rules"),
    path("devices/<id:pk>/alert-rules/<id:rule_pk>/", alerts.device_rule_override,
         name="device_rule_override"),
    path("events/", events.event_list, name="event_list"),
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/history/", alerts.alert_history, name="alert_history"),
    path("alerts/<id:pk>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<id:pk>/ack/", alerts.alert_ack, name="alert_ack"),
    path("alerts/rules/", alerts.rule_list, name="rule_list"),
    path("alerts/rules/add/", alerts.rule_add, name="rule_add"),
    path("alerts/rules/preview/", alerts.rule_preview, name="rule_preview"),
    path("alerts/rules/<id:pk>/", alerts.rule_edit, name="rule_edit"),
    path("alerts/rules/<id:pk>/delete/", alerts.rule_delete, name="rule_delete"),
    path("alerts/rules/<id:pk>/enabled/", alerts.rule_toggle, name="rule_toggle"),
    path("alerts/silences/", alerts.silence_list, name="silence_list"),
    path("alerts/silences/add/", alerts.silence_add, name="silence_add"),
    path("alerts/silences/<id:pk>/expire/", alerts.silence_expire, name="silence_expire"),
    path("alerts/channels/", alerts.channel_list, name="channel_list"),
    path("alerts/channels/add/", alerts.channel_add, name="channel_add"),
    path("alerts/channels/<id:pk>/", alerts.channel_edit, name="channel_edit"),
    path("alerts/channels/<id:pk>/delete/", alerts.channel_delete, name="channel_delete"),
    path("alerts/channels/<id:pk>/test/", alerts.channel_test, name="channel_test"),
    path("collector/", collector.collector_page, name="collector"),
    path("collector/start/", devices.collector_start, name="collector_start"),
    path("collector/stop/", devices.collector_stop, name="collector_stop"),
    path("users/", users.user_list, name="user_list"),
    path("users/<id:pk>/", users.user_update, name="user_update"),
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<id:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
]
