"""``/api/v1/search?q=``: fleet search (documented in docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from mikromon.web.api.auth import api_view
from mikromon.web.control.formats import iso
from mikromon.web.monitor import search as fleet
from mikromon.web.params import ParamProblems, parse_positive_int, parse_text


def _hit(hit: fleet.Hit) -> dict[str, Any]:
    return {
        "device": hit.device_id, "device_name": hit.device_name, "table": hit.table,
        "path": hit.path, "field": hit.field, "value": hit.value, "key": hit.key,
        "last_seen": iso(hit.last_seen), "gone": hit.gone, "gone_at": iso(hit.gone_at),
    }


@api_view()
def search(request: HttpRequest) -> JsonResponse:
    """Find ``q`` across every router's inventory and the devices; ``&limit=``.

    Answers ``{"q", "count", "limit", "more", "results": {kind: [hit, ...]}}``;
    400 naming ``q`` or ``limit`` when bad.
    """
    problems = ParamProblems()
    text = problems.check(parse_text, "q", request.GET.get("q"), fleet.MIN_LENGTH,
                          fleet.MAX_LENGTH)
    limit = problems.check(parse_positive_int, "limit", request.GET.get("limit"),
                           fleet.DEFAULT_LIMIT, fleet.MAX_LIMIT)
    problems.raise_any()
    result = fleet.search(fleet.parse_query(text), limit)
    return JsonResponse({
        "q": result.query.text,
        "count": result.count,
        "limit": result.limit,
        "more": result.more,
        "results": {kind: [_hit(h) for h in hits] for kind, hits in result.groups.items()},
    })
