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
from django.db import transaction

from mikromon.domain.devices import TlsVerify, validate_host
from mikromon.domain.errors import ConfigError
from mikromon.domain.tiers import MINIMUM_INTERVALS, Tier
from mikromon.web.monitor.models import API_PORT, API_SSL_PORT, Device, Site, Tag, default_port
from mikromon.web.ui.permissions import VIEWERS_GROUP

#: Device form fields on the Connection tab, in display order.
CONNECTION_FIELDS = (
    "name", "host", "port", "username", "password", "use_ssl", "tls_verify",
    "encoding", "enabled", "site", "new_site", "tags", "new_tags", "notes",
)
#: Device form fields on the Collection Intervals tab, in tier order.
INTERVAL_FIELDS = tuple(f"{tier.value}_interval" for tier in Tier)

#: What each tier collects (shown next to its interval).
TIER_HELP = {
    Tier.REALTIME: "CPU, memory, disk, uptime, health sensors, interface bit rates",
    Tier.SHORT: "DHCP leases, PPP sessions, firewall connections, hotspot users",
    Tier.MEDIUM: "interface inventory, simple queues",
    Tier.LONG: "ARP, addresses, routes, firewall rules with counters",
    Tier.EXTENDED: "BGP, OSPF, wireless clients, logs, users, services, neighbors",
}


class DeviceForm(forms.ModelForm):
    """Create or edit a device.

    ``password``: empty keeps the stored password; required when none is stored
    (a new device). ``host``: checked by
    :func:`mikromon.domain.devices.validate_host` (host name, IPv4 or IPv6;
    brackets removed). ``port``: when API-SSL is switched on (or off) and the port
    is the other transport's default (8728 / 8729), it moves to this transport's
    default; :attr:`port_moved` then holds (old, new). ``new_site`` creates (or
    reuses) a site by name; ``new_tags`` adds comma-separated tags, creating
    missing ones.
    """

    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The API user's password. Stored encrypted; never shown again.",
        error_messages={"required": "Enter the password of the router's API user."},
    )
    new_site = forms.CharField(
        required=False, max_length=100, label="or new site", help_text="Creates the site."
    )
    new_tags = forms.CharField(
        required=False, max_length=300, label="Add tags",
        help_text="Comma separated; missing tags are created.",
    )

    class Meta:
        model = Device
        fields = (
            "name", "host", "port", "username", "use_ssl", "tls_verify", "encoding", "enabled",
            "site", "tags", "notes", *INTERVAL_FIELDS,
        )
        widgets = {
            "tags": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: (old port, new port) when saving moved the port to the transport's default.
        self.port_moved: tuple[int, int] | None = None
        stored = bool(self.instance.pk and self.instance.has_password)
        self.fields["password"].required = not stored
        if stored:
            self.fields["password"].widget.attrs["placeholder"] = "unchanged"
            self.fields["password"].help_text = (
                "Leave empty to keep the stored password. Stored encrypted; never shown."
            )
        self.fields["port"].required = False
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
        for name in ("name", "host", "username", "encoding"):
            self.fields[name].error_messages["required"] = f"{name} must not be empty"
        self.fields["site"].empty_label = "(no site)"
        self.fields["tags"].queryset = Tag.objects.order_by("name")
        self.fields["site"].queryset = Site.objects.order_by("name")
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

    def clean_new_tags(self) -> list[str]:
        """Split the comma-separated tag names."""
        raw = self.cleaned_data.get("new_tags") or ""
        names = [part.strip() for part in raw.split(",") if part.strip()]
        for name in names:
            if len(name) > 50:
                raise forms.ValidationError(f"Tag {name[:20]!r}... is longer than 50 characters.")
        return names

    def clean_host(self) -> str:
        """Check the host (host name, IPv4 or IPv6) and return it normalised.

        Raises:
            forms.ValidationError: with :func:`validate_host`'s message.
        """
        try:
            return validate_host(self.cleaned_data.get("host") or "")
        except ConfigError as err:
            raise forms.ValidationError(str(err)) from None

    def clean(self) -> dict[str, Any]:
        """Refuse a changed TLS verification without API-SSL; move a default port
        along when API-SSL is switched (8728 <-> 8729)."""
        data = super().clean() or {}
        use_ssl = bool(data.get("use_ssl"))
        verify = data.get("tls_verify")
        if (not use_ssl and verify and verify != TlsVerify.VERIFY.value
                and "tls_verify" in self.changed_data):
            self.add_error("tls_verify", f"TLS verification {verify!r} applies to API-SSL "
                                         "only: switch API-SSL on, or leave it at 'verify'")
        port = data.get("port")
        if "use_ssl" in self.changed_data and port == default_port(not use_ssl):
            data["port"] = default_port(use_ssl)
            self.port_moved = (port, data["port"])
        return data

    @transaction.atomic
    def save(self, commit: bool = True) -> Device:
        """Save the device; set the password only when one was typed."""
        device: Device = super().save(commit=False)
        password = self.cleaned_data.get("password") or ""
        if password:
            device.set_password(password)
        new_site = (self.cleaned_data.get("new_site") or "").strip()
        if new_site:
            device.site, _ = Site.objects.get_or_create(name=new_site)
        device.save()
        self.save_m2m()
        for name in self.cleaned_data.get("new_tags") or []:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            device.tags.add(tag)
        return device


class UserCreateForm(forms.Form):
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
