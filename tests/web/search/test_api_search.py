"""``/api/v1/search``: hits of every kind, MAC and IP forms, limits, bad ``q``."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def _get(client, **params):
    return client.get("/api/v1/search", params)


def _where(body, kind):
    return sorted((h["device_name"], h["table"], h["field"], h["key"])
                  for h in body["results"].get(kind, []))


def test_a_mac_in_any_form_finds_every_table_holding_it(viewer_web, fleet):
    expected = [("branch-7", "arp", "mac-address", "10.1.0.20 / bridge"),
                ("branch-7", "hotspot_active", "mac-address", "*3"),
                ("core-gw", "dhcp_leases", "mac-address", "*1")]
    for form in ("4C:5E:0C:11:22:33", "4c-5e-0c-11-22-33", "4c5e0c112233", "4c5e.0c11.2233"):
        body = _get(viewer_web, q=form).json()
        assert _where(body, "mac") == expected, form
    hit = next(h for h in _get(viewer_web, q="4c5e0c112233").json()["results"]["mac"]
               if h["table"] == "arp")
    assert hit["gone"] is True
    assert hit["gone_at"] == "2026-12-01T10:00:00Z"
    assert hit["last_seen"] == "2026-12-01T10:00:00Z"
    assert hit["path"] == "/ip/arp"


def test_a_pppoe_caller_id_is_found_as_a_mac(viewer_web, fleet):
    body = _get(viewer_web, q="d4ca6d010203").json()
    assert _where(body, "mac") == [("core-gw", "ppp_active", "caller-id", "*A")]


def test_part_of_a_mac_matches_by_its_bytes(viewer_web, fleet):
    body = _get(viewer_web, q="4c:5e:0c:44").json()
    assert _where(body, "mac") == [("core-gw", "dhcp_leases", "mac-address", "*2")]


def test_an_ip_matches_whole_addresses_and_prefix_lengths(viewer_web, fleet):
    body = _get(viewer_web, q="10.1.0.20").json()
    assert _where(body, "ip") == [("branch-7", "arp", "address", "10.1.0.20 / bridge"),
                                  ("core-gw", "dhcp_leases", "address", "*1")]
    body = _get(viewer_web, q="10.1.0.1").json()
    assert _where(body, "ip") == [("branch-7", "ip_addresses", "address",
                                   "10.1.0.1/24 / bridge")]


def test_an_ip_prefix_stops_at_octet_boundaries(viewer_web, fleet):
    body = _get(viewer_web, q="10.1").json()
    keys = {k for _d, _t, _f, k in _where(body, "ip")}
    assert "*2" not in keys  # 10.10.0.9 is not in 10.1.x.x
    assert {"*1", "10.1.0.20 / bridge", "10.1.0.1/24 / bridge"} <= keys
    body = _get(viewer_web, q="10.10.").json()
    assert _where(body, "ip") == [("core-gw", "dhcp_leases", "address", "*2")]


def test_a_network_finds_the_addresses_inside_it(viewer_web, fleet):
    body = _get(viewer_web, q="172.16.0.0/16").json()
    assert _where(body, "ip") == [("branch-7", "hotspot_active", "address", "*3")]


def test_names_are_found_case_insensitively(viewer_web, fleet):
    assert _where(_get(viewer_web, q="anna.smith").json(), "ppp_user") == [
        ("core-gw", "ppp_active", "name", "*A")]
    assert _where(_get(viewer_web, q="printer-hall").json(), "dhcp_host") == [
        ("core-gw", "dhcp_leases", "host-name", "*1")]
    assert _where(_get(viewer_web, q="VOUCHER-7k").json(), "hotspot_user") == [
        ("branch-7", "hotspot_active", "user", "*3")]
    assert _where(_get(viewer_web, q="hall b").json(), "interface") == [
        ("branch-7", "interfaces", "comment", "ether5")]
    assert _where(_get(viewer_web, q="ether5").json(), "interface") == [
        ("branch-7", "interfaces", "name", "ether5")]


def test_non_ascii_names_are_found(viewer_web, fleet):
    assert _where(_get(viewer_web, q="zoë").json(), "dhcp_host") == [
        ("core-gw", "dhcp_leases", "host-name", "*2")]


def test_devices_match_on_name_identity_and_host(viewer_web, fleet):
    assert [(h["device_name"], h["field"]) for h in
            _get(viewer_web, q="coregw").json()["results"]["device"]] == [("core-gw", "identity")]
    assert [(h["device_name"], h["field"]) for h in
            _get(viewer_web, q="branch7.example").json()["results"]["device"]] == [
        ("branch-7", "host")]
    assert [h["device_name"] for h in
            _get(viewer_web, q="core-").json()["results"]["device"]] == ["core-gw"]


def test_a_match_in_a_field_not_searched_is_no_hit(viewer_web, fleet):
    body = _get(viewer_web, q="voucherGW").json()
    assert (body["count"], body["results"], body["more"]) == (0, {}, False)


def test_results_are_limited_with_a_more_flag(viewer_web, fleet):
    body = _get(viewer_web, q="4c5e0c112233", limit="2").json()
    assert (body["count"], body["more"], body["limit"]) == (2, True, 2)
    body = _get(viewer_web, q="4c5e0c112233", limit="3").json()
    assert (body["count"], body["more"]) == (3, False)


@pytest.mark.parametrize(("params", "message"), [
    ({}, "q is required"),
    ({"q": "   "}, "q is required"),
    ({"q": "a"}, "q must be at least 2 characters"),
    ({"q": "x" * 101}, "q must be at most 100 characters"),
    ({"q": "ab\x01c"}, "control character"),
    ({"q": "ab", "limit": "0"}, "limit must be between 1 and 500"),
    ({"q": "ab", "limit": "ten"}, "limit='ten' is not a whole number"),
])
def test_bad_parameters_answer_400_naming_them(viewer_web, fleet, params, message):
    response = _get(viewer_web, **params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_search_needs_a_signed_in_user(client, fleet):
    assert client.get("/api/v1/search", {"q": "core"}).status_code == 401


def test_the_index_lists_search(viewer_web):
    assert viewer_web.get("/api/v1/").json()["endpoints"]["search"] == "/api/v1/search?q=TEXT"


def test_text_shaped_like_part_of_a_mac_still_finds_names(viewer_web, fleet, add_row):
    add_row(fleet[0], "ppp_active", "*B", {".id": "*B", "name": "cafe-01", "address": "fe80::1"})
    assert _where(_get(viewer_web, q="cafe-01").json(), "ppp_user") == [
        ("core-gw", "ppp_active", "name", "*B")]


def test_ipv6_addresses_match_in_any_spelling(viewer_web, fleet, add_row):
    add_row(fleet[0], "ppp_active", "*B", {".id": "*B", "name": "v6", "address": "2001:db8::7"})
    assert _where(_get(viewer_web, q="2001:DB8:0::7").json(), "ip") == [
        ("core-gw", "ppp_active", "address", "*B")]
    assert _where(_get(viewer_web, q="2001:db8::/32").json(), "ip") == [
        ("core-gw", "ppp_active", "address", "*B")]


def test_text_only_in_field_names_reads_no_rows(fleet):
    """``addr`` is in every row's ``address`` key: no term holds it, so a short
    query cannot make the search read the whole inventory."""
    from mikromon.web.monitor.models import InventoryTerm
    from mikromon.web.monitor.search import parse_query, term_filter

    def tables(text):
        query = parse_query(text)
        return sorted(InventoryTerm.objects.filter(term_filter(query, query.kinds()))
                      .values_list("item__table", flat=True))

    assert tables("addr") == []
    assert tables("hall") == ["dhcp_leases", "interfaces"]


def test_text_is_found_from_a_word_start_not_inside_a_word(viewer_web, fleet):
    assert _where(_get(viewer_web, q="smith@").json(), "ppp_user") == [
        ("core-gw", "ppp_active", "name", "*A")]
    assert _where(_get(viewer_web, q="@isp").json(), "ppp_user") == [
        ("core-gw", "ppp_active", "name", "*A")]
    assert _get(viewer_web, q="nna.smith").json()["count"] == 0


def test_part_of_a_mac_from_any_byte_or_half_byte(viewer_web, fleet):
    for part in ("0c:11:22", "11-22-33", "c:11:22:3", "5e:0c:1"):
        assert _where(_get(viewer_web, q=part).json(), "mac") == [
            ("branch-7", "arp", "mac-address", "10.1.0.20 / bridge"),
            ("branch-7", "hotspot_active", "mac-address", "*3"),
            ("core-gw", "dhcp_leases", "mac-address", "*1")], part
    assert _where(_get(viewer_web, q="c:44:55").json(), "mac") == [
        ("core-gw", "dhcp_leases", "mac-address", "*2")]


def test_networks_of_any_prefix_length_and_leading_octets(viewer_web, fleet):
    assert _where(_get(viewer_web, q="100.64.0.0/10").json(), "ip") == [
        ("core-gw", "ppp_active", "address", "*A")]
    assert _get(viewer_web, q="100.128.0.0/10").json()["count"] == 0
    assert _where(_get(viewer_web, q="172.16.5").json(), "ip") == [
        ("branch-7", "hotspot_active", "address", "*3")]
    assert _where(_get(viewer_web, q="10.1.0.0/23").json(), "ip") == [
        ("branch-7", "arp", "address", "10.1.0.20 / bridge"),
        ("branch-7", "ip_addresses", "address", "10.1.0.1/24 / bridge"),
        ("core-gw", "dhcp_leases", "address", "*1")]


def test_a_row_without_terms_is_not_found(viewer_web, fleet):
    """The search answers from the term index only: a row whose terms are missing
    (stored behind the writer's back) is not read."""
    from mikromon.web.monitor.models import InventoryItem, InventoryTerm

    InventoryTerm.objects.filter(item__table="ppp_active").delete()
    assert InventoryItem.objects.filter(table="ppp_active").exists()
    assert _get(viewer_web, q="anna.smith").json()["count"] == 0
    assert _get(viewer_web, q="d4ca6d010203").json()["count"] == 0


def test_networks_too_wide_to_narrow_are_searched_as_text(fleet):
    from mikromon.web.monitor.search import parse_query

    assert parse_query("0.0.0.0/0").ip is None
    assert parse_query("::/64").ip is None
    assert str(parse_query("10.0.0.0/8").ip) == "10.0.0.0/8"
    assert parse_query("0.0.0.0/0").kinds()[-1] == "interface"


def test_case_is_ignored_for_every_letter(viewer_web, fleet):
    assert _where(_get(viewer_web, q="LAPTOP-ZOË").json(), "dhcp_host") == [
        ("core-gw", "dhcp_leases", "host-name", "*2")]


def test_a_prefix_held_by_more_terms_than_read_says_there_may_be_more(fleet, monkeypatch):
    from mikromon.web.monitor import search as fleet_search

    monkeypatch.setattr(fleet_search, "MAX_CANDIDATES", 2)
    result = fleet_search.search(fleet_search.parse_query("4c5e0c112233"))
    assert (result.count, result.more) == (2, True)
    monkeypatch.setattr(fleet_search, "ROW_BATCH", 1)
    monkeypatch.setattr(fleet_search, "MAX_CANDIDATES", 50)
    result = fleet_search.search(fleet_search.parse_query("4c5e0c112233"), limit=2)
    assert (result.count, result.more) == (2, True)
    result = fleet_search.search(fleet_search.parse_query("4c5e0c112233"))
    assert (result.count, result.more) == (3, False)


def test_candidates_that_are_no_hits_do_not_hide_a_hit(fleet, add_row):
    """``@net`` is looked up as ``net``: rows named ``net`` (stored first, so read
    first) are candidates but no hits; the search reads on to the one that is."""
    from mikromon.web.monitor import search as fleet_search

    for n in range(12):
        add_row(fleet[1], "ppp_active", f"*{n}", {".id": f"*{n}", "name": "net"})
    add_row(fleet[1], "ppp_active", "*X", {".id": "*X", "name": "bob@net"})
    result = fleet_search.search(fleet_search.parse_query("@net"), limit=1)
    assert [(h.key, h.value) for h in result.groups["ppp_user"]] == [("*X", "bob@net")]
    assert result.more is False
