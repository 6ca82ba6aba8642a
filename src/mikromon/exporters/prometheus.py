"""The fleet's families in Prometheus's formats.

- :class:`FleetCollector`: a ``prometheus_client`` collector yielding the
  families of :func:`~.families.families` (register it with a fresh
  ``CollectorRegistry(auto_describe=False)``); the reference output.
- :func:`render`: the same bytes as ``prometheus_client``'s
  ``generate_latest`` (text format 0.0.4) or its OpenMetrics
  ``generate_latest`` for these families, written straight from the family
  records. ``prometheus_client`` builds a sample object per value and formats each
  label on its own; for 1,000 routers (about 150,000 samples) that took 3-8 s a
  scrape (bench/metrics_scrape.py), over the 1 s a scrape may take. Number text
  comes from ``prometheus_client`` (``floatToGoString``); tests compare the
  output byte for byte with ``prometheus_client``'s on varied families.

Only the text formats are written here; content negotiation stays
``prometheus_client``'s (``choose_encoder``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString as _untyped_float_text

from mikromon.exporters.families import Family, FleetSnapshot, families

#: prometheus_client's number text (Go's forms: ``+Inf``, ``1e+22``), typed.
float_text: Callable[[float], str] = _untyped_float_text

OPENMETRICS: Final = "openmetrics"
TEXT: Final = "text"


class FleetCollector(Collector):
    """Yields the ``prometheus_client`` families of one :class:`FleetSnapshot`."""

    def __init__(self, snapshot: FleetSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | InfoMetricFamily]:
        """Yield every family that has at least one sample."""
        for family in families(self._snapshot):
            if family.type == "info":
                info = InfoMetricFamily(family.name, family.help, labels=family.labels)
                for values, _one in family.rows:
                    info.add_metric(list(values), {})
                yield info
                continue
            out: GaugeMetricFamily | CounterMetricFamily
            if family.type == "counter":
                out = CounterMetricFamily(family.name, family.help, labels=family.labels)
            else:
                out = GaugeMetricFamily(family.name, family.help, labels=family.labels)
            for values, value in family.rows:
                out.add_metric(list(values), value)
            yield out


def render(snapshot: FleetSnapshot, fmt: str = TEXT) -> bytes:
    """Return the exposition of ``snapshot`` in ``fmt``: :data:`TEXT` (Prometheus
    text format 0.0.4) or :data:`OPENMETRICS` (OpenMetrics 1.0, ending ``# EOF``).

    Raises:
        ValueError: ``fmt`` is neither.
    """
    if fmt not in (TEXT, OPENMETRICS):
        raise ValueError(f"format must be {TEXT!r} or {OPENMETRICS!r}, not {fmt!r}")
    openmetrics = fmt == OPENMETRICS
    label_text: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    out: list[str] = []
    for family in families(snapshot):
        _family_lines(family, openmetrics, label_text, out)
    if openmetrics:
        out.append("# EOF\n")
    return "".join(out).encode("utf-8")


def _family_lines(family: Family, openmetrics: bool,
                  label_text: dict[tuple[tuple[str, ...], tuple[str, ...]], str],
                  out: list[str]) -> None:
    """Append the family's lines; ``label_text`` caches the ``{...}`` of a label
    set (the same device and interface recur in many families)."""
    name, kind = family.name, family.type
    sample = name
    if kind == "counter":
        sample = name + "_total"
    elif kind == "info":
        sample = name + "_info"
    head = name if openmetrics else sample
    out.append(f"# HELP {head} {_help(family.help)}\n")
    out.append(f"# TYPE {head} {kind if openmetrics or kind != 'info' else 'gauge'}\n")
    labels = family.labels
    if not labels:
        out.extend(f"{sample} {float_text(value)}\n" for _values, value in family.rows)
        return
    order = sorted(range(len(labels)), key=labels.__getitem__)
    names = tuple(labels[i] for i in order)
    append = out.append
    for values, value in family.rows:
        key = (labels, tuple(values))
        text = label_text.get(key)
        if text is None:
            text = label_text[key] = "{" + ",".join(
                f'{label}="{_escape(values[i])}"' for label, i in zip(names, order, strict=True)
            ) + "}"
        append(f"{sample}{text} {float_text(value)}\n")


def _help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
