"""Sort keys and search text of inventory rows (mikromon.web.monitor.sort_keys):
the keys sort as the values do, whatever their kind."""

from __future__ import annotations

import random

from mikromon.web.monitor.sort_keys import (
    address_key,
    duration_seconds,
    row_search_text,
    row_sort_keys,
    sort_key,
)


def _sorted(values):
    keyed = [(sort_key(v), v) for v in values]
    present = sorted((k, v) for k, v in keyed if k is not None)
    return [v for _, v in present] + [v for k, v in keyed if k is None]


def test_numbers_sort_as_numbers_not_text():
    values = [10, 9, -3, 2.5, 0, -0.5, 1e12, 100, -1e9, 3]
    shuffled = random.Random(1).sample(values, len(values))
    assert _sorted(shuffled) == sorted(values)


def test_text_numbers_and_durations_sort_with_numbers():
    assert _sorted(["10", "9", "1d2h", "00:05:00", "250ms", "2w"]) == [
        "250ms", "9", "10", "00:05:00", "1d2h", "2w"]
    assert duration_seconds("1w2d3h4m5s") == 604800 + 2 * 86400 + 3 * 3600 + 245
    assert duration_seconds("ether1") is None


def test_addresses_sort_as_addresses():
    values = ["10.0.0.10", "10.0.0.9", "192.168.1.1", "10.0.0.9/24", "2.1.1.1",
              "2001:db8::10", "2001:db8::9", "fe80::1%ether1"]
    assert _sorted(values) == ["2.1.1.1", "10.0.0.9/24", "10.0.0.9", "10.0.0.10",
                               "192.168.1.1", "2001:db8::9", "2001:db8::10",
                               "fe80::1%ether1"]
    assert address_key("4C:5E:0C:10:00:0A") == "m4c5e0c10000a"
    assert _sorted(["4C:5E:0C:10:00:0A", "10:5E:0C:10:00:0A"])[0].startswith("10:")
    assert address_key("10.0.0.1-10.0.0.254") is None


def test_text_sorts_naturally_and_ranks_after_numbers_and_addresses():
    values = ["ether10", "ether2", "Ether1", "bridge", "sfp-sfpplus1", "wlan1"]
    assert _sorted(values) == ["bridge", "Ether1", "ether2", "ether10", "sfp-sfpplus1",
                               "wlan1"]
    assert _sorted(["b", "10.0.0.1", 5]) == [5, "10.0.0.1", "b"]


def test_empty_values_have_no_key_and_booleans_read_yes_no():
    assert sort_key(None) is None
    assert sort_key("") is None
    assert sort_key("  ") is None
    assert sort_key(True) == "2yes"
    assert sort_key(False) == "2no"


def test_routeros_id_keys_the_router_order():
    keys = [row_sort_keys({".id": i})[".id"] for i in ("*2", "*A", "*10", "*1F")]
    assert sorted(keys) == keys


def test_search_text_is_lower_case_values_and_blank_rows_have_none():
    assert row_search_text({".id": "*1", "host-name": "PC-Anna", "disabled": False,
                            "expires-after": 300}) == "pc-anna\tno\t300"
    assert row_search_text({"routerboard": False}) == ""
    assert row_search_text({"a": None, "b": ""}) == ""
