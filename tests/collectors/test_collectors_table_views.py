"""The inventory tables the collectors declare (``views``), which the pages, the API
and docs/api.md read: one declaration per table, tabs agreeing, sorts shown."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mikromon.collectors.registry import COLLECTORS, table_views
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier


@dataclass
class _Declares:
    name: str
    tier: Tier
    views: tuple[TableView, ...]


def test_every_registered_table_is_declared_once_in_dashboard_order() -> None:
    declared = table_views()
    tables = [d.view.table for d in declared]
    assert len(tables) == len(set(tables))
    assert tables[0] == "interfaces"
    assert tables[-1] == "health_states"
    assert {"arp", "routes", "logs", "vlans", "bgp_sessions", "bgp_peers"} <= set(tables)
    # Every collector that declares a table has its tier's rank in the order.
    ranks = [(Tier.MEDIUM, Tier.LONG, Tier.EXTENDED, Tier.SHORT, Tier.REALTIME).index(d.tier)
             for d in declared]
    assert ranks == sorted(ranks)
    assert len(declared) == sum(len(getattr(c, "views", ())) for c in COLLECTORS)


def test_alternative_tables_share_a_tab_preferred_first() -> None:
    by_tab: dict[str, list[str]] = {}
    for d in table_views():
        by_tab.setdefault(d.view.shown_tab().slug, []).append(d.view.table)
    assert by_tab["bgp"] == ["bgp_sessions", "bgp_peers"]
    assert by_tab["wireless"] == ["wifi_clients", "wireless_clients"]
    assert by_tab["wlan"] == ["wifi_interfaces", "wireless_interfaces"]
    assert by_tab["arp"] == ["arp"]


def test_a_table_declared_twice_is_refused() -> None:
    view = TableView("arp", "ARP", ("/ip/arp",))
    with pytest.raises(ValueError, match="table arp declared by a and b"):
        table_views([_Declares("a", Tier.LONG, (view,)), _Declares("b", Tier.LONG, (view,))])


def test_one_tab_declared_two_ways_is_refused() -> None:
    one = TableView("x", "X", ("/x",), tab=Tab("t", "T"))
    two = TableView("y", "Y", ("/y",), tab=Tab("t", "T", always=False))
    with pytest.raises(ValueError, match="tab t declared as"):
        table_views([_Declares("a", Tier.LONG, (one, two))])


def test_a_view_refuses_a_sort_it_does_not_show_and_no_path() -> None:
    with pytest.raises(ValueError, match="sort column 'mtu' is not shown"):
        TableView("vlans", "VLANs", ("/interface/vlan",), ("name",), sort="mtu")
    with pytest.raises(ValueError, match="no RouterOS path"):
        TableView("vlans", "VLANs", ())


def test_units_name_the_declared_columns() -> None:
    view = TableView("q", "Q", ("/queue/simple",), seconds=("uptime",), bytes=("bytes",),
                     bits_per_second=("max-limit",))
    assert view.units() == {"uptime": "seconds", "bytes": "bytes", "max-limit": "bits/s"}
