"""Garbage collection in a process that runs the collector: once it has warmed
up, what is alive then is left out of every later collection.

A realtime poll allocates a few thousand objects (rows, values, samples) that
mostly die within the poll; the objects that live (modules, the web framework,
every device's collector, session, rate state and schedules) are many more, and
CPython's oldest-generation collection scans all of them again and again
(bench/service_scale.py measured 0.5-1.0 s pauses at 1,000 routers;
bench/poll_cpu.py measures the CPU per poll with and without this).
:func:`freeze_after` runs one full collection once the collector has had time to
make its long-lived objects, then ``gc.freeze()``: those objects move to the
permanent generation, and later collections scan only what was made since.

From then on the youngest generation is collected after
:data:`YOUNG_THRESHOLD` allocations of tracked objects not freed meanwhile,
instead of CPython's 700: a realtime poll's samples live until the writer
thread has written them (0.1 s and more), so at 700 nearly every poll started a
collection that found them alive and moved them to an older generation, to be
scanned again there. Objects freed by reference counting never count towards
it, so collections now come when objects that live (or cycles) pile up; at most
:data:`YOUNG_THRESHOLD` objects of cyclic garbage wait for one
(bench/poll_cpu.py against 700: -6 to -7 % CPU per realtime poll at 100
routers, -3 to -22 % at 500 with the p99 start lag 6-10 ms instead of 18-46;
bench/RESULTS.md, "interface counters as one block").

Process-wide, so only a host that owns its process calls it (the collector's
process of ``mikromon serve``, :class:`mikromon.web.runtime.Runtime`); an
application embedding the collector decides for itself. The cost: a cycle of
objects frozen then, that becomes garbage later (a device's collector replaced
by a configuration change), is never freed; objects freed by reference counting
(nearly all) are freed as usual.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Final

__all__ = ["SETTLE_AFTER_S", "YOUNG_THRESHOLD", "freeze_after", "freeze_now"]

log = logging.getLogger(__name__)

#: Seconds from the collector's start to the freeze: every tier of every device
#: has run once by then (their first runs are spread over the first 5 s; 1,000
#: routers warm up in about 30 s, bench/RESULTS.md).
SETTLE_AFTER_S: Final = 90.0
#: Threshold of the youngest generation after the freeze (``gc.set_threshold``;
#: CPython's default is 700): see the module docstring.
YOUNG_THRESHOLD: Final = 10_000


def freeze_now() -> int:
    """Run a full collection, then move every object alive into the permanent
    generation (``gc.freeze()``) and collect the youngest generation after
    :data:`YOUNG_THRESHOLD` allocations (the older generations' thresholds are
    kept); return how many objects are frozen now."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    count = gc.get_freeze_count()
    log.debug("garbage collection: %d long-lived objects frozen", count)
    return count


def freeze_after(delay_s: float = SETTLE_AFTER_S) -> threading.Timer:
    """Call :func:`freeze_now` once, ``delay_s`` seconds from now, in a daemon
    timer thread; ``cancel()`` the returned timer to call it off.

    Raises:
        ValueError: ``delay_s`` is negative.
    """
    if delay_s < 0:
        raise ValueError(f"delay must be >= 0 s, got {delay_s}")
    timer = threading.Timer(delay_s, freeze_now)
    timer.name = "mikromon-gc-settle"
    timer.daemon = True
    timer.start()
    return timer
