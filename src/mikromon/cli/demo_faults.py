"""The demo's misbehaving router: every few minutes the last emulated router
stops answering, or answers late, for a while, so that outages show up in the
demo too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

log = logging.getLogger("mikromon.demo")

#: Seconds (before time scaling) between the starts of two fault windows.
FAULT_PERIOD_S = 120.0
#: Seconds (before time scaling) a fault window lasts.
FAULT_WINDOW_S = 25.0
#: Reply delay (seconds) in the "slow" fault window.
FAULT_DELAY_S = 3.0

class FaultCycle:
    """Make the last router misbehave now and then: every ``FAULT_PERIOD_S`` a window
    of ``FAULT_WINDOW_S`` in which it alternately stops answering (``blackhole``:
    the device goes down, then comes back up) or answers ``FAULT_DELAY_S`` late.

    Args:
        routers: emulator handles (``set_fault``, ``clear_faults``).
        scale: time scale (periods are multiplied by it, like collection intervals).
    """

    def __init__(self, routers: Sequence[Any], *, scale: float = 1.0) -> None:
        self._router = routers[-1] if len(routers) >= 2 else None
        self._period = FAULT_PERIOD_S * scale
        self._window = FAULT_WINDOW_S * scale
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mikromon-demo-faults", daemon=True)

    def start(self) -> None:
        """Start the cycle (no-op with fewer than two routers)."""
        if self._router is not None and not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        """End the cycle and clear any fault."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        router = self._router
        assert router is not None
        blackhole = True
        try:
            while not self._stop.wait(self._period - self._window):
                kind = "stops answering" if blackhole else f"answers {FAULT_DELAY_S:g} s late"
                log.info(
                    "router %s %s for %.0f s", router.identity, kind, self._window
                )
                if blackhole:
                    router.set_fault(blackhole=True)
                else:
                    router.set_fault(delay=FAULT_DELAY_S)
                self._stop.wait(self._window)
                router.clear_faults()
                log.info("router %s behaves again", router.identity)
                blackhole = not blackhole
        except Exception:
            log.exception("the fault cycle stopped")
        finally:
            try:
                router.clear_faults()
            except Exception:
                log.debug("could not clear faults on %s", router.identity)
