"""The device filter of the events and alerts pages (and the device field of the
silence and rule forms) at any fleet size.

Up to :data:`LIST_LIMIT` devices the filter bar offers a list of every device;
beyond, a list of 10,000 names would be most of the page (400 KB), so it offers
a box for a device name (or id). :func:`by_name` turns a typed name into the
device id the filters read (``?device=rtr-0042`` -> ``?device=17``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from mikromon.web.monitor.models import Device
from mikromon.web.params import is_ascii_number

#: Fleets up to this many devices get a list of devices; larger ones a name box.
LIST_LIMIT = 300


def by_name(get: QueryDict) -> QueryDict:
    """Return ``get`` with a ``device`` given by name replaced by that device's id
    (exact name first, then ignoring case); ids and unknown names are left as
    they are (the filter then names the bad value)."""
    text = (get.get("device") or "").strip()
    if not text or is_ascii_number(text):
        return get
    found = (Device.objects.filter(name=text).values_list("pk", flat=True).first()
             or Device.objects.filter(name__iexact=text).order_by("pk")
             .values_list("pk", flat=True).first())
    if found is None:
        return get
    out = get.copy()
    out["device"] = str(found)
    return out


def choices(value: str) -> dict[str, Any]:
    """What the device filter shows for the ``device`` parameter ``value``:
    ``devices`` (every device, by name) when the fleet is small, else
    ``device_box`` (true) and ``device_text`` (the chosen device's name, or what
    was typed)."""
    if Device.objects.count() <= LIST_LIMIT:
        return {"devices": Device.objects.by_name().only("id", "name"),
                "device_box": False}
    return {"devices": [], "device_box": True, "device_text": _shown(value)}


def _shown(value: object) -> str:
    """What a name box shows for ``value``: the device's name for an id of a device,
    else the text as given (a name, or a bad value the form names)."""
    text = "" if value is None else str(value).strip()
    if is_ascii_number(text):
        name = Device.objects.filter(pk=int(text)).values_list("name", flat=True).first()
        return name or text
    return text


class NameBox(forms.TextInput):
    """A search box for a device given by name or id (a form field that takes
    either: :class:`mikromon.web.alerts.fields.IdOrNameField`), showing the chosen
    device's name where the form holds its id."""

    input_type = "search"

    def format_value(self, value: Any) -> str | None:
        """The box's text: the name of the device ``value`` (an id), or ``value``."""
        return _shown(value) or None


def fit(field: forms.Field) -> None:
    """Give a form's device field the pick for the fleet's size: its list of every
    device up to :data:`LIST_LIMIT` devices, a :class:`NameBox` beyond (the rule
    form's scope)."""
    if Device.objects.count() > LIST_LIMIT:
        field.widget = NameBox(attrs={"placeholder": "Device name", "autocomplete": "off"})
