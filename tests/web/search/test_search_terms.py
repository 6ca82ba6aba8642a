"""Search terms of inventory rows: what each kind stores, normalised."""

from __future__ import annotations

import ipaddress

from mikromon.web.monitor.search_terms import (
    MAX_WORDS,
    TERM_LENGTH,
    ip_term,
    network_prefixes,
    searched_values,
    terms_of,
    text_terms,
    word_starts,
)


def test_a_mac_in_any_spelling_gives_the_same_terms_with_its_tails():
    tails = ["4C:5E:0C:11:22:33", "5E:0C:11:22:33", "0C:11:22:33", "11:22:33", "22:33"]
    expected = [("mac", tail, "mac-address") for tail in tails]
    for spelling in ("4C:5E:0C:11:22:33", "4c-5e-0c-11-22-33", "4c5e.0c11.2233", "4c5e0c112233"):
        assert terms_of("arp", {"mac-address": spelling}) == expected, spelling


def test_a_caller_id_that_is_no_mac_gives_no_mac_term():
    assert terms_of("ppp_active", {"caller-id": "203.0.113.5", "name": "bob"}) == [
        ("ppp_user", "bob", "name")]


def test_a_value_in_two_fields_is_one_term_named_by_the_first():
    terms = terms_of("dhcp_leases", {"address": "10.1.0.20", "active-address": "10.1.0.20",
                                     "mac-address": "4C:5E:0C:11:22:33",
                                     "active-mac-address": "4C:5E:0C:11:22:34"})
    assert [t for t in terms if t[0] == "ip"] == [("ip", "4:0a010014", "address")]
    assert ("mac", "4C:5E:0C:11:22:34", "active-mac-address") in terms
    assert ("mac", "5E:0C:11:22:33", "mac-address") in terms
    assert ("mac", "5E:0C:11:22:34", "active-mac-address") in terms


def test_addresses_are_stored_in_hex_without_the_prefix_length():
    assert ip_term("10.1.0.1/24") == "4:0a010001"
    assert ip_term(" 2001:DB8:0::7 ") == "6:20010db8000000000000000000000007"
    assert ip_term("fe80::1%ether1") == "6:fe800000000000000000000000000001"  # scope left out
    assert ip_term("bridge") is None


def test_a_network_is_the_prefixes_of_its_hex():
    assert network_prefixes(ipaddress.ip_network("10.1.0.0/16")) == ["4:0a01"]
    assert network_prefixes(ipaddress.ip_network("10.1.0.5/32")) == ["4:0a010005"]
    prefixes = network_prefixes(ipaddress.ip_network("172.16.0.0/14"))
    assert prefixes == ["4:ac10", "4:ac11", "4:ac12", "4:ac13"]
    inside = [ip_term(a) for a in ("172.16.0.1", "172.19.255.254")]
    outside = [ip_term(a) for a in ("172.20.0.1", "172.15.255.255")]
    assert all(any(t.startswith(p) for p in prefixes) for t in inside)
    assert not any(t.startswith(p) for t in outside for p in prefixes)
    assert network_prefixes(ipaddress.ip_network("2001:db8::/32")) == ["6:20010db8"]


def test_names_are_case_folded_from_each_word_start():
    assert text_terms("Anna.Smith@isp") == ["anna.smith@isp", "smith@isp", "isp"]
    assert text_terms("cust0666-250@isp") == ["cust0666-250@isp", "0666-250@isp", "250@isp",
                                              "isp"]
    assert text_terms("CoreGW") == ["coregw", "gw"]
    assert text_terms("laptop-zoë") == ["laptop-zoë", "zoë"]
    assert text_terms("Uplink to Hall B") == ["uplink to hall b", "to hall b", "hall b", "b"]


def test_long_names_are_bounded():
    long = " ".join(f"w{i}" for i in range(100))
    assert len(word_starts(long)) == MAX_WORDS
    assert all(len(t) <= TERM_LENGTH for t in text_terms(long))


def test_tables_not_searched_have_no_terms_and_no_values():
    assert terms_of("routes", {"dst-address": "0.0.0.0/0", "gateway": "voucherGW"}) == []
    assert searched_values("routes", {"gateway": "x"}) is None
    assert searched_values("dhcp_leases", {"host-name": "a", "expires-after": 5.0}) == \
        searched_values("dhcp_leases", {"host-name": "a", "expires-after": 9.0})


def test_the_quick_address_reading_agrees_with_ipaddress():
    for value in ("0.0.0.0", "255.255.255.255", "10.1.0.1/24", "10.1.0.1/32", "10.1.0.1/0",
                  "192.168.001.1", "256.1.1.1", "10.1.0.1/33", "10.1.0", "1.2.3.4 "):
        try:
            expected = f"4:{int(ipaddress.ip_interface(value.strip()).ip):08x}"
        except ValueError:
            expected = None
        assert ip_term(value) == expected, value
