"""Device writes of the JSON API (admins): ``POST /api/v1/devices`` creates,
``PATCH /api/v1/devices/<id>`` changes the fields given, ``PUT`` replaces the
settings (fields left out take their defaults; the password is kept),
``DELETE`` removes the device and everything collected from it, and ``POST
/api/v1/devices/bulk`` enables, disables, tags or moves many
(:mod:`mikromon.web.monitor.device_bulk`). Documented in docs/api.md.

Every write goes through the one device form
(:class:`mikromon.web.monitor.forms.DeviceSettingsForm`): the rules and messages
of the pages and ``mikromon device``. Bad input answers 400 ``{"error":
"field: message; ...", "fields": {field: [messages]}}``. Answers are the device
document of ``GET /api/v1/devices/<id>`` (:func:`.serialize.device_document`);
the password is write-only (``has_password`` tells whether one is stored).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from mikromon.domain.tiers import Tier
from mikromon.web.api import views
from mikromon.web.api.auth import SAFE_METHODS, ApiError, api_view
from mikromon.web.api.serialize import device_document
from mikromon.web.control import collector
from mikromon.web.monitor.device_bulk import BulkInvalid, apply_bulk
from mikromon.web.monitor.forms import VALUE_FIELDS, DeviceSettingsForm
from mikromon.web.monitor.models import Device

#: Largest JSON body accepted, bytes.
MAX_BODY = 64 * 1024
#: Keys of a device body (besides ``<tier>_interval``).
DEVICE_KEYS = ("name", "host", "port", "username", "password", "use_ssl", "tls_verify",
               "encoding", "enabled", "notes", "site", "tags", "intervals")
_TEXT = ("name", "host", "username", "password", "tls_verify", "encoding", "notes")
_FLAGS = ("use_ssl", "enabled")
_FIELD_NAMES = {"new_site": "site", "new_tags": "tags", "__all__": "device"}


def _invalid(errors: dict[str, list[str]]) -> JsonResponse:
    text = "; ".join(f"{field}: {m}" for field, messages in errors.items() for m in messages)
    return JsonResponse({"error": text, "fields": errors}, status=400)


def _body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object.

    Raises:
        ApiError: 400: too large, not JSON, not an object, a non-finite number.
    """
    if len(request.body) > MAX_BODY:
        raise ApiError(400, f"the body is larger than {MAX_BODY} bytes")
    try:
        data = json.loads(request.body or b"{}", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, f"invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the body must be a JSON object, not {type(data).__name__}")
    for key, value in data.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ApiError(400, f"{key}: must be a finite number")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _intervals(body: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """The ``<tier>_interval`` form fields given as ``intervals: {tier: s}`` or flat."""
    out: dict[str, Any] = {}
    nested = body.get("intervals")
    if nested is not None and not isinstance(nested, dict):
        errors["intervals"] = ["must be an object: {\"realtime\": 10, ...}"]
        nested = {}
    for tier, seconds in (nested or {}).items():
        if tier not in {t.value for t in Tier}:
            errors.setdefault("intervals", []).append(
                f"{str(tier)[:40]!r} is not one of {', '.join(t.value for t in Tier)}")
        else:
            out[f"{tier}_interval"] = seconds
    for tier in Tier:
        key = f"{tier.value}_interval"
        if key in body:
            out[key] = body[key]
    return out


def form_data(device: Device, body: dict[str, Any], *,
              replace: bool = False) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return the device form's data for ``body`` laid over ``device``'s settings
    (``replace``: over a new device's defaults, as PUT), and the problems found
    before the form (unknown keys, wrong JSON types)."""
    errors: dict[str, list[str]] = {}
    allowed = {*DEVICE_KEYS, *(f"{t.value}_interval" for t in Tier)}
    for key in body:
        if key not in allowed:
            errors[key] = [f"unknown field (fields: {', '.join(DEVICE_KEYS)})"]
    base = Device() if replace else device
    data: dict[str, Any] = {name: getattr(base, name) for name in VALUE_FIELDS}
    data["site"] = "" if replace else (device.site_id or "")
    data["tags"] = [] if replace or not device.pk else [t.pk for t in device.tags.all()]
    for key in _TEXT:
        if key in body:
            value = body[key]
            if value is not None and not isinstance(value, str):
                errors[key] = ["must be text"]
            data[key] = value or ""
    for key in _FLAGS:
        if key in body:
            if not isinstance(body[key], bool):
                errors[key] = ["must be true or false"]
            data[key] = bool(body[key])
    if "port" in body:
        data["port"] = "" if body["port"] is None else body["port"]
    if "site" in body:
        site = body["site"]
        if site is not None and not isinstance(site, str):
            errors["site"] = ["must be a site's name or null"]
        data["site"], data["new_site"] = "", site or ""
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors["tags"] = ["must be a list of tag names"]
            tags = []
        data["tags"], data["new_tags"] = [], tags
    data.update(_intervals(body, errors))
    return data, errors


def _save(device: Device, body: dict[str, Any], *, replace: bool = False,
          status: int = 200) -> JsonResponse:
    data, errors = form_data(device, body, replace=replace)
    if errors:
        return _invalid(errors)
    form = DeviceSettingsForm(data=data, instance=device)
    if not form.is_valid():
        return _invalid({_FIELD_NAMES.get(k, k): [str(m) for m in v]
                         for k, v in form.errors.items()})
    saved = form.save()
    collector.notify_config_changed()
    return JsonResponse(device_document(Device.objects.for_documents().get(pk=saved.pk)),
                        status=status)


@api_view(methods=("GET", "POST"))
def _create(request: HttpRequest) -> JsonResponse:
    """POST (admins): create a device; 201 with its document."""
    return _save(Device(), _body(request), status=201)


@api_view(methods=("GET", "PATCH", "PUT", "DELETE"))
def _change(request: HttpRequest, pk: int) -> JsonResponse:
    """PATCH/PUT/DELETE (admins) one device; 404 for an unknown id."""
    device = Device.objects.filter(pk=pk).first()
    if device is None:
        raise ApiError(404, f"no device with id {pk} (see /api/v1/devices)")
    if request.method == "DELETE":
        device.delete()
        collector.notify_config_changed()
        return JsonResponse({"deleted": pk})
    return _save(device, _body(request), replace=request.method == "PUT")


@login_not_required
@csrf_exempt
def devices(request: HttpRequest) -> HttpResponse:
    """``/api/v1/devices``: GET lists (:func:`.views.devices`), POST creates."""
    if request.method in SAFE_METHODS:
        return views.devices(request)
    return _create(request)


@login_not_required
@csrf_exempt
def device(request: HttpRequest, pk: int) -> HttpResponse:
    """``/api/v1/devices/<id>``: GET (:func:`.views.device`), PATCH, PUT, DELETE."""
    if request.method in SAFE_METHODS:
        return views.device(request, pk)
    return _change(request, pk)


@api_view(methods=("POST",), admin=True)
def bulk(request: HttpRequest) -> JsonResponse:
    """POST (admins) ``{"action", "devices": [ids], "tag"|"site"}``: change many
    devices, all or none; ``{"action", "changed": [names], "unchanged": [names]}``."""
    try:
        result = apply_bulk(_body(request))
    except BulkInvalid as err:
        return _invalid(err.errors)
    collector.notify_config_changed()
    return JsonResponse(result.as_dict())
