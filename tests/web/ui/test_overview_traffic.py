"""The overview's traffic tables at fleet size: the busiest interfaces show each
interface's receive and transmit rates (ranked by rx + tx, or by rx or tx alone
with ``?busiest=rx|tx``), and the top links by utilisation divide the larger of
the two by the link speed the ethernet monitor read (``iface.link_speed_bps``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.samples import Sample, make_labels

# The pairing and ranking run in SQL: also against PostgreSQL (scripts/test).
pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]

#: Devices seeded: more than the 80 rates the old query kept.
FLEET = 48


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def seed(name: str, rates: dict[str, tuple[float, float]], *,
         speeds: dict[str, float] | None = None, state: DeviceState = DeviceState.UP,
         rate_ago_s: float = 1.0):
    """A device in ``state`` with interface -> (rx, tx) bit rates and link speeds."""
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    now = datetime.now(UTC)
    ts = now - timedelta(seconds=rate_ago_s)
    samples = [Sample("system.cpu.load_pct", 3.0, now - timedelta(seconds=1))]
    for iface, (rx, tx) in rates.items():
        labels = make_labels(interface=iface)
        samples += [Sample("iface.rx_bps", rx, ts, labels), Sample("iface.tx_bps", tx, ts, labels)]
    for iface, speed in (speeds or {}).items():
        # Read by the medium tier, minutes ago: still the link's speed.
        samples.append(Sample("iface.link_speed_bps", speed, now - timedelta(seconds=250),
                              make_labels(interface=iface)))
    _storage().write_samples(dev.pk, samples)
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=state, ts=now,
                                         last_seen=now - timedelta(seconds=1)))
    return dev


@pytest.fixture(autouse=True)
def real_time_scale(monkeypatch):
    monkeypatch.delenv("MIKROMON_TIME_SCALE", raising=False)


def fleet() -> None:
    """FLEET routers whose uplinks receive far more than they send (an ISP's access
    routers): every receive rate is above every transmit rate."""
    for i in range(FLEET):
        seed(f"bras-{i:02d}", {
            "sfp1": (900e6 + i * 1e6, 40e6 + i * 1e5),
            "ether2": (200e6 + i * 1e6, 9e6 + i * 1e4),
            "vlan10": (50e6 + i * 1e5, 1e6 + i * 1e3),
        }, speeds={"sfp1": 10e9, "ether2": 1e9})


def rows(body: str, title: str) -> list[list[str]]:
    """The cells' texts of the table under ``<h2>title``."""
    part = body.split(f">{title}", 1)[1].split("</table>", 1)[0]
    tbody = part.split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)]


def test_busiest_at_fleet_size_shows_receive_and_transmit(admin_web, fake_collector) -> None:
    fake_collector.running = True
    fleet()
    response = admin_web.get("/")
    busiest = response.context["busiest"]
    assert len(busiest) == 10
    # Ranked by rx + tx: the busiest routers' sfp1 links, each with both directions.
    assert [(b.device.name, b.interface) for b in busiest] == [
        (f"bras-{i:02d}", "sfp1") for i in range(FLEET - 1, FLEET - 11, -1)]
    for b in busiest:
        i = int(b.device.name.split("-")[1])
        assert b.rx_bps == pytest.approx(900e6 + i * 1e6)
        assert b.tx_bps == pytest.approx(40e6 + i * 1e5)
    table = rows(response.content.decode(), "Busiest interfaces")
    assert len(table) == 10
    assert all("bit/s" in r[3] and not r[3].startswith("0 ") for r in table), table


@pytest.mark.parametrize("order", ["rx", "tx", "total"])
def test_busiest_ranks_by_the_direction_asked(admin_web, fake_collector, order: str) -> None:
    fake_collector.running = True
    fleet()
    # A server uplink that sends far more than it receives.
    seed("dc-1", {"bond0": (5e6, 3e9)})
    response = admin_web.get("/", {"busiest": order})
    assert response.status_code == 200
    busiest = response.context["busiest"]
    key = {"rx": lambda b: b.rx_bps, "tx": lambda b: b.tx_bps,
           "total": lambda b: b.rx_bps + b.tx_bps}[order]
    assert [key(b) for b in busiest] == sorted((key(b) for b in busiest), reverse=True)
    first = (busiest[0].device.name, busiest[0].interface)
    assert first == (("bras-47", "sfp1") if order == "rx" else ("dc-1", "bond0"))
    assert response.context["busiest_order"] == order
    # The table's headings rank by their column.
    body = response.content.decode()
    assert "busiest=rx" in body
    assert "busiest=tx" in body


def test_busiest_order_keeps_the_grouping_and_rejects_unknown_values(
        admin_web, fake_collector) -> None:
    fake_collector.running = True
    seed("r1", {"ether1": (1e6, 2e6)})
    body = admin_web.get("/", {"group": "tag", "busiest": "tx"}).content.decode()
    assert "group=tag&amp;busiest=rx" in body
    response = admin_web.get("/", {"busiest": "bogus"})
    assert response.status_code == 400
    assert "busiest" in response.content.decode()


def test_top_links_by_utilisation(admin_web, fake_collector) -> None:
    fake_collector.running = True
    fleet()
    # 1 Gbit/s port sending 950 Mbit/s: 95 %, the most used link of all.
    seed("edge-1", {"ether1": (10e6, 950e6), "ether5": (1e6, 1e6)},
         speeds={"ether1": 1e9, "ether5": 100e6})
    # A port whose speed is not known (a VLAN, a port not read yet) is not ranked.
    seed("edge-2", {"vlan99": (5e9, 5e9)})
    # A stale router's last rates are not current.
    seed("edge-3", {"ether1": (99e6, 99e6)}, speeds={"ether1": 100e6},
         state=DeviceState.DOWN)
    response = admin_web.get("/")
    links = response.context["utilisation"]
    assert len(links) == 10
    assert (links[0].device.name, links[0].interface) == ("edge-1", "ether1")
    assert links[0].utilisation_pct == pytest.approx(95.0)
    assert links[0].speed_bps == 1e9
    pct = [link.utilisation_pct for link in links]
    assert pct == sorted(pct, reverse=True)
    # Next: the bras ether2 ports (200+ Mbit/s of 1 Gbit/s), busiest first.
    assert (links[1].device.name, links[1].interface) == ("bras-47", "ether2")
    assert links[1].utilisation_pct == pytest.approx((200e6 + 47e6) / 1e9 * 100)
    names = {(link.device.name, link.interface) for link in links}
    assert ("edge-2", "vlan99") not in names
    assert ("edge-3", "ether1") not in names
    table = rows(response.content.decode(), "Top links by utilisation")
    assert table[0][:2] == ["edge-1", "ether1"]
    assert table[0][-1] == "95 %"
    assert "1 Gbit/s" in table[0]


def test_empty_fleet_says_so(admin_web, fake_collector) -> None:
    fake_collector.running = True
    seed("quiet", {"ether1": (1e6, 1e6)}, state=DeviceState.DOWN)
    body = admin_web.get("/").content.decode()
    assert "No traffic measured yet." in body
    assert "No link speed known yet" in body


def test_each_device_rates_are_current_by_its_own_realtime_interval(admin_web,
                                                                     fake_collector) -> None:
    """A rate counts while younger than its device's stale threshold (three realtime
    intervals): 100 s old is current for a router polled every 60 s, not for one
    polled every 5 s; both devices answered a second ago."""
    from mikromon.web.monitor.models import Device

    fake_collector.running = True
    slow = seed("slow-poll", {"ether1": (500e6, 1e6)}, rate_ago_s=100)
    seed("fast-poll", {"ether1": (600e6, 1e6)}, rate_ago_s=100)
    seed("fresh", {"ether1": (100e6, 1e6)})
    Device.objects.filter(pk=slow.pk).update(realtime_interval=60)
    busiest = admin_web.get("/").context["busiest"]
    assert [(b.device.name, b.interface) for b in busiest] == [("slow-poll", "ether1"),
                                                                ("fresh", "ether1")]


def test_ranking_reads_only_the_rows_listed(fake_collector) -> None:
    """Both tables are ranked in the database: no more than ``limit`` rows of each
    leave it, however many interfaces the fleet has (the overview at 10,000 devices
    read and ranked 20,000 in Python)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mikromon.web.monitor import traffic

    fleet()
    with CaptureQueriesContext(connection) as run:
        busiest, links = traffic.ranked_traffic(traffic.contact_cutoffs(), order="total",
                                                limit=4)
    rate_queries = [q["sql"] for q in run.captured_queries if "iface.rx_bps" in q["sql"]]
    assert len(rate_queries) == 1
    with connection.cursor() as cursor:  # the statement again, its rows counted
        cursor.execute(rate_queries[0].replace("%", "%%"))
        assert len(cursor.fetchall()) == 8
    assert [(b.device.name, b.interface) for b in busiest] == [
        (f"bras-{i:02d}", "sfp1") for i in range(FLEET - 1, FLEET - 5, -1)]
    assert [(b.device.name, b.interface) for b in links] == [
        (f"bras-{i:02d}", "ether2") for i in range(FLEET - 1, FLEET - 5, -1)]


def test_ranking_ties_and_missing_directions(fake_collector) -> None:
    """Equal rates rank by device id then interface; ranked by one direction, an
    interface that only reports the other comes last."""
    from mikromon.web.monitor import traffic

    first = seed("a", {"ether2": (5e6, 1e6), "ether1": (5e6, 1e6)})
    seed("b", {"ether1": (5e6, 1e6)})
    only_tx = seed("c", {})
    now = datetime.now(UTC)
    _storage().write_samples(only_tx.pk, [Sample("iface.tx_bps", 9e9, now - timedelta(seconds=1),
                                                 make_labels(interface="wlan1"))])
    cutoffs = traffic.contact_cutoffs()
    busiest, _ = traffic.ranked_traffic(cutoffs, order="rx", limit=10)
    assert [(b.device.name, b.interface) for b in busiest] == [
        ("a", "ether1"), ("a", "ether2"), ("b", "ether1"), ("c", "wlan1")]
    assert busiest[-1].rx_bps == 0.0
    assert busiest[-1].tx_bps == 9e9
    busiest, _ = traffic.ranked_traffic(cutoffs, order="tx", limit=1)
    assert [(b.device.name, b.interface) for b in busiest] == [("c", "wlan1")]
    assert first.pk < only_tx.pk
    with pytest.raises(ValueError, match="order must be one of"):
        traffic.ranked_traffic(cutoffs, order="bogus")
