"""The asyncio event loop the collector and the emulated routers run on.

``MIKROMON_EVENT_LOOP`` chooses it: ``auto`` (the default) runs uvloop, the
libuv-based implementation of asyncio's event loop, where the package is
installed (it is a dependency on Linux and macOS), and asyncio's own loop
elsewhere; ``uvloop`` requires it; ``asyncio`` keeps asyncio's. The collector's
code is the same on both: only the loop underneath (its ``select``, timers and
socket transports) changes. bench/RESULTS.md ("The collector on uvloop") has
the CPU a realtime poll costs on each.

No Django here: the collector core and the emulator use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from mikromon import config
from mikromon.domain.errors import ConfigError

T = TypeVar("T")

#: What makes a new event loop (``None``: asyncio's default).
LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None


def loop_factory(choice: str | None = None) -> LoopFactory:
    """Return what makes the event loop ``choice`` names (any case; default: the
    ``MIKROMON_EVENT_LOOP`` variable): ``uvloop.new_event_loop``, or ``None`` for
    asyncio's own loop (``asyncio``, or ``auto`` without uvloop installed).

    Raises:
        ConfigError: the variable is not ``auto``, ``uvloop`` or ``asyncio``, or it
            asks for ``uvloop`` and the package is not installed.
    """
    given = None if choice is None else {"MIKROMON_EVENT_LOOP": choice}
    mode = config.choice("MIKROMON_EVENT_LOOP", given)
    if mode == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if mode == "uvloop":
            raise ConfigError("MIKROMON_EVENT_LOOP is 'uvloop' but the uvloop package is "
                              "not installed (pip install uvloop, or set it to 'auto' "
                              "or 'asyncio')") from None
        return None
    return uvloop.new_event_loop


def new_event_loop(choice: str | None = None) -> asyncio.AbstractEventLoop:
    """Return a new event loop of :func:`loop_factory`'s kind, not set as current.

    Raises:
        ConfigError: as :func:`loop_factory`.
    """
    factory = loop_factory(choice)
    return factory() if factory is not None else asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T], choice: str | None = None) -> T:
    """Run ``main`` to its end on a new loop of :func:`loop_factory`'s kind and close
    the loop (as :func:`asyncio.run`); return what ``main`` returns.

    Raises:
        ConfigError: as :func:`loop_factory` (``main`` is closed, not run);
            whatever ``main`` raises.
    """
    try:
        factory = loop_factory(choice)
    except ConfigError:
        main.close()
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``"uvloop"`` or ``"asyncio"``: the implementation of ``loop``, for status
    and logs."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
