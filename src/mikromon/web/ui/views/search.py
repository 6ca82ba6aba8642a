"""The fleet search page (``/search/?q=``), reached from the header's search box."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.web.monitor import search as fleet
from mikromon.web.params import ParamError, parse_text


def search_page(request: HttpRequest) -> HttpResponse:
    """Hits of ``?q=`` grouped by kind (:func:`mikromon.web.monitor.search.search`).

    Without ``q`` the page explains what can be searched; a bad ``q`` (too short,
    too long, a control character) answers 400 with the reason on the page.
    """
    given = "q" in request.GET
    text = request.GET.get("q", "")
    error = ""
    result = None
    if given:
        try:
            query = fleet.parse_query(parse_text("q", text, fleet.MIN_LENGTH, fleet.MAX_LENGTH))
            result = fleet.search(query)
        except ParamError as err:
            error = str(err)
    groups = [(kind, fleet.KINDS[kind], hits) for kind, hits in result.groups.items()] \
        if result else []
    return render(request, "ui/search.html", {
        "q": text.strip()[:fleet.MAX_LENGTH * 2],
        "error": error,
        "result": result,
        "groups": groups,
        "kinds": fleet.KINDS,
    }, status=400 if error else 200)
