"""The collector's set of outputs, rebuilt while it runs.

:class:`OutputSet` holds one :class:`~.worker.OutputWorker` per configured output.
:meth:`OutputSet.reload` reads the wanted configurations (``loader``: the web
application's outputs table plus the environment) and changes only what changed:
an output whose :class:`~.worker.OutputConfig` is new or different gets a new
worker on the same queue folder (``<data>/outputs/<name>``) after the old one
stopped, so payloads still queued on disk are sent by the new one; an output no
longer wanted is stopped: a disabled one keeps its queue on disk (enabled again,
it sends it), a deleted one (no longer among the names ``kept`` returns: stored
outputs, enabled or not, and the environment's) has its queue folder removed once
its worker stopped (:func:`remove_queue`).

The collector calls :meth:`OutputSet.reload` when its configuration version
changes (:mod:`mikromon.schedule.service`), within a few seconds of a save.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from mikromon.outputs.tee import SampleOutput
from mikromon.outputs.worker import OutputConfig, OutputWorker, Sender, http_post

log = logging.getLogger(__name__)

#: Returns the outputs wanted now (names unique). Raises on a read failure.
Loader = Callable[[], Sequence[OutputConfig]]
#: What an output's name may be (it names its queue folder).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def queue_folder(data_dir: Path, name: str) -> Path:
    """The queue folder of the output ``name``: ``<data_dir>/outputs/<name>``.

    Raises:
        ValueError: ``name`` is not an output name (:data:`NAME_RE`), so it could
            name a folder elsewhere.
    """
    if not NAME_RE.match(name):
        raise ValueError(f"not an output name: {name!r}")
    return data_dir / "outputs" / name


def remove_queue(data_dir: Path, name: str) -> bool:
    """Remove the queue folder of the output ``name`` (what it still held is
    lost); ``False`` when there was none.

    Raises:
        ValueError: ``name`` is not an output name.
        OSError: the folder cannot be removed.
    """
    folder = queue_folder(data_dir, name)
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


class OutputSet(Sequence[SampleOutput]):
    """The running outputs, a sequence of workers (a snapshot is iterated, so a
    reload never disturbs the collector handing samples over).

    Args:
        outputs: fixed outputs (built before; kept across reloads unless the
            loader names them).
        loader: the configured outputs (``None``: only ``outputs``).
        data_dir: the data folder; queues go in ``<data_dir>/outputs/<name>``.
        send: the HTTP client of new workers (tests give their own).
        kept: the names of the outputs that exist, running or not (``None``: every
            queue is kept); a stopped output not among them was deleted and its
            queue folder is removed.
    """

    def __init__(self, outputs: Iterable[SampleOutput] = (), *, loader: Loader | None = None,
                 data_dir: Path | None = None, send: Sender = http_post,
                 kept: Callable[[], Collection[str]] | None = None) -> None:
        self._fixed: tuple[SampleOutput, ...] = tuple(outputs)
        self._loader = loader
        self._kept = kept
        self._data_dir = data_dir
        self._send = send
        self._managed: dict[str, OutputWorker] = {}
        self._current: tuple[SampleOutput, ...] = self._fixed
        self._running = False
        self._lock = threading.Lock()
        self.reload_error = ""

    @classmethod
    def of(cls, outputs: Sequence[SampleOutput]) -> OutputSet:
        """``outputs`` itself when it is an :class:`OutputSet`, else a fixed set of them."""
        return outputs if isinstance(outputs, OutputSet) else cls(outputs)

    # -- sequence ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._current)

    @overload
    def __getitem__(self, index: int) -> SampleOutput: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SampleOutput]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self._current[index]

    def __iter__(self) -> Iterator[SampleOutput]:
        return iter(self._current)

    def __bool__(self) -> bool:
        """Always true: outputs may be configured later, so the collector always
        hands samples over (a no-op while the set is empty)."""
        return True

    # -- control -----------------------------------------------------------------------

    def start(self) -> None:
        """Start every worker; workers added by later reloads start at once."""
        with self._lock:
            self._running = True
            for output in self._current:
                output.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop every worker (what is unsent stays queued on disk); ``True`` when
        all ended within ``timeout`` seconds each. The workers built by
        :meth:`reload` are let go (a stopped worker has closed its queue and released
        its folder): after the next :meth:`start`, the next reload builds them anew
        on their queue folders, as the collector's start does."""
        with self._lock:
            self._running = False
            ok = True
            for output in self._current:
                ok = output.stop(timeout) and ok
            self._managed.clear()
            self._current = self._fixed
            return ok

    def reload(self) -> list[str]:
        """Read the wanted outputs and rebuild those that changed (see the module).

        Returns:
            what changed, one line each (``"started influx"``...), for the log.
            A loader failure keeps the running outputs (``reload_error`` says why);
            an output whose worker cannot be built (an unusable folder) is logged
            and left out; the others go on.
        """
        if self._loader is None or self._data_dir is None:
            return []
        try:
            wanted = {config.name: config for config in self._loader()}
        except Exception as err:
            log.exception("reading the outputs failed; keeping the current ones")
            self.reload_error = f"reading the outputs failed: {err}"
            return []
        self.reload_error = ""
        kept = self._kept_names()
        changes: list[str] = []
        with self._lock:
            for name, worker in list(self._managed.items()):
                if wanted.get(name) != worker.config:
                    worker.stop()
                    del self._managed[name]
                    changes.append(f"stopped {name}")
                    if kept is not None and name not in kept and name not in wanted:
                        changes += self._remove(name)
            for name, config in wanted.items():
                if name in self._managed:
                    continue
                try:
                    worker = OutputWorker(config, queue_folder(self._data_dir, name),
                                          send=self._send)
                except (OSError, ValueError) as err:
                    log.error("output %s cannot start: %s", name, err)
                    continue
                self._managed[name] = worker
                if self._running:
                    worker.start()
                changes.append(f"started {name}")
            named = set(self._managed)
            fixed = tuple(o for o in self._fixed if _name(o) not in named)
            self._current = fixed + tuple(self._managed[n] for n in sorted(self._managed))
        for line in changes:
            log.info("output %s", line.replace("started", "(re)started", 1))
        return changes


    def _kept_names(self) -> Collection[str] | None:
        """The names whose queues stay; ``None`` (keep all) without ``kept`` or
        when it fails."""
        if self._kept is None:
            return None
        try:
            return set(self._kept())
        except Exception:
            log.exception("reading the output names failed; keeping every queue")
            return None

    def _remove(self, name: str) -> list[str]:
        assert self._data_dir is not None
        try:
            removed = remove_queue(self._data_dir, name)
        except (OSError, ValueError) as err:
            log.error("output %s: its queue folder cannot be removed: %s", name, err)
            return []
        return [f"removed the queue of {name}"] if removed else []


def _name(output: SampleOutput) -> str | None:
    config = getattr(output, "config", None)
    return getattr(config, "name", None)
