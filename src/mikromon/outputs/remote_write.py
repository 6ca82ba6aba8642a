"""Prometheus remote write 1.0: the request body of a batch of samples.

The body is a ``prometheus.WriteRequest`` protobuf message, compressed with
snappy's block format (the remote-write 1.0 specification, prometheus.io "Remote
write specification"): repeated ``TimeSeries`` (labels sorted by name, ``__name__``
among them; samples of ``double value`` and ``int64 timestamp`` in milliseconds).
Sent with ``Content-Encoding: snappy``, ``Content-Type: application/x-protobuf``
and ``X-Prometheus-Remote-Write-Version: 0.1.0`` (:data:`HEADERS`).

The message types are declared here from the specification's schema and encoded
by Google's ``protobuf`` runtime; snappy comes from ``cramjam``.

Names: a sample is sent under the name ``/metrics`` gives it
(:func:`series_of`): mktxp's families where one exists (``mktxp_interface_rx_byte_total``
with ``name``, ``routerboard_name``, ``routerboard_address``), else
``mikromon_<catalog key>`` (dots and dashes as underscores) with the sample's own
labels and the two device labels.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from mikromon.domain import catalog
from mikromon.domain.samples import Labels, Sample
from mikromon.exporters.mktxp import (
    FAMILIES,
    HEALTH_FAMILIES,
    ROUTERBOARD_ADDRESS,
    ROUTERBOARD_NAME,
    FamilySpec,
)

#: Headers of every remote-write request.
HEADERS: Final = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "mikromon",
}

#: One series: sorted (name, value) label pairs, ``__name__`` included.
SeriesLabels = tuple[tuple[str, str], ...]


@functools.cache
def _write_request_class() -> Any:
    """The ``WriteRequest`` message class, built once from the specification's schema."""
    proto = descriptor_pb2.FileDescriptorProto(name="mikromon_remote_write.proto",
                                               package="prometheus", syntax="proto3")
    f = descriptor_pb2.FieldDescriptorProto
    rep, opt = f.LABEL_REPEATED, f.LABEL_OPTIONAL

    def message(name: str, *fields: tuple[str, int, int, int, str]) -> None:
        msg = proto.message_type.add(name=name)
        for field_name, number, label, kind, type_name in fields:
            field = msg.field.add(name=field_name, number=number, label=label, type=kind)
            if type_name:
                field.type_name = type_name

    message("Label", ("name", 1, opt, f.TYPE_STRING, ""), ("value", 2, opt, f.TYPE_STRING, ""))
    message("Sample", ("value", 1, opt, f.TYPE_DOUBLE, ""),
            ("timestamp", 2, opt, f.TYPE_INT64, ""))
    message("TimeSeries", ("labels", 1, rep, f.TYPE_MESSAGE, ".prometheus.Label"),
            ("samples", 2, rep, f.TYPE_MESSAGE, ".prometheus.Sample"))
    message("WriteRequest",
            ("timeseries", 1, rep, f.TYPE_MESSAGE, ".prometheus.TimeSeries"))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("prometheus.WriteRequest"))


_BY_KEY: Final[dict[str, FamilySpec]] = {spec.key: spec for spec in FAMILIES}


def series_of(sample_key: str, labels: Labels, device: str, address: str
              ) -> tuple[SeriesLabels, float]:
    """Return the series (labels, ``__name__`` included, sorted) a sample of
    ``sample_key`` goes to, and the factor its value is multiplied by.

    Args:
        sample_key: catalog key (``iface.rx_bytes``).
        labels: the sample's labels (``interface``...).
        device: the device's name (``routerboard_name``).
        address: the host it is polled at (``routerboard_address``).
    """
    ids = {ROUTERBOARD_NAME: device, ROUTERBOARD_ADDRESS: address}
    spec = _BY_KEY.get(sample_key)
    if spec is not None:
        name = "mktxp_" + spec.name + ("_total" if spec.kind == "counter" else "")
        own = dict(labels)
        out = {**ids, "__name__": name}
        if spec.label:
            out["name"] = own.get(spec.label, "")
        return tuple(sorted(out.items())), spec.scale
    if sample_key.startswith(catalog.HEALTH_PREFIX):
        sensor = sample_key[len(catalog.HEALTH_PREFIX):]
        if sensor in HEALTH_FAMILIES:
            return tuple(sorted({**ids, "__name__": "mktxp_" + HEALTH_FAMILIES[sensor][0]}
                                .items())), 1.0
    name = "mikromon_" + sample_key.replace(".", "_").replace("-", "_")
    return tuple(sorted({**dict(labels), **ids, "__name__": name}.items())), 1.0


def encode(series: Mapping[SeriesLabels, Sequence[tuple[int, float]]]) -> bytes:
    """Return the snappy-compressed ``WriteRequest`` of ``series``: labels -> samples
    as ``(timestamp ms, value)``, in time order."""
    request = _write_request_class()()
    for labels, points in series.items():
        ts = request.timeseries.add()
        for label, text in labels:
            ts.labels.add(name=label, value=text)
        for when, number in points:
            ts.samples.add(value=number, timestamp=when)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def decode(body: bytes) -> dict[SeriesLabels, list[tuple[int, float]]]:
    """The inverse of :func:`encode` (tests; a receiver's view).

    Raises:
        cramjam.DecompressionError: not snappy's block format.
        google.protobuf.message.DecodeError: not a ``WriteRequest``.
    """
    request = _write_request_class()()
    request.ParseFromString(bytes(cramjam.snappy.decompress_raw(body)))
    return {tuple((lb.name, lb.value) for lb in ts.labels):
            [(s.timestamp, s.value) for s in ts.samples] for ts in request.timeseries}


def batch(samples: Iterable[tuple[str, str, Sample]]
          ) -> dict[SeriesLabels, list[tuple[int, float]]]:
    """Group ``(device name, address, sample)`` into series for :func:`encode`;
    values that are not finite are left out."""
    out: dict[SeriesLabels, list[tuple[int, float]]] = {}
    for device, address, sample in samples:
        value = float(sample.value)
        if value != value or value in (float("inf"), float("-inf")):
            continue
        labels, scale = series_of(sample.key, sample.labels, device, address)
        out.setdefault(labels, []).append((int(sample.ts.timestamp() * 1000), value * scale))
    for points in out.values():
        points.sort()
    return out
