"""``GET /api/v1/devices``: the device list page's filters, sorting and pages, and
one 400 naming every bad parameter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def api(admin_token):
    """A client authenticated with the admin's token."""
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


def _names(api, query: str) -> list[str]:
    response = api.get(f"/api/v1/devices?{query}")
    assert response.status_code == 200, response.content[:300]
    return [d["name"] for d in response.json()["devices"]]


@pytest.mark.django_db
def test_devices_filter_like_the_list_page(api, make_fleet):
    from mikromon.web.monitor.models import Site, Tag

    make_fleet(40)
    site = Site.objects.get(name="site-2")
    assert _names(api, "state=slow") == [f"r{i:03d}" for i in range(40) if i % 7 == 3]
    assert _names(api, f"site={site.pk}") == _names(api, "site=site-2")
    assert _names(api, "site=none") == ["r000", "r010", "r020", "r030"]
    assert _names(api, f"tag={Tag.objects.get(name='edge').pk}") == _names(api, "tag=edge")
    assert _names(api, "tag=edge") == [f"r{i:03d}" for i in range(40) if i % 2 == 0]
    assert _names(api, "version=7.16.2%20(stable)") == [f"r{i:03d}" for i in range(40) if i % 2]
    assert _names(api, "board=hAP%20ax%5E2&state=up") == ["r000", "r028"]
    assert _names(api, "q=ID-3") == ["r003", "r030", "r031", "r032", "r033", "r034", "r035",
                                     "r036", "r037", "r038", "r039"]


@pytest.mark.django_db
def test_devices_sort_and_pages(api, make_fleet):
    make_fleet(25)
    doc = api.get("/api/v1/devices?sort=-name&per_page=10&page=3").json()
    assert (doc["count"], doc["page"], doc["pages"], doc["per_page"]) == (25, 3, 3, 10)
    assert doc["sort"] == "-name"
    assert [d["name"] for d in doc["devices"]] == ["r004", "r003", "r002", "r001", "r000"]
    everything = []
    for page in (1, 2, 3):
        everything += _names(api, f"sort=state&per_page=10&page={page}")
    assert sorted(everything) == [f"r{i:03d}" for i in range(25)]  # no overlap, no gap
    assert _names(api, "per_page=10&page=4") == []  # past the end: empty
    assert len(_names(api, "")) == 25  # default: 100 a page


@pytest.mark.django_db
def test_devices_bad_parameters_named_in_one_answer(api, make_fleet):
    make_fleet(2)
    response = api.get("/api/v1/devices?state=x&sort=colour&page=0&per_page=5000&site=Mars"
                       "&tag=nope")
    assert response.status_code == 400
    text = response.json()["error"]
    for words in ("state='x' is not one of", "sort='colour' is not one of", "page must be",
                  "per_page must be between 1 and 1000", "'site' must be a site id",
                  "'tag' must be a tag id"):
        assert words in text


@pytest.mark.django_db
def test_devices_query_count_does_not_grow(api, make_fleet):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/devices?sort=-last_seen&tag=core").status_code == 200
        return len(ctx.captured_queries)

    make_fleet(4)
    few = count()
    make_fleet(60, start=4)
    assert count() == few


@pytest.mark.django_db
def test_inventory_table_pages(api, device):
    """``?per_page=&page=`` answers a page of an inventory table; ``count`` is all rows;
    bad values are named."""
    from datetime import UTC, datetime

    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    rows = [{"name": f"ether{i:02d}", "type": "ether"} for i in range(1, 24)]
    DjangoStorage(maintenance_interval=None).write_inventory(device.pk, InventorySnapshot(
        table="interfaces", rows=rows, key_fields=("name",), ts=datetime.now(UTC)))
    url = f"/api/v1/devices/{device.pk}/inventory/interfaces"
    whole = api.get(url).json()
    assert whole["count"] == 23
    assert len(whole["rows"]) == 23
    assert "pages" not in whole
    doc = api.get(f"{url}?per_page=10&page=3").json()
    assert (doc["count"], doc["page"], doc["pages"], doc["per_page"]) == (23, 3, 3, 10)
    assert doc["rows"] == whole["rows"][20:]
    assert api.get(f"{url}?per_page=10&page=4").json()["rows"] == []
    bad = api.get(f"{url}?per_page=0&page=x")
    assert bad.status_code == 400
    assert "per_page must be between 1 and 5000 (got 0)" in bad.json()["error"]
    assert "page='x' is not a whole number" in bad.json()["error"]
