"""A RouterOS API emulator: many fake MikroTik routers on loopback ports.

It speaks the real API protocol (plain and API-SSL), serves rows shaped like the
captures of real RouterOS 6 and 7 routers, makes counters, CPU and tables move with a
clock, and misbehaves on demand. Used by tests (:mod:`mikromon.emulator.testing`),
benchmarks and ``mikromon simulate``.

Main names:

* :class:`Profile` and :func:`profile_for`: what a router is (``v6``,
  ``v6-legacy``, ``v7``, ``v7-empty``, ``chr``, ``mixed``; and by name the PPPoE
  concentrator ``isp-bras`` and the CAPsMAN controllers ``capsman`` (7.x wifi) and
  ``capsman-v6``).
* :class:`Router`: one router's state and menus (no networking).
* :class:`RouterEmulator`: one router on an API (+ API-SSL) port.
* :class:`Fleet`: many routers in one event loop.
* :func:`mikromon.emulator.testing.running_emulators`: a fleet in a background thread
  (``async_emulators`` for async tests).

Behaviour worth knowing when testing a client against it (facts and sources in
shared/ROUTEROS-API.md):

* Login: ``/login =name= =password=`` (6.43+; older versions answer it with the
  challenge). A bare ``/login`` always answers ``!done =ret=<challenge>``; the
  ``=response=00<md5>`` completes the login only up to 6.45.1 (``v6-legacy`` is
  6.42): newer routers refuse even a correct response, as real ones do
  (:attr:`Profile.md5_accepted`; ``md5_login=True/False`` overrides). Failure:
  ``!trap =message=invalid user name or password (6)`` (``cannot log in`` before
  6.43) then ``!done``; the connection stays open and the next command gets
  ``!fatal`` ``not logged in``.
* Menus: every menu of :data:`mikromon.emulator.menus.MENU_TABLE` that exists on the
  profile's version, packages and board (system, IP, IPv6, queues, bridge, PoE,
  tunnels, routing, users; the list is checked against RouterOS's documentation in
  tests/emulator/test_menus_walk.py): real rows where the profile has them, an
  empty table where nothing is configured. ``/system/package`` lists the packages
  the menus depend on (a RouterOS 6 part listed disabled has no menus).
* A menu the router lacks (typo, v6 path on v7, absent package, ``/ipv6`` on a 6.x
  router without the ipv6 package, PoE on a board without PoE-out) traps
  ``=category=0 =message=no such command prefix``; an unknown command on an existing
  menu traps ``=category=0 =message=no such command or directory (<word>)``.
* RouterOS 7.18+ profiles send ``!empty`` before ``!done`` when a print selects
  nothing (not for ``count-only``, not for ``/login``).
* ``/quit`` -> ``!fatal`` ``session terminated on request``; ``/cancel [=tag=X]`` ->
  ``!trap =category=2 =message=interrupted``, the cancel's ``!done``, then the
  command's ``!done``.
* Text: comments are ASCII unless :attr:`Profile.comment_encoding` names a
  codepage; then some interface and lease comments are Cyrillic sent as raw bytes
  of that codepage (the word length counts bytes), to test a client's decoding.
* ``/system/clock`` reads the emulator clock's ``time()`` (UTC; a
  :class:`ManualClock` starts at 2026-11-30 09:41:07 unless given ``wall=``).
* Values are strings as the router sends them; counters are ``rate * uptime``
  (64-bit) and restart with ``reboot()``; ``monitor-traffic`` reports the profile's
  rates exactly (:attr:`RouterEmulator.rates`). An interface that is not running
  carries no traffic, a loopback a few kbit/s. With ``Profile.traffic_swing`` (the
  demo's routers) rates move smoothly over minutes and the counters follow them.
* Commands with arguments (:mod:`mikromon.emulator.commands`):
  ``/interface/monitor-traffic``, ``/interface/ethernet/monitor`` (``sfp-*`` fields
  on SFP+ cages), ``/interface/wifi/monitor``, ``/interface/wireless/monitor``,
  ``/ping`` and ``/tool/traceroute``. Wrong arguments trap as RouterOS does
  (``unknown parameter``, ``missing value(s) of argument(s) X``, ``no such item``,
  ``invalid value for argument X``); without ``once``/``count`` they stream until
  ``/cancel``. Ping and traceroute send no packet: who answers is read from the
  router's addresses, neighbours and routes (:meth:`Router.set_reachable`).
* Faults (``set_fault``): ``delay``, ``drop_mid_sentence``, ``garbage``, ``trickle``,
  ``refuse_login``, ``blackhole`` (:mod:`mikromon.emulator.faults`).
"""

from __future__ import annotations

from mikromon.domain.clock import Clock, ManualClock, SystemClock
from mikromon.emulator.faults import Faults
from mikromon.emulator.fleet import Endpoint, Fleet
from mikromon.emulator.loopback import ensure_loopback
from mikromon.emulator.profile_model import InterfaceRates, Profile
from mikromon.emulator.profiles import PROFILE_NAMES, PROFILES, profile_for
from mikromon.emulator.router import Router
from mikromon.emulator.server import RouterEmulator

__all__ = [
    "PROFILES",
    "PROFILE_NAMES",
    "Clock",
    "Endpoint",
    "Faults",
    "Fleet",
    "InterfaceRates",
    "ManualClock",
    "Profile",
    "Router",
    "RouterEmulator",
    "SystemClock",
    "ensure_loopback",
    "profile_for",
]
