"""Devices as the ``device`` commands find and change them: a device by its name,
and the web pages' device form filled from command-line options and checked by
the same rules (:class:`mikromon.web.monitor.forms.DeviceSettingsForm`).
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Iterable
from typing import Any

from mikromon.domain.tiers import Tier


def get_device(name: str, *, for_update: bool = False) -> Any:
    """Return the device named ``name`` (Django set up).

    Raises:
        CommandError: exit 2, ``no device named 'x' (known: a, b)``.
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.web.monitor.models import Device

    queryset = Device.objects.select_for_update() if for_update else Device.objects.all()
    device = queryset.filter(name=name).first()
    if device is None:
        known = list(Device.objects.by_name().values_list("name", flat=True)[:20])
        hint = f" (known: {', '.join(known)})" if known else " (there are no devices yet)"
        raise CommandError(f"no device named {name!r}{hint}", EXIT_USAGE)
    return device


def get_devices(names: Iterable[str], *, for_update: bool = False) -> list[Any]:
    """Return the devices named in ``names`` (each once, in the order given).

    Raises:
        CommandError: exit 2, for the first name no device has.
    """
    return [get_device(name, for_update=for_update) for name in dict.fromkeys(names)]


def check_site(args: argparse.Namespace) -> None:
    """Refuse a blank ``--site`` (it would otherwise read as "no site").

    Raises:
        CommandError: ``site must not be empty`` (exit 2).
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError

    if args.site is not None and not args.site.strip():
        raise CommandError("site must not be empty", EXIT_USAGE)


#: Options copied as they are into the device form's field of the same name.
_FORM_OPTIONS = ("name", "host", "username", "port", "tls_verify", "encoding", "notes",
                 *(f"{tier.value}_interval" for tier in Tier))


def form_data(device: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Return the device form's data: ``device``'s settings (a new device's
    defaults) with the options given laid over them."""
    from mikromon.web.monitor.forms import VALUE_FIELDS

    data: dict[str, Any] = {name: getattr(device, name) for name in VALUE_FIELDS}
    data["site"] = device.site_id or ""
    data["tags"] = [tag.pk for tag in device.tags.all()] if device.pk else []
    for name in _FORM_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            data[name] = value
    if args.ssl is not None:
        data["use_ssl"] = bool(args.ssl)
    if getattr(args, "disabled", None) is not None:
        data["enabled"] = not args.disabled
    if getattr(args, "no_site", False) or args.site:
        data["site"] = ""
        data["new_site"] = args.site or ""
    if getattr(args, "no_tags", False) or args.tags:
        # --tag replaces the tags: none kept, the ones named added.
        data["tags"] = []
        data["new_tags"] = args.tags or []
    return data


def check_form(device: Any, data: dict[str, Any], *, password_pending: bool = False) -> Any:
    """Return the device form for ``data``, checked by the rules the pages apply
    (:class:`mikromon.web.monitor.forms.DeviceSettingsForm`).

    Args:
        password_pending: check before the password is asked for: a missing one is
            no error, and ``device`` is left as it is.

    Raises:
        CommandError: every problem in one line (exit 2), each field's messages
            prefixed with its name unless they name it (a site's and a tag's name
            themselves).
    """
    from django.core.exceptions import ValidationError

    from mikromon.cli._django import EXIT_USAGE, CommandError, validation_text
    from mikromon.web.monitor.forms import DeviceSettingsForm

    # A form's checks write the values into its instance: a check before the
    # password is asked for works on a copy, so the final form sees the changes.
    form = DeviceSettingsForm(data=data, instance=copy.copy(device) if password_pending
                              else device)
    errors: dict[str, list[ValidationError]] = {}
    for field, messages in form.errors.as_data().items():
        if not (password_pending and field == "password"):
            key = "__all__" if field in ("new_site", "new_tags") else field
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise CommandError(validation_text(ValidationError(errors)), EXIT_USAGE)
    return form


#: ``device edit`` options that leave the device as it is when not given (their
#: default: ``None``, ``False`` or an empty list).
_EDIT_OPTIONS = (
    "name", "host", "username", "ask_password", "password_file", "password_env", "port",
    "ssl", "tls_verify", "encoding", "site", "no_site", "tags", "no_tags", "notes",
    *(f"{tier.value}_interval" for tier in Tier),
)


def edit_options_given(args: argparse.Namespace) -> bool:
    """Whether ``device edit`` was given any option that changes the device."""
    # --no-ssl is False, and is a change all the same.
    return args.ssl is not None or any(
        getattr(args, name, None) not in (None, False, []) for name in _EDIT_OPTIONS
    )
