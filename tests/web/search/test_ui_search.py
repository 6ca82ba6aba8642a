"""The search box in the header and the search page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/devices/", "/events/", "/alerts/", "/search/"])
def test_every_page_has_the_search_box_in_its_header(viewer_web, url):
    html = viewer_web.get(url).content.decode()
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert 'class="topsearch"' in header
    assert 'action="/search/"' in header
    assert 'name="q"' in header


def test_signed_out_pages_have_no_search_box(client):
    assert b"topsearch" not in client.get("/accounts/login/").content


def test_the_page_without_q_explains_what_is_searched(viewer_web):
    response = viewer_web.get("/search/")
    assert response.status_code == 200
    assert b"MAC or IP addresses, PPP and hotspot users" in response.content


def test_results_are_grouped_by_kind_with_where_and_when(viewer_web, fleet):
    core, branch = fleet
    response = viewer_web.get("/search/", {"q": "4c-5e-0c-11-22-33"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="search-mac"' in html
    assert "3 hits for" in html
    group = html.split('id="search-mac"', 1)[1]
    assert f'href="/devices/{core.pk}/#tab-inv-dhcp"' in group
    assert f'href="/devices/{branch.pk}/#tab-inv-arp"' in group
    assert "/ip/dhcp-server/lease" in group
    assert "2026-12-01 10:00:00" in group
    assert ">gone</span>" in group


def test_kinds_are_listed_in_order(viewer_web, fleet):
    html = viewer_web.get("/search/", {"q": "hall"}).content.decode()
    assert html.index('id="search-dhcp_host"') < html.index('id="search-interface"')


def test_the_header_box_keeps_the_query_on_the_results_page(viewer_web, fleet):
    html = viewer_web.get("/search/", {"q": "anna"}).content.decode()
    header = html.split("</header>", 1)[0]
    assert 'value="anna"' in header


def test_a_miss_says_so_with_the_forms_accepted(viewer_web, fleet):
    html = viewer_web.get("/search/", {"q": "nothing-here"}).content.decode()
    assert "Nothing found for" in html
    assert "4C-5E-0C-11-22-33" in html


def test_a_bad_q_answers_400_naming_it(viewer_web, fleet):
    response = viewer_web.get("/search/", {"q": "x"})
    assert response.status_code == 400
    assert b"q must be at least 2 characters" in response.content


def test_the_query_is_escaped(viewer_web, fleet):
    html = viewer_web.get("/search/", {"q": "<script>x"}).content.decode()
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html


def test_a_capped_result_says_more_than_the_limit(viewer_web, fleet, monkeypatch):
    """When the hits reach the limit and there are more, the page does not claim the
    limit is the number of hits."""
    from mikromon.web.monitor import search as fleet_search

    real = fleet_search.search
    monkeypatch.setattr(fleet_search, "search", lambda query: real(query, limit=2))
    html = viewer_web.get("/search/", {"q": "4c-5e-0c-11-22-33"}).content.decode()
    assert "more than 2 hits for" in html
    assert "2 hits for" not in html.replace("more than 2 hits for", "")
    assert "showing the first 2" in html
    html = viewer_web.get("/search/", {"q": "anna"}).content.decode()
    assert "more than" not in html
