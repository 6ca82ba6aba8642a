"""URL configuration: the admin and sign-in; the web UI adds its views here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from mikromon.web import converters  # noqa: F401  (registers the <id:...> converter)
from mikromon.web.exposition import views as exposition
from mikromon.web.ui.views.auth import SignInView, SignOutView

#: 400 page naming the bad parameter (views raise ParamError, a BadRequest).
handler400 = "mikromon.web.ui.views.errors.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("api/v1/", include("mikromon.web.api.urls")),
    path("metrics", exposition.metrics, name="metrics"),
    path("metrics/sd", exposition.service_discovery, name="metrics_sd"),
    path("", include("mikromon.web.ui.urls")),
]
