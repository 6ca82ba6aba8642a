"""Django admin for the control app: each user's profile (time zone), for admins
repairing another user's settings; users change their own on the Profile page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from mikromon.web.control.models import UserProfile
from mikromon.web.ui.timezones import zone_names


class UserProfileAdminForm(forms.ModelForm):
    """The profile with the time zone chosen from the zones the Profile page offers
    (:func:`mikromon.web.ui.timezones.zone_names`); any other name is refused,
    naming it."""

    time_zone = forms.ChoiceField(
        error_messages={"invalid_choice": "%(value)s is not a known time zone name."},
        help_text="IANA time zone name pages show this user's times in",
    )

    class Meta:
        model = UserProfile
        fields = ("user", "time_zone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name) for name in zone_names()]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    """User profiles: the user and their time zone."""

    form = UserProfileAdminForm
    list_display = ("user", "time_zone")
    search_fields = ("user__username", "time_zone")
    list_filter = ("time_zone",)
