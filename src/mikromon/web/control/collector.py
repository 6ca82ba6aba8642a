"""Starting, stopping and reading the collector, for the pages and the API.

The collector may run in this process (``mikromon serve``: the service from
:func:`mikromon.schedule.get_collector`) or in another mikromon process using
the same database. Start and stop therefore do two things: record the desired
state (:func:`mikromon.web.control.state.request_state`, which every running
mikromon process applies within about a second) and, when this process hosts
the collector, start or stop it at once.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from mikromon.schedule import CollectorService, get_collector
from mikromon.web.control import state
from mikromon.web.control.formats import iso, tidy
from mikromon.web.control.member_view import live_members, publications
from mikromon.web.control.models import CollectorDeviceStatus

log = logging.getLogger(__name__)


def local_collector() -> CollectorService | None:
    """Return this process's collector service, or ``None`` when none is configured."""
    try:
        return get_collector()
    except RuntimeError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectorView:
    """The collector as the pages show it.

    Attributes:
        running: whether a collector runs (here or in another process).
        where: ``"this process"``, ``"<host> pid <pid>"``, or ``""`` when none runs.
        desired_running: what operators last asked for.
        changed_by: who asked ('' when never).
        changed_at: when (ISO 8601 UTC, ``...Z``) or ``None``.
        status: the service's status document (see ``CollectorService.status()``)
            made tidy (:func:`mikromon.web.control.formats.tidy`: times ISO 8601 UTC
            to the second, whole intervals ints); empty when no process publishes one.
        published_age_s: age of a status read from another process, seconds.
        device_rows: when the status was read without its device entries
            (``read(devices=False)``), how many are stored in rows; ``None`` when
            ``status["devices"]`` holds them (or there are none).
        status_pk: the stored status row holding those rows
            (:class:`~mikromon.web.control.models.CollectorDeviceStatus`).
        members: the live collector members sharing the fleet
            (:func:`mikromon.web.control.member_view.live_members`), empty when one
            collector holds the database.
        status_pks: with members, every member's stored status row (``device_rows``
            then counts the entries of all).
    """

    running: bool
    where: str
    desired_running: bool
    changed_by: str
    changed_at: str | None
    status: dict[str, Any] = field(default_factory=dict)
    published_age_s: float | None = None
    device_rows: int | None = None
    status_pk: int | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    status_pks: list[int] = field(default_factory=list)

    def rows_pks(self) -> list[int]:
        """The stored status rows whose device entries make the collector's devices."""
        if self.status_pks:
            return self.status_pks
        return [self.status_pk] if self.status_pk is not None else []

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON document of the API's ``collector`` endpoint."""
        return {
            "running": self.running,
            "where": self.where,
            "desired": {
                "running": self.desired_running,
                "changed_by": self.changed_by,
                "changed_at": self.changed_at,
            },
            "published_age_s": self.published_age_s,
            "status": self.status,
            "members": [{k: v for k, v in m.items() if k != "status_pk"}
                        for m in self.members],
        }


def _tidy_status(status: dict[str, Any], devices: bool) -> dict[str, Any]:
    """``tidy(status)``; with ``devices=False`` the ``devices`` list is left as it
    is (the collector page tidies only the page it shows of thousands)."""
    if devices or not isinstance(status.get("devices"), list):
        return tidy(status)
    out = tidy({k: v for k, v in status.items() if k != "devices"})
    out["devices"] = status["devices"]
    return out


def read(*, tidy_devices: bool = True, devices: bool = True) -> CollectorView:
    """Return the collector's state: this process's service if it has one, else the
    status another mikromon process published last. ``tidy_devices=False`` leaves
    the per-device entries of this process's status as they are (call ``tidy`` on
    the ones shown); a published status's entries are tidy already (the
    publisher tidies them). ``devices=False``: a published status is read
    without its device entries (``device_rows`` and ``status_pk`` say where they
    are: the collector page pages them in SQL)."""
    desired = state.desired_state()
    members = live_members()
    view = functools.partial(
        CollectorView,
        desired_running=desired.running,
        changed_by=desired.changed_by,
        changed_at=iso(desired.changed_at),
        members=members,
    )
    service = local_collector()
    if service is not None:
        status = service.status()
        return view(running=bool(status.get("running")), where="this process",
                    status=_tidy_status(status, tidy_devices))
    published = state.current(documents=True if devices else "top")
    if published is not None and members and not devices:
        pks, total, syslog = publications(members)
        if pks:
            status = published.status
            if syslog is not None and not status.get("syslog"):
                status = {**status, "syslog": syslog}  # the member receiving syslog
            return view(running=published.running,
                        where=", ".join(m["where"] for m in members),
                        status=_tidy_status(status, False),
                        published_age_s=round(published.age_s, 1),
                        device_rows=total, status_pk=pks[0], status_pks=pks)
    if published is not None:
        return view(
            running=published.running,
            where=f"{published.hostname} pid {published.pid}",
            status=_tidy_status(published.status, False),
            published_age_s=round(published.age_s, 1),
            device_rows=published.device_rows,
            status_pk=published.pk if published.device_rows is not None else None,
        )
    return view(running=False, where="")


def document_json(**extra: Any) -> str:
    """The JSON text of :meth:`CollectorView.as_dict` of :func:`read` with the keys
    of ``extra`` added (JSON values): the API's ``collector`` document. A published
    status's device entries are joined as stored (JSON text, one row each: never
    parsed and serialised again), so the document of 10,000 devices costs reading
    its rows."""
    view = read(devices=False)
    document = {**view.as_dict(), **extra}
    if not view.rows_pks():
        return json.dumps(document)
    marker = f"devices-{secrets.token_hex(16)}"
    document["status"] = {**document["status"], "devices": marker}
    text = json.dumps(document)
    entries = CollectorDeviceStatus.objects.filter(status_id__in=view.rows_pks()).order_by(
        "position", "status_id").values_list("doc", flat=True)
    return text.replace(json.dumps(marker), "[" + ",".join(entries) + "]", 1)


def collector_running() -> bool:
    """Return whether a collector polls now: this process's service when it has one,
    else the live published status of another mikromon process (cheap: no
    per-device status is built)."""
    service = local_collector()
    if service is not None:
        return bool(service.running)
    published = state.current(documents=False)
    return bool(published is not None and published.running)


def set_running(running: bool, *, by: str) -> CollectorView:
    """Start (``True``) or stop the collector on behalf of ``by`` (a user name).

    Raises:
        RuntimeError: this process's collector failed to start.
    """
    # Logged first: the service logs "collector stopped" while stop() runs.
    log.info("collector %s requested by %s", "start" if running else "stop", by)
    state.request_state(running, by=by)
    service = local_collector()
    if service is not None:
        if running:
            service.start()
        else:
            service.stop()
    return read()


def notify_config_changed() -> None:
    """Tell this process's collector to reload devices now (others notice within 1 s)."""
    service = local_collector()
    if service is not None and service.running:
        service.notify_config_changed()
