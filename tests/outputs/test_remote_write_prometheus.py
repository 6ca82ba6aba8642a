"""Remote write into a real Prometheus (Debian's package with its remote-write
receiver on): the samples sent equal the samples read back, and an outage of the
store loses nothing (the queue waits on disk and sends in order afterwards)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from mikromon.domain.samples import Sample
from mikromon.outputs.worker import OutputConfig, OutputWorker

RECEIVER = "--web.enable-remote-write-receiver"


def wait(predicate, timeout=20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not predicate():
        time.sleep(0.2)
    return predicate()


def fleet_samples(start: datetime, steps: int) -> list[tuple[str, str, Sample]]:
    """Two routers' CPU, an interface counter and a rate, every 5 s."""
    out = []
    for n in range(steps):
        ts = start + timedelta(seconds=5 * n)
        for r in (1, 2):
            out += [
                (f"rtr-{r}", f"127.0.0.{r}", Sample("system.cpu.load_pct", 10.0 * r + n, ts)),
                (f"rtr-{r}", f"127.0.0.{r}", Sample("iface.rx_bytes", 1e12 + 1500.5 * n, ts,
                                                   (("interface", "sfp-sfpplus1"),))),
                (f"rtr-{r}", f"127.0.0.{r}", Sample("iface.rx_bps", 8e8 / (n + 1), ts,
                                                   (("interface", "ether 1/\"x\""),))),
            ]
    return out


def read_back(prom, name: str) -> dict[tuple, list[tuple[int, float]]]:
    """Every raw sample of the family ``name`` in the last hour, by its labels."""
    out = {}
    for series in prom.query(f"{name}[1h]"):
        labels = tuple(sorted((k, v) for k, v in series["metric"].items()))
        out[labels] = [(round(float(t) * 1000), float(v)) for t, v in series["values"]]
    return out


def expected(samples, name: str) -> dict[tuple, list[tuple[int, float]]]:
    from mikromon.outputs import remote_write

    out = {}
    for labels, points in remote_write.batch(samples).items():
        if dict(labels)["__name__"] == name:
            out[labels] = points
    return out


def test_samples_sent_equal_samples_read_back(prometheus_server, tmp_path):
    prom = prometheus_server("", RECEIVER)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    samples = fleet_samples(start, 60)
    worker = OutputWorker(OutputConfig(name="prom", url=f"{prom.url}/api/v1/write",
                                       batch_samples=100, flush_interval_s=0.05),
                          tmp_path / "queue")
    worker.start()
    try:
        for device, address, sample in samples:
            worker.add(device, address, [sample])
        assert wait(lambda: worker.status()["sent_samples"] == len(samples)), worker.status()
    finally:
        worker.stop()
    for name in ("mktxp_system_cpu_load", "mktxp_interface_rx_byte_total",
                 "mikromon_iface_rx_bps"):
        assert read_back(prom, name) == expected(samples, name), name
    assert worker.status()["rejected_payloads"] == 0


def test_an_outage_loses_nothing(prometheus_server, tmp_path):
    """The store is unreachable while samples arrive (and mikromon restarts); once it
    is up, everything arrives, in order."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    samples = fleet_samples(start, 30)
    # A port nobody listens on yet: the store is down.
    cfg = dict(name="prom", batch_samples=40, flush_interval_s=0.05, retry_min_s=0.05,
               retry_max_s=0.2)
    down = OutputWorker(OutputConfig(url="http://127.0.0.1:9/api/v1/write", **cfg),
                        tmp_path / "queue")
    down.start()
    for device, address, sample in samples[:90]:
        down.add(device, address, [sample])
    assert wait(lambda: down.status()["queued_payloads"] >= 2)
    assert "no answer" in down.status()["last_error"]
    assert down.stop()
    prom = prometheus_server("", RECEIVER)
    up = OutputWorker(OutputConfig(url=f"{prom.url}/api/v1/write", **cfg), tmp_path / "queue")
    up.start()
    try:
        for device, address, sample in samples[90:]:
            up.add(device, address, [sample])
        assert wait(lambda: up.status()["queued_payloads"] == 0
                    and up.status()["buffered_samples"] == 0
                    and up.status()["sent_samples"] == len(samples)), up.status()
    finally:
        up.stop()
    assert read_back(prom, "mktxp_system_cpu_load") == expected(samples,
                                                                "mktxp_system_cpu_load")
