"""Error pages that say what was wrong."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: a request parameter was invalid (``ParamError`` names it) or the request
    was malformed. ``handler400`` of the root URLconf."""
    from mikromon.web.params import ParamError

    message = str(exception) if isinstance(exception, ParamError) else ""
    return render(request, "400.html", {"message": message}, status=400)
