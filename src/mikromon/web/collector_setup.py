"""How the web application builds its collector: the Django-backed
:class:`mikromon.schedule.CollectorService` and the storage ``MIKROMON_WRITER``
chooses (in the writer thread, or in a child process), chosen again at each start.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Values of the ``MIKROMON_WRITER`` setting.
WRITER_MODES = ("auto", "process", "thread")

#: With ``MIKROMON_WRITER=auto`` the writer runs in a child process from this many
#: enabled devices (on 2 usable CPUs or more). Measured on the 2-core test VM with
#: SQLite (bench/RESULTS.md, "The writer's queue bounded in rows" and "The
#: 1,000-router SQLite step again"): the writer thread held 750 routers and sat at
#: the 99 % on-time line at 1,000, the child process held 1,000. 500 leaves a
#: margin below the 750 the thread held; below it the child is an extra process
#: (memory, start-up, pickling) for nothing.
PROCESS_WRITER_FROM_DEVICES = 500


@dataclass(frozen=True, slots=True)
class WriterChoice:
    """Where the collector's database writes run, and why.

    Attributes:
        mode: ``"thread"`` (a :class:`DjangoStorage` in the writer thread) or
            ``"process"`` (a :class:`ProcessStorage`: a child process).
        why: ``"auto: 812 devices, 2 CPUs"``, ``"auto: 1 CPU"``, ``"auto: devices
            not counted (<error>)"``, or ``"MIKROMON_WRITER=<mode>"`` when forced.
    """

    mode: str
    why: str


def writer_mode() -> str:
    """Return the ``MIKROMON_WRITER`` setting: ``"auto"`` (default), ``"process"``
    or ``"thread"``.

    Raises:
        ConfigError: any other value, naming the setting and the allowed values.
    """
    from django.conf import settings

    return _checked(getattr(settings, "MIKROMON_WRITER", "auto"))


def _checked(mode: object) -> str:
    from mikromon.config import one_of
    from mikromon.domain.errors import ConfigError

    if mode not in WRITER_MODES:
        raise ConfigError(f"MIKROMON_WRITER must be {one_of(WRITER_MODES)}, not {mode!r}")
    return str(mode)


#: Where Linux shows the cgroup (v2) hierarchy; each group's ``cpu.max`` holds its
#: CPU limit, ``"<quota> <period>"`` in microseconds or ``"max <period>"`` for none.
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: This process's cgroup: the line ``0::<path>`` (cgroup v2).
PROC_CGROUP = Path("/proc/self/cgroup")


def usable_cpus(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """The CPUs this process may run on: ``os.sched_getaffinity(0)`` where the
    system has it (Linux: ``taskset`` or a container's cpuset may allow fewer than
    the machine has), else ``os.cpu_count()``, and no more than the smallest CPU
    quota of its cgroup and the groups above it (``docker --cpus``, a Kubernetes
    limit, systemd's ``CPUQuota=``), rounded up; 1 when nothing says."""
    affinity = getattr(os, "sched_getaffinity", None)
    cpus = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    quota = cgroup_cpu_quota(cgroup_root, proc_cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def cgroup_cpu_quota(cgroup_root: Path = CGROUP_ROOT,
                     proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The smallest cgroup v2 CPU quota over this process's cgroup and its parents,
    in CPUs (``1.5``); ``None`` where none is set or none can be read (cgroup v1,
    no Linux)."""
    try:
        group = next((line[3:] for line in proc_cgroup.read_text().splitlines()
                      if line.startswith("0::")), "/")
    except OSError:
        group = "/"
    path = cgroup_root / group.strip("/")
    quotas = []
    while True:
        try:
            quota, period = (path / "cpu.max").read_text().split()[:2]
            if quota != "max":
                quotas.append(int(quota) / int(period))
        except (OSError, ValueError, ZeroDivisionError):
            pass  # no limit readable here: the groups above may have one
        if path == cgroup_root or path == path.parent:
            return min(quotas) if quotas else None
        path = path.parent


def enabled_devices() -> int:
    """The enabled devices of the database (every collector member's, not a share).

    Raises:
        django.db.DatabaseError: the database could not be read.
    """
    from mikromon.web.monitor.models import Device

    return int(Device.objects.filter(enabled=True).count())


def choose_writer(setting: str, *, cpus: int, devices: Callable[[], int]) -> WriterChoice:
    """Decide where the writes run for ``MIKROMON_WRITER=setting``.

    ``"thread"`` and ``"process"`` force their mode. ``"auto"``: ``"process"`` when
    ``cpus`` is at least 2 and ``devices()`` at least
    :data:`PROCESS_WRITER_FROM_DEVICES`, else ``"thread"``. ``devices`` is called
    only for ``"auto"`` on 2 CPUs or more; when it raises, the choice is
    ``"thread"`` (the mode that needs no second process) and ``why`` says so.

    Args:
        setting: ``"auto"``, ``"process"`` or ``"thread"``.
        cpus: CPUs this process may use (:func:`usable_cpus`).
        devices: returns the enabled devices to poll (:func:`enabled_devices`).

    Raises:
        ConfigError: ``setting`` is none of the three.
    """
    mode = _checked(setting)
    if mode != "auto":
        return WriterChoice(mode, f"MIKROMON_WRITER={mode}")
    if cpus < 2:
        return WriterChoice("thread", "auto: 1 CPU")
    try:
        count = devices()
    except Exception as err:
        return WriterChoice("thread", f"auto: devices not counted ({type(err).__name__}: {err})")
    mode = "process" if count >= PROCESS_WRITER_FROM_DEVICES else "thread"
    return WriterChoice(mode, f"auto: {count} devices, {cpus} CPUs")


def build_storage(maintenance_member: str | None = None) -> Any:
    """Return the collector's storage as :func:`choose_writer` decides for the
    ``MIKROMON_WRITER`` setting, the usable CPUs and the enabled devices now: a
    :class:`ProcessStorage` (database writes in a child process) for ``"process"``,
    a :class:`DjangoStorage` (in the writer thread) for ``"thread"``; its
    ``stats()`` gives the mode and the reason. Logs the choice (INFO).

    Args:
        maintenance_member: a collector member's ``member_id``: its storage runs
            the maintenance only while it is that member's duty
            (:mod:`mikromon.web.control.maintainer`); ``None``: always.

    Raises:
        ConfigError: ``MIKROMON_WRITER`` has an unknown value.
    """
    from mikromon.web.monitor.process_storage import ProcessStorage
    from mikromon.web.monitor.storage import DjangoStorage

    choice = choose_writer(writer_mode(), cpus=usable_cpus(), devices=enabled_devices)
    log.info("collector writer: %s (%s)", choice.mode, choice.why)
    if choice.mode == "process":
        return ProcessStorage(maintenance_member=maintenance_member, why=choice.why)
    return DjangoStorage(maintenance_member=maintenance_member, why=choice.why)


def build_collector() -> Any:
    """Register the Django-backed collector factory with :mod:`mikromon.schedule` and
    return the process-wide service (``mikromon.schedule.get_collector()``), not started.

    The service reads devices through :class:`DjangoDeviceSource`, writes through
    :func:`build_storage`, called at each start of the service (``MIKROMON_WRITER``:
    the writer thread or a child process, by default chosen for the fleet then:
    stopping and starting the collector chooses again), evaluates alert rules with
    :class:`~mikromon.web.alerts.store.DjangoAlertStore`, and holds
    :class:`DjangoCollectorLock` (one active collector per database), or, when
    :func:`shares_fleet`, :func:`member_parts` (this collector polls its share,
    and its storage runs the maintenance while it is this member's duty);
    ``MIKROMON_TIME_SCALE`` divides its intervals. With ``MIKROMON_SYSLOG_PORT``
    set it also runs the syslog receiver (settings ``MIKROMON_SYSLOG``); with
    ``MIKROMON_REMOTE_WRITE_URL`` or ``MIKROMON_INFLUX_URL``, and the outputs admins
    configure (:func:`mikromon.web.control.outputs.configured`, rebuilt at each
    configuration change) it pushes samples there (a bad variable raises
    ``ConfigError`` when the service is built).

    Raises:
        ConfigError: ``MIKROMON_WRITER`` has an unknown value.
    """
    from django.conf import settings

    from mikromon import schedule
    from mikromon.outputs.manager import OutputSet
    from mikromon.outputs.worker import configs_from_env
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.control.outputs import configured, kept_names
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource

    writer_mode()  # an invalid MIKROMON_WRITER fails here, at start-up
    configs_from_env()  # so does a bad MIKROMON_REMOTE_WRITE_* / MIKROMON_INFLUX_*

    def factory() -> Any:
        source, lock, alerts = DjangoDeviceSource(), DjangoCollectorLock(), DjangoAlertStore()
        deps, member_id = None, None
        if shares_fleet():
            source, lock, alerts = member_parts()
            deps = schedule.CollectorDeps(shared_fleet=True)
            member_id = lock.membership.member_id
        return schedule.CollectorService(
            source, functools.partial(build_storage, member_id), lock, deps=deps,
            alerts=alerts,
            syslog=getattr(settings, "MIKROMON_SYSLOG", None),
            outputs=OutputSet(loader=configured, data_dir=Path(settings.DATA_DIR),
                              kept=kept_names),
        )

    schedule.configure(factory)
    return schedule.get_collector()


def shares_fleet() -> bool:
    """Whether this collector shares the fleet with other collectors of the database
    (``MIKROMON_COLLECTOR_MEMBERS`` on, or ``MIKROMON_COLLECTORS`` of 2 or more).

    Raises:
        ConfigError: either variable is malformed.
    """
    from mikromon import config

    return config.collector_members()


def member_parts() -> tuple[Any, Any, Any]:
    """The device source, lock and alert store of a collector member
    (:mod:`mikromon.web.control.member_collector`), ``MIKROMON_MEMBER_TTL`` seconds
    without heartbeat before its devices move to the others.

    Raises:
        ConfigError: ``MIKROMON_MEMBER_TTL`` is not a number of at least 1.
    """
    from mikromon import config
    from mikromon.domain.errors import ConfigError
    from mikromon.web.control.member_collector import (
        MemberAlertStore,
        MemberLock,
        MemberSource,
    )
    from mikromon.web.control.members import Membership

    ttl = config.number("MIKROMON_MEMBER_TTL")
    if ttl < 1.0:
        raise ConfigError(f"MIKROMON_MEMBER_TTL must be at least 1 second, not {ttl:g}")
    membership = Membership(ttl=ttl)
    return MemberSource(membership), MemberLock(membership), MemberAlertStore(membership)
