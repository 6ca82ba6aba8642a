"""The rules for creating and editing a device, in one form used by the pages
(:class:`mikromon.web.ui.forms.DeviceForm` adds only labels, help and widgets) and
by ``mikromon device add|edit`` (which fills it from its options).

Rules, each checked before anything is saved:

- ``name``, ``host``, ``username``, ``encoding`` must not be empty
  (``<field> must not be empty``); a taken name says
  ``a device named 'x' already exists``; ``host`` is checked by
  :func:`mikromon.domain.devices.validate_host`.
- ``password``: required while none is stored (a new device); empty keeps the
  stored one.
- ``tls_verify``: a value other than ``verify`` chosen (changed) while API-SSL is
  off is refused: TLS verification applies to API-SSL only.
- ``port``: empty means 8728, or 8729 with API-SSL; when API-SSL is switched on
  (or off) and the port is the other transport's default, it moves to this
  transport's default (:attr:`DeviceSettingsForm.port_moved`).
- ``new_site``: a site by exact name, created when missing.
- ``new_tags``: tag names added to ``tags``; a stored tag is found whatever the
  case of the name given (``Core`` is the tag ``core``), a missing one is
  created; a name that differs from a stored tag's only by punctuation (the
  same link name, ``core!`` / ``core``) is refused, naming both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from mikromon.domain.devices import TlsVerify, validate_host
from mikromon.domain.errors import ConfigError
from mikromon.domain.tiers import Tier
from mikromon.web.monitor.models import Device, Site, Tag, default_port

#: The form's fields for the five collection intervals, in tier order.
INTERVAL_FORM_FIELDS = tuple(f"{tier.value}_interval" for tier in Tier)
#: The form's fields holding one value of the device (all but ``site`` and ``tags``).
VALUE_FIELDS = ("name", "host", "port", "username", "use_ssl", "tls_verify", "encoding",
                "enabled", "notes", *INTERVAL_FORM_FIELDS)
#: Text fields that must not be empty or blank.
REQUIRED_TEXTS = ("name", "host", "username", "encoding")


class NameListField(forms.Field):
    """A list of names: from the pages a comma-separated text, from the command
    line a list (each item one name, commas and all). Blank names are dropped, and
    names equal but for case are kept once (the first spelling)."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> list[str]:
        """Return the names, stripped, without blanks or case-insensitive repeats."""
        if value in (None, ""):
            return []
        parts: Iterable[Any] = value.split(",") if isinstance(value, str) else value
        names: dict[str, str] = {}
        for part in parts:
            name = str(part).strip()
            if name:
                names.setdefault(name.casefold(), name)
        return list(names.values())


def find_tag(name: str) -> Tag | None:
    """Return the stored tag named ``name`` whatever its case, or ``None``."""
    return Tag.objects.filter(name__iexact=name).order_by("pk").first()


def _problems(instance: Site | Tag, what: str, exclude: list[str] | None = None) -> list[str]:
    """The model's validation messages for a site or tag about to be created,
    each prefixed with ``what`` (``tag 'core'``)."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as err:
        return [f"{what}: {message}" for message in err.messages]
    return []


def tag_problems(name: str) -> list[str]:
    """What stops a tag named ``name`` from being used: nothing (``[]``) for a stored
    tag (found whatever the case) or a valid new one; else one message per problem
    (too long, a link name taken by another tag)."""
    if find_tag(name) is not None:
        return []
    what = f"tag {name!r}"
    problems = _problems(Tag(name=name), what, exclude=["slug"])
    slug = slugify(name)[:50]
    other = Tag.objects.filter(slug=slug).first() if slug else None
    if other is not None:
        problems.append(
            f"{what} cannot be told apart from the tag {other.name!r} (both are {slug!r} "
            f"in links): use {other.name!r} or another name."
        )
    return problems


def tags_named(names: Iterable[str]) -> list[Tag]:
    """Return the tags named ``names`` (checked by :func:`tag_problems`), stored ones
    found whatever the case, missing ones created."""
    return [find_tag(name) or Tag.objects.create(name=name) for name in names]


class DeviceSettingsForm(forms.ModelForm):
    """Create or edit a device: the rules of the module docstring.

    Data as the pages post it (strings) or as Python values (the command line:
    booleans, numbers, ``tags`` as a list of ids, ``new_tags`` as a list of names).

    Attributes:
        port_moved: ``(old, new)`` when cleaning moved the port to the transport's
            default, else ``None``.
    """

    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password of the router's API user."},
    )
    new_site = forms.CharField(required=False, label="or new site")
    new_tags = NameListField(required=False, label="Add tags")

    class Meta:
        model = Device
        fields = (
            "name", "host", "port", "username", "use_ssl", "tls_verify", "encoding", "enabled",
            "site", "tags", "notes", *INTERVAL_FORM_FIELDS,
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.port_moved: tuple[int, int] | None = None
        self.fields["password"].required = not (self.instance.pk and self.instance.has_password)
        self.fields["port"].required = False
        for name in REQUIRED_TEXTS:
            self.fields[name].error_messages["required"] = f"{name} must not be empty"
        tags, site = self.fields["tags"], self.fields["site"]
        # The model form's fields of a many-to-many and a foreign key.
        assert isinstance(tags, forms.ModelMultipleChoiceField)
        assert isinstance(site, forms.ModelChoiceField)
        tags.queryset = Tag.objects.order_by("name")
        site.queryset = Site.objects.order_by("name")

    def clean_host(self) -> str:
        """Check the host (host name, IPv4 or IPv6) and return it normalised.

        Raises:
            forms.ValidationError: with :func:`validate_host`'s message.
        """
        try:
            return validate_host(self.cleaned_data.get("host") or "")
        except ConfigError as err:
            raise forms.ValidationError(str(err)) from None

    def clean_new_site(self) -> str:
        """Return the new site's name, stripped; check it when no such site exists.

        Raises:
            forms.ValidationError: ``site '<name>': <model message>``.
        """
        name = (self.cleaned_data.get("new_site") or "").strip()
        if name and not Site.objects.filter(name=name).exists():
            problems = _problems(Site(name=name), f"site {name!r}")
            if problems:
                raise forms.ValidationError(problems)
        return name

    def clean_new_tags(self) -> list[str]:
        """Return the tag names; check each (:func:`tag_problems`).

        Raises:
            forms.ValidationError: one message per problem, naming the tag.
        """
        names: list[str] = self.cleaned_data.get("new_tags") or []
        problems = [problem for name in names for problem in tag_problems(name)]
        if problems:
            raise forms.ValidationError(problems)
        return names

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
        """Return the device with its site; set the password only when one was given.
        With ``commit`` (the pages, the commands) save it with its tags; without
        (the Django admin) ``save_m2m()`` sets the tags after the device is saved."""
        device: Device = super().save(commit=False)
        password = self.cleaned_data.get("password") or ""
        if password:
            device.set_password(password)
        new_site = self.cleaned_data.get("new_site") or ""
        if new_site:
            device.site, _ = Site.objects.get_or_create(name=new_site)
        if commit:
            device.save()
            self._save_m2m()
        return device

    def _save_m2m(self) -> None:
        """Set the chosen tags, then add the ones named in ``new_tags`` (found
        whatever their case, created when missing)."""
        # Django's BaseModelForm._save_m2m (what save() and save_m2m() call);
        # django-stubs leave the private method out.
        super()._save_m2m()  # type: ignore[misc]
        new_tags = tags_named(self.cleaned_data.get("new_tags") or [])
        if new_tags:
            self.instance.tags.add(*new_tags)
