"""ProcessStorage's life cycle without a database: what happens when the
interpreter exits, when the child cannot start, and when the process group gets
SIGTERM. The children are real spawned processes; the calls used here
(``write_events([])``) never touch the database."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mikromon.domain.errors import StorageProcessError
from mikromon.web.monitor import process_storage, storage_child
from mikromon.web.monitor.process_storage import ProcessStorage

#: Runs in a fresh interpreter: a daemon thread keeps calling a ProcessStorage
#: while the main thread exits. The first atexit handler registered runs last: it
#: waits until the thread either saw a start refused or started a second child,
#: then prints how many children were started.
EXIT_SCRIPT = textwrap.dedent("""
    import atexit, sys, threading, time

    outcome = threading.Event()
    starts = []
    refusals = []

    def report():
        outcome.wait(30)
        print(f"starts={len(starts)} refused={len(refusals)}", flush=True)

    atexit.register(report)

    from mikromon.web import bootstrap
    bootstrap.setup(sys.argv[1])

    import multiprocessing.context as mpc

    original_start = mpc.SpawnProcess.start

    def counting_start(self):
        starts.append(time.monotonic())
        if len(starts) > 1:
            outcome.set()
        return original_start(self)

    mpc.SpawnProcess.start = counting_start

    from mikromon.web.monitor.process_storage import ProcessStorage

    store = ProcessStorage(maintenance_interval=None, stop_timeout=5)
    first = threading.Event()

    def keep_calling():
        while True:
            try:
                store.write_events([])
                first.set()
            except Exception as err:
                if "exiting" in str(err):
                    refusals.append(str(err))
                    outcome.set()
                    return

    threading.Thread(target=keep_calling, daemon=True).start()
    if not first.wait(60):
        sys.exit("the storage process never answered")
""")


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MIKROMON_", "DJANGO_"))}
    return env


@pytest.mark.slow
def test_no_child_is_started_while_the_interpreter_exits(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=120, env=child_env(),
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "starts=1 refused=1", done.stderr


@pytest.fixture
def store() -> Iterator[ProcessStorage]:
    store = ProcessStorage(maintenance_interval=None, reply_timeout=60, stop_timeout=2)
    yield store
    store.close()


def test_the_child_ignores_sigterm_and_close_still_ends_it(store: ProcessStorage) -> None:
    store.write_events([])
    pid = store.pid
    assert pid is not None
    os.kill(pid, signal.SIGTERM)  # what a process-group SIGTERM sends it
    store.write_events([])  # a flush during shutdown still reaches the same child
    assert store.pid == pid
    store.close()
    assert store.pid is None
    assert gone(pid)


def test_close_kills_a_child_that_does_not_answer(store: ProcessStorage) -> None:
    store.write_events([])
    pid = store.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    store.close()  # STOP unanswered, pipe closed, join times out, SIGKILL
    assert gone(pid)


def gone(pid: int) -> bool:
    """Whether process ``pid`` no longer exists (reaped, not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_failed_start_is_remembered_with_a_growing_interval(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import multiprocessing.context as mpc

    spawned: list[int] = []
    original = mpc.SpawnProcess.start

    def counting_start(self: mpc.SpawnProcess) -> None:
        spawned.append(1)
        original(self)

    monkeypatch.setattr(mpc.SpawnProcess, "start", counting_start)
    now = [1000.0]
    store = ProcessStorage(maintenance_interval=None, clock=lambda: now[0])
    try:
        monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "mikromon.no_such_settings")
        caplog.set_level("INFO", logger="mikromon.web.monitor.process_storage")
        for _ in range(3):
            with pytest.raises(StorageProcessError, match="could not start: ModuleNotFoundError"):
                store.write_events([])
        assert len(spawned) == 1  # the next two failed fast
        with pytest.raises(StorageProcessError, match=r"\(next attempt in 1\.0 s\)") as fast:
            store.write_events([])
        assert "no_such_settings" in str(fast.value.__cause__)  # the child's traceback
        now[0] += 1.0
        with pytest.raises(StorageProcessError, match="could not start: ModuleNotFoundError"):
            store.write_events([])
        assert len(spawned) == 2
        now[0] += 1.9
        with pytest.raises(StorageProcessError, match=r"next attempt in 0\.1 s"):
            store.write_events([])
        now[0] += 0.1
        with pytest.raises(StorageProcessError, match="could not start: ModuleNotFoundError"):
            store.write_events([])
        assert len(spawned) == 3
        with pytest.raises(StorageProcessError, match=r"next attempt in 4\.0 s"):
            store.write_events([])
        # Logged once for the same reason; the interval stops growing at 60 s.
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1, warnings
        assert store.restarts == 0
        assert warnings[0].startswith("the storage process could not start: ModuleNotFoundError")
        for _ in range(6):
            store._remember_failure(store._failure.reason, "")  # type: ignore[union-attr]
        assert store._failure is not None
        assert store._failure.interval == 60.0
        store._remember_failure("OSError: another reason", "")
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"][-1] \
            .startswith("the storage process could not start: OSError: another reason")
        monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
        monkeypatch.setenv("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE")
                           or "mikromon.web.settings")
        now[0] += 60.0
        store.write_events([])  # recovered
        assert len(spawned) == 4
        assert store._failure is None
        assert caplog.records[-1].getMessage() == (
            f"storage process started (pid {store.pid}) after 10 failed start(s)")
        assert store.restarts == 1
    finally:
        store.close()


class _FakeProcess:
    pid = 4242
    exitcode = None

    def is_alive(self) -> bool:
        return False

    def join(self, timeout: float | None = None) -> None:
        pass


class _SlowMaintenance:
    """A storage whose maintenance, due after every call, takes ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.runs = 0

    def write_events(self, events: object) -> None:
        return None

    def maintenance_due(self) -> bool:
        return True

    def maintain(self) -> bool:
        import time

        self.runs += 1
        time.sleep(self.seconds)  # the maintenance's own duration, not a wait for something
        return True


def _serving(fake: _SlowMaintenance, heartbeat_s: float, reply_timeout: float
             ) -> tuple[ProcessStorage, threading.Thread]:
    """A ProcessStorage whose "child" is :func:`_serve` in a thread of this process."""
    ours, theirs = multiprocessing.Pipe()
    server = threading.Thread(target=storage_child.serve, args=(theirs, fake, heartbeat_s),
                              daemon=True)
    server.start()
    store = ProcessStorage(maintenance_interval=None, reply_timeout=reply_timeout)
    store._child = process_storage._Child(_FakeProcess(), ours)
    return store, server


def test_maintenance_runs_after_the_reply_and_heartbeats_keep_the_next_call_alive() -> None:
    import time

    fake = _SlowMaintenance(seconds=1.5)
    store, server = _serving(fake, heartbeat_s=0.1, reply_timeout=0.5)
    started = time.monotonic()
    store.write_events([])  # answered before the 1.5 s maintenance that follows
    assert time.monotonic() - started < 1.0
    store.write_events([])  # waits behind the maintenance: 3x the reply timeout
    assert time.monotonic() - started >= 1.5
    assert fake.runs >= 1
    store._child.conn.close()  # type: ignore[union-attr]
    server.join(10)
    assert not server.is_alive()


def test_without_heartbeats_a_long_wait_is_a_hung_child() -> None:
    fake = _SlowMaintenance(seconds=1.5)
    store, server = _serving(fake, heartbeat_s=60.0, reply_timeout=0.5)
    store.write_events([])
    with pytest.raises(StorageProcessError, match=r"no reply within 0\.5 s"):
        store.write_events([])
    assert store.pid is None
    server.join(10)
    assert not server.is_alive()
