"""Forms of the pages: the device form (Connection and Collection Intervals tabs),
users and API tokens.

Router passwords never travel back to the browser: the password input is always
rendered empty, with the placeholder "unchanged" when a password is stored;
submitting it empty keeps the stored one. A device without a stored password
(a new one) needs one, as on the command line.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password

from mikromon.domain.tiers import MINIMUM_INTERVALS, Tier
from mikromon.web.monitor.forms import INTERVAL_FORM_FIELDS, DeviceSettingsForm
from mikromon.web.monitor.models import API_PORT, API_SSL_PORT, default_port
from mikromon.web.roles import VIEWERS_GROUP

#: Device form fields on the Connection tab, in display order.
CONNECTION_FIELDS = (
    "name", "host", "port", "username", "password", "use_ssl", "tls_verify",
    "encoding", "enabled", "site", "new_site", "tags", "new_tags", "notes",
)
#: Device form fields on the Collection Intervals tab, in tier order.
INTERVAL_FIELDS = INTERVAL_FORM_FIELDS

#: What each tier collects (shown next to its interval).
TIER_HELP = {
    Tier.REALTIME: "CPU, memory, disk, uptime, health sensors, interface bit rates",
    Tier.SHORT: "DHCP leases, PPP sessions, firewall connections, hotspot users",
    Tier.MEDIUM: "interface inventory, simple queues",
    Tier.LONG: "ARP, addresses, routes, firewall rules with counters",
    Tier.EXTENDED: "BGP, OSPF, wireless clients, logs, users, services, neighbors",
}


class RetypeSecretsMixin:
    """After a validation error a bound form shows what was typed again, except its
    secrets (``retype_fields``): their inputs come back empty, so each one that was
    typed gets a help text asking for it again.
    """

    retype_fields: tuple[str, ...] = ("password",)
    #: The help text of a secret input that was typed and not sent back.
    RETYPE_HELP = "Not kept after the error above: type the password again."

    def full_clean(self) -> None:
        """Validate, then mark each typed secret as to be typed again on errors."""
        super().full_clean()  # type: ignore[misc]
        form: Any = self
        if not form.is_bound or not form._errors:
            return
        for name in self.retype_fields:
            if name in form.fields and form.data.get(form.add_prefix(name)):
                # A bound field copies its help text when first made (and may exist).
                form.fields[name].help_text = form[name].help_text = self.RETYPE_HELP
                form.secrets_to_retype = [*getattr(form, "secrets_to_retype", []), name]


class DeviceForm(RetypeSecretsMixin, DeviceSettingsForm):
    """The pages' device form: the rules of
    :class:`~mikromon.web.monitor.forms.DeviceSettingsForm` (shared with
    ``mikromon device add|edit``), with the labels, help texts and widgets of the
    Connection and Collection Intervals tabs. ``new_tags`` is typed comma-separated.
    """

    class Meta(DeviceSettingsForm.Meta):
        widgets = {
            "tags": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        password = self.fields["password"]
        if password.required:
            password.help_text = "The API user's password. Stored encrypted; never shown again."
        else:
            password.widget.attrs["placeholder"] = "unchanged"
            password.help_text = (
                "Leave empty to keep the stored password. Stored encrypted; never shown."
            )
        self.fields["new_site"].help_text = "Creates the site."
        self.fields["new_site"].widget.attrs["maxlength"] = 100
        self.fields["new_tags"].help_text = "Comma separated; missing tags are created."
        self.fields["new_tags"].widget.attrs["maxlength"] = 300
        self.fields["host"].help_text = (
            "Host name, IPv4 or IPv6 address of the router (the port goes below)."
        )
        self.fields["username"].help_text = "API user; needs the api and read policies."
        self.fields["use_ssl"].help_text = "Connect to API-SSL (TLS, port 8729) instead of 8728."
        self.fields["tls_verify"].help_text = "Certificate check, used with API-SSL only."
        self.fields["enabled"].label = "Collection enabled"
        self.fields["enabled"].help_text = "Poll this device; off keeps its data and settings."
        self.fields["notes"].help_text = "Free text for operators."
        ssl_on = bool(self["use_ssl"].value())
        self.fields["port"].widget.attrs.update({
            "placeholder": str(default_port(ssl_on)),
            "data-plain-port": str(API_PORT),
            "data-ssl-port": str(API_SSL_PORT),
        })
        self.fields["port"].help_text = (
            f"Empty means {API_PORT}, or {API_SSL_PORT} with API-SSL; switching API-SSL "
            "moves a default port along."
        )
        site = self.fields["site"]
        assert isinstance(site, forms.ModelChoiceField)  # the model form's foreign key
        site.empty_label = "(no site)"
        for tier in Tier:
            field = self.fields[f"{tier.value}_interval"]
            field.label = tier.value.capitalize()
            field.widget.attrs["min"] = MINIMUM_INTERVALS[tier]
            field.help_text = (
                f"at least {MINIMUM_INTERVALS[tier]} s · {TIER_HELP[tier]}"
            )

    @property
    def connection_fields(self) -> list[forms.BoundField]:
        """Bound fields of the Connection tab, in display order."""
        return [self[name] for name in CONNECTION_FIELDS if name in self.fields]

    @property
    def interval_fields(self) -> list[forms.BoundField]:
        """Bound fields of the Collection Intervals tab."""
        return [self[name] for name in INTERVAL_FIELDS]

    @property
    def intervals_have_errors(self) -> bool:
        """Whether a field of the Collection Intervals tab has an error."""
        return any(name in self.errors for name in INTERVAL_FIELDS)

    @property
    def connection_has_errors(self) -> bool:
        """Whether a field of the Connection tab (or the form) has an error."""
        return bool(self.non_field_errors()) or any(
            name in self.errors for name in CONNECTION_FIELDS
        )


class UserCreateForm(RetypeSecretsMixin, forms.Form):
    """Create a user with a role (admin or viewer)."""

    username = forms.CharField(max_length=150, label="User name")
    role = forms.ChoiceField(choices=[("viewer", "Viewer (read only)"), ("admin", "Admin")])
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               strip=False)

    def clean_username(self) -> str:
        """Reject a name already taken."""
        name = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(f"A user named {name!r} already exists.")
        return name

    def clean(self) -> dict[str, Any]:
        """Check the password against the configured validators."""
        data = super().clean() or {}
        if data.get("password") and data.get("username"):
            user = get_user_model()(username=data["username"])
            try:
                validate_password(data["password"], user)
            except forms.ValidationError as err:
                self.add_error("password", err)
        return data

    def save(self) -> Any:
        """Create the user; viewers join the ``viewers`` group, admins get ``is_staff``."""
        data = self.cleaned_data
        user = get_user_model().objects.create_user(
            username=data["username"], password=data["password"]
        )
        apply_role(user, data["role"])
        return user


def apply_role(user: Any, role: str) -> None:
    """Make ``user`` an admin (staff) or a viewer (``viewers`` group, not staff)."""
    viewers, _ = Group.objects.get_or_create(name=VIEWERS_GROUP)
    if role == "admin":
        user.is_staff = True
        user.groups.remove(viewers)
    else:
        user.is_staff = False
        user.is_superuser = False
        user.groups.add(viewers)
    user.save()


class TokenForm(forms.Form):
    """Create an API token acting as a user."""

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        label="Acts as", help_text="The token has this user's rights (a viewer's only reads).",
    )
    name = forms.CharField(max_length=100, label="Name",
                           help_text="What the token is for, e.g. 'grafana'.")
