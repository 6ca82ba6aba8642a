"""Cross-connection behaviour: configuration version, collector lock, worker threads.

These tests use real transactions (``transaction=True``) so that other
connections, threads and processes see committed data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.db import connection, connections

from mikromon.domain.clock import ManualClock
from mikromon.domain.samples import Sample
from mikromon.web.monitor.lock import DjangoCollectorLock
from mikromon.web.monitor.models import CollectorLease, Device, MetricPoint, Tag
from mikromon.web.monitor.sources import DjangoDeviceSource
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]


def in_thread(func: Callable[[], Any]) -> Any:
    """Run ``func`` in a new thread (its own database connection) and return its result."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(func())
        except BaseException as err:
            errors.append(err)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if errors:
        raise errors[0]
    return result[0]


def _make_device(name: str = "r1") -> Device:
    dev = Device(name=name, host="127.0.0.1", username="api")
    dev.set_password("pw")
    dev.save()
    return dev


def test_config_version_changes_on_every_config_write() -> None:
    """Create, edit, tag add/remove/clear, tag edit and delete all change the token,
    and each new token is visible from another connection."""
    source = DjangoDeviceSource()
    seen = [source.config_version()]

    def changed() -> None:
        token = in_thread(source.config_version)
        assert token not in seen
        seen.append(token)

    dev = _make_device()
    changed()
    dev.host = "::1"
    dev.save()
    changed()
    tag = Tag.objects.create(name="core")
    changed()
    dev.tags.add(tag)
    changed()
    dev.tags.remove(tag)
    changed()
    dev.tags.add(tag)
    dev.tags.clear()
    assert in_thread(source.config_version) != seen[-1]
    seen.append(in_thread(source.config_version))
    tag.delete()
    changed()
    dev.delete()
    changed()


def test_config_version_sees_changes_from_another_process() -> None:
    """A device saved through the ORM by another process changes the token here."""
    source = DjangoDeviceSource()
    before = source.config_version()
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        url = (
            f"postgresql://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
            f"{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    script = (
        "from mikromon.web import bootstrap; bootstrap.setup();"
        "from mikromon.web.monitor.models import Device;"
        "d = Device(name='other-process', host='127.0.0.1', username='u'); d.save()"
    )
    env = {**os.environ, "MIKROMON_DATABASE_URL": url}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert source.config_version() != before
    assert [c.name for c in source.load_devices()] == ["other-process"]


def test_load_devices_decrypts_and_skips_undecryptable(settings) -> None:
    """load_devices returns every device with its password; one whose password the
    current key cannot decrypt is skipped and gets the reason in last_error."""
    from cryptography.fernet import Fernet

    good = _make_device("good")
    disabled = _make_device("off")
    disabled.enabled = False
    disabled.save()
    old_keys = list(settings.MIKROMON_FERNET_KEYS)
    settings.MIKROMON_FERNET_KEYS = [Fernet.generate_key().decode()]
    bad = _make_device("bad")
    settings.MIKROMON_FERNET_KEYS = old_keys
    configs = in_thread(DjangoDeviceSource().load_devices)
    assert [(c.name, c.password, c.enabled) for c in configs] == [
        ("good", "pw", True), ("off", "pw", False),
    ]
    assert configs[0].id == good.pk
    bad.refresh_from_db()
    assert "cannot decrypt the password of device 'bad'" in bad.last_error


def test_storage_from_a_worker_thread(t0: datetime) -> None:
    """DjangoStorage works from a non-main thread and its writes are visible here."""
    dev = _make_device()
    storage = DjangoStorage(maintenance_interval=None)

    def write() -> int:
        try:
            return storage.write_samples(dev.pk, [Sample("m", 1.5, t0)])
        finally:
            storage.close()

    assert in_thread(write) == 1
    assert MetricPoint.objects.get().value == 1.5


def test_lease_lock_excludes_then_takes_over_after_expiry(t0: datetime) -> None:
    """While the holder refreshes, a second collector cannot acquire; once the lease
    expires it takes over and the old holder's refresh reports the loss."""
    clock = ManualClock(wall=t0)
    first = DjangoCollectorLock(mode="lease", ttl=30, clock=clock.now)
    second = DjangoCollectorLock(mode="lease", ttl=30, clock=clock.now)
    try:
        assert first.acquire()
        assert not in_thread(second.acquire)
        clock.advance(20)
        assert first.refresh()
        clock.advance(20)
        assert not second.acquire()  # renewed 20 s ago: still valid
        clock.advance(11)
        assert second.acquire()
        assert not first.refresh()
        lease = CollectorLease.objects.get()
        assert (lease.owner, lease.pid) == (second.owner, os.getpid())
    finally:
        first.release()
        second.release()


def test_lease_lock_free_after_release(t0: datetime) -> None:
    """After release another collector acquires at once; releasing twice is harmless."""
    clock = ManualClock(wall=t0)
    first = DjangoCollectorLock(mode="lease", clock=clock.now)
    second = DjangoCollectorLock(mode="lease", clock=clock.now)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    first.release()
    assert CollectorLease.objects.get().owner == ""
    assert second.acquire()
    assert not first.refresh()
    second.release()


def test_lock_modes_are_checked() -> None:
    """Unknown modes and bad ttl are rejected; SQLite cannot use advisory locks."""
    with pytest.raises(ValueError, match="unknown collector lock mode"):
        DjangoCollectorLock(mode="flock")
    with pytest.raises(ValueError, match="ttl"):
        DjangoCollectorLock(ttl=0)
    if connection.vendor == "sqlite":
        with pytest.raises(ValueError, match="needs PostgreSQL"):
            DjangoCollectorLock(mode="advisory")


def test_advisory_lock_on_postgresql() -> None:
    """PostgreSQL: the second collector cannot acquire while the first holds the advisory
    lock; it takes over as soon as the first releases or its session dies."""
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only")
    first = DjangoCollectorLock()
    second = DjangoCollectorLock()
    third = DjangoCollectorLock()
    assert first.mode == "advisory"
    try:
        assert first.acquire()
        assert first.refresh()
        assert not in_thread(second.acquire)
        assert CollectorLease.objects.get().owner == first.owner
        first.release()
        assert second.acquire()
        assert not third.acquire()
        second._conn.close()  # the holder's session ends, as when its process dies
        assert third.acquire()
        assert not second.refresh()
    finally:
        for lock in (first, second, third):
            lock.release()
