"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Debian's Prometheus, InfluxDB and VictoriaMetrics for the exposition and output tests.
pytest_plugins = ["tsdb_servers"]


#: The RouterOS captures shipped in the repository: the emulator's package data,
#: copies of ``shared/routeros-captures`` (tests/test_captures_shipped.py keeps
#: them equal), so a clone alone runs every test.
SHIPPED_CAPTURES = REPO / "src" / "mikromon" / "emulator" / "data"


def captures_dir() -> Path:
    """The RouterOS captures the tests read: ``$MIKROMON_CAPTURES``, else the copies
    shipped in the repository (:data:`SHIPPED_CAPTURES`)."""
    env = os.environ.get("MIKROMON_CAPTURES")
    return Path(env) if env else SHIPPED_CAPTURES


@pytest.fixture(scope="session")
def captures() -> Path:
    """Path of the RouterOS captures folder (:func:`captures_dir`)."""
    path = captures_dir()
    if not path.is_dir():
        pytest.fail(f"RouterOS captures not found at {path}; set MIKROMON_CAPTURES")
    return path


@pytest.fixture(autouse=True)
def _isolated_logging():
    """Give every test the root logger as it found it: a command run in-process
    (``mikromon.cli.main``) configures logging for its process, as it should, and
    must not change what later tests capture."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# -- RouterOS emulator fixtures (mikromon.emulator.testing) ---------------------------


@pytest.fixture
def emulator():
    """One emulated RouterOS 7 router on 127.0.0.1 (background thread, port 0).

    Yields an ``EmulatorHandle``: ``.host .port .tls_port .username .password
    .profile .rates``, ``reboot()``, ``set_fault(...)``, ``clear_faults()``,
    ``set_password()``.
    """
    from mikromon.emulator.testing import running_emulators

    with running_emulators(count=1, profile="v7") as routers:
        yield routers[0]


@pytest.fixture
def emulators():
    """Factory: ``emulators(count, profile="v7", tls=False, **kw)`` starts a fleet in a
    background thread and returns its handles; every fleet stops after the test."""
    import contextlib

    from mikromon.emulator.testing import running_emulators

    with contextlib.ExitStack() as stack:

        def start(count=1, profile="v7", tls=False, **kw):
            return stack.enter_context(running_emulators(count, profile, tls, **kw))

        yield start
