"""URLs of the pages (mounted at the site root)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from mikromon.web import converters  # noqa: F401  (registers the <id:...> converter)
from mikromon.web.ui.views import collector, dashboard, devices, events, overview, tokens, users

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
    path("events/", events.event_list, name="event_list"),
    path("collector/", collector.collector_page, name="collector"),
    path("collector/start/", devices.collector_start, name="collector_start"),
    path("collector/stop/", devices.collector_stop, name="collector_stop"),
    path("users/", users.user_list, name="user_list"),
    path("users/<id:pk>/", users.user_update, name="user_update"),
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<id:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
]
