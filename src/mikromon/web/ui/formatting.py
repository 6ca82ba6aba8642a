"""Value formatting for pages: the shared formatter :mod:`mikromon.domain.formatting`
(the command line uses the same one), re-exported under the name the pages import."""

from __future__ import annotations

from mikromon.domain.formatting import (
    DASH,
    bps,
    bytesize,
    duration,
    interval,
    pct,
    unit_value,
)

__all__ = ["DASH", "bps", "bytesize", "duration", "interval", "pct", "unit_value"]
