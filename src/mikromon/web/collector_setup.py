"""How the web application builds its collector: the Django-backed
:class:`mikromon.schedule.CollectorService` and the storage ``MIKROMON_WRITER``
chooses (in the writer thread, or in a child process).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Values of the ``MIKROMON_WRITER`` setting.
WRITER_MODES = ("process", "thread")


def writer_mode() -> str:
    """Return the ``MIKROMON_WRITER`` setting: ``"thread"`` (default) or ``"process"``.

    Raises:
        ConfigError: any other value.
    """
    from django.conf import settings

    from mikromon.domain.errors import ConfigError

    mode = getattr(settings, "MIKROMON_WRITER", "thread")
    if mode not in WRITER_MODES:
        raise ConfigError(f"MIKROMON_WRITER must be {' or '.join(WRITER_MODES)}, not {mode!r}")
    return str(mode)


def build_storage(maintenance_member: str | None = None) -> Any:
    """Return the collector's storage for :func:`writer_mode`: a
    :class:`ProcessStorage` (database writes in a child process) for ``"process"``,
    a :class:`DjangoStorage` (in the writer thread) for ``"thread"``.

    Args:
        maintenance_member: a collector member's ``member_id``: its storage runs
            the maintenance only while it is that member's duty
            (:mod:`mikromon.web.control.maintainer`); ``None``: always.

    Raises:
        ConfigError: ``MIKROMON_WRITER`` has an unknown value.
    """
    from mikromon.web.monitor.process_storage import ProcessStorage
    from mikromon.web.monitor.storage import DjangoStorage

    if writer_mode() == "process":
        return ProcessStorage(maintenance_member=maintenance_member)
    return DjangoStorage(maintenance_member=maintenance_member)


def build_collector() -> Any:
    """Register the Django-backed collector factory with :mod:`mikromon.schedule` and
    return the process-wide service (``mikromon.schedule.get_collector()``), not started.

    The service reads devices through :class:`DjangoDeviceSource`, writes through
    :func:`build_storage` (``MIKROMON_WRITER``: :class:`DjangoStorage` in the writer
    thread by default, or in a child process), evaluates alert rules with
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
            source, build_storage(member_id), lock, deps=deps,
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
