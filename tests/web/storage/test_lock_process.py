"""The collector lease names its holder's process (boot id, pid namespace, pid,
start time), so a collector restarted on the same machine after a crash takes
over a dead process's lease at once, and never the lease of a live one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from mikromon.web.monitor import lock as lock_module
from mikromon.web.monitor.lock import DjangoCollectorLock, holder_is_gone, process_identity
from mikromon.web.monitor.models import CollectorLease

HOST = socket.gethostname()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def killed(proc: subprocess.Popen[bytes]) -> str:
    """Return ``proc``'s identity, then SIGKILL it and reap it."""
    identity = process_identity(proc.pid)
    assert identity
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return identity


def test_identity_names_boot_namespace_pid_and_start_time() -> None:
    boot, namespace, pid, ticks = process_identity().split(" ")
    assert boot == lock_module.BOOT_ID_PATH.read_text().strip()
    assert namespace.startswith("pid:[")
    assert int(pid) == os.getpid()
    assert ticks.isdigit()
    assert process_identity(2**22 + 12345) == ""  # no such process


def test_a_killed_process_is_gone_a_live_one_is_not(sleeper) -> None:
    assert not holder_is_gone(HOST, process_identity())
    assert not holder_is_gone(HOST, process_identity(sleeper.pid))
    assert holder_is_gone(HOST, killed(sleeper))


def test_only_processes_of_this_machine_boot_and_namespace_are_judged(sleeper) -> None:
    dead = killed(sleeper)
    boot, namespace, pid, ticks = dead.split(" ")
    assert not holder_is_gone("another-host", dead)
    assert not holder_is_gone(HOST, "")
    assert not holder_is_gone(HOST, "garbage")
    assert not holder_is_gone(HOST, f"{boot} {namespace} x {ticks}")
    # After a reboot or in another pid namespace the pid means another process.
    assert not holder_is_gone(HOST, f"00000000-0000-0000-0000-000000000000 {namespace} "
                                    f"{pid} {ticks}")
    assert not holder_is_gone(HOST, f"{boot} pid:[1] {pid} {ticks}")
    # A pid reused by another process (another start time): the holder is gone.
    me = process_identity().split(" ")
    assert holder_is_gone(HOST, " ".join([*me[:3], str(int(me[3]) + 1)]))


@pytest.mark.db_backend
@pytest.mark.django_db(transaction=True)
def test_a_dead_holders_lease_is_taken_at_once_a_live_ones_is_not(
    sleeper, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = datetime(2025, 1, 31, 12, 0, 0).astimezone()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        CollectorLease.objects.update_or_create(pk=CollectorLease.SINGLETON_ID, defaults=dict(
            owner="live-holder", host=HOST, pid=live.pid, process=process_identity(live.pid),
            acquired_at=t0, heartbeat=t0, expires_at=t0 + timedelta(seconds=30)))
        taker = DjangoCollectorLock(mode="lease", clock=lambda: t0 + timedelta(seconds=1))
        assert not taker.acquire()
        dead = killed(sleeper)
        CollectorLease.objects.filter(pk=1).update(
            owner="dead-holder", pid=sleeper.pid, process=dead)
        with caplog.at_level("WARNING", logger="mikromon.web.monitor.lock"):
            assert taker.acquire()
        assert f"pid {sleeper.pid} at once: that process is gone" in caplog.text
        lease = CollectorLease.objects.get()
        assert (lease.owner, lease.pid, lease.process) == (
            taker.owner, os.getpid(), process_identity())
        taker.release()
    finally:
        live.kill()
        live.wait(10)
