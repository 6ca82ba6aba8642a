"""The alerting endpoints of the JSON API: alerts, silences, rules, notification
channels (``/api/v1/alerts`` ...); documented in docs/api.md.

Every change goes through :mod:`mikromon.web.alerts.services` (the pages and the
command line use the same functions, so the same rules and the same errors).
Bad input answers 400 ``{"error": "field: message; ...", "fields": {field:
[messages]}}``; an unknown id 404. Admins change things; viewers read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse

from mikromon.web.alerts import services
from mikromon.web.alerts.services.common import check_keys
from mikromon.web.api.auth import ApiError, api_view
from mikromon.web.monitor.models import Device, Site
from mikromon.web.params import (
    ParamError,
    ParamProblems,
    is_ascii_number,
    parse_choice,
    parse_id,
    parse_page,
    parse_positive_int,
)

#: Default and largest page size of the lists.
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
#: Largest JSON body accepted, bytes.
MAX_BODY = 64 * 1024


def _invalid(err: services.Invalid) -> JsonResponse:
    return JsonResponse({"error": str(err), "fields": err.errors}, status=400)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service function: NotFound becomes 404 (Invalid is answered by the view)."""
    try:
        return fn(*args, **kwargs)
    except services.NotFound as err:
        raise ApiError(404, err.message) from None


def _body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object (or form fields).

    Raises:
        ApiError: 400 for a body that is not a JSON object, or too large.
    """
    if len(request.body) > MAX_BODY:
        raise ApiError(400, f"the body is larger than {MAX_BODY} bytes")
    if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        post = request.POST
        return {k: (post.getlist(k) if len(post.getlist(k)) > 1 else post.get(k))
                for k in post}
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, f"invalid JSON: {err}") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the body must be a JSON object, not {type(data).__name__}")
    for key, value in data.items():
        if isinstance(value, dict):
            raise ApiError(400, f"{key}: give a value or a list, not an object")
        if isinstance(value, float) and not math.isfinite(value):
            raise ApiError(400, f"{key}: must be a finite number")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _page(request: HttpRequest, qs: QuerySet[Any], key: str, render: Any,
          *, many: Any = None) -> JsonResponse:
    """One page of ``qs`` as ``{key: [...], "count", "page", "pages", "limit"}``
    (``many`` renders the whole page at once, else ``render`` each row)."""
    limit = parse_positive_int("limit", request.GET.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = parse_page(request.GET.get("page"))
    assert limit is not None
    total = qs.count()
    pages = max(1, -(-total // limit))
    start = (page - 1) * limit
    rows = list(qs[start:start + limit]) if start < total else []
    docs = many(rows) if many is not None else [render(r) for r in rows]
    return JsonResponse({key: docs, "count": total, "page": page,
                         "pages": pages, "limit": limit})


def _many(request: HttpRequest, key: str, *, create: Callable[[dict[str, Any]], Any],
          rows: Callable[[], QuerySet[Any]], render: Callable[[Any], Any]) -> JsonResponse:
    """A list endpoint: POST creates one from the body (201 with it; bad input
    400), GET answers a page of ``rows()`` under ``key``."""
    if request.method == "POST":
        try:
            created = create(_body(request))
        except services.Invalid as err:
            return _invalid(err)
        return JsonResponse(render(created), status=201)
    return _page(request, rows(), key, render)


def _one(request: HttpRequest, pk: int, *, get: Callable[[int], Any],
         update: Callable[[int, dict[str, Any]], Any], delete: Callable[[int], None],
         render: Callable[[Any], Any]) -> JsonResponse:
    """An object endpoint: GET it, PATCH the fields given (bad input 400), DELETE
    it (``{"deleted": pk}``); an unknown ``pk`` answers 404."""
    if request.method == "DELETE":
        _call(delete, pk)
        return JsonResponse({"deleted": pk})
    if request.method == "PATCH":
        try:
            changed = _call(update, pk, _body(request))
        except services.Invalid as err:
            return _invalid(err)
        return JsonResponse(render(changed))
    return JsonResponse(render(_call(get, pk)))


def _object_param(name: str, text: str, model: Any) -> int:
    """An id, or the exact name of a device/site, given as a query parameter.

    Raises:
        ParamError: naming ``name`` (a bad id or an unknown name).
    """
    if is_ascii_number(text.strip()):
        return parse_id(name, text)
    found = model.objects.filter(name=text).values_list("pk", flat=True).first()
    if found is None:
        raise ParamError(f"{name}={text[:80]!r}: no {name} with that name or id")
    return int(found)


# --- alerts ----------------------------------------------------------------------------


@api_view()
def alerts(request: HttpRequest) -> JsonResponse:
    """Alerts, severity highest first then newest; ``?state=firing`` (default;
    ``pending``, ``resolved``, ``open``, ``all``), ``severity``, ``device`` and
    ``site`` (id or name), ``limit``, ``page``. Every bad parameter is named."""
    get = request.GET
    problems = ParamProblems()
    check = problems.check
    state = check(parse_choice, "state", get.get("state") or "firing", services.ALERT_STATES)
    severity = (check(parse_choice, "severity", get["severity"],
                      ["info", "warning", "high", "critical"]) if get.get("severity") else None)
    device = check(_object_param, "device", get["device"], Device) if get.get("device") else None
    site = check(_object_param, "site", get["site"], Site) if get.get("site") else None
    check(parse_positive_int, "limit", get.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    check(parse_page, get.get("page"))
    problems.raise_any()
    qs = services.list_alerts(state=state, severity=severity, device=device, site=site)
    return _page(request, qs, "alerts", services.alert_dict, many=services.alert_dicts)


@api_view()
def alert(request: HttpRequest, pk: int) -> JsonResponse:
    """One alert."""
    return JsonResponse(services.alert_dict(_call(services.get_alert, pk)))


@api_view(methods=("POST", "DELETE"))
def alert_ack(request: HttpRequest, pk: int) -> JsonResponse:
    """POST ``{"comment": "..."}``: acknowledge; DELETE: take the acknowledgement back."""
    try:
        if request.method == "DELETE":
            done = _call(services.unacknowledge, pk, user=request.user)
        else:
            body = _body(request)
            check_keys(body, {"comment"})
            comment = body.get("comment") or ""
            if not isinstance(comment, str):
                raise services.Invalid.one("comment", "must be text")
            done = _call(services.acknowledge, pk, user=request.user, comment=comment)
    except services.Invalid as err:
        return _invalid(err)
    return JsonResponse(services.alert_dict(done))


# --- silences --------------------------------------------------------------------------


@api_view(methods=("GET", "POST"))
def silences(request: HttpRequest) -> JsonResponse:
    """GET: silences, ``?state=active`` (default; ``pending``, ``expired``, ``all``).
    POST (admins): create one (``device``/``site``/``tag``/``rule``, ``starts_at``,
    ``ends_at`` or ``duration``, ``reason``); 201 with it."""
    if request.method == "POST":
        body = _body(request)
        allowed = {"device", "site", "tag", "rule", "starts_at", "ends_at", "duration",
                   "reason"}
        try:
            check_keys(body, allowed)
            silence = services.create_silence(body, user=request.user)
        except services.Invalid as err:
            return _invalid(err)
        return JsonResponse(services.silence_dict(silence), status=201)
    state = parse_choice("state", request.GET.get("state") or "active",
                         services.SILENCE_STATES)
    return _page(request, services.list_silences(state=state), "silences",
                 services.silence_dict)


@api_view(methods=("GET", "DELETE"))
def silence(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: one silence. DELETE (admins): expire it now (kept as history)."""
    if request.method == "DELETE":
        try:
            ended = _call(services.expire_silence, pk, user=request.user)
        except services.Invalid as err:
            return _invalid(err)
        return JsonResponse(services.silence_dict(ended))
    return JsonResponse(services.silence_dict(_call(services.get_silence, pk)))


# --- rules -----------------------------------------------------------------------------


@api_view(methods=("GET", "POST"))
def rules(request: HttpRequest) -> JsonResponse:
    """GET: every rule. POST (admins): create one; 201 with it."""
    return _many(request, "rules", create=services.create_rule, rows=services.list_rules,
                 render=services.rule_dict)


@api_view(methods=("GET", "PATCH", "DELETE"))
def rule(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: one rule. PATCH (admins): change the fields given. DELETE (admins):
    remove it with its alerts and history."""
    return _one(request, pk, get=services.get_rule, update=services.update_rule,
                delete=services.delete_rule, render=services.rule_dict)


@api_view(methods=("POST",))
def rule_preview(request: HttpRequest, pk: int | None = None) -> JsonResponse:
    """POST a rule (not saved; on ``rules/<id>/preview``: changes to rule ``id``):
    what it would raise now, from the latest stored values. Changes nothing."""
    try:
        preview = _call(services.preview_rule, _body(request), rule_id=pk)
    except services.Invalid as err:
        return _invalid(err)
    return JsonResponse(preview.as_dict())


# --- channels --------------------------------------------------------------------------


@api_view(methods=("GET", "POST"))
def channels(request: HttpRequest) -> JsonResponse:
    """GET: every channel with its delivery status (target masked). POST (admins):
    create one; 201 with it."""
    return _many(request, "channels", create=services.create_channel,
                 rows=services.list_channels, render=services.channel_dict)


@api_view(methods=("GET", "PATCH", "DELETE"))
def channel(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: one channel with its delivery status. PATCH (admins): change the fields
    given (``url``/``secret`` left out are kept). DELETE (admins): remove it."""
    return _one(request, pk, get=services.get_channel, update=services.update_channel,
                delete=services.delete_channel, render=services.channel_dict)


@api_view(methods=("POST",))
def channel_test(request: HttpRequest, pk: int) -> JsonResponse:
    """POST (admins): send a test message now; the receiver's answer or the error."""
    result = _call(services.test_channel, pk)
    return JsonResponse({"ok": result.ok, "detail": result.detail,
                         "duration_s": round(result.duration_s, 3),
                         "delivery_id": result.delivery_id})


@api_view()
def rule_overrides(request: HttpRequest, pk: int) -> JsonResponse:
    """The per-device overrides of rule ``pk``."""
    rule_obj = _call(services.get_rule, pk)
    rows = (rule_obj.overrides.select_related("rule", "device")
            .order_by("device__name_key", "device__name"))
    return JsonResponse({"rule": rule_obj.pk,
                         "overrides": [services.override_dict(o) for o in rows]})


@api_view(methods=("GET", "PUT", "DELETE"))
def rule_override(request: HttpRequest, pk: int, device: int) -> JsonResponse:
    """GET: device ``device``'s override of rule ``pk``. PUT (admins): set it
    (``threshold`` and ``recovery`` replaced, left out: none; ``enabled`` left
    out: kept, or true for a new override).
    DELETE (admins): the device follows the rule again."""
    if request.method == "DELETE":
        _call(services.delete_override, pk, device)
        return JsonResponse({"deleted": {"rule": pk, "device": device}})
    if request.method == "PUT":
        try:
            override = _call(services.set_override, pk, device, _body(request))
        except services.Invalid as err:
            return _invalid(err)
        return JsonResponse(services.override_dict(override))
    rule_obj = _call(services.get_rule, pk)
    found = rule_obj.overrides.filter(device_id=device).first()
    if found is None:
        raise ApiError(404, f"device {device} has no override of rule {pk}")
    return JsonResponse(services.override_dict(found))
