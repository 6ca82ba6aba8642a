"""A second-by-second timeline of one collector's writer, for bench/fleet_capacity.py
``--timeline FILE``: where the writer's time goes while the fleet warms up and
runs, and when sample batches are dropped.

Every storage call is timed (method, start, seconds, rows), and so is each
maintenance run of a storage in the writer thread (``DjangoStorage``: it runs
inside the sample write that precedes it, so ``write_samples_many`` includes
it). Four times a second the writer's queues (per kind), its dropped batches and
the CPU seconds of the writer thread and of the whole process are read. The
dump is one JSON line per second: ``t`` (seconds since the service started),
``phase`` (``warmup`` / ``window`` / ``after``), ``samples`` / ``inventory`` (most
batches queued in that second), ``rows`` (most sample and log rows queued, when the
writer reports them), ``dropped`` (batches dropped in that second), ``writer_cpu``
and ``cpu`` (CPU seconds in that second), and per method ``calls``, ``busy_s``,
``cpu_s`` (the writer thread's CPU in them) and ``max_s`` (the longest call that
started in that second).

Not a measure of its own: the timing adds a little CPU to every call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample

WRITER_THREAD = "mikromon-writer"


def _thread_cpu(name: str) -> float:
    for t in threading.enumerate():
        if t.name == name and t.ident is not None:
            try:
                return time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            except OSError:
                return 0.0
    return 0.0


class Timeline:
    """A storage that times the calls it passes on to ``outer`` (the one the service
    would get), and a sampler of the service's writer state.

    Args:
        outer: the storage the calls go to.
        inner: the product's storage (its maintenance runs are timed when it has
            them in this process).
    """

    def __init__(self, outer: Any, inner: Any) -> None:
        self.outer = outer
        #: Blocks go on as they are when ``outer`` takes them (see CountingStorage).
        self.takes_blocks = getattr(outer, "takes_blocks", False) is True
        self.calls: list[tuple[float, str, float, int, float]] = []
        self.states: list[tuple[float, int, int, int, int, float, float]] = []
        self._began = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        maintenance = getattr(inner, "_maintenance", None)
        if maintenance is not None:
            run = maintenance.run

            def timed_run() -> bool:
                t, cpu = time.monotonic(), time.thread_time()
                worked = bool(run())
                if worked:
                    self.calls.append((t - self._began, "maintain", time.monotonic() - t, 0,
                                       time.thread_time() - cpu))
                return worked

            maintenance.run = timed_run

    def time_host_calls(self) -> None:
        """Time every call of the service's host worker thread (device source,
        lock, alert store: the collector's other database connection), as
        ``host:<function name>``."""
        from mikromon.schedule import worker

        submit = worker.HostWorker.submit
        timeline = self

        def timed_submit(self: Any, fn: Any, *args: Any) -> Any:
            name = "host:" + getattr(fn, "__qualname__", type(fn).__name__)
            return submit(self, lambda *a: timeline._timed(name, 0, fn, *a), *args)

        worker.HostWorker.submit = timed_submit  # type: ignore[method-assign]

    def _timed(self, name: str, rows: int, fn: Any, *args: Any) -> Any:
        t, cpu = time.monotonic(), time.thread_time()
        try:
            return fn(*args)
        finally:
            self.calls.append((t - self._began, name, time.monotonic() - t, rows,
                               time.thread_time() - cpu))

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        return int(self._timed("write_samples", _rows(samples), self.outer.write_samples,
                               device_id, samples))

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        rows = sum(_rows(s) for _d, s in batches)
        return int(self._timed("write_samples_many", rows, self.outer.write_samples_many,
                               batches))

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        name = "write_log" if snapshot.append_only else "write_inventory"
        self._timed(name, len(snapshot.rows), self.outer.write_inventory, device_id, snapshot)

    def write_status(self, status: DeviceStatus) -> None:
        self._timed("write_status", 1, self.outer.write_status, status)

    def write_events(self, events: Sequence[Event]) -> None:
        self._timed("write_events", len(events), self.outer.write_events, events)

    def close(self) -> None:
        self.outer.close()

    def start(self, service: Any, began: float) -> None:
        """Start sampling ``service``'s writer four times a second; times count
        from ``began`` (monotonic seconds)."""
        self._began = began

        def sample() -> None:
            while not self._stop.wait(0.25):
                writer = service.status(devices=False)["writer"]
                queued = writer["queued"]
                self.states.append((time.monotonic() - began, queued["samples"],
                                    queued["inventory"], writer.get("queued_rows", 0),
                                    writer["batches_dropped"],
                                    _thread_cpu(WRITER_THREAD), time.process_time()))

        self._thread = threading.Thread(target=sample, name="timeline", daemon=True)
        self._thread.start()

    def dump(self, path: Path, warmup_s: float, window_from: float, window_to: float) -> None:
        """Write one JSON line per second to ``path`` (see the module's docstring)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        seconds: dict[int, dict[str, Any]] = {}

        def second(t: float) -> dict[str, Any]:
            s = int(t)
            if s not in seconds:
                phase = ("warmup" if t < warmup_s else
                         "window" if window_from <= t < window_to else "after")
                seconds[s] = {"t": s, "phase": phase, "samples": 0, "inventory": 0,
                              "dropped": 0, "writer_cpu": 0.0, "cpu": 0.0}
            return seconds[s]

        previous: tuple[float, int, int, int, int, float, float] | None = None
        for state in self.states:
            t, samples, inventory, rows, dropped, writer_cpu, cpu = state
            row = second(t)
            row["samples"] = max(row["samples"], samples)
            row["inventory"] = max(row["inventory"], inventory)
            row["rows"] = max(row.get("rows", 0), rows)
            if previous is not None:
                row["dropped"] += dropped - previous[4]
                row["writer_cpu"] = round(row["writer_cpu"] + writer_cpu - previous[5], 3)
                row["cpu"] = round(row["cpu"] + cpu - previous[6], 3)
            previous = state
        for t, name, duration, rows, cpu in self.calls:
            row = second(t)
            entry = row.setdefault(name, {"calls": 0, "busy_s": 0.0, "max_s": 0.0, "rows": 0,
                                          "cpu_s": 0.0})
            entry["calls"] += 1
            entry["busy_s"] = round(entry["busy_s"] + duration, 4)
            entry["cpu_s"] = round(entry["cpu_s"] + cpu, 4)
            entry["max_s"] = round(max(entry["max_s"], duration), 4)
            entry["rows"] += rows
        with path.open("w") as out:
            for s in sorted(seconds):
                out.write(json.dumps(seconds[s]) + "\n")


def _rows(samples: Sequence[Any]) -> int:
    """The samples ``samples`` stands for (a block counts its values), as
    mikromon.domain.samples.sample_count, here so that an older tree runs this too."""
    return sum(1 if isinstance(s, Sample) else len(s) for s in samples)
