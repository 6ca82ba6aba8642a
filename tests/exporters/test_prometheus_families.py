"""The families of mikromon's Prometheus exposition, built from a fleet snapshot:
mktxp's names, labels and units, one family per name with a sample per device,
and mikromon's own families. Read back with a fresh registry per test."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse

from mikromon.domain import catalog
from mikromon.exporters.families import DeviceSnapshot, FleetSnapshot, TierPoll
from mikromon.exporters.inventory_families import TABLES as INVENTORY_TABLES
from mikromon.exporters.inventory_families import row
from mikromon.exporters.mktxp import FAMILIES
from mikromon.exporters.prometheus import FleetCollector

IF1 = (("interface", "ether1"),)


def registry(*devices: DeviceSnapshot, **fleet) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(FleetCollector(FleetSnapshot(list(devices), **fleet)))
    return reg


def edge(name="edge-1", address="127.0.0.1", state="up", **kw) -> DeviceSnapshot:
    return DeviceSnapshot(name=name, address=address, state=state, version="7.16.2",
                          board="RB5009UG+S+", identity=name.upper(), **kw)


def ids(device: DeviceSnapshot, **extra: str) -> dict[str, str]:
    return {"routerboard_name": device.name, "routerboard_address": device.address, **extra}


def test_interface_counters_are_mktxp_counters_with_total():
    a = edge(values=[("iface.rx_bytes", IF1, 1_234_567.0), ("iface.tx_packets", IF1, 99.0),
                     ("iface.running", IF1, 1.0)])
    reg = registry(a)
    assert reg.get_sample_value("mktxp_interface_rx_byte_total", ids(a, name="ether1")) == 1234567
    assert reg.get_sample_value("mktxp_interface_tx_packet_total", ids(a, name="ether1")) == 99
    assert reg.get_sample_value("mktxp_interface_running", ids(a, name="ether1")) == 1
    text = generate_latest(reg).decode()
    assert "# TYPE mktxp_interface_rx_byte_total counter" in text


def test_one_family_per_name_with_a_sample_per_device():
    devices = [edge(f"r{i}", f"127.0.0.{i + 1}", values=[("system.cpu.load_pct", (), float(i))])
               for i in range(3)]
    text = generate_latest(registry(*devices)).decode()
    assert text.count("# TYPE mktxp_system_cpu_load gauge") == 1
    assert text.count("mktxp_system_cpu_load{") == 3


def test_units_follow_mktxp():
    """CPU frequency in MHz, BGP uptime in milliseconds, link rate in Mbit/s."""
    a = edge(values=[("system.cpu.frequency_hz", (), 716e6),
                     ("bgp.uptime_seconds", (("peer", "upstream"),), 90.5),
                     ("iface.link_speed_bps", IF1, 1e9)])
    reg = registry(a)
    system = ids(a, version="7.16.2", board_name="RB5009UG+S+")
    assert reg.get_sample_value("mktxp_system_cpu_frequency", system) == pytest.approx(716)
    assert reg.get_sample_value("mktxp_bgp_uptime", ids(a, name="upstream")) == 90500
    assert reg.get_sample_value("mktxp_interface_rate", ids(a, name="ether1")) == 1000


def test_health_sensors_and_states():
    a = edge(values=[("system.health.cpu-temperature", (), 61.0),
                     ("system.health.fan1-speed", (), 4200.0),
                     ("system.health.unknown-sensor", (), 1.0)],
             health_states={"psu1-state": "ok", "psu2-state": "fail"})
    reg = registry(a)
    assert reg.get_sample_value("mktxp_system_cpu_temperature", ids(a)) == 61
    assert reg.get_sample_value("mktxp_system_fan_one_speed", ids(a)) == 4200
    assert reg.get_sample_value("mktxp_system_psu1_state", ids(a)) == 1
    assert reg.get_sample_value("mktxp_system_psu2_state", ids(a)) == 0
    assert "unknown" not in generate_latest(reg).decode()


def test_identity_info_and_not_finite_values_left_out():
    a = edge(values=[("system.cpu.load_pct", (), math.nan), ("routes.count", (), 12.0)])
    reg = registry(a)
    assert reg.get_sample_value("mktxp_system_identity_info", ids(a, name="EDGE-1")) == 1
    assert reg.get_sample_value("mktxp_routes_total_routes", ids(a)) == 12
    assert "mktxp_system_cpu_load" not in generate_latest(reg).decode()


def test_own_families():
    up = edge("up-1", state="degraded", site="north",
              polls=[TierPoll("realtime", 0.012, 3, 0.4), TierPoll("long", None, 0, None)])
    down = edge("down-1", state="down")
    reg = registry(up, down, collector_running=True,
                   writer={"queue_depth": 2, "batches_dropped": 5, "rows_written": 900},
                   alerts_firing={"critical": 1, "warning": 4})
    assert reg.get_sample_value("mikromon_device_up", {"device": "up-1", "site": "north"}) == 1
    assert reg.get_sample_value("mikromon_device_up", {"device": "down-1", "site": ""}) == 0
    assert reg.get_sample_value("mikromon_device_state",
                                {"device": "down-1", "site": "", "state": "down"}) == 1
    tier = {"device": "up-1", "tier": "realtime"}
    assert reg.get_sample_value("mikromon_poll_duration_seconds", tier) == 0.012
    assert reg.get_sample_value("mikromon_poll_errors_total", tier) == 3
    assert reg.get_sample_value("mikromon_poll_lag_seconds", tier) == 0.4
    assert reg.get_sample_value("mikromon_poll_duration_seconds",
                                {"device": "up-1", "tier": "long"}) is None
    assert reg.get_sample_value("mikromon_writer_dropped_batches_total", {}) == 5
    assert reg.get_sample_value("mikromon_writer_queue_batches", {}) == 2
    assert reg.get_sample_value("mikromon_collector_running", {}) == 1
    assert reg.get_sample_value("mikromon_alerts_firing", {"severity": "warning"}) == 4


def test_output_families():
    reg = registry(edge(), outputs=[{"name": "remote-write", "queued_payloads": 3,
                                     "lag_s": 12.5, "sent_samples": 900, "last_error": "x",
                                     "adopted_payloads": 7, "adopted_folders": ["member-2"]}])
    who = {"output": "remote-write"}
    assert reg.get_sample_value("mikromon_output_queued_requests", who) == 3
    assert reg.get_sample_value("mikromon_output_adopted_requests", who) == 7
    assert reg.get_sample_value("mikromon_output_lag_seconds", who) == 12.5
    assert reg.get_sample_value("mikromon_output_sent_samples_total", who) == 900
    assert reg.get_sample_value("mikromon_output_rejected_requests_total", who) is None


def test_openmetrics_output_parses():
    from prometheus_client.openmetrics.exposition import generate_latest as om_latest

    a = edge(values=[("iface.rx_bytes", IF1, 5.0), ("system.uptime_seconds", (), 60.0)])
    names = {f.name for f in om_parse(om_latest(registry(a)).decode())}
    assert {"mktxp_interface_rx_byte", "mktxp_system_uptime", "mikromon_device_up"} <= names


def test_every_family_reads_a_catalog_key():
    for spec in FAMILIES:
        catalog.lookup(spec.key)  # KeyError names a family built from nothing


def test_docs_list_every_family():
    """docs/prometheus.md names every family the exposition can produce."""
    from pathlib import Path

    from mikromon.exporters.mktxp import HEALTH_FAMILIES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "prometheus.md").read_text()
    a = edge(site="s", values=[(spec.key, (("interface", "e"), ("queue", "q"), ("peer", "p")),
                                1.0) for spec in FAMILIES],
             health_states={"psu1-state": "ok"}, polls=[TierPoll("realtime", 0.1, 0, 0.1)],
             inventory=[row(table, {"name": "n", "bytes": 1, "link-downs": 1,
                                             "actual-mtu": 1500})
                        for table in sorted(INVENTORY_TABLES)])
    reg = registry(a, collector_running=True,
                   writer={"queue_depth": 0, "batches_dropped": 0, "rows_written": 0},
                   alerts_firing={"critical": 1}, outputs=[{
                       "name": "rw", "queued_payloads": 1, "queue_bytes": 10, "lag_s": 0.5,
                       "sent_samples": 5, "dropped_payloads": 0, "buffer_dropped_samples": 0,
                       "rejected_payloads": 0, "adopted_payloads": 0}])
    names = {m.name for m in reg.collect()}
    assert len(names) >= len(FAMILIES) + 16
    health = {"mktxp_" + family for family, _help in HEALTH_FAMILIES.values()}
    for name in names | health:
        # The table abbreviates a row's later names: `_tx_byte_total` after the first.
        assert name in docs or "`_" + name.split("_", 2)[2] in docs, name


TRICKY = ['plain', 'with "quotes"', 'back\\slash', 'new\nline', 'ünïcödé ⚡', '', 'a,b=c}']


def tricky_fleet() -> FleetSnapshot:
    devices = []
    for i, text in enumerate(TRICKY):
        devices.append(DeviceSnapshot(
            name=text or "unnamed", address=f"127.0.0.{i + 1}", state="up" if i % 2 else "down",
            site=text, identity=text, version="6.49.17", board=text,
            values=[("iface.rx_bytes", (("interface", text),), 2.0 ** 63 + i),
                    ("iface.running", (("interface", text),), float(i % 2)),
                    # around 1e6, where the writer's number fast path ends
                    ("iface.tx_bytes", (("interface", text),),
                     (999999.5, 1e6, -1e6, 1234567.125, 123.0, -999999.75, 1e15)[i % 7]),
                    ("system.cpu.load_pct", (), 0.1 * i), ("system.cpu.frequency_hz", (), 1.5e9),
                    ("system.health.voltage", (), 24.15), ("bgp.uptime_seconds",
                                                            (("peer", text),), 1e-7),
                    ("routes.count", (), 1e22), ("system.memory.free_bytes", (), -0.0)],
            health_states={"psu1-state": "ok", "psu2-state": text},
            polls=[TierPoll("realtime", 0.5 * i, i, None)]))
    return FleetSnapshot(devices, collector_running=False,
                         writer={"queue_depth": 3, "rows_written": 12345678901234},
                         alerts_firing={"high": 2})


@pytest.mark.parametrize("fmt", ["text", "openmetrics"])
def test_render_writes_the_bytes_prometheus_client_writes(fmt):
    """The fast writer and prometheus_client's encoders give identical bytes,
    escapes, number forms, counters, info families and OpenMetrics' # EOF included."""
    from prometheus_client.openmetrics.exposition import generate_latest as om_latest

    from mikromon.exporters.prometheus import render

    snapshot = tricky_fleet()
    reg = CollectorRegistry(auto_describe=False)
    reg.register(FleetCollector(snapshot))
    expected = om_latest(reg) if fmt == "openmetrics" else generate_latest(reg)
    assert render(snapshot, fmt) == expected


def test_render_refuses_an_unknown_format():
    from mikromon.exporters.prometheus import render

    with pytest.raises(ValueError, match="'json'"):
        render(FleetSnapshot([]), "json")


def as_series(snapshot: FleetSnapshot) -> FleetSnapshot:
    """The same fleet with its latest values in family form (``series``), as the
    web application reads them."""
    from dataclasses import replace

    from mikromon.exporters.families import row_labels

    series: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for d in snapshot.devices:
        for key, labels, value in d.values:
            values = row_labels(key, labels, d.name, d.address, d.version, d.board)
            if values is not None and math.isfinite(value):
                series.setdefault(key, []).append((values, value))
    return replace(snapshot, devices=[replace(d, values=()) for d in snapshot.devices],
                   series=series)


@pytest.mark.parametrize("fmt", ["text", "openmetrics"])
def test_values_in_family_form_give_the_same_bytes(fmt):
    """Rows given as ``series`` (label values from row_labels) expose exactly what
    the devices' values do, and prometheus_client writes the same bytes."""
    from prometheus_client.openmetrics.exposition import generate_latest as om_latest

    from mikromon.exporters.prometheus import LabelTexts, render

    snapshot = tricky_fleet()
    ready = as_series(snapshot)
    assert ready.series
    assert not any(d.values for d in ready.devices)
    reg = CollectorRegistry(auto_describe=False)
    reg.register(FleetCollector(ready))
    expected = om_latest(reg) if fmt == "openmetrics" else generate_latest(reg)
    texts = LabelTexts()
    assert render(ready, fmt, texts) == expected == render(snapshot, fmt)
    assert render(ready, fmt, texts) == expected  # label text kept from the first call
    assert texts.size > 0


def test_row_labels_of_keys_no_family_reads():
    from mikromon.exporters.families import row_labels

    assert row_labels("iface.rx_bps", IF1, "a", "b", "c", "d") is None
    assert row_labels("system.health.unknown-sensor", (), "a", "b", "c", "d") is None
    assert row_labels("system.health.voltage", (), "a", "b", "c", "d") == ("a", "b")


def test_label_texts_start_over_only_past_twice_the_largest_scrape():
    from mikromon.exporters.prometheus import LabelTexts

    texts = LabelTexts()
    texts.size = 3000
    texts.by_names[("a",)] = {("x",): '{a="x"}'}
    texts.trim(1500)  # a whole-fleet scrape
    texts.trim(10)  # then one device: kept
    assert texts.size == 3000
    texts.size = 4001
    texts.trim(10)  # more than 2 * 1500 + 1000 held: start over
    assert texts.size == 0
    assert texts.by_names == {}
