"""Every URL pattern, every parameter, hostile values: never a 500.

The walk takes the URL patterns from Django's resolver (so a new page or
endpoint is covered without editing this file), fills each path part with
hostile values, and sends every query parameter a view reads (found by
recording which names the view looks up in ``request.GET``) each hostile value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

#: Values that once crashed a view or could: non-ASCII digits (``str.isdigit`` is
#: true for them, ``int`` refuses some and accepts others), numbers beyond 64 bits,
#: negative, zero, NaN/infinity, absurd dates, empty, long and control text.
HOSTILE = ["²", "٣", "1" * 30, "-1", "0", "nan", "-inf", "1e400", "99999-12-31T00:00:00",
           "-99999999999999999999d", "", "x" * 5000, "\x00", "a,,"]
#: Fewer for the admin's pages (Django's own code, many of them).
HOSTILE_ADMIN = ["²", "1" * 30, "", "x" * 5000, "\x00"]
#: Values for path parts: what the converters accept plus what they should refuse.
HOSTILE_PATH = ["1", "0", "1" * 30, "9223372036854775808", "²", "x" * 300]
#: Parameters sent (all at once, each ``1``) to find what a view reads beyond the
#: baseline: a view may look at some only when others are present.
KNOWN = ["q", "state", "site", "tag", "sort", "device", "kind", "from", "to", "page",
         "range", "if", "group", "metric", "label", "step", "points", "limit", "gone",
         "next", "severity"]
#: A valid baseline so that views get past their first check.
BASELINE = {"metric": "system.cpu.load_pct"}


def _patterns(resolvers: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


_PART = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _fill(route: str, value: str) -> str | None:
    """``route`` with every path part set to ``value``; ``None`` for regex catch-alls."""
    route = route.lstrip("^").rstrip("$")
    if route in (".*", ""):
        return "/" + route.replace(".*", "no-such-thing")
    if "(?P<action>" in route:
        route = route.replace("(?P<action>start|stop)", "start")
    if "(" in route and "<" not in route.replace("(?P<", ""):
        return None
    return "/" + _PART.sub(lambda _m: value, route).replace("\\", "")


def _paths(valid: str) -> list[tuple[str, bool]]:
    """Every pattern filled with every hostile path value and ``valid`` (an existing
    id), and whether to walk its parameters (only with ``valid``: the other
    fillings are 404 before any parameter is read)."""
    out: dict[str, bool] = {}
    for route, _pattern in _patterns(get_resolver().url_patterns):
        for value in [*HOSTILE_PATH, valid]:
            path = _fill(route, value)
            if path is not None:
                out[path] = out.get(path, False) or value == valid
    return sorted(out.items())


class _Recorder(QueryDict):
    """A ``QueryDict`` that remembers the names looked up (in the class: copies too)."""

    seen: set[str] = set()

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.seen.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)


@pytest.fixture
def recorded(monkeypatch) -> set[str]:
    """Names the views looked up in ``request.GET`` during the test."""
    from django.core.handlers.wsgi import WSGIRequest

    seen: set[str] = set()
    original = WSGIRequest.GET.func  # cached_property

    def get(self):
        data = original(self)
        recorder = _Recorder(mutable=True)
        for key, values in data.lists():
            recorder.setlist(key, values)
        recorder._mutable = False
        return recorder

    monkeypatch.setattr(_Recorder, "seen", seen)
    monkeypatch.setattr(WSGIRequest, "GET", property(get))
    return seen


@pytest.mark.db_backend
@pytest.mark.django_db
@pytest.mark.timeout(360)  # some 1,500 requests: every URL x parameter x hostile value
def test_no_url_answers_500_to_hostile_values(admin, admin_token, device, recorded,
                                              no_collector, settings):
    """For every URL pattern (the admin's too) and every parameter its view reads,
    hostile values answer 4xx (or the page), never 500, for pages and API alike."""
    from mikromon.web.monitor.models import Event

    Event.objects.create(device=device, ts="2025-01-01T00:00:00Z", kind="device_down",
                         message="down")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    web = Client(raise_request_exception=False)
    web.force_login(admin)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {admin_token}")
    paths = dict(_paths(str(device.pk)))
    assert paths[f"/devices/{device.pk}/"]
    assert paths[f"/api/v1/devices/{device.pk}/series"]
    failures = []
    seen_all: set[str] = set()
    requests = 0
    for path, walk in paths.items():
        client = api if path.startswith("/api/") else web
        recorded.clear()
        response = client.get(path, BASELINE)
        requests += 1
        if response.status_code >= 500:
            failures.append(f"GET {path} -> {response.status_code}")
        if not walk:
            continue
        client.get(path, {**dict.fromkeys(KNOWN, "1"), **BASELINE})
        names = set(recorded)
        seen_all |= names
        for name in sorted(names):
            for value in HOSTILE_ADMIN if path.startswith("/admin/") else HOSTILE:
                response = client.get(path, {**BASELINE, name: value})
                requests += 1
                if response.status_code >= 500:
                    failures.append(f"GET {path}?{name}={value[:40]!r} -> "
                                    f"{response.status_code}")
    assert not failures, "\n".join(failures)
    assert requests > 300, requests
    assert {"from", "to", "step", "label", "site", "page"} <= seen_all


@pytest.mark.db_backend
@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), [
    ("/devices/?site=²", "site"), ("/devices/?tag=٣", "tag"),
    ("/devices/?site=" + "1" * 30, "site"), ("/devices/?tag=" + "1" * 30, "tag"),
    ("/devices/?state=nope", "state"), ("/devices/?sort=nope", "sort"),
    ("/events/?device=²", "device"), ("/events/?device=" + "1" * 30, "device"),
    ("/events/?from=99999-01-01", "from"), ("/events/?page=²", "page"),
    ("/?group=nope", "group"), ("/devices/{pk}/?range=nope", "range"),
    ("/api/v1/devices?site=" + "1" * 30, "site"),
    ("/api/v1/events?device=²", "device"), ("/api/v1/events?device=٣", "device"),
    ("/api/v1/events?limit=٣", "limit"), ("/api/v1/events?from=nan", "from"),
    ("/api/v1/devices/{pk}/series?metric=system.cpu.load_pct&from=nan", "from"),
    ("/api/v1/devices/{pk}/series?metric=system.cpu.load_pct&to=1e400", "to"),
    ("/api/v1/devices/{pk}/series?metric=system.cpu.load_pct&from=-99999999999999999999d",
     "from"),
    ("/api/v1/devices/{pk}/series?metric=system.cpu.load_pct&step=٣", "step"),
    ("/api/v1/devices/{pk}/inventory/interfaces?gone=²", "gone"),
    ("/devices/?q=%00", "q"), ("/api/v1/devices?tag=a%00b", "tag"),
    ("/api/v1/alerts?state=nope", "state"), ("/api/v1/alerts?severity=²", "severity"),
    ("/api/v1/alerts?device=٣", "device"), ("/api/v1/alerts?site=" + "1" * 30, "site"),
    ("/api/v1/alerts?limit=٣", "limit"), ("/api/v1/silences?state=%00", "state"),
    ("/api/v1/rules?page=²", "page"), ("/api/v1/channels?limit=0", "limit"),
])
def test_bad_value_is_400_naming_the_parameter(path, name, admin_web, admin_token, device,
                                               no_collector):
    """A bad filter or parameter value answers 400 and the answer names the parameter."""
    path = path.replace("{pk}", str(device.pk))
    if path.startswith("/api/"):
        response = Client(HTTP_AUTHORIZATION=f"Token {admin_token}").get(path)
        text = response.json()["error"]
    else:
        response = admin_web.get(path)
        text = response.content.decode()
    assert response.status_code == 400, (path, response.status_code)
    assert name in text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/devices/" + "1" * 30 + "/", "/devices/9223372036854775808/",
                                  "/api/v1/devices/" + "1" * 30,
                                  "/api/v1/devices/" + "1" * 30 + "/latest"])
def test_huge_ids_in_paths_are_404(path, admin_web, admin_token):
    """An id beyond 64 bits in a path is no object (404), not a database overflow."""
    client = Client(HTTP_AUTHORIZATION=f"Token {admin_token}") if "/api/" in path else admin_web
    assert client.get(path).status_code == 404
