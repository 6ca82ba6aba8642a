"""One output's worker: batches samples into its durable queue and sends the
queue's payloads in order, in its own thread.

Flow: the collector calls :meth:`OutputWorker.add` (cheap: samples go into a
bounded in-memory buffer); the worker thread turns the buffer into a request body
in the output's format (:data:`FORMATS`: remote write 1.0, or InfluxDB line
protocol) every ``flush_interval_s`` or every ``batch_samples`` samples and puts
it in the :class:`~.disk_queue.DiskQueue`; it sends the oldest payload, and
acknowledges it when the store answers 2xx.

Retries (remote-write 1.0 specification): a connection error, a timeout, 5xx or
429 is retried with exponential backoff (``retry_min_s`` doubling up to
``retry_max_s``) and the payload stays queued, on disk, across restarts; any other
4xx means the store refuses that payload for good: it is dropped and counted
(``rejected``). Losses are counted, never silent: ``buffer_dropped`` (samples,
the in-memory bound), the queue's ``dropped`` (payloads, the disk bound) and
``rejected``.

The worker also sends the backlog of the output's queue folders that no process
holds any more, before its own queue (:mod:`~mikromon.outputs.adopted`).
"""

from __future__ import annotations

import logging
import struct
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from mikromon.domain.formatting import utc_iso
from mikromon.domain.samples import Sample
from mikromon.outputs import influx, queue_slot, remote_write
from mikromon.outputs.adopted import LOOK_S, AdoptedQueues
from mikromon.outputs.disk_queue import DiskQueue

log = logging.getLogger(__name__)

#: Sends ``body`` with ``headers`` to ``url``; returns the HTTP status. Raises
#: ``OSError`` when no answer came (connection refused, timeout).
Sender = Callable[[str, bytes, Mapping[str, str], float], int]

_COUNT: Final = struct.Struct(">I")


def _remote_write(chunk: Sequence[tuple[str, str, Sample]]) -> tuple[int, bytes]:
    series = remote_write.batch(chunk)
    return sum(len(points) for points in series.values()), remote_write.encode(series)


#: Output format -> (encoder of a chunk into (samples, body), request headers).
FORMATS: Final[Mapping[str, tuple[Callable[[Sequence[tuple[str, str, Sample]]],
                                           tuple[int, bytes]], Mapping[str, str]]]] = {
    "remote-write": (_remote_write, remote_write.HEADERS),
    "influx": (influx.encode, influx.HEADERS),
}

#: Most samples kept in memory before the oldest are dropped.
DEFAULT_BUFFER_SAMPLES: Final = 200_000


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputConfig:
    """One remote-write output.

    Attributes:
        name: a short name (folder of its queue, logs, status).
        url: the store's write URL (remote write: ``http://host:9090/api/v1/write``;
            InfluxDB: ``http://host:8086/write?db=mikromon``).
        format: ``remote-write`` or ``influx`` (:data:`FORMATS`).
        headers: extra headers (``Authorization``).
        max_disk_bytes: most bytes the queue keeps on disk.
        batch_samples: most samples per request.
        flush_interval_s: most seconds a sample waits in memory.
        timeout_s: seconds a request may take.
        retry_min_s, retry_max_s: the backoff's first and largest wait.
        buffer_samples: most samples kept in memory.
    """

    name: str
    url: str
    format: str = "remote-write"
    headers: Mapping[str, str] = field(default_factory=dict)
    max_disk_bytes: int = 2048 * 1024 * 1024
    batch_samples: int = 5000
    flush_interval_s: float = 1.0
    timeout_s: float = 10.0
    retry_min_s: float = 0.5
    retry_max_s: float = 30.0
    buffer_samples: int = DEFAULT_BUFFER_SAMPLES


def http_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST ``body`` with ``headers``; return the status (an HTTP error status too).

    Raises:
        OSError: no answer (refused, unreachable, timed out).
    """
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            reply.read()
            return int(reply.status)
    except urllib.error.HTTPError as err:
        err.read()
        return int(err.code)


class OutputWorker:
    """Batches, queues and sends one output's samples (see the module).

    Args:
        config: the output.
        folder: its queue's folder (``<data>/outputs/<name>``; held by another
            process of this machine: a folder inside it, see :attr:`folder`).
        send: the HTTP client (tests give their own).
        adopt_look_s: seconds between two looks for the output's folders no
            process holds (:class:`~mikromon.outputs.adopted.AdoptedQueues`).

    Raises:
        ValueError: an unknown format.
        OSError: the queue's folder cannot be used.
    """

    def __init__(self, config: OutputConfig, folder: Path, *, send: Sender = http_post,
                 adopt_look_s: float = LOOK_S) -> None:
        if config.format not in FORMATS:
            raise ValueError(f"output format must be one of {', '.join(FORMATS)}, "
                             f"not {config.format!r}")
        self.config = config
        self._send = send
        self._encode, format_headers = FORMATS[config.format]
        self._headers = {**format_headers, **config.headers}
        # Another collector process of this machine may queue for the same output.
        self._slot = queue_slot.claim(folder)
        try:
            self._queue = DiskQueue(self._slot.folder, max_bytes=config.max_disk_bytes)
        except BaseException:
            self._slot.release()
            raise
        self._adopted = AdoptedQueues(config.name, folder, self._slot.folder,
                                      max_bytes=config.max_disk_bytes, look_s=adopt_look_s)
        self._buffer: deque[tuple[str, str, Sample]] = deque()
        self._buffer_since = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self.buffer_dropped = 0
        self.rejected = 0
        self.sent_payloads = 0
        self.sent_samples = 0
        self.last_push: datetime | None = None
        self.last_error = ""
        self._oldest_queued: float | None = None

    # -- the collector's side -----------------------------------------------------------

    def add(self, device: str, address: str, samples: Sequence[Sample]) -> None:
        """Take samples of one device (named ``device``, polled at ``address``)."""
        with self._lock:
            if not self._buffer:
                self._buffer_since = time.monotonic()
            self._buffer.extend((device, address, s) for s in samples)
            excess = len(self._buffer) - self.config.buffer_samples
            for _ in range(max(0, excess)):
                self._buffer.popleft()
            self.buffer_dropped += max(0, excess)

    # -- thread --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread (no-op when running)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"mikromon-output-{self.config.name}")
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Queue what is in memory on disk, stop the thread; ``True`` when it ended."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            self._flush(force=True)
            self._queue.close()
            self._slot.release()
        self._adopted.close()
        return thread is None or not thread.is_alive()

    @property
    def folder(self) -> Path:
        """The folder its queue is in: ``folder`` given, or one of its
        ``member-N`` folders when another process holds that
        (:mod:`~mikromon.outputs.queue_slot`)."""
        return self._slot.folder

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                with self._lock:
                    self._flush(force=False)
                self._send_some()
            except Exception:  # one output's trouble never stops the collector
                log.exception("output %s: unexpected error; going on", self.config.name)
                self._stop.wait(1.0)

    def _flush(self, *, force: bool) -> None:
        """Under the lock: turn buffered samples into queued payloads when due."""
        while self._buffer:
            full = len(self._buffer) >= self.config.batch_samples
            due = time.monotonic() - self._buffer_since >= self.config.flush_interval_s
            if not (force or full or due):
                return
            take = min(len(self._buffer), self.config.batch_samples)
            chunk = [self._buffer.popleft() for _ in range(take)]
            count, body = self._encode(chunk)
            # A queued payload: its sample count (4 bytes), then the request body.
            self._queue.put(_COUNT.pack(count) + body)
            if self._oldest_queued is None:
                self._oldest_queued = time.time()
            self._buffer_since = time.monotonic()

    def _next(self) -> tuple[bytes | None, Callable[[], None]]:
        """The payload to send next and how to acknowledge it: an adopted
        folder's first, the own queue's only when none holds any or waits."""
        payload = self._adopted.peek()
        if payload is not None or self._adopted.holding():
            return payload, self._adopted.ack
        with self._lock:
            payload = self._queue.peek()
            if payload is None:
                self._oldest_queued = None
        return payload, self._ack_own

    def _ack_own(self) -> None:
        with self._lock:
            self._queue.ack()
            self._oldest_queued = time.time() if len(self._queue) else None

    def _send_some(self) -> None:
        """Send queued payloads in order until none is due or a send fails."""
        self._adopted.look()
        while not self._stop.is_set() and time.monotonic() >= self._retry_at:
            payload, ack = self._next()
            if payload is None:
                return
            count, body = _COUNT.unpack_from(payload)[0], payload[_COUNT.size:]
            try:
                status = self._send(self.config.url, body, self._headers,
                                    self.config.timeout_s)
            except OSError as err:
                self._failed(f"no answer: {err}")
                return
            if 200 <= status < 300:
                ack()
                self._delivered(count)
            elif status == 429 or status >= 500:
                self._failed(f"HTTP {status} (will retry)")
                return
            else:
                self.rejected += 1
                self.last_error = f"HTTP {status}: the store refused a batch; it was dropped"
                log.warning("output %s: %s", self.config.name, self.last_error)
                ack()

    def _delivered(self, count: int) -> None:
        if self.last_error:
            log.info("output %s: sending again", self.config.name)
        self.sent_payloads += 1
        self.sent_samples += count
        self.last_push = datetime.now(UTC)
        self.last_error = ""
        self._backoff = 0.0

    def _failed(self, message: str) -> None:
        if not self.last_error:
            log.warning("output %s: %s; retrying with backoff", self.config.name, message)
        self.last_error = message
        self._backoff = min(self.config.retry_max_s,
                            max(self.config.retry_min_s, self._backoff * 2))
        self._retry_at = time.monotonic() + self._backoff

    # -- status --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The output's state for the collector page and ``/metrics``: name, url,
        last_push (ISO UTC or ``None``), lag_s (age of the oldest unsent payload),
        queued_payloads, queue_bytes, buffered_samples, sent_payloads,
        sent_samples, dropped_payloads, buffer_dropped_samples, rejected_payloads,
        corrupt_payloads (its own queue's and the adopted folders'), last_error,
        and the adopted folders' (:meth:`AdoptedQueues.status`)."""
        adopted = self._adopted.status()
        with self._lock:
            oldest = self._oldest_queued
            return {**adopted,
                "name": self.config.name,
                "url": self.config.url,
                "last_push": utc_iso(self.last_push) if self.last_push else None,
                "lag_s": round(time.time() - oldest, 1) if oldest is not None else 0.0,
                "queued_payloads": len(self._queue),
                "queue_bytes": self._queue.disk_bytes,
                "buffered_samples": len(self._buffer),
                "sent_payloads": self.sent_payloads,
                "sent_samples": self.sent_samples,
                "dropped_payloads": self._queue.dropped,
                "buffer_dropped_samples": self.buffer_dropped,
                "rejected_payloads": self.rejected,
                "corrupt_payloads": self._queue.corrupt + adopted["adopted_corrupt"],
                "last_error": self.last_error,
            }


def outputs_from_env(data_dir: Path, environ: Mapping[str, str] | None = None
                     ) -> list[OutputWorker]:
    """Workers of :func:`configs_from_env`, each queued under
    ``<data_dir>/outputs/<name>``.

    Raises:
        ConfigError: as :func:`configs_from_env`.
    """
    return [OutputWorker(c, data_dir / "outputs" / c.name) for c in configs_from_env(environ)]


#: The outputs the environment can configure: (name, variable prefix, format,
#: scheme of ``_TOKEN`` in the ``Authorization`` header).
ENV_OUTPUTS: Final = (("remote-write", "MIKROMON_REMOTE_WRITE", "remote-write", "Bearer"),
                      ("influx", "MIKROMON_INFLUX", "influx", "Token"))


def auth_headers(fmt: str, *, token: str = "", user: str = "", password: str = ""
                 ) -> dict[str, str]:
    """The ``Authorization`` header of an output: ``Bearer <token>`` (remote write)
    or ``Token <token>`` (InfluxDB 2.x) when a token is given, else ``Basic`` of
    user and password when both are given, else none."""
    import base64

    if token:
        scheme = "Token" if fmt == "influx" else "Bearer"
        return {"Authorization": f"{scheme} {token}"}
    if user and password:
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    return {}


def configs_from_env(environ: Mapping[str, str] | None = None) -> list[OutputConfig]:
    """The outputs ``MIKROMON_REMOTE_WRITE_*`` and ``MIKROMON_INFLUX_*`` configure
    (named ``remote-write`` and ``influx``); none when their ``_URL`` is unset.

    Raises:
        ConfigError: a variable has a bad value (a URL that is not http(s), a user
            name without password, a size that is not a whole number > 0).
    """
    out = []
    for name, prefix, fmt, _scheme in ENV_OUTPUTS:
        config = _from_env(name, prefix, fmt, environ)
        if config is not None:
            out.append(config)
    return out


def _from_env(name: str, prefix: str, fmt: str, environ: Mapping[str, str] | None
              ) -> OutputConfig | None:
    from mikromon import config
    from mikromon.domain.errors import ConfigError

    url = config.given(f"{prefix}_URL", environ)
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{prefix}_URL={url!r}: must start with http:// or https://")
    token = config.given(f"{prefix}_TOKEN", environ)
    user = config.given(f"{prefix}_USERNAME", environ)
    password = config.given(f"{prefix}_PASSWORD", environ)
    if not token and (user or password) and not (user and password):
        raise ConfigError(f"{prefix}_USERNAME and {prefix}_PASSWORD go together")
    headers = auth_headers(fmt, token=token or "", user=user or "", password=password or "")
    megabytes = config.whole(f"{prefix}_MAX_DISK_MB", environ)
    return OutputConfig(name=name, url=url, format=fmt, headers=headers,
                        max_disk_bytes=megabytes * 1024 * 1024)
