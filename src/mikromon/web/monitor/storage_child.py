"""The child side of :class:`~.process_storage.ProcessStorage`, and the messages
both sides exchange.

The child (started with ``spawn``) sets Django up with the parent's settings
(:class:`ChildConfig`), tells the parent ``("ready", pid)``, then answers one
pickled ``(method, args)`` request at a time with ``("ok", result)``,
``("raise", error, traceback)`` for the errors the writer acts on
(:class:`~mikromon.domain.errors.StorageUnavailable`,
:class:`~mikromon.domain.errors.PartialWrite`) or ``("error", message, traceback)``
for anything else. After a reply it runs the maintenance that is due, sending
``(BUSY,)`` heartbeats meanwhile. :data:`STOP` asks it to exit; so does a closed
pipe. It ignores SIGINT and SIGTERM (the parent decides when it stops).

The parent turns a reply back into a result or an exception with :func:`unwrap`.
Samples travel as plain tuples (:func:`pack`, :func:`unpack`): they pickle
several times faster than dataclass instances.
"""

from __future__ import annotations

import copy
import logging
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from mikromon.domain.errors import PartialWrite, StorageProcessError, StorageUnavailable
from mikromon.domain.samples import CounterBlock, Sample, SampleBlock, SampleItem

#: The storage process logs under the name of the module that runs it.
log = logging.getLogger("mikromon.web.monitor.process_storage")

#: Request asking the child to exit.
STOP: Final = "stop"
#: Message of a child running maintenance: alive, the reply comes later.
BUSY: Final = "busy"
#: Storage methods the child answers.
METHODS: Final = frozenset(
    {"write_samples", "write_samples_many", "write_inventory", "write_status", "write_events"}
)

#: Settings copied from the parent into the child (besides the database).
COPIED_SETTINGS: Final = ("MIKROMON_RETENTION_DAYS",)

#: A sample as sent through the pipe: (key, value, ts, labels); a block as it is.
PackedSample = tuple[str, float, Any, tuple[tuple[str, str], ...]] | CounterBlock | SampleBlock


@dataclass(frozen=True)
class ChildConfig:
    """What the child needs to set Django up as the parent has it.

    ``env``: environment variables set before Django starts; ``settings``: settings
    laid over the settings module's (``DATABASES`` entries replaced in place);
    ``using``: database alias; ``maintenance_interval``: seconds between rollup
    runs (``None``: none); ``log_level``: the root logger's level;
    ``heartbeat_s``: seconds between two heartbeats during maintenance;
    ``maintenance_member``: the collector member whose duty the maintenance is
    (``None``: always this storage's; see :class:`~.storage.DjangoStorage`).
    """

    env: dict[str, str]
    settings: dict[str, Any]
    using: str
    maintenance_interval: float | None
    log_level: int
    heartbeat_s: float
    maintenance_member: str | None = None


class RemoteTraceback(Exception):
    """The child's traceback, chained to the parent's error so logs show both."""

    def __str__(self) -> str:
        return "traceback in the storage process:\n" + str(self.args[0])


def unwrap(method: str, reply: tuple[Any, ...]) -> Any:
    """Return the result of a reply to ``method``, or raise what the child raised:
    :class:`StorageUnavailable` and :class:`PartialWrite` as they are, anything
    else as :class:`StorageProcessError` (the child's traceback chained)."""
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "raise" and isinstance(reply[1], (StorageUnavailable, PartialWrite)):
        raise reply[1] from RemoteTraceback(reply[2])
    raise StorageProcessError(method, reply[1]) from RemoteTraceback(reply[2])


def child_config(using: str, maintenance_interval: float | None,
                 heartbeat_s: float, *, maintenance_member: str | None = None) -> ChildConfig:
    """Return the :class:`ChildConfig` of this process (Django set up): its
    ``DJANGO_SETTINGS_MODULE``, ``DATA_DIR``, the ``using`` database's connection
    settings as resolved here (so a test database is used in tests), the
    :data:`COPIED_SETTINGS` and the root logger's level."""
    from django.conf import settings
    from django.db import connections

    env = {"DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE")
           or "mikromon.web.settings"}
    if getattr(settings, "DATA_DIR", None):
        env["MIKROMON_DATA_DIR"] = str(settings.DATA_DIR)
    copied: dict[str, Any] = {
        name: copy.deepcopy(getattr(settings, name))
        for name in COPIED_SETTINGS if hasattr(settings, name)
    }
    copied["DATABASES"] = {using: copy.deepcopy(connections[using].settings_dict)}
    return ChildConfig(env, copied, using, maintenance_interval,
                       logging.getLogger().getEffectiveLevel(), heartbeat_s,
                       maintenance_member)


def pack(samples: Sequence[SampleItem]) -> list[PackedSample]:
    """``samples`` as tuples for the pipe (blocks as they are)."""
    return [(s.key, s.value, s.ts, s.labels) if isinstance(s, Sample) else s for s in samples]


def unpack(packed: Sequence[PackedSample]) -> list[SampleItem]:
    """The samples :func:`pack` made tuples of (blocks as they came: the storage
    takes them)."""
    return [Sample(*p) if isinstance(p, tuple) else p for p in packed]


def child_main(conn: Any, config: ChildConfig) -> None:
    """Entry point of the child: set Django up, then serve calls until told to stop
    or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        storage = _child_setup(config)
    except BaseException as err:
        _reply(conn, ("error", f"{type(err).__name__}: {err}", traceback.format_exc()))
        return
    try:
        if _reply(conn, ("ready", os.getpid())):
            serve(conn, storage, config.heartbeat_s)
    finally:
        storage.close()


def serve(conn: Any, storage: Any, heartbeat_s: float) -> None:
    """Answer calls on ``conn`` until told to stop or the pipe closes; after each
    reply, run ``storage.maintain()`` when ``storage.maintenance_due()``, sending
    ``(BUSY,)`` every ``heartbeat_s`` seconds meanwhile."""
    sending = threading.Lock()
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            log.warning("storage process: the collector process went away; exiting")
            return
        try:
            method, args = pickle.loads(data)
            if method == STOP:
                _reply(conn, ("ok", None))
                return
            reply: tuple[Any, ...] = ("ok", _dispatch(storage, method, args))
        except (StorageUnavailable, PartialWrite) as err:
            reply = ("raise", err, traceback.format_exc())
        except Exception as err:
            reply = ("error", f"{type(err).__name__}: {err}", traceback.format_exc())
        if not _reply(conn, reply):
            return
        if storage.maintenance_due():
            with _heartbeats(conn, sending, heartbeat_s):
                storage.maintain()


@contextmanager
def _heartbeats(conn: Any, sending: threading.Lock, every_s: float) -> Iterator[None]:
    """Send ``(BUSY,)`` on ``conn`` every ``every_s`` seconds (from a thread)
    while the block runs; stop early when the parent is gone."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            with sending:
                if not _reply(conn, (BUSY,)):
                    return

    thread = threading.Thread(target=beat, name="mikromon-storage-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _child_setup(config: ChildConfig) -> Any:
    os.environ.update(config.env)
    import django

    django.setup()
    from django.conf import settings

    for name, value in config.settings.items():
        if name == "DATABASES":
            for alias, entry in value.items():
                # In place: Django's connection handler holds these very dicts.
                target = settings.DATABASES.setdefault(alias, {})
                target.clear()
                target.update(entry)
        else:
            setattr(settings, name, value)
    from mikromon.logconfig import configure_logging
    from mikromon.web.monitor.storage import DjangoStorage

    configure_logging()
    logging.getLogger().setLevel(config.log_level)
    return DjangoStorage(using=config.using, maintenance_interval=config.maintenance_interval,
                         defer_maintenance=True,
                         maintenance_member=config.maintenance_member)


def _dispatch(storage: Any, method: str, args: tuple[Any, ...]) -> Any:
    if method not in METHODS:
        raise ValueError(f"unknown storage method {method!r}")
    if method == "write_samples":
        device_id, packed = args
        return storage.write_samples(device_id, unpack(packed))
    if method == "write_samples_many":
        (batches,) = args
        return storage.write_samples_many([(d, unpack(p)) for d, p in batches])
    return getattr(storage, method)(*args)


def _reply(conn: Any, reply: tuple[Any, ...]) -> bool:
    """Send ``reply``; ``False`` when the parent is gone."""
    try:
        try:
            data = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except Exception as err:
            data = pickle.dumps(("error", f"reply cannot be sent: {err}", ""))
        conn.send_bytes(data)
    except (OSError, ValueError):
        return False
    return True
