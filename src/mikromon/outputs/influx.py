"""InfluxDB line protocol: the request body of a batch of samples, for InfluxDB 1.x
(``/write?db=...``), 2.x (``/api/v2/write?org=...&bucket=...``) and
VictoriaMetrics's Influx endpoint (``/write``).

One line per sample (InfluxDB documentation, "Line protocol"):
``<measurement>,<tag>=<value>... value=<float> <timestamp in ns>``. The
measurement is the sample's name as ``/metrics`` and remote write give it
(:func:`mikromon.outputs.remote_write.series_of`), the tags its labels (empty
ones left out: InfluxDB refuses them), the one field ``value``. Commas, spaces and
equals signs in names and tags are escaped with a backslash. The body is
gzip-compressed (``Content-Encoding: gzip``).
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable
from typing import Final

from mikromon.domain.samples import Sample
from mikromon.outputs.remote_write import series_of

#: Headers of every write request.
HEADERS: Final = {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Encoding": "gzip",
    "User-Agent": "mikromon",
}

_MEASUREMENT: Final = str.maketrans({",": r"\,", " ": r"\ ", "\\": "\\\\", "\n": r"\n"})
_TAG: Final = str.maketrans({",": r"\,", " ": r"\ ", "=": r"\=", "\\": "\\\\", "\n": r"\n"})


def lines(samples: Iterable[tuple[str, str, Sample]]) -> list[str]:
    """Line-protocol lines of ``(device name, address, sample)``; values that are
    not finite are left out."""
    out = []
    for device, address, sample in samples:
        value = float(sample.value)
        if not math.isfinite(value):
            continue
        labels, scale = series_of(sample.key, sample.labels, device, address)
        name = ""
        tags = []
        for key, text in labels:
            if key == "__name__":
                name = text.translate(_MEASUREMENT)
            elif text:
                tags.append(f"{key.translate(_TAG)}={text.translate(_TAG)}")
        head = ",".join([name, *tags])
        stamp = int(sample.ts.timestamp()) * 1_000_000_000 + sample.ts.microsecond * 1000
        out.append(f"{head} value={value * scale!r} {stamp}")
    return out


def encode(samples: Iterable[tuple[str, str, Sample]]) -> tuple[int, bytes]:
    """Return (number of lines, gzip-compressed body) of ``samples``."""
    body = lines(samples)
    return len(body), gzip.compress(("\n".join(body) + "\n").encode("utf-8"), compresslevel=5)
