"""Test connection: one realtime poll of a device, run in a worker thread.

Logs in, learns the router's version, runs the realtime tier and the
``/system/identity`` collector and closes the connection, as every one-off poll
does (:func:`mikromon.collectors.poll.poll_session`). Nothing is stored: the
result only tells the operator whether the settings work and what the router said.
"""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass, field

from mikromon import event_loop
from mikromon.collectors.poll import poll_session
from mikromon.domain import formatting
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandTimeout,
    ConfigError,
    DeviceError,
    DeviceUnreachable,
)
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier

#: Seconds added to the device's own timeouts before the worker is abandoned.
GRACE_S = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What one test poll found.

    Attributes:
        ok: the router answered the realtime tier.
        title: one line for the operator ("Connected", "Authentication failed"...).
        detail: lines of detail (facts and values read, or the error).
        duration_s: seconds the test took.
    """

    ok: bool
    title: str
    detail: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable dict (kept in the session until shown)."""
        return {"ok": self.ok, "title": self.title, "detail": self.detail,
                "duration_s": round(self.duration_s, 3)}


async def _poll(config: DeviceConfig) -> CollectResult:
    async with poll_session(config) as session:
        result = await session.run(Tier.REALTIME)
        # The identity belongs to the extended tier; its collector alone names the router.
        result.merge(await session.run_collectors(("system_identity",)))
        return result


def _describe(result: CollectResult) -> list[str]:
    lines: list[str] = []
    facts = result.facts
    if facts is not None:
        parts = [p for p in (facts.identity, facts.board,
                             f"RouterOS {facts.version}" if facts.version else None) if p]
        if parts:
            lines.append(" · ".join(parts))
        if facts.uptime_s is not None:
            lines.append(f"uptime {formatting.duration(facts.uptime_s)}")
    values = {s.key: s.value for s in result.samples if not s.labels}
    summary = []
    if "system.cpu.load_pct" in values:
        summary.append(f"CPU {formatting.pct(values['system.cpu.load_pct'])}")
    if "system.memory.used_pct" in values:
        summary.append(f"memory {formatting.pct(values['system.memory.used_pct'])}")
    if summary:
        lines.append(", ".join(summary))
    readings = result.readings()
    interfaces = sorted({dict(c.labels).get("interface", "") for c in readings} - {""})
    if interfaces:
        shown = ", ".join(interfaces[:12]) + (" ..." if len(interfaces) > 12 else "")
        lines.append(f"{len(interfaces)} interfaces: {shown}")
    lines.append(f"{len(result.samples)} values and {len(readings)} counters read")
    for failure in result.failures:
        lines.append(f"warning: {failure}")
    return lines


def _error_title(err: BaseException) -> str:
    if isinstance(err, AuthenticationFailed):
        return "Authentication failed"
    if isinstance(err, CommandTimeout):
        return "The router did not answer in time"
    if isinstance(err, DeviceUnreachable):
        return "Router unreachable"
    if isinstance(err, ConfigError):
        return "Configuration error"
    return "Connection failed"


def run_probe(config: DeviceConfig) -> ProbeResult:
    """Poll ``config`` once (realtime tier) in a worker thread and describe the outcome.

    Never raises for router or network problems: they become a failed result
    whose title and detail name the problem. Waits at most the device's connect
    and command timeouts plus :data:`GRACE_S` seconds.
    """
    started = time.monotonic()
    limit = config.connect_timeout + config.command_timeout * 2 + GRACE_S
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe")
    future = pool.submit(event_loop.run, _poll(config))
    try:
        result = future.result(timeout=limit)
    except concurrent.futures.TimeoutError:
        return ProbeResult(ok=False, title="The router did not answer in time",
                           detail=[f"no result within {limit:g} s"],
                           duration_s=time.monotonic() - started)
    except (DeviceError, ConfigError, OSError) as err:
        return ProbeResult(ok=False, title=_error_title(err), detail=[str(err)],
                           duration_s=time.monotonic() - started)
    finally:
        pool.shutdown(wait=False)
    title = "Connected" if not result.failures else "Connected, with warnings"
    return ProbeResult(ok=True, title=title, detail=_describe(result),
                       duration_s=time.monotonic() - started)
