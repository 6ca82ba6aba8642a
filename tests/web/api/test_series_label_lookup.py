"""The series browser's label filter: the same series as a text search of every
series' labels (case-insensitive, ``name=value`` or any part), found by looking the
distinct label sets up first and then their series by index, so that a label
matching few or no series does not read the labels of the whole fleet's series
(bench/series_browse.py: 1.7 s at 1.5 million series)."""

from __future__ import annotations

import pytest
from django.db import connection

from mikromon.web.monitor import series_listing
from mikromon.web.monitor.models import Device, Series, labels_key

pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]


@pytest.fixture
def fleet() -> None:
    for d in range(3):
        dev = Device.objects.create(name=f"r{d}", host="127.0.0.1", username="u")
        for iface in ("ether1", "ether2", "SFP-Uplink", "vlan100"):
            for key in ("iface.rx_bps", "iface.tx_bps"):
                labels = {"interface": iface}
                Series.objects.create(device=dev, key=key, labels=labels,
                                      labels_key=labels_key(labels.items()))
        Series.objects.create(device=dev, key="system.cpu.load_pct")
        Series.objects.create(device=dev, key="system.cpu.load_pct", labels={"cpu": "1"},
                              labels_key=labels_key([("cpu", "1")]))


def _found(label: str) -> list[tuple[str, str]]:
    errors: list[str] = []
    qs = series_listing.filter_series({"label": label}, errors)
    assert errors == []
    return sorted((s.device.name, s.labels_key) for s in qs)


def _scanned(label: str) -> list[tuple[str, str]]:
    """The reference: a text search of every series' labels."""
    text = label.replace("=", '":"') if "=" in label and '"' not in label else label
    return sorted((s.device.name, s.labels_key)
                  for s in Series.objects.filter(labels_key__icontains=text))


@pytest.mark.parametrize("label", ["ether1", "ETHER", "interface=ether2", "sfp-uplink",
                                   "uplink", "cpu", "1", "interface", "{}", "nothing-here",
                                   '"ether1"', "%", "_"])
def test_label_filter_finds_what_a_text_search_finds(fleet: None, label: str) -> None:
    assert _found(label) == _scanned(label)


def test_label_matching_none_finds_none(fleet: None) -> None:
    assert _found("no-such-interface") == []
    assert len(_found("ether1")) == 6


def test_label_filter_reads_the_series_by_index(fleet: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    qs, _sort = series_listing.sort_series(
        series_listing.filter_series({"label": "uplink"}, []), "", [])
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "SEARCH monitor_series USING INDEX" in plan, plan
    assert "(labels_key=?)" in plan, plan
