"""Queue folders no process holds any more (the machine runs fewer collector
processes than before) are sent by a process that runs the output: before its
own queue, by one process only, and across a crash in the middle without loss."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mikromon
from mikromon.domain.samples import Sample
from mikromon.outputs import remote_write
from mikromon.outputs.worker import OutputConfig, OutputWorker
from waiting import until

DOWN = "http://127.0.0.1:9/api/v1/write"  # nobody listens: the store is down
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)


def config(url: str = DOWN, **kw) -> OutputConfig:
    base = dict(name="rw", url=url, batch_samples=2, flush_interval_s=0.05,
                retry_min_s=0.05, retry_max_s=0.2)
    return OutputConfig(**{**base, **kw})


def cpu(device: int, n: int) -> tuple[str, str, Sample]:
    """Router ``device``'s CPU at step ``n`` (5 s apart); the value names both."""
    return (f"rtr-{device}", f"127.0.0.{device}",
            Sample("system.cpu.load_pct", device * 1000.0 + n, T0 + timedelta(seconds=5 * n)))


def queue_backlogs(root: Path, per_process: dict[int, list[tuple[str, str, Sample]]]) -> list:
    """Run one worker per process of a machine, the store down, each taking the
    samples given for it (by its position: 1 the first folder, 2 ``member-2``
    ...), then stop them all: their folders keep the backlog."""
    workers = [OutputWorker(config(), root) for _ in range(max(per_process))]
    for position, worker in enumerate(workers, 1):
        for device, address, sample in per_process.get(position, []):
            worker.add(device, address, [sample])
    for worker in workers:
        assert worker.stop()
    return [w.folder for w in workers]


class Store:
    """Takes every request (thread-safe), keeping the values in arrival order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: list[float] = []

    def __call__(self, url, body, headers, timeout) -> int:
        with self.lock:
            self.values += values_of(body)
        return 204


def values_of(body: bytes) -> list[float]:
    return [v for points in remote_write.decode(body).values() for _, v in points]


def test_a_backlog_in_member_2_goes_to_prometheus_in_order(prometheus_server, tmp_path):
    """3 processes, then 1: the one left sends what ``member-2`` and
    ``member-3`` held, and the samples of their routers it polls now after
    them, so Prometheus (which refuses a sample older than its series' newest)
    takes every one."""
    root = tmp_path / "rw"
    old = {p: [cpu(p, n) for n in range(6)] for p in (1, 2, 3)}
    folders = queue_backlogs(root, old)
    assert folders[1:] == [root / "member-2", root / "member-3"]
    prom = prometheus_server("", "--web.enable-remote-write-receiver")
    worker = OutputWorker(config(f"{prom.url}/api/v1/write"), root, adopt_look_s=0.3)
    new = [cpu(p, n) for n in range(6, 10) for p in (1, 2, 3)]
    worker.start()
    try:
        for device, address, sample in new:
            worker.add(device, address, [sample])
        assert until(lambda: worker.status()["sent_samples"] == 30, 30), worker.status()
        status = worker.status()
    finally:
        worker.stop()
    assert status["rejected_payloads"] == 0
    assert status["adopted_payloads"] == 0
    assert status["adopted_folders"] == []
    assert not (root / "member-2").exists()
    assert not (root / "member-3").exists()
    got = {s["metric"]["routerboard_name"]: [float(v) for _, v in s["values"]]
           for s in prom.query("mktxp_system_cpu_load[1h]")}
    assert got == {f"rtr-{p}": [p * 1000.0 + n for n in range(10)] for p in (1, 2, 3)}


def test_adopted_folders_go_before_the_own_queue(tmp_path):
    root = tmp_path / "rw"
    queue_backlogs(root, {1: [cpu(1, 0), cpu(1, 1)], 2: [cpu(2, n) for n in range(5)]})
    store = Store()
    worker = OutputWorker(config(), root, send=store, adopt_look_s=0.2)
    worker.start()
    try:
        worker.add("rtr-2", "127.0.0.2", [cpu(2, 5)[2]])
        assert until(lambda: len(store.values) == 8, 10), store.values
        assert until(lambda: worker.status()["adopted_folders"] == [], 5)
    finally:
        worker.stop()
    adopted = [2000.0 + n for n in range(5)]
    assert store.values[:5] == adopted  # before the own backlog and the new sample
    assert store.values[5:] == [1000.0, 1001.0, 2005.0]
    assert worker.status()["sent_samples"] == 8


def test_a_folder_its_process_holds_is_left_to_it(tmp_path):
    """A live process with a backlog (its store down) keeps its folder, and the
    other process's own queue does not wait for it."""
    root = tmp_path / "rw"
    store = Store()
    first = OutputWorker(config(), root, send=store, adopt_look_s=0.05)
    busy = OutputWorker(config(), root, adopt_look_s=0.05)  # member-2, store down
    busy.start()
    busy.add("rtr-2", "127.0.0.2", [cpu(2, 0)[2]])
    assert until(lambda: busy.status()["queued_payloads"] == 1, 5)
    first.start()
    try:
        first.add("rtr-1", "127.0.0.1", [cpu(1, 0)[2]])
        assert until(lambda: store.values == [1000.0], 5)
        assert first.status()["adopted_folders"] == []
        assert busy.status()["queued_payloads"] == 1
    finally:
        first.stop()
        busy.stop()


def test_two_workers_never_drain_one_folder(tmp_path):
    root = tmp_path / "rw"
    backlog = {3: [cpu(3, n) for n in range(40)], 4: [cpu(4, n) for n in range(40)]}
    queue_backlogs(root, backlog)
    stores = [Store(), Store()]
    workers = [OutputWorker(config(), root, send=s, adopt_look_s=0.01) for s in stores]
    assert [w.folder for w in workers] == [root, root / "member-2"]
    for worker in workers:
        worker.start()
    try:
        assert until(lambda: len(stores[0].values) + len(stores[1].values) == 80, 20)
        assert until(lambda: all(w.status()["adopted_folders"] == [] for w in workers), 5)
    finally:
        for worker in workers:
            worker.stop()
    for device in (3, 4):
        sent = [[v for v in s.values if v // 1000 == device] for s in stores]
        assert sorted(sent, key=len) == [[], [device * 1000.0 + n for n in range(40)]]


def test_an_unreadable_folder_is_reported_and_the_own_queue_goes_on(tmp_path, caplog):
    root = tmp_path / "rw"
    broken = root / "member-2"
    broken.mkdir(parents=True)
    (broken / "000000000001.seg").mkdir()  # not a file: the queue cannot be read
    store = Store()
    worker = OutputWorker(config(), root, send=store, adopt_look_s=0.05)
    worker.start()
    try:
        worker.add("rtr-1", "127.0.0.1", [cpu(1, 0)[2]])
        assert until(lambda: store.values == [1000.0], 5)
        assert until(lambda: "cannot take over the queue folder" in caplog.text, 5)
    finally:
        worker.stop()
    assert str(broken) in caplog.text
    assert caplog.text.count("cannot take over") == 1  # logged once, not at every look


class Receiver(http.server.ThreadingHTTPServer):
    """Accepts ``answered`` requests, then takes one more and never answers it
    (the sender is killed meanwhile), then accepts again."""

    def __init__(self, answered: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answered = answered
        self.bodies: list[bytes] = []
        self.hung = threading.Event()
        self.release = threading.Event()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        if len(self.server.bodies) == self.server.answered + 1:
            self.server.hung.set()
            self.server.release.wait(30)
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


CHILD = """
import sys, threading
from pathlib import Path
from mikromon.outputs.worker import OutputConfig, OutputWorker
cfg = OutputConfig(name="rw", url=sys.argv[2], flush_interval_s=0.05, timeout_s=60)
OutputWorker(cfg, Path(sys.argv[1]), adopt_look_s=0.05).start()
threading.Event().wait()
"""


def test_a_crash_while_draining_loses_nothing(tmp_path):
    """The process sending ``member-2`` is killed (SIGKILL) while the store holds
    a request unanswered: a process started afterwards takes the folder over and
    sends from that request on. Nothing is lost; the request in flight is the
    only one sent twice."""
    root = tmp_path / "rw"
    queue_backlogs(root, {2: [cpu(2, n) for n in range(20)]})  # 10 requests of 2
    receiver = Receiver(answered=4)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/api/v1/write"
    src = str(Path(mikromon.__file__).resolve().parents[1])
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), url],
                             env={**os.environ, "PYTHONPATH": src})
    try:
        assert receiver.hung.wait(30), "the child sent nothing"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        receiver.release.set()
    store = Store()
    again = OutputWorker(config(), root, send=store, adopt_look_s=0.05)
    again.start()
    try:
        assert until(lambda: len(store.values) == 12, 20), store.values
    finally:
        again.stop()
    receiver.shutdown()
    receiver.server_close()
    before = [v for body in receiver.bodies for v in values_of(body)]
    assert before == [2000.0 + n for n in range(10)]  # 4 answered, the 5th in flight
    assert store.values == [2000.0 + n for n in range(8, 20)]
    assert not (root / "member-2").exists()


def test_a_folder_that_breaks_while_sent_is_let_go(tmp_path, caplog):
    """A segment of an adopted folder unreadable halfway (a disk error): that
    folder is let go and reported, and the worker's own queue goes on."""
    from mikromon.outputs.adopted import AdoptedQueues

    root = tmp_path / "rw"
    queue_backlogs(root, {2: [cpu(2, n) for n in range(4)]})
    adopted = AdoptedQueues("rw", root, root, max_bytes=1 << 20, look_s=0)
    adopted.look()
    assert adopted.holding()  # seen once: the own queue waits
    adopted.look()
    assert adopted.status()["adopted_folders"] == ["member-2"]
    for seg in (root / "member-2").glob("*.seg"):
        seg.unlink()
        seg.mkdir()
    assert adopted.peek() is None
    assert not adopted.holding()
    assert adopted.status()["adopted_folders"] == []
    assert "member-2" in caplog.text
    assert "cannot read" in caplog.text
    for _ in range(3):  # tried again at each look, never holding the own queue back
        adopted.look()
        assert not adopted.holding()
    assert caplog.text.count("cannot take over") == 1
    adopted.close()
