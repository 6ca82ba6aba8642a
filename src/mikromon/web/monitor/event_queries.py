"""Reading events: the filters of the events page and of ``/api/v1/events``, and
the latest-events lists of the overview and the device page.

Both the page and the API read the same GET parameters (docs/api.md):

* ``severity``: ``critical``, ``warning`` or ``info``; repeat it (or separate
  with commas) for several; absent: every severity (the API), or every severity
  but ``info`` unless a ``kind`` is asked (the events page:
  :data:`NOTABLE_SEVERITIES`, as the overview's latest events);
* ``kind``: an event kind (:class:`mikromon.domain.events.EventKind`), repeatable
  like ``severity``;
* ``device``: a device id; ``site``: a site id or name;
* ``from`` / ``to``: times as :func:`mikromon.web.params.parse_time` reads them
  (Unix seconds, ISO 8601 with a naive time as UTC, ``now``, ``-1h``); ``from``
  is inclusive, ``to`` exclusive.

Every bad parameter is named in the one :class:`~mikromon.web.params.ParamError`
raised (messages joined by ``; ``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import QuerySet
from django.http import QueryDict

from mikromon.domain.alerts import Severity
from mikromon.web.monitor.choices import EventKindChoices, EventSeverityChoices
from mikromon.web.monitor.models import Device, Event, Site
from mikromon.web.params import (
    ParamError,
    ParamProblems,
    is_ascii_number,
    parse_choice,
    parse_id,
    parse_time,
)

#: The GET parameters :func:`parse_event_filter` reads.
FILTER_PARAMS = ("severity", "kind", "device", "site", "from", "to")
#: The severities the latest-events lists and the events page show unless asked
#: for more: informational events ("path absent", "configuration reloaded",
#: "device up") are left out.
NOTABLE_SEVERITIES = tuple(s for s in EventSeverityChoices.values if s != Severity.INFO.value)

@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to list; empty tuples and ``None`` mean "any".

    Attributes:
        severities: severity values (``critical``, ``warning``, ``info``).
        kinds: event kind values.
        device_id: a device's id.
        site: a site's id (``int``) or name (``str``).
        start: earliest time, inclusive (aware, UTC).
        end: latest time, exclusive (aware, UTC).
        problems: the messages of bad parameters, when parsed with ``collect``
            (each names its parameter; that parameter filters nothing).
        notable_only: leave out ``info`` events (no severity asked, parsed with
            ``notable_by_default``; the condition of the partial index
            ``monitor_event_notable_idx``).
    """

    severities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    device_id: int | None = None
    site: int | str | None = None
    start: datetime | None = None
    end: datetime | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)
    notable_only: bool = False

    def apply(self, qs: QuerySet[Event]) -> QuerySet[Event]:
        """Return ``qs`` narrowed to the events this filter lets through."""
        if self.severities:
            qs = qs.filter(severity__in=self.severities)
        elif self.notable_only:
            qs = qs.exclude(severity=Severity.INFO.value)
        if self.kinds:
            qs = qs.filter(kind__in=self.kinds)
        if self.device_id is not None:
            qs = qs.filter(device_id=self.device_id)
        if isinstance(self.site, int):
            qs = qs.filter(device__site_id=self.site)
        elif self.site is not None:
            qs = qs.filter(device__site__name=self.site)
        if self.start is not None:
            qs = qs.filter(ts__gte=self.start)
        if self.end is not None:
            qs = qs.filter(ts__lt=self.end)
        return qs


def _values(get: QueryDict, name: str) -> list[str]:
    """Every value of a repeatable parameter (``a&a`` or ``a,b``), blanks dropped."""
    return [v.strip() for raw in get.getlist(name) for v in raw.split(",") if v.strip()]


def _aware(name: str, text: str, now: float) -> datetime:
    seconds = parse_time(name, text, now)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ParamError(f"{name}={text[:80]!r} is out of range") from None


def parse_event_filter(get: QueryDict, now: float, *, collect: bool = False,
                       notable_by_default: bool = False) -> EventFilter:
    """Read the event filter from GET parameters (module docstring).

    Args:
        get: the request's ``GET``.
        now: Unix seconds, for ``now`` and relative times.
        collect: keep the messages of bad parameters in ``problems`` (each bad
            parameter then filters nothing) instead of raising; the page shows
            them above the list.
        notable_by_default: with no ``severity`` and no ``kind`` asked (or only
            bad ones), leave out ``info`` events (:data:`NOTABLE_SEVERITIES`; the
            events page: asking for a kind shows its events whatever their
            severity).

    Raises:
        ParamError: naming every bad parameter and its value (unless ``collect``).
    """
    problems = ParamProblems()
    check = problems.check

    def choices(name: str, allowed: Sequence[str]) -> tuple[str, ...]:
        picked = [check(parse_choice, name, v, allowed) for v in _values(get, name)]
        return tuple(dict.fromkeys(v for v in picked if v is not None))

    severities = choices("severity", EventSeverityChoices.values)
    kinds = choices("kind", EventKindChoices.values)
    device = (get.get("device") or "").strip()
    site = (get.get("site") or "").strip()
    start = (get.get("from") or "").strip()
    end = (get.get("to") or "").strip()
    parsed = EventFilter(
        severities=severities,
        kinds=kinds,
        device_id=check(parse_id, "device", device) if device else None,
        site=(check(parse_id, "site", site) if is_ascii_number(site) else site) or None,
        start=check(_aware, "from", start, now) if start else None,
        end=check(_aware, "to", end, now) if end else None,
        problems=tuple(problems.messages),
        notable_only=notable_by_default and not severities and not kinds,
    )
    if not collect:
        problems.raise_any()
    return parsed


def events(flt: EventFilter) -> QuerySet[Event]:
    """Events through ``flt``, newest first, with their device (and its site)."""
    return flt.apply(Event.objects.select_related("device")).order_by("-ts", "-id")


def latest_events(limit: int, device: Device | None = None, *,
                  include_info: bool = False) -> list[Event]:
    """The newest ``limit`` events (of ``device``, or of all), leaving out ``info``
    events unless ``include_info`` (the overview's and device page's lists; the
    partial index ``monitor_event_notable_idx`` serves the query without a device)."""
    qs = Event.objects.select_related("device").order_by("-ts", "-id")
    if device is not None:
        qs = qs.filter(device=device)
    if not include_info:
        qs = qs.exclude(severity=Severity.INFO.value)
    return list(qs[:limit])


def sites() -> QuerySet[Site]:
    """The sites, by name (the page's site filter)."""
    return Site.objects.order_by("name").only("id", "name")
