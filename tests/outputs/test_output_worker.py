"""An output's worker with a scripted store: batching, order, retries with
backoff, refusals dropped and counted, the in-memory bound, and nothing lost
across a restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from mikromon.domain.samples import Sample
from mikromon.outputs import remote_write
from mikromon.outputs.worker import OutputConfig, OutputWorker

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Store:
    """Answers with the scripted statuses (then 204), keeping what it accepted."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.accepted: list[dict] = []
        self.calls = 0

    def __call__(self, url, body, headers, timeout):
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else 204
        if isinstance(answer, Exception):
            raise answer
        if 200 <= answer < 300:
            self.accepted.append(remote_write.decode(body))
        return answer


def cpu(n: int) -> Sample:
    return Sample("system.cpu.load_pct", float(n), T0 + timedelta(seconds=n))


def config(**kw) -> OutputConfig:
    base = dict(name="t", url="http://127.0.0.1:1/api/v1/write", flush_interval_s=0.05,
                retry_min_s=0.05, retry_max_s=0.2)
    return OutputConfig(**{**base, **kw})


def values(store: Store) -> list[float]:
    return [v for body in store.accepted for points in body.values() for _, v in points]


def wait(predicate, timeout=10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not predicate():
        time.sleep(0.02)
    return predicate()


def test_samples_arrive_in_order_after_retries(tmp_path):
    store = Store(503, ConnectionRefusedError("refused"), 429)
    worker = OutputWorker(config(), tmp_path, send=store)
    worker.start()
    try:
        worker.add("r1", "127.0.0.1", [cpu(n) for n in range(3)])
        assert wait(lambda: values(store) == [0.0, 1.0, 2.0])
        assert store.calls == 4
        status = worker.status()
        assert status["sent_samples"] == 3
        assert status["last_error"] == ""
        assert status["queued_payloads"] == 0
    finally:
        worker.stop()


def test_a_refused_batch_is_dropped_and_counted(tmp_path):
    store = Store(400)
    worker = OutputWorker(config(), tmp_path, send=store)
    worker.start()
    try:
        worker.add("r1", "127.0.0.1", [cpu(1)])
        assert wait(lambda: worker.status()["rejected_payloads"] == 1)
        worker.add("r1", "127.0.0.1", [cpu(2)])
        assert wait(lambda: values(store) == [2.0])
        assert "HTTP 400" in worker.status()["last_error"] or worker.status()["last_error"] == ""
    finally:
        worker.stop()


def test_nothing_is_lost_across_a_restart_while_the_store_is_down(tmp_path):
    down = Store(*([OSError("down")] * 1000))
    worker = OutputWorker(config(batch_samples=2), tmp_path, send=down)
    worker.start()
    worker.add("r1", "127.0.0.1", [cpu(n) for n in range(5)])
    assert wait(lambda: worker.status()["queued_payloads"] >= 1)
    worker.add("r1", "127.0.0.1", [cpu(n) for n in range(5, 8)])
    assert worker.stop()  # what is still in memory goes to disk
    up = Store()
    again = OutputWorker(config(batch_samples=2), tmp_path, send=up)
    again.start()
    try:
        assert wait(lambda: sorted(values(up)) == [float(n) for n in range(8)])
        assert values(up) == sorted(values(up))  # in order
    finally:
        again.stop()


def test_the_memory_bound_drops_the_oldest_samples_and_counts_them(tmp_path):
    worker = OutputWorker(config(buffer_samples=10), tmp_path, send=Store())
    worker.add("r1", "127.0.0.1", [cpu(n) for n in range(25)])  # not started: stays in memory
    status = worker.status()
    assert status["buffered_samples"] == 10
    assert status["buffer_dropped_samples"] == 15
    worker.stop()


def test_series_names_follow_the_exposition():
    labels, scale = remote_write.series_of(
        "iface.rx_bytes", (("interface", "ether1"),), "edge-1", "127.0.0.1")
    assert dict(labels) == {"__name__": "mktxp_interface_rx_byte_total", "name": "ether1",
                            "routerboard_name": "edge-1", "routerboard_address": "127.0.0.1"}
    assert scale == 1.0
    labels, scale = remote_write.series_of("system.cpu.frequency_hz", (), "e", "a")
    assert dict(labels)["__name__"] == "mktxp_system_cpu_frequency"
    assert scale == 1e-6
    labels, _ = remote_write.series_of("iface.rx_bps", (("interface", "ether1"),), "e", "a")
    assert dict(labels) == {"__name__": "mikromon_iface_rx_bps", "interface": "ether1",
                            "routerboard_name": "e", "routerboard_address": "a"}
    labels, _ = remote_write.series_of("system.health.cpu-temperature", (), "e", "a")
    assert dict(labels)["__name__"] == "mktxp_system_cpu_temperature"
    labels, _ = remote_write.series_of("system.health.sfp-x-y", (), "e", "a")
    assert dict(labels)["__name__"] == "mikromon_system_health_sfp_x_y"


def test_two_processes_of_one_machine_never_share_a_queue_folder(tmp_path):
    """Collector members of one machine (``serve --collectors 2``) build the same
    output over the same data folder: each queues in a folder of its own (a
    second writer would overwrite the first's records and cursor), and the first
    folder's backlog goes to whichever process takes it next."""
    down = Store(*([OSError("down")] * 1000))
    first = OutputWorker(config(batch_samples=2), tmp_path, send=down)
    second = OutputWorker(config(batch_samples=2), tmp_path, send=down)
    assert first.folder == tmp_path
    assert second.folder not in (first.folder, None)
    first.start()
    second.start()
    first.add("r1", "127.0.0.1", [cpu(n) for n in range(4)])
    second.add("r2", "127.0.0.2", [cpu(n) for n in range(10, 14)])
    assert first.stop()
    assert second.stop()
    up = Store()
    again = OutputWorker(config(batch_samples=2), tmp_path, send=up)
    assert again.folder == tmp_path  # the first's folder is free again
    other = OutputWorker(config(batch_samples=2), tmp_path, send=up)
    assert other.folder == second.folder
    again.start()
    other.start()
    try:
        assert wait(lambda: sorted(values(up)) == [0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0])
    finally:
        again.stop()
        other.stop()
