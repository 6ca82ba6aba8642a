"""A collector killed with SIGKILL leaves its lease behind; the next one started on
the same machine sees that the lease's process is gone and polls at once instead of
waiting for the lease to expire (30 s).

Here the collector is a ``mikromon serve --single-process`` (the process killed
holds the lease). As processes, a killed supervisor's collector child stops
cleanly and gives its lease back; a killed collector child is started again by
the supervisor (tests/cli/test_serve_processes.py)."""

from __future__ import annotations

import signal
import time

import pytest
from cli_processes import start_server

pytestmark = pytest.mark.slow

ACQUIRED = r"collector lock acquired; polling starts"


def test_a_killed_collector_restarts_at_once(tmp_path) -> None:
    first = start_server("serve", "--port", "0", "--single-process", data_dir=tmp_path)
    second = None
    try:
        first.wait_for_stderr(ACQUIRED, 60)
        first.proc.send_signal(signal.SIGKILL)
        assert first.proc.wait(10) == -signal.SIGKILL
        started = time.monotonic()
        second = start_server("serve", "--port", "0", "--single-process", data_dir=tmp_path,
                              timeout=20)
        # Start-up (interpreter, Django, migrations check) takes a few seconds on a
        # busy machine; waiting out the 30 s lease would take far longer.
        second.wait_for_stderr(ACQUIRED, 20)
        waited = time.monotonic() - started
        assert "another collector is active" not in second.stderr, second.stderr[-3000:]
        assert waited < 20
        assert f"pid {first.proc.pid}" in second.stderr  # says whose lease it took over
        assert second.stop() == 0
    finally:
        for server in (first, second):
            if server is not None and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(10)
