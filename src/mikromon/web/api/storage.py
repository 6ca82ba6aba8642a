"""``/api/v1/storage``: the retention in force, the disk used with its
forecast and the compaction's progress (GET); PATCH (admins) changes
retentions. Documented in docs/api.md."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse

from mikromon.domain.retention import RetentionError, parse_duration
from mikromon.web.api.auth import ApiError, api_view
from mikromon.web.control import retention
from mikromon.web.monitor import compaction_status, disk_usage


def _values(body: Any) -> dict[str, int | None]:
    """The ``retention`` object of a PATCH body: key -> duration text (``"7d"``),
    seconds (a number) or ``null`` (back to the environment's default).

    Raises:
        ApiError: 400 naming every wrong key or value.
    """
    wanted = body.get("retention") if isinstance(body, dict) else None
    if not isinstance(wanted, dict) or not wanted:
        raise ApiError(400, 'send {"retention": {"realtime": "7d", "5m": "90d", ...}}')
    values: dict[str, int | None] = {}
    problems = []
    for key, value in wanted.items():
        if value is None:
            values[key] = None
        elif isinstance(value, bool):
            problems.append(f"{key}: {value!r} is not a duration")
        elif isinstance(value, (int, float)):
            values[key] = round(value)
        else:
            try:
                values[key] = parse_duration(str(value))
            except ValueError as err:
                problems.append(f"{key}: {err}")
    if problems:
        raise ApiError(400, "; ".join(problems))
    return values


@api_view(methods=("GET", "PATCH"))
def storage(request: HttpRequest) -> JsonResponse:
    """GET: ``{"retention": ..., "disk": ..., "compaction": ...}``
    (:func:`retention.document`, :func:`disk_usage.usage` and
    :func:`compaction_status.cached_status`, both cached a minute). PATCH (admins): change
    retentions, answered like GET (the disk figures measured afresh); 400 naming
    each problem, nothing stored."""
    fresh = False
    if request.method == "PATCH":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as err:
            raise ApiError(400, f"invalid JSON: {err}") from None
        try:
            retention.save(_values(body), by=request.user.get_username())
        except RetentionError as err:
            raise ApiError(400, str(err)) from None
        fresh = True
    eff = retention.effective()
    return JsonResponse({
        "retention": retention.document(eff),
        "disk": disk_usage.usage(fresh=fresh, retention_s=eff.seconds,
                                 longest_raw_s=eff.longest_raw),
        "compaction": compaction_status.cached_status(fresh=fresh),
    })
