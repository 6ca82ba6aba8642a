"""Each web user's time zone: the zones offered, and the middleware that shows a
signed-in user's pages in their zone (times stay stored in UTC; the API answers
in UTC whatever the user picked)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

#: Zone of users without a profile, and the first choice offered.
DEFAULT_ZONE = "UTC"


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Return the IANA zone names offered (:func:`zoneinfo.available_timezones`,
    sorted, "UTC" first). Cached: the set is read from the tz database once."""
    names = zoneinfo.available_timezones() - {DEFAULT_ZONE}
    return (DEFAULT_ZONE, *sorted(names))


def user_zone_name(user: object) -> str:
    """Return the zone name ``user`` picked in their profile, or ``"UTC"`` (also
    for an anonymous user)."""
    from mikromon.web.control.models import UserProfile

    if not isinstance(user, AbstractBaseUser):
        return DEFAULT_ZONE
    name = (UserProfile.objects.filter(user_id=user.pk)
            .values_list("time_zone", flat=True).first())
    return name if name in zone_names() else DEFAULT_ZONE


#: Session key holding the signed-in user's zone (read from the profile once).
SESSION_KEY = "mikromon_time_zone"


def remember_zone(request: HttpRequest, name: str) -> None:
    """Store ``name`` as the zone of this session's user (the profile page calls it
    when the user saves a new zone)."""
    request.session[SESSION_KEY] = name


def session_zone_name(request: HttpRequest) -> str:
    """Return the zone of the request's user: from the session, else from the
    profile (then kept in the session: one query per session, not per page)."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return DEFAULT_ZONE
    name = request.session.get(SESSION_KEY)
    if name not in zone_names():
        name = user_zone_name(user)
        request.session[SESSION_KEY] = name
    return str(name)


class UserTimeZoneMiddleware:
    """Activate the signed-in user's zone for a page request, so templates render
    dates in it; ``/api/`` requests and anonymous ones keep UTC. The zone is read
    from the profile once per session (a zone saved on the profile page applies to
    that browser at once, to the user's other browsers at their next sign-in)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            timezone.deactivate()
            return self.get_response(request)
        name = session_zone_name(request)
        if name == DEFAULT_ZONE:
            timezone.deactivate()
        else:
            timezone.activate(zoneinfo.ZoneInfo(name))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _signed_in(sender: object, request: HttpRequest | None, user: object,
               **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = user_zone_name(user)


def connect() -> None:
    """Read the user's zone into the session when they sign in (``user_logged_in``),
    so page requests need no query for it."""
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(_signed_in, dispatch_uid="mikromon.timezone.signed_in")
