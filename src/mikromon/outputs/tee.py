"""Where the collector meets its outputs: a storage queue that forwards everything
to the writer and hands each device's samples to every output on the way."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, SampleItem, each_sample

log = logging.getLogger(__name__)


class SampleOutput(Protocol):
    """An output the collector feeds (:class:`~mikromon.outputs.worker.OutputWorker`)."""

    def add(self, device: str, address: str, samples: Sequence[Sample]) -> None:
        """Take samples of the device named ``device``, polled at ``address``."""
        ...

    def start(self) -> None:
        """Start sending."""
        ...

    def stop(self, timeout: float = 5.0) -> bool:
        """Keep what is unsent for later and stop; ``True`` when done in time."""
        ...

    def status(self) -> dict[str, Any]:
        """The output's state (last push, lag, queue, drops, errors)."""
        ...


class OutputsQueue:
    """Forwards to ``inner`` (the writer, or the alerting queue before it) and gives
    samples to ``outputs``; ``device_of(device_id)`` names the device as
    ``(name, address)`` (``None``: unknown, its samples are not sent). An output's
    error is logged (once a minute at most) and never reaches the collector."""

    def __init__(self, inner: Any, outputs: Sequence[SampleOutput],
                 device_of: Callable[[int], tuple[str, str] | None]) -> None:
        self._inner = inner
        self._outputs = outputs
        self._device_of = device_of
        self._logged = 0.0

    def put_samples(self, device_id: int, items: Sequence[SampleItem]) -> None:
        """Queue with the writer, then hand the samples (blocks as
        their samples) to every output."""
        self._inner.put_samples(device_id, items)
        if not items or len(self._outputs) == 0:
            return
        device = self._device_of(device_id)
        if device is None:
            return
        samples = each_sample(items)
        for output in self._outputs:
            try:
                output.add(device[0], device[1], samples)
            except Exception:
                now = time.monotonic()
                if now - self._logged > 60:
                    self._logged = now
                    log.exception("an output refused samples; polling goes on")

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Queue with the writer."""
        self._inner.put_inventory(device_id, snapshot)

    def put_events(self, events: Sequence[Event]) -> None:
        """Queue with the writer."""
        self._inner.put_events(events)

    def put_status(self, status: DeviceStatus) -> None:
        """Queue with the writer."""
        self._inner.put_status(status)
