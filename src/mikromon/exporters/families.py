"""The metric families of a fleet snapshot: mktxp's and mikromon's own.

:func:`families` turns a :class:`FleetSnapshot` (read beforehand: the web
application reads it from the database, the latest values the collector stored
and its published status) into :class:`Family` records, one per metric name with
one sample per device (never a family per device). Building them sends no router
command; :mod:`.prometheus` exposes them.

mikromon's own families (``mikromon_``):

- ``mikromon_device_up{device,site}``: 1 when the router answers (state up,
  degraded or slow), else 0; ``mikromon_device_state{device,site,state}``: 1 for
  the device's current state (one sample per device).
- ``mikromon_poll_duration_seconds{device,tier}``: the last run's duration;
  ``mikromon_poll_errors_total{device,tier}``: failed runs since the collector
  started; ``mikromon_poll_lag_seconds{device,tier}``: how late the last run
  started.
- ``mikromon_writer_queue_batches``, ``mikromon_writer_dropped_batches_total``,
  ``mikromon_writer_rows_written_total``: the storage writer's queue.
- ``mikromon_collector_running``: 1 while a collector polls.
- ``mikromon_alerts_firing{severity}``: alerts firing now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from mikromon.domain import catalog
from mikromon.domain.events import DeviceState
from mikromon.domain.samples import Labels
from mikromon.exporters.inventory_families import InventoryRow, inventory_families
from mikromon.exporters.mktxp import (
    FAMILIES,
    HEALTH_FAMILIES,
    ROUTERBOARD_ADDRESS,
    ROUTERBOARD_NAME,
    FamilySpec,
)

#: States in which the router answers (``mikromon_device_up`` = 1).
ANSWERING: Final = frozenset({DeviceState.UP.value, DeviceState.DEGRADED.value,
                              DeviceState.SLOW.value})
_ID_LABELS: Final = (ROUTERBOARD_NAME, ROUTERBOARD_ADDRESS)
_SYSTEM_LABELS: Final = ("version", "board_name", *_ID_LABELS)


@dataclass(frozen=True, slots=True)
class TierPoll:
    """One tier of one device as the collector's status reports it.

    Attributes:
        tier: tier name (``realtime`` ... ``extended``).
        duration_s: the last run's duration, seconds (``None`` before a run).
        errors: failed runs since the collector started.
        lag_s: how late the last run started, seconds (``None`` before a run).
    """

    tier: str
    duration_s: float | None
    errors: int
    lag_s: float | None


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    """What is known of one device at scrape time.

    Attributes:
        name: the device's name in mikromon (mktxp's ``routerboard_name``).
        address: the host it is polled at (``routerboard_address``).
        state: :class:`~mikromon.domain.events.DeviceState` value.
        site: site name ('' when none).
        identity, board, version: what the router said of itself ('' unknown).
        values: latest values: ``(catalog key, labels, value)``.
        health_states: health state sensors: RouterOS name -> the router's word
            (``psu1-state`` -> ``ok``; inventory table ``health_states``).
        polls: the collector's per-tier status of the device.
        inventory: its latest inventory rows of the tables the exposition reads
            (:data:`~.inventory_families.TABLES`: packages, firewall rules,
            interfaces).
    """

    name: str
    address: str
    state: str
    site: str = ""
    identity: str = ""
    board: str = ""
    version: str = ""
    values: Sequence[tuple[str, Labels, float]] = ()
    health_states: Mapping[str, str] = field(default_factory=dict)
    polls: Sequence[TierPoll] = ()
    inventory: Sequence[InventoryRow] = ()


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """The whole fleet at scrape time.

    Attributes:
        devices: every device shown (one, for a per-device target).
        collector_running: whether a collector polls (``None``: not reported).
        writer: the writer's counters (``queue_depth``, ``batches_dropped``,
            ``rows_written``), empty when no collector published them.
        alerts_firing: severity -> number of alerts firing (empty: not reported).
        outputs: each output's state (:meth:`mikromon.outputs.worker.OutputWorker.status`).
        series: latest values already in family form, as the web application reads
            them: catalog key -> rows ``(label values, value in the catalog unit)``,
            the label values as :func:`row_labels` gives them, finite values only.
            Added to the rows of the devices' ``values`` (the two are
            alternatives: a reader fills one of them).
    """

    devices: Sequence[DeviceSnapshot]
    collector_running: bool | None = None
    writer: Mapping[str, float] = field(default_factory=dict)
    alerts_firing: Mapping[str, int] = field(default_factory=dict)
    outputs: Sequence[Mapping[str, object]] = ()
    series: Mapping[str, Sequence[tuple[Sequence[str], float]]] = field(default_factory=dict)


#: Prometheus types a family can have.
FamilyType = Literal["gauge", "counter", "info"]


@dataclass(slots=True)
class Family:
    """One metric family, ready to expose.

    Attributes:
        name: family name as OpenMetrics spells it (no ``_total`` on a counter, no
            ``_info`` on an info family).
        type: ``gauge``, ``counter`` or ``info`` (value 1, the labels carry the facts).
        help: one line of help.
        labels: label names, in the order of each row's values.
        rows: ``(label values, value)`` per sample.
    """

    name: str
    type: FamilyType
    help: str
    labels: tuple[str, ...]
    rows: list[tuple[Sequence[str], float]] = field(default_factory=list)


def families(snapshot: FleetSnapshot) -> Iterator[Family]:
    """Yield every family of ``snapshot`` that has at least one sample, in a fixed
    order: mktxp's (:data:`~.mktxp.FAMILIES`, health, identity, then those of
    inventory rows: :mod:`.inventory_families`), then mikromon's.
    Values that are not finite are left out (a NaN would read as a value)."""
    by_key: dict[str, list[tuple[DeviceSnapshot, Labels, float]]] = {}
    for device in snapshot.devices:
        for key, labels, value in device.values:
            if math.isfinite(value):
                by_key.setdefault(key, []).append((device, labels, value))
    ready = snapshot.series
    for spec in FAMILIES:
        family = _mktxp(spec, by_key.get(spec.key, ()))
        if (more := ready.get(spec.key)):
            family.rows.extend(more if spec.scale == 1.0 else
                               [(values, value * spec.scale) for values, value in more])
        if family.rows:
            yield family
    yield from _health(snapshot.devices, by_key, ready)
    known = [d for d in snapshot.devices if d.identity]
    if known:
        yield Family("mktxp_system_identity", "info", "System identity", ("name", *_ID_LABELS),
                     [((d.identity, d.name, d.address), 1.0) for d in known])
    for name, kind, help_, names, samples in inventory_families(
            [(d.name, d.address, d.inventory) for d in snapshot.devices if d.inventory]):
        yield Family(name, kind, help_, names, samples)
    yield from _own(snapshot)


def _mktxp(spec: FamilySpec, rows: Iterable[tuple[DeviceSnapshot, Labels, float]]) -> Family:
    names = (_SYSTEM_LABELS if spec.system else ("name", *_ID_LABELS) if spec.label
             else _ID_LABELS)
    return Family("mktxp_" + spec.name, spec.kind, spec.help, names, [
        (_values(spec, labels, d.name, d.address, d.version, d.board), v * spec.scale)
        for d, labels, v in rows])


def _values(spec: FamilySpec, labels: Labels, name: str, address: str, version: str,
            board: str) -> tuple[str, ...]:
    if spec.system:
        return (version, board, name, address)
    if spec.label:
        return (_label(labels, spec.label), name, address)
    return (name, address)


#: Catalog key -> the mktxp family it fills.
_SPECS: Final = {spec.key: spec for spec in FAMILIES}


def row_labels(key: str, labels: Labels, name: str, address: str, version: str, board: str
               ) -> tuple[str, ...] | None:
    """The label values of the sample that the latest value of series ``key`` /
    ``labels`` of a device (its ``name``, ``address``, RouterOS ``version`` and
    ``board``) gives, in the order of its family's label names; ``None`` when no
    family reads ``key``. What :attr:`FleetSnapshot.series` rows carry."""
    spec = _SPECS.get(key)
    if spec is None:
        if key.startswith(catalog.HEALTH_PREFIX) and \
                key[len(catalog.HEALTH_PREFIX):] in HEALTH_FAMILIES:
            return (name, address)
        return None
    return _values(spec, labels, name, address, version, board)


def _label(labels: Labels, name: str) -> str:
    for k, v in labels:
        if k == name:
            return v
    return ""


def _health(devices: Sequence[DeviceSnapshot],
            by_key: Mapping[str, list[tuple[DeviceSnapshot, Labels, float]]],
            ready: Mapping[str, Sequence[tuple[Sequence[str], float]]]) -> Iterator[Family]:
    out: dict[str, Family] = {}

    def family(sensor: str) -> Family:
        name, help_ = HEALTH_FAMILIES[sensor]
        found = out.get(name)
        if found is None:
            found = out[name] = Family("mktxp_" + name, "gauge", help_, _ID_LABELS)
        return found

    for sensor in HEALTH_FAMILIES:
        for device, _labels, value in by_key.get(catalog.HEALTH_PREFIX + sensor, ()):
            family(sensor).rows.append(((device.name, device.address), value))
        if (more := ready.get(catalog.HEALTH_PREFIX + sensor)):
            family(sensor).rows.extend(more)
    for device in devices:
        for sensor, word in sorted(device.health_states.items()):
            if sensor in HEALTH_FAMILIES:
                healthy = 0.0 if catalog.is_failing(word) else 1.0
                family(sensor).rows.append(((device.name, device.address), healthy))
    yield from out.values()


def _own(snapshot: FleetSnapshot) -> Iterator[Family]:
    devices = snapshot.devices
    if devices:
        yield Family("mikromon_device_up", "gauge",
                     "1 when the router answers (up, degraded or slow), else 0",
                     ("device", "site"),
                     [((d.name, d.site), 1.0 if d.state in ANSWERING else 0.0) for d in devices])
        yield Family("mikromon_device_state", "gauge", "1 for the device's current state",
                     ("device", "site", "state"),
                     [((d.name, d.site, d.state), 1.0) for d in devices])
    yield from _polls(devices)
    if snapshot.collector_running is not None:
        yield Family("mikromon_collector_running", "gauge", "1 while a collector polls the fleet",
                     (), [((), 1.0 if snapshot.collector_running else 0.0)])
    writer = snapshot.writer
    for key, name, kind, help_ in _WRITER:
        if key in writer:
            yield Family(name, kind, help_, (), [((), float(writer[key]))])
    yield from _outputs(snapshot.outputs)
    if snapshot.alerts_firing:
        yield Family("mikromon_alerts_firing", "gauge", "Alerts firing now", ("severity",),
                     [((sev,), float(n)) for sev, n in sorted(snapshot.alerts_firing.items())])


#: Writer status key -> (family, type, help).
_WRITER: Final[tuple[tuple[str, str, FamilyType, str], ...]] = (
    ("queue_depth", "mikromon_writer_queue_batches", "gauge",
     "Batches waiting for the storage writer"),
    ("batches_dropped", "mikromon_writer_dropped_batches", "counter",
     "Batches the writer dropped (queue full or storage failing)"),
    ("rows_written", "mikromon_writer_rows_written", "counter", "Rows the writer stored"),
)


def _polls(devices: Sequence[DeviceSnapshot]) -> Iterator[Family]:
    labels = ("device", "tier")
    duration = Family("mikromon_poll_duration_seconds", "gauge",
                      "Duration of the tier's last run", labels)
    lag = Family("mikromon_poll_lag_seconds", "gauge", "How late the tier's last run started",
                 labels)
    errors = Family("mikromon_poll_errors", "counter",
                    "Failed runs of the tier since the collector started", labels)
    for device in devices:
        for poll in device.polls:
            who = (device.name, poll.tier)
            if poll.duration_s is not None:
                duration.rows.append((who, poll.duration_s))
            if poll.lag_s is not None:
                lag.rows.append((who, poll.lag_s))
            errors.rows.append((who, float(poll.errors)))
    if errors.rows:
        yield duration
        yield lag
        yield errors


#: Output status key -> (family, type, help).
_OUTPUT: Final[tuple[tuple[str, str, FamilyType, str], ...]] = (
    ("queued_payloads", "mikromon_output_queued_requests", "gauge",
     "Requests waiting on disk for the store"),
    ("queue_bytes", "mikromon_output_queue_bytes", "gauge", "Bytes the output's queue takes"),
    ("adopted_payloads", "mikromon_output_adopted_requests", "gauge",
     "Requests of queue folders no process holds any more, taken over to be sent first"),
    ("lag_s", "mikromon_output_lag_seconds", "gauge", "Age of the oldest unsent request"),
    ("sent_samples", "mikromon_output_sent_samples", "counter", "Samples the store accepted"),
    ("dropped_payloads", "mikromon_output_dropped_requests", "counter",
     "Requests dropped at the disk bound"),
    ("buffer_dropped_samples", "mikromon_output_dropped_samples", "counter",
     "Samples dropped at the memory bound"),
    ("rejected_payloads", "mikromon_output_rejected_requests", "counter",
     "Requests the store refused for good"),
)


def _outputs(outputs: Sequence[Mapping[str, object]]) -> Iterator[Family]:
    named = [o for o in outputs if isinstance(o.get("name"), str)]
    for key, name, kind, help_ in _OUTPUT:
        rows: list[tuple[Sequence[str], float]] = [
            ((str(o["name"]),), float(value)) for o in named
            if isinstance(value := o.get(key), int | float)]
        if rows:
            yield Family(name, kind, help_, ("output",), rows)
