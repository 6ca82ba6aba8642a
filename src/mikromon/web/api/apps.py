"""Django app configuration of the JSON API."""

from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API app (views only, no models)."""

    name = "mikromon.web.api"
    label = "mikromon_api"
    verbose_name = "mikromon JSON API"
