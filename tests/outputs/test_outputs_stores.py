"""The outputs against real stores (Debian's packages): InfluxDB 1.x takes the
line protocol, VictoriaMetrics takes remote write and the line protocol; what is
sent equals what is read back."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

from mikromon.domain.samples import Sample
from mikromon.outputs.worker import OutputConfig, OutputWorker


def samples(steps: int = 20) -> list[tuple[str, str, Sample]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    out = []
    for n in range(steps):
        ts = start + timedelta(seconds=5 * n)
        out += [("rtr 1", "127.0.0.1", Sample("system.cpu.load_pct", 3.0 + n, ts)),
                ("rtr 1", "127.0.0.1", Sample("iface.rx_bytes", 1e12 + 1024.0 * n, ts,
                                             (("interface", "ether1,uplink"),)))]
    return out


def push(url: str, fmt: str, tmp_path, batch) -> None:
    worker = OutputWorker(OutputConfig(name=fmt, url=url, format=fmt, batch_samples=7,
                                       flush_interval_s=0.05), tmp_path / fmt)
    worker.start()
    try:
        for device, address, sample in batch:
            worker.add(device, address, [sample])
        end = time.monotonic() + 20
        while worker.status()["sent_samples"] < len(batch) and time.monotonic() < end:
            time.sleep(0.1)
        assert worker.status()["sent_samples"] == len(batch), worker.status()
        assert worker.status()["rejected_payloads"] == 0
    finally:
        worker.stop()


def cpu_points(batch) -> list[tuple[int, float]]:
    return [(int(s.ts.timestamp() * 1000), s.value) for _, _, s in batch
            if s.key == "system.cpu.load_pct"]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as reply:
        return json.loads(reply.read())


def test_influxdb_1_reads_back_the_line_protocol(influxdb, tmp_path):
    batch = samples()
    push(f"{influxdb}/write?db=mikromon", "influx", tmp_path, batch)
    query = urllib.parse.urlencode({"db": "mikromon", "epoch": "ms", "q":
                                    'SELECT "value" FROM "mktxp_system_cpu_load"'})
    series = get_json(f"{influxdb}/query?{query}")["results"][0]["series"][0]
    assert [(t, v) for t, v in series["values"]] == cpu_points(batch)
    tags = urllib.parse.urlencode({"db": "mikromon", "q": 'SHOW TAG VALUES FROM '
                                   '"mktxp_interface_rx_byte_total" WITH KEY IN ("name", '
                                   '"routerboard_name")'})
    values = get_json(f"{influxdb}/query?{tags}")["results"][0]["series"][0]["values"]
    assert sorted(values) == [["name", "ether1,uplink"], ["routerboard_name", "rtr 1"]]


def vm_export(vm: str, match: str) -> dict[str, list[tuple[int, float]]]:
    urllib.request.urlopen(f"{vm}/internal/force_flush", timeout=10).read()
    query = urllib.parse.urlencode({"match[]": match})
    with urllib.request.urlopen(f"{vm}/api/v1/export?{query}", timeout=10) as reply:
        lines = [json.loads(line) for line in reply.read().splitlines() if line.strip()]
    return {line["metric"]["__name__"]: list(zip(line["timestamps"], line["values"],
                                                 strict=True)) for line in lines}


def test_victoria_metrics_takes_remote_write_and_line_protocol(victoria_metrics, tmp_path):
    batch = samples()
    push(f"{victoria_metrics}/api/v1/write", "remote-write", tmp_path, batch)
    push(f"{victoria_metrics}/write", "influx", tmp_path, batch)
    got: dict = {}
    end = time.monotonic() + 20
    while time.monotonic() < end:
        got = vm_export(victoria_metrics, '{routerboard_name="rtr 1"}')
        if {"mktxp_system_cpu_load", "mktxp_system_cpu_load_value"} <= set(got):
            break
        time.sleep(0.3)
    assert got["mktxp_system_cpu_load"] == cpu_points(batch)  # remote write
    assert got["mktxp_system_cpu_load_value"] == cpu_points(batch)  # line protocol
    counters = [v for _, v in got["mktxp_interface_rx_byte_total"]]
    assert counters == [1e12 + 1024.0 * n for n in range(20)]
