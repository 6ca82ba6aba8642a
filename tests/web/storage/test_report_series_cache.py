"""The reports keep the fleet's interfaces and queues between requests
(mikromon.web.monitor.report_series): an interface added, renamed or removed, a
device added or removed, a series id given again after a restore shows on the very
next read, which always equals a read of the whole table; and nothing is read
whole while nothing changed. SQLite here, PostgreSQL with ``-m db_backend``."""

from __future__ import annotations

import pytest

from mikromon.web.monitor import report_series, reports
from mikromon.web.monitor.models import Device, Series, labels_key

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def _series(dev: Device, key: str, name: str, **labels: str) -> Series:
    own = {"interface" if key.startswith("iface.") else "queue": name, **labels}
    return Series.objects.create(device=dev, key=key, labels=own,
                                 labels_key=labels_key(own.items()))


def _interface(dev: Device, name: str) -> tuple[Series, Series]:
    return _series(dev, "iface.rx_bps", name), _series(dev, "iface.tx_bps", name)


@pytest.fixture
def fleet() -> dict[str, Device]:
    devices = {}
    for n in range(3):
        dev = devices[f"cpe-{n}"] = Device.objects.create(name=f"cpe-{n}", host="127.0.0.1",
                                                          username="m")
        _interface(dev, "ether1")
        _interface(dev, "ether2")
        _series(dev, "queue.upload_bps", "client")
        _series(dev, "system.cpu.load_pct", "")
    return devices


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kinds read whole (every series of their keys) by the cache."""
    calls: list[str] = []
    real = report_series.ReportSeriesCache._whole

    def counting(conn, kind, upto):  # type: ignore[no-untyped-def]
        calls.append(kind)
        return real(conn, kind, upto)

    monkeypatch.setattr(report_series.ReportSeriesCache, "_whole", staticmethod(counting))
    return calls


def _check(cache: report_series.ReportSeriesCache, kind: str = "interface"
           ) -> dict[tuple[int, str], dict[str, int]]:
    """The cache's interfaces, checked equal to a read of the whole table."""
    got = cache.fleet(kind)
    assert got.found == report_series.read(kind)
    assert got.interface_of == {sid: key for key, ids in got.found.items()
                                for sid in ids.values()}
    return got.found


def test_nothing_is_read_whole_again_while_nothing_changes(fleet, whole_reads) -> None:
    cache = report_series.ReportSeriesCache()
    first = cache.fleet("interface")
    assert len(first.found) == 6
    assert cache.fleet("interface") is first
    assert cache.fleet("queue").found == {(fleet[f"cpe-{n}"].pk, "client"): {
        "rx": Series.objects.get(device=fleet[f"cpe-{n}"], key="queue.upload_bps").pk}
        for n in range(3)}
    assert whole_reads == ["interface", "queue"]


def test_series_of_other_keys_leave_the_interfaces_as_they_are(fleet, whole_reads) -> None:
    """New series of other metrics (the newest of the table is then not an
    interface's): the interfaces handed out stay the same object, request after
    request, and nothing is read whole."""
    cache = report_series.ReportSeriesCache()
    first = cache.fleet("interface")
    _series(fleet["cpe-0"], "system.memory.used_bytes", "")
    assert cache.fleet("interface") is first
    assert cache.fleet("interface") is first
    _interface(fleet["cpe-2"], "sfp1")
    _series(fleet["cpe-2"], "system.memory.used_bytes", "")
    added = cache.fleet("interface")
    assert (fleet["cpe-2"].pk, "sfp1") in added.found
    assert cache.fleet("interface") is added
    assert whole_reads == ["interface"]


def test_an_added_interface_and_device_show_without_a_whole_read(fleet, whole_reads) -> None:
    cache = report_series.ReportSeriesCache()
    before = cache.fleet("interface").found
    rx, tx = _interface(fleet["cpe-1"], "sfp1")
    new = Device.objects.create(name="cpe-9", host="127.0.0.1", username="m")
    _interface(new, "ether1")
    _series(new, "system.cpu.load_pct", "")
    found = _check(cache)
    assert found[(fleet["cpe-1"].pk, "sfp1")] == {"rx": rx.pk, "tx": tx.pk}
    assert (new.pk, "ether1") in found
    assert len(before) == 6  # the answer handed out before is left as it was
    assert whole_reads == ["interface"]


def test_a_renamed_interface_shows_under_its_new_name(fleet) -> None:
    """RouterOS renames an interface: its series of the new name are new rows, and
    those of the old name are deleted (by retention or by hand)."""
    cache = report_series.ReportSeriesCache()
    dev = fleet["cpe-0"]
    _check(cache)
    _interface(dev, "wan")
    Series.objects.filter(device=dev, labels__interface="ether2").delete()
    found = _check(cache)
    assert (dev.pk, "wan") in found
    assert (dev.pk, "ether2") not in found


@pytest.mark.parametrize("what", ["series", "device"])
def test_a_removed_series_or_device_is_gone_on_the_next_read(fleet, what) -> None:
    cache = report_series.ReportSeriesCache()
    dev = fleet["cpe-2"]
    _check(cache)
    if what == "series":  # the oldest of them: the newest series stays the same
        Series.objects.filter(device=dev, key="iface.tx_bps", labels__interface="ether1").delete()
        assert _check(cache)[(dev.pk, "ether1")].keys() == {"rx"}
    else:
        dev.delete()
        assert not [key for key in _check(cache) if key[0] == dev.pk]


def test_removed_and_added_between_two_reads(fleet) -> None:
    """As many series removed as added: the number of series is the same."""
    cache = report_series.ReportSeriesCache()
    _check(cache)
    Series.objects.filter(device=fleet["cpe-0"], key__startswith="iface.",
                          labels__interface="ether1").delete()
    _interface(fleet["cpe-0"], "ether7")
    found = _check(cache)
    assert (fleet["cpe-0"].pk, "ether1") not in found


def test_a_new_series_of_a_known_interface_is_read_as_the_table_orders_it(fleet) -> None:
    """Two series of the same interface and direction (labels that differ beyond
    the name): the later in (key, labels) order wins, as in a whole read."""
    cache = report_series.ReportSeriesCache()
    dev = fleet["cpe-1"]
    _check(cache)
    _series(dev, "iface.rx_bps", "ether1", comment="a")
    _series(dev, "iface.rx_bps", "ether2", comment="")
    _check(cache)


def test_an_id_given_again_after_a_restore_names_the_new_series(fleet) -> None:
    cache = report_series.ReportSeriesCache()
    dev = fleet["cpe-0"]
    newest = _series(dev, "iface.rx_bps", "ether5")
    assert (dev.pk, "ether5") in _check(cache)
    reused = newest.pk
    newest.delete()
    Series.objects.create(pk=reused, device=dev, key="iface.rx_bps",
                          labels={"interface": "ether6"},
                          labels_key=labels_key([("interface", "ether6")]))
    found = _check(cache)
    assert (dev.pk, "ether5") not in found
    assert found[(dev.pk, "ether6")] == {"rx": reused}


def test_the_reports_see_an_interface_added_between_two_requests(fleet) -> None:
    """The process' cache under the reports: a new interface is in the next table."""
    names = {(r.device, r.interface) for r in reports.percentile_report(0, 600)}
    assert ("cpe-0", "sfp9") not in names
    assert len(names) == 6
    _interface(fleet["cpe-0"], "sfp9")
    names = {(r.device, r.interface) for r in reports.percentile_report(0, 600)}
    assert ("cpe-0", "sfp9") in names
    assert len(names) == 7
