"""A RouterOS API emulator: many fake MikroTik routers on loopback ports.

It speaks the real API protocol (plain and API-SSL), serves rows shaped like the
captures of real RouterOS 6 and 7 routers, makes counters, CPU and tables move with a
clock, and misbehaves on demand. Used by tests (:mod:`mikromon.emulator.testing`),
benchmarks and ``mikromon simulate``.

Main names:

* :class:`Profile` and :func:`profile_for`: what a router is (``v6``, ``v7``,
  ``v7-empty``, ``chr``, ``mixed``).
* :class:`Router`: one router's state and menus (no networking).
* :class:`RouterEmulator`: one router on an API (+ API-SSL) port.
* :class:`Fleet`: many routers in one event loop.
* :func:`mikromon.emulator.testing.running_emulators`: a fleet in a background thread.
"""

from __future__ import annotations

from mikromon.emulator.dynamics import Clock, ManualClock, MonotonicClock
from mikromon.emulator.faults import Faults
from mikromon.emulator.fleet import Endpoint, Fleet
from mikromon.emulator.profiles import (
    PROFILE_NAMES,
    PROFILES,
    InterfaceRates,
    Profile,
    profile_for,
)
from mikromon.emulator.router import Router
from mikromon.emulator.server import RouterEmulator, ensure_loopback

__all__ = [
    "PROFILES",
    "PROFILE_NAMES",
    "Clock",
    "Endpoint",
    "Faults",
    "Fleet",
    "InterfaceRates",
    "ManualClock",
    "MonotonicClock",
    "Profile",
    "Router",
    "RouterEmulator",
    "ensure_loopback",
    "profile_for",
]
