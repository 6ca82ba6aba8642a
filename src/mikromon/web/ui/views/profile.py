"""The signed-in user's own profile (time zone) and password change; every user,
viewers too. Admins manage other users on the Users page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from mikromon.web.control.models import UserProfile
from mikromon.web.ui.timezones import remember_zone, user_zone_name, zone_names


class ProfileForm(forms.Form):
    """The time zone pages show times in: an IANA name from
    :func:`zoneinfo.available_timezones`; any other value is refused, naming it."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Pages show every time in this zone; stored times and the API stay UTC.",
        error_messages={"invalid_choice": "%(value)s is not a known time zone name."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name) for name in zone_names()]


def profile(request: HttpRequest) -> HttpResponse:
    """Show and save the user's time zone (GET, POST)."""
    form = ProfileForm(request.POST or None,
                       initial={"time_zone": user_zone_name(request.user)})
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, AbstractBaseUser)  # every page needs a signed-in user
        UserProfile.objects.update_or_create(
            user_id=user.pk, defaults={"time_zone": form.cleaned_data["time_zone"]})
        remember_zone(request, form.cleaned_data["time_zone"])
        messages.success(request, f"Times are now shown in {form.cleaned_data['time_zone']}.")
        return redirect("ui:profile")
    return render(request, "ui/profile.html", {"form": form},
                  status=400 if form.errors else 200)


class PasswordChange(PasswordChangeView):
    """Change one's own password: the old one is checked, the new one goes through
    ``AUTH_PASSWORD_VALIDATORS``; the session stays signed in (Django's view
    updates its hash)."""

    form_class = PasswordChangeForm
    template_name = "ui/password_change.html"
    success_url = reverse_lazy("ui:profile")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        """Save, keep the session, and say so."""
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response
