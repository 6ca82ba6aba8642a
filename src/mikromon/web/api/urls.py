"""URLs of the JSON API (mounted at ``/api/v1/``)."""

from __future__ import annotations

from django.urls import path, re_path

from mikromon.web import converters  # noqa: F401  (registers the <id:...> converter)
from mikromon.web.api import views

app_name = "api"

urlpatterns = [
    path("", views.index, name="index"),
    path("devices", views.devices, name="devices"),
    path("devices/<id:pk>", views.device, name="device"),
    path("devices/<id:pk>/latest", views.latest, name="latest"),
    path("devices/<id:pk>/series", views.series, name="series"),
    path("devices/<id:pk>/inventory/<str:table>", views.inventory_table, name="inventory"),
    path("events", views.events, name="events"),
    path("collector", views.collector_view, name="collector"),
    # Only the two actions: any other collector/... path is an unknown endpoint (404).
    re_path(r"^collector/(?P<action>start|stop)$", views.collector_view,
            name="collector_action"),
    # Last: every other path answers a JSON 404 (not the HTML page).
    re_path(r"^.*$", views.not_found, name="not_found"),
]
