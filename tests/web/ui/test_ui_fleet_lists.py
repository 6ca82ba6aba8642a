"""The device list, the collector page and the overview with a fleet: filters
(state, site, tag, version, board, text), sorting by column, pages on the server,
bad parameters named, and query counts that do not grow with the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def names(response) -> list[str]:
    return [d.name for d in response.context["devices"]]


@pytest.mark.django_db
def test_device_list_pages_on_the_server(admin_web, make_fleet):
    make_fleet(120)
    first = admin_web.get("/devices/")
    assert first.status_code == 200
    assert names(first) == [f"r{i:03d}" for i in range(50)]
    body = first.content.decode()
    assert "page 1 of 3" in body
    assert "devices 1–50 of 120" in body
    assert 'href="?page=3" rel="last"' in body
    last = admin_web.get("/devices/?page=3")
    assert names(last) == [f"r{i:03d}" for i in range(100, 120)]
    # Past the end: the last page; not a number: page 1 and the parameter named.
    assert names(admin_web.get("/devices/?page=99")) == names(last)
    bad = admin_web.get("/devices/?page=two")
    assert bad.status_code == 400
    assert "page=&#x27;two&#x27; is not a whole number" in bad.content.decode()


@pytest.mark.django_db
def test_device_list_filters(admin_web, make_fleet):
    from mikromon.web.monitor.models import Site, Tag

    make_fleet(40)
    site = Site.objects.get(name="site-1")
    core = Tag.objects.get(name="core")

    def listed(query: str) -> list[str]:
        response = admin_web.get(f"/devices/?{query}")
        assert response.status_code == 200, response.content.decode()[:500]
        return names(response)

    assert listed("state=down") == [f"r{i:03d}" for i in range(40) if i % 7 == 1]
    assert listed(f"site={site.pk}") == [f"r{i:03d}" for i in range(40) if i % 3 == 1 and i % 10]
    assert listed("site=site-1") == listed(f"site={site.pk}")
    assert listed("site=none") == ["r000", "r010", "r020", "r030"]
    assert listed(f"tag={core.pk}") == [f"r{i:03d}" for i in range(40) if i % 2]
    assert listed("version=7.15.3+(stable)") == [f"r{i:03d}" for i in range(40) if i % 2 == 0]
    assert listed("board=hAP+ax%5E2") == [f"r{i:03d}" for i in range(40) if i % 4 == 0]
    assert listed("q=id-17") == ["r017"]
    assert listed("q=10.0.0.40") == ["r039"]
    assert listed("state=up&board=hAP+ax%5E2&tag=edge") == ["r000", "r028"]


@pytest.mark.django_db
def test_device_list_filter_choices_come_from_the_database(admin_web, make_fleet):
    make_fleet(8)
    ctx = admin_web.get("/devices/").context
    assert ctx["versions"] == ["7.15.3 (stable)", "7.16.2 (stable)"]
    assert ctx["boards"] == ["RB5009UG+S+", "hAP ax^2"]
    assert [name for _, name in ctx["sites"]] == ["site-0", "site-1", "site-2"]
    assert [name for _, name in ctx["tags"]] == ["core", "edge"]
    body = admin_web.get("/devices/?board=RB5009UG%2BS%2B").content.decode()
    assert '<option value="RB5009UG+S+" selected>' in body


@pytest.mark.django_db
def test_device_list_sorts_stably_by_column(admin_web, make_fleet):
    make_fleet(60)
    by_state = names(admin_web.get("/devices/?sort=state&page=1")) + names(
        admin_web.get("/devices/?sort=state&page=2"))
    assert len(by_state) == len(set(by_state)) == 60
    assert by_state[0] == "r004"  # auth_failed sorts first, ties by name
    desc = names(admin_web.get("/devices/?sort=-name"))
    assert desc[:2] == ["r059", "r058"]
    changed = names(admin_web.get("/devices/?sort=-changed"))
    assert changed[:2] == ["r000", "r001"]
    body = admin_web.get("/devices/?sort=site&state=up").content.decode()
    assert 'href="?sort=-site&amp;state=up"' in body  # the sorted header reverses
    bad = admin_web.get("/devices/?sort=colour")
    assert bad.status_code == 400
    assert "sort=&#x27;colour&#x27; is not one of: name, state" in bad.content.decode()


@pytest.mark.django_db
def test_device_list_bad_filters_are_named(admin_web, make_fleet):
    make_fleet(3)
    response = admin_web.get("/devices/?site=Mars&tag=9999&state=sideways")
    assert response.status_code == 400
    body = " ".join(response.content.decode().split())
    assert "&#x27;site&#x27; must be a site id, a site name or &#x27;none&#x27;" in body
    assert "&#x27;tag&#x27; must be a tag id or a tag name" in body
    assert "state=&#x27;sideways&#x27; is not one of" in body


def _queries(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return [q["sql"][:60] for q in ctx.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/devices/", "/devices/?sort=-last_seen&state=up", "/devices/?tag=core&page=2", "/",
    "/?group=tag",
])
def test_list_pages_query_count_does_not_grow_with_devices(admin_web, path, make_fleet):
    """The same number of queries for 6 devices as for 120 (no query per row)."""
    make_fleet(6)
    few = _queries(admin_web, path)
    make_fleet(114, start=6)
    assert _queries(admin_web, path) == few


@pytest.mark.django_db
def test_overview_tiles_take_the_worst_state_and_link_to_the_list(admin_web, make_fleet):
    make_fleet(21)
    response = admin_web.get("/")
    tiles = {g.name: g for g in response.context["groups"]}
    assert list(tiles) == ["site-0", "site-1", "site-2", "No site"]
    assert tiles["site-1"].worst == "down"  # r001 is down
    assert tiles["site-1"].total == 6  # r001 r004 r007 r013 r016 r019
    assert tiles["No site"].total == 3  # r000, r010, r020
    site1 = tiles["site-1"].key
    assert f'href="/devices/?site={site1}"' in response.content.decode()
    assert 'href="/devices/?site=none"' in response.content.decode()
    worst = response.context["problems"]
    assert [d.state for d in worst] == [d.state for d in worst if d.state in
                                        ("down", "auth_failed", "degraded", "slow")]
    assert [d.name for d in worst][:3] == ["r001", "r002", "r003"]  # newest change first
    assert response.context["problems_total"] == 12
    assert response.context["counts"]["up"] == 3
    by_tag = {g.name: g for g in admin_web.get("/?group=tag").context["groups"]}
    assert by_tag["core"].total == 10
    assert by_tag["edge"].total == 11


@pytest.mark.django_db
def test_overview_lists_at_most_fifteen_worst_devices(admin_web, make_fleet):
    make_fleet(70)
    ctx = admin_web.get("/").context
    assert len(ctx["problems"]) == 15
    assert ctx["problems_total"] == 40
    assert "15 of 40 shown" in admin_web.get("/").content.decode()
