"""Medium-tier collectors: the interface inventory and simple queues."""

from __future__ import annotations

from pathlib import Path

from collector_fakes import TS, FakeRouter, context, load

from mikromon.collectors.interface import InterfaceInventoryCollector
from mikromon.collectors.queue_simple import QueueSimpleCollector

_BLANK = {"default-name": None, "mac-address": None, "comment": None, "slave": False,
          "dynamic": False, "last-link-up-time": None, "last-link-down-time": None}


async def test_interface_inventory_v6(captures: Path) -> None:
    router = FakeRouter({"/interface": load(captures, "interface.v6")})
    result = await InterfaceInventoryCollector().collect(router, context(major=6))
    (snap,) = result.inventory
    assert (snap.table, snap.key_fields, snap.ts, snap.append_only) == (
        "interfaces", ("name",), TS, False)
    rows = {row["name"]: row for row in snap.rows}
    assert list(rows) == ["bridge1", "ether3", "ether4", "l2tp-in1"]
    assert rows["bridge1"] == {
        **_BLANK, "name": "bridge1", "type": "bridge", "mac-address": "02:34:1B:2F:AA:21",
        "mtu": "auto", "actual-mtu": 1500, "running": True, "disabled": False,
        "comment": "lan", "last-link-up-time": "2019-06-10T10:33:35", "link-downs": 0,
    }
    assert rows["ether3"] == {
        **_BLANK, "name": "ether3", "default-name": "ether3", "type": "ether",
        "mac-address": "02:CA:6D:26:05:F8", "mtu": 1500, "actual-mtu": 1500,
        "running": False, "disabled": False, "slave": True,
        "last-link-up-time": "2017-10-04T20:11:03",
        "last-link-down-time": "2017-10-04T21:18:35", "link-downs": 83,
    }
    assert rows["l2tp-in1"] == {
        **_BLANK, "name": "l2tp-in1", "type": "l2tp-in", "mtu": None, "actual-mtu": None,
        "running": False, "disabled": False, "last-link-up-time": "2021-05-03T15:56:42",
        "last-link-down-time": "2021-05-03T17:13:06", "link-downs": 14,
    }
    # counters are not part of the inventory print
    assert "rx-byte" not in router.calls[0].proplist


async def test_interface_inventory_v7(captures: Path) -> None:
    router = FakeRouter({"/interface": load(captures, "interface.v7")})
    result = await InterfaceInventoryCollector().collect(router, context())
    rows = {row["name"]: row for row in result.inventory[0].rows}
    assert list(rows) == ["ether1", "ether2", "ether3", "sfp1", "bridge", "lo", "pppoe-out1"]
    assert rows["ether1"] == {
        **_BLANK, "name": "ether1", "default-name": "ether1", "type": "ether",
        "mac-address": "02:4A:00:00:10:01", "mtu": 1500, "actual-mtu": 1500,
        "running": True, "disabled": False, "comment": "WAN",
        "last-link-up-time": "2022-07-19T12:37:09",
        "last-link-down-time": "2022-07-19T12:37:06", "link-downs": 2,
    }
    assert rows["pppoe-out1"] == {
        **_BLANK, "name": "pppoe-out1", "type": "pppoe-out", "mtu": 1480, "actual-mtu": 1480,
        "running": True, "disabled": False, "last-link-up-time": "2024-10-08T12:39:16",
        "last-link-down-time": "2024-10-08T12:36:57", "link-downs": 7208,
    }
    assert rows["bridge"]["mtu"] == "auto"
    assert rows["bridge"]["comment"] == "defconf"
    assert rows["sfp1"]["running"] is False
    assert rows["sfp1"]["last-link-up-time"] is None
    assert rows["ether2"]["slave"] is True


async def test_simple_queues(captures: Path) -> None:
    router = FakeRouter({"/queue/simple": load(captures, "queue_simple.v7")})
    result = await QueueSimpleCollector().collect(router, context())
    samples = {(s.key, s.label("queue")): s.value for s in result.samples}
    assert samples == {
        ("queue.upload_bps", "queue1"): 183416.0,
        ("queue.download_bps", "queue1"): 4213872.0,
        ("queue.upload_pps", "queue1"): 41.0,
        ("queue.download_pps", "queue1"): 372.0,
        ("queue.upload_max_limit_bps", "queue1"): 0.0,
        ("queue.download_max_limit_bps", "queue1"): 0.0,
        ("queue.upload_bps", "cust-0042"): 820112.0,
        ("queue.download_bps", "cust-0042"): 9871224.0,
        ("queue.upload_pps", "cust-0042"): 88.0,
        ("queue.download_pps", "cust-0042"): 834.0,
        ("queue.upload_max_limit_bps", "cust-0042"): 10_000_000.0,
        ("queue.download_max_limit_bps", "cust-0042"): 20_000_000.0,
    }
    (snap,) = result.inventory
    assert snap.table == "simple_queues"
    assert snap.key_fields == ("name",)
    assert snap.rows[1] == {
        "name": "cust-0042", "target": "10.99.0.2/32", "parent": "none",
        "comment": "plan 10M/20M", "disabled": False, "dynamic": False, "invalid": False,
        "max-limit.upload": 10_000_000.0, "max-limit.download": 20_000_000.0,
        "limit-at.upload": 0.0, "limit-at.download": 0.0,
        "bytes.upload": 211883021, "bytes.download": 3928771542,
        "packets.upload": 902771, "packets.download": 2911443,
        "dropped.upload": 12, "dropped.download": 4891,
    }
    assert snap.rows[0]["bytes.download"] == 24411733902
    assert snap.rows[0]["comment"] is None
