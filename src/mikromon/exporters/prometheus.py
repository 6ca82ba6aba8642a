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
  comes from ``prometheus_client`` (``floatToGoString``; ``repr`` for the numbers
  within ±1e6, where the two agree); tests compare the output byte for byte with
  ``prometheus_client``'s on varied families.
- :class:`LabelTexts`: the ``{...}`` text of label sets, kept by the web process
  from one :func:`render` to the next.

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


class LabelTexts:
    """The ``{...}`` text of label sets, kept from one scrape to the next.

    Keyed by the label names and values (the text is a function of them alone), so
    an entry is never wrong, only possibly unused: once it holds more than twice
    the label sets of the largest scrape (devices and interfaces gone, renamed), it
    starts over. A scrape of one device among whole-fleet scrapes keeps it. Pass
    one to :func:`render` to keep it per process.
    """

    __slots__ = ("by_names", "largest", "size")

    def __init__(self) -> None:
        #: label names -> label values -> text.
        self.by_names: dict[tuple[str, ...], dict[tuple[str, ...], str]] = {}
        #: entries held.
        self.size = 0
        #: most labelled samples one render wrote.
        self.largest = 0

    def trim(self, used: int) -> None:
        """Note a render of ``used`` labelled samples; start over when more than
        twice the largest (plus 1,000) label sets are held."""
        self.largest = max(self.largest, used)
        if self.size > 2 * self.largest + 1000:
            self.by_names = {}
            self.size = 0


def render(snapshot: FleetSnapshot, fmt: str = TEXT, texts: LabelTexts | None = None) -> bytes:
    """Return the exposition of ``snapshot`` in ``fmt``: :data:`TEXT` (Prometheus
    text format 0.0.4) or :data:`OPENMETRICS` (OpenMetrics 1.0, ending ``# EOF``).
    ``texts`` keeps label text across calls (a fresh one by default).

    Raises:
        ValueError: ``fmt`` is neither.
    """
    if fmt not in (TEXT, OPENMETRICS):
        raise ValueError(f"format must be {TEXT!r} or {OPENMETRICS!r}, not {fmt!r}")
    openmetrics = fmt == OPENMETRICS
    texts = texts if texts is not None else LabelTexts()
    out: list[str] = []
    used = 0
    for family in families(snapshot):
        used += _family_lines(family, openmetrics, texts, out)
    if openmetrics:
        out.append("# EOF\n")
    texts.trim(used)
    return "".join(out).encode("utf-8")


def _family_lines(family: Family, openmetrics: bool, texts: LabelTexts, out: list[str]) -> int:
    """Append the family's lines; return the number of labelled samples. ``texts``
    holds the ``{...}`` of label sets (the same device and interface recur in many
    families and scrapes).

    A number in (-1e6, 1e6) is written as ``repr`` gives it, which is what
    ``floatToGoString`` returns for those (Go's exponent form starts at 1e6 in
    its code); the others go through ``floatToGoString``."""
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
        return 0
    order = sorted(range(len(labels)), key=labels.__getitem__)
    names = tuple(labels[i] for i in order)
    known = texts.by_names.get(labels)
    if known is None:
        known = texts.by_names[labels] = {}
    append, number = out.append, float_text
    for values, value in family.rows:
        key = values if isinstance(values, tuple) else tuple(values)
        text = known.get(key)
        if text is None:
            text = known[key] = "{" + ",".join(
                f'{label}="{_escape(key[i])}"' for label, i in zip(names, order, strict=True)
            ) + "}"
            texts.size += 1
        if value.__class__ is float and -1e6 < value < 1e6:
            append(f"{sample}{text} {value!r}\n")
        else:
            append(f"{sample}{text} {number(value)}\n")
    return len(family.rows)


def _help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
