"""The overview: the alerts firing now (first, most severe first), the count of
devices per state, sites (or tags) as tiles coloured by their worst device, the
busiest interfaces (by rx + tx, or by receive or transmit alone:
``?busiest=rx|tx``), the top links by utilisation, the worst devices and the latest
events. One screen at 10,000 devices: counts come from aggregate queries, lists
are short."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.domain.names import natural_key
from mikromon.web.control import collector
from mikromon.web.monitor.choices import state_label as state_word
from mikromon.web.monitor.event_queries import latest_events
from mikromon.web.monitor.models import Device
from mikromon.web.monitor.models.device_reads import NAME_ORDER
from mikromon.web.monitor.traffic import (
    ORDERS,
    contact_cutoffs,
    ranked_traffic,
    stale_devices,
)
from mikromon.web.params import parse_choice
from mikromon.web.ui.views.alerts import open_alerts
from mikromon.web.ui.views.devices import state_counts

#: Interfaces listed as the busiest, and links listed by utilisation.
BUSIEST = 10
#: The busiest table's rate columns: (``?busiest=`` value, heading), each a link
#: that ranks by it.
BUSIEST_COLUMNS = (("rx", "Receive"), ("tx", "Transmit"), ("total", "Total"))
#: Events listed.
LATEST_EVENTS = 15
#: Firing alerts listed at the top (the Alerts page has them all).
OVERVIEW_ALERTS = 20


#: States from worst to best: a site or tag tile takes the colour of its worst.
WORST_FIRST = ("down", "auth_failed", "degraded", "slow", "unknown", "up", "disabled")
#: The states of the worst-devices list.
PROBLEM_STATES = ("down", "auth_failed", "degraded", "slow")
#: Devices listed as the worst (the device list has them all).
WORST_DEVICES = 15


@dataclass(slots=True)
class GroupTile:
    """One site (or tag) of the overview: how many devices in each state, and how
    many answering devices are stale. ``key`` is the device list's filter value."""

    name: str
    key: str
    counts: Counter[str]
    stale: int = 0

    @property
    def total(self) -> int:
        """Devices in the group."""
        return sum(self.counts.values())

    @property
    def worst(self) -> str:
        """The worst state of a device of the group (:data:`WORST_FIRST`)."""
        return next((s for s in WORST_FIRST if self.counts.get(s)), "unknown")

    @property
    def breakdown(self) -> list[tuple[str, int]]:
        """``[(state, devices)]`` of the states present, worst first."""
        return [(s, self.counts[s]) for s in WORST_FIRST if self.counts.get(s)]

    @property
    def not_up(self) -> list[tuple[str, int]]:
        """:attr:`breakdown` without the devices up (what the tile lists)."""
        return [(s, n) for s, n in self.breakdown if s != "up"]

    @property
    def title(self) -> str:
        """The tile's tooltip: every state's count (``"12 up, 1 down"``), worst first
        (written here, not by a template loop: 200 tiles)."""
        return ", ".join(f"{n} {state_word(s)}" for s, n in self.breakdown)

    @property
    def summary(self) -> str:
        """The tile's line of devices not up (``"1 down · 2 slow"``), or ``all up``."""
        return " · ".join(f"{n} {state_word(s)}" for s, n in self.not_up) or "all up"


def group_tiles(group_by: str, stale: dict[int, int | None] | None = None
                ) -> list[GroupTile]:
    """Return a tile per site (``group_by="site"``) or tag (``"tag"``), by name
    (natural order), "No site"/"No tag" last: state counts come from one
    aggregate query, whatever the number of devices; ``stale`` (device id -> site
    id of the stale devices: :func:`stale_by_device`) adds each group's stale
    count (for tags, one more aggregate query over the stale devices' tags)."""
    field = "site" if group_by == "site" else "tags"
    rows = (Device.objects.order_by().values(f"{field}__id", f"{field}__name", "state")
            .annotate(n=Count("id")))
    tiles: dict[int | None, GroupTile] = {}
    for row in rows:
        pk = row[f"{field}__id"]
        tile = tiles.get(pk)
        if tile is None:
            name = row[f"{field}__name"] if pk is not None else f"No {group_by}"
            tile = tiles[pk] = GroupTile(name, str(pk) if pk is not None else "none",
                                         Counter())
        tile.counts[row["state"]] += row["n"]
    if not stale:
        pass
    elif group_by == "site":
        for site_id in stale.values():
            if site_id in tiles:
                tiles[site_id].stale += 1
    else:
        links = Device.tags.through.objects.order_by()
        if len(stale) <= 500:
            links = links.filter(device_id__in=list(stale))
        # else: most of the fleet is stale (collector stopped): every link is read.
        untagged = set(stale)
        for device_id, tag_id in links.values_list("device_id", "tag_id"):
            if device_id in stale and tag_id in tiles:
                tiles[tag_id].stale += 1
                untagged.discard(device_id)
        if None in tiles:
            tiles[None].stale += len(untagged)
    return sorted(tiles.values(), key=lambda t: (t.key == "none", natural_key(t.name)))


def stale_by_device(cutoffs: dict[int, datetime] | None = None) -> dict[int, int | None]:
    """Device id -> site id of the answering devices that are stale
    (:func:`mikromon.web.monitor.traffic.stale_devices`; one query; ``cutoffs``:
    :func:`~mikromon.web.monitor.traffic.contact_cutoffs`, read when not given)."""
    if cutoffs is None:
        cutoffs = contact_cutoffs()
    return dict(stale_devices(cutoffs).order_by().values_list("pk", "site_id"))


def worst_devices(limit: int = WORST_DEVICES) -> tuple[list[Device], int]:
    """Return the ``limit`` devices down, auth failed, degraded or slow whose state
    changed most recently (newest first, then by name), and how many there are in
    all."""
    qs = Device.objects.filter(state__in=PROBLEM_STATES)
    listed = list(qs.select_related("site").order_by(
        F("status_changed_at").desc(nulls_last=True), *NAME_ORDER)[:limit])
    return listed, qs.count()


def overview(request: HttpRequest) -> HttpResponse:
    """The overview page: one screen whatever the number of devices. ``?group=tag``
    shows tags instead of sites as tiles; ``?busiest=rx`` or ``tx`` ranks the
    busiest interfaces by one direction instead of rx + tx (``total``).

    Raises:
        ParamError: an unknown ``group`` or ``busiest`` (400).
    """
    group_by = parse_choice("group", request.GET.get("group") or "site", ("site", "tag"))
    order = parse_choice("busiest", request.GET.get("busiest") or "total", ORDERS)
    # Devices that answer: the traffic tables rank their rates (others have no
    # current rate), the tiles count the stale ones among them; all in SQL.
    cutoffs = contact_cutoffs()
    stale = stale_by_device(cutoffs)
    busiest, utilisation = ranked_traffic(cutoffs, order=order, limit=BUSIEST)
    counts = Counter(state_counts())
    problems, problems_total = worst_devices()
    firing = open_alerts().filter(state="firing")
    total = sum(counts.values())
    return render(request, "ui/overview.html", {
        "alerts": list(firing[:OVERVIEW_ALERTS]),
        "alerts_total": firing.count(),
        "groups": group_tiles(group_by, stale),
        "group_by": group_by,
        "counts": counts,
        "stale_total": len(stale),
        "total": total,
        "busiest": busiest,
        "busiest_order": order,
        "busiest_columns": BUSIEST_COLUMNS,
        "utilisation": utilisation,
        "problems": problems,
        "problems_total": problems_total,
        "events": latest_events(LATEST_EVENTS),
        "has_devices": bool(total),
        "collector_running": collector.collector_running(),
    })
