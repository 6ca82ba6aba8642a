"""What the filtered, paginated lists of the pages (events, the alert history)
share: the time filters of their query strings (``from``/``to``) and the page
asked for.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from mikromon.web.params import ParamError, parse_page, parse_time


def in_page_zone(text: str) -> str:
    """Return a ``datetime-local`` value (naive ``2026-03-01T17:40``) as ISO 8601 UTC
    (``2026-03-01T11:55:00Z``), reading it in the page's zone (the user's, set by
    UserTimeZoneMiddleware; else UTC); anything else (Unix seconds, ``-1h``, a time
    with a zone, a bad value) comes back unchanged for the shared parser to judge."""
    text = text.strip()
    if not (text.isascii() and "T" in text.upper() and text[:1].isdigit()):
        return text
    try:
        typed = datetime.fromisoformat(text)
        if typed.tzinfo is not None:
            return text
        aware = timezone.make_aware(typed, timezone.get_current_timezone())
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        return text


def parse_local(name: str, text: str) -> datetime:
    """Parse a ``datetime-local`` input value (a naive one is in the page's zone,
    :func:`in_page_zone`); Unix seconds and the API's forms (``-1h``, ISO 8601 with
    a zone) are accepted too. Returns an aware UTC datetime.

    Raises:
        ParamError: naming ``name`` (not a time, or beyond the years 1 to 9999).
    """
    seconds = parse_time(name, in_page_zone(text), time.time())
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ParamError(f"{name}={text[:80]!r} is out of range") from None


def filter_times(qs: QuerySet[Any], params: dict[str, str], errors: list[str],
                 field: str) -> QuerySet[Any]:
    """Keep the rows of ``qs`` whose ``field`` is at or after ``params["from"]`` and
    before ``params["to"]`` (each when given; :func:`parse_local`); a bad value
    filters nothing and adds a message naming the parameter to ``errors``."""
    for name, lookup in (("from", f"{field}__gte"), ("to", f"{field}__lt")):
        if params.get(name):
            try:
                qs = qs.filter(**{lookup: parse_local(name, params[name])})
            except ParamError:
                errors.append(f"'{name}' is not a date and time (got {params[name][:40]!r})")
    return qs


def page_of(request: HttpRequest, qs: QuerySet[Any] | Sequence[Any], per_page: int,
            errors: list[str]) -> Page:
    """The page of ``qs`` (a queryset, or a list such as the collector status's
    devices) that ``?page=`` asks for (``per_page`` rows; past the end: the last);
    a bad number adds a message to ``errors`` and gives page 1."""
    try:
        number = parse_page(request.GET.get("page"))
    except ParamError as err:
        errors.append(str(err))
        number = 1
    return Paginator(qs, per_page).get_page(number)
