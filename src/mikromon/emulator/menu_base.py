"""What every menu module shares: :class:`Menu` (one entry of the menu table, with
the versions, packages and board features it needs), :class:`RouterView` (what a
builder reads of the router) and the builders that serve capture files.

The menu table itself is :data:`mikromon.emulator.menus.MENU_TABLE`, the one list
of which menus exist where; the builders live in :mod:`mikromon.emulator.menus`
(interfaces, IPv4 core, routing, system core), :mod:`~mikromon.emulator.menus_system`,
:mod:`~mikromon.emulator.menus_ip`, :mod:`~mikromon.emulator.menus_ipv6`,
:mod:`~mikromon.emulator.menus_interface`, and for the special-purpose profiles'
variants :mod:`~mikromon.emulator.menus_capsman` and
:mod:`~mikromon.emulator.profiles_isp`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from mikromon.emulator.controls import StateControls
from mikromon.emulator.data import capture, legacy_row
from mikromon.emulator.dynamics import mix
from mikromon.emulator.generated import Moment
from mikromon.emulator.interfaces import Port
from mikromon.emulator.profile_model import InterfaceRates, Profile
from mikromon.emulator.tables import FixedTable, Row, Table

__all__ = ["Builder", "Menu", "RouterView", "empty", "generated", "has_feature",
           "has_package", "rows_of", "serial_number", "static", "static_rows"]


class RouterView(Protocol):
    """What the menus read of an emulated router
    (:class:`~mikromon.emulator.router.Router`)."""

    @property
    def profile(self) -> Profile:
        """What the router is."""
        ...

    @property
    def seed(self) -> int:
        """Its pseudo-random seed."""
        ...

    @property
    def identity(self) -> str:
        """``/system/identity`` ``name``."""
        ...

    @property
    def ports(self) -> list[Port]:
        """Its interfaces in ``/interface`` order."""
        ...

    @property
    def port_rates(self) -> list[InterfaceRates]:
        """The mean traffic of each of :attr:`ports`."""
        ...

    @property
    def controls(self) -> StateControls:
        """What tests set over what it would report."""
        ...

    def resource_row(self, m: Moment) -> Row:
        """Its ``/system/resource`` row at ``m``."""
        ...


Builder = Callable[[RouterView, Moment], Table]


def has_package(profile: Profile, package: str) -> bool:
    """Whether ``package`` is present and enabled on ``profile``.

    ``ipv6`` is a package of its own only on RouterOS 6 (``/system/package`` lists
    it, often disabled); RouterOS 7 has IPv6 in the main package, so it is always
    there (help.mikrotik.com "Packages": v7 package list)."""
    if package == "ipv6" and profile.major >= 7:
        return True
    return package in profile.packages


def has_feature(profile: Profile, feature: str) -> bool:
    """Whether the router's board has ``feature``: ``poe`` (a PoE-out port among
    its ethernet ports, :attr:`~mikromon.emulator.boards.Board.poe_out`)."""
    if feature == "poe":
        board = profile.board_facts
        ethers = {f"ether{k + 1}" for k in range(profile.ethernet)}
        return board is not None and bool(set(board.poe_out) & ethers)
    raise ValueError(f"unknown board feature {feature!r}")


@dataclass(frozen=True, slots=True)
class Menu:
    """One entry of the menu table: a printable menu and where it exists.

    Attributes:
        path: API path (``/ip/route``).
        build: makes the table for one read.
        package: the optional package it needs (:func:`has_package`), or ``None``.
        commands: extra commands besides ``print``, ``getall`` (the API alias of
            print) and ``listen``, which every menu has.
        major: ``6`` or ``7`` for a menu of one major version only, ``None`` both.
        since: first ``(major, minor)`` that has it (``(7, 13)``), or ``None``.
        before: first ``(major, minor)`` that no longer has it, or ``None``.
        feature: a board feature it needs (:func:`has_feature`: ``poe``), or ``None``.
        variants: ``(package, builder)`` pairs: on a router with one of these
            packages (first match) the menu exists as before but is built by that
            builder instead of :attr:`build` (the PPPoE concentrator's
            ``/ppp/active``, a CAPsMAN manager's ``/interface/wifi``). They change
            how a menu is built, never whether it exists.
    """

    path: str
    build: Builder
    package: str | None = None
    commands: frozenset[str] = frozenset()
    major: int | None = None
    since: tuple[int, int] | None = None
    before: tuple[int, int] | None = None
    feature: str | None = None
    variants: tuple[tuple[str, Builder], ...] = ()

    def builder(self, profile: Profile) -> Builder:
        """The builder of this menu on a router with ``profile``: the first of
        :attr:`variants` whose package it has, else :attr:`build`."""
        return next((b for package, b in self.variants if has_package(profile, package)),
                    self.build)

    def present(self, profile: Profile) -> bool:
        """Whether a router with ``profile`` has this menu."""
        version = profile.version_tuple[:2]
        return ((self.major is None or self.major == profile.major)
                and (self.since is None or version >= self.since)
                and (self.before is None or version < self.before)
                and (self.package is None or has_package(profile, self.package))
                and (self.feature is None or has_feature(profile, self.feature)))


@functools.cache
def _legacy(name: str) -> tuple[Mapping[str, str], ...]:
    return tuple(legacy_row(r) for r in capture(name).rows)


@functools.cache
def _capture_name(base: str, v6: bool) -> str:
    """Return the first capture that exists of ``base.v6`` (v6 only), ``base.v7``
    and ``base`` (found once, not probed on every read)."""
    for name in ([f"{base}.v6"] if v6 else []) + [f"{base}.v7", base]:
        try:
            capture(name)
        except FileNotFoundError:
            continue
        return name
    raise LookupError(f"no capture for {base}")


def static_rows(base: str, profile: Profile) -> tuple[Mapping[str, str], ...]:
    """Rows of ``base.v6`` (v6 routers), ``base.v7`` or ``base`` for ``profile``;
    v7 rows served to a v6 or pre-7.10 router get the old date format."""
    name = _capture_name(base, profile.major < 7)
    if name.endswith(".v7") and not profile.iso_dates:
        return _legacy(name)
    return capture(name).rows


def static(base: str) -> Builder:
    """Serve ``base.v6``/``base.v7`` (or the unversioned file) as captured."""

    def build(router: RouterView, m: Moment) -> Table:
        return FixedTable(static_rows(base, router.profile))

    return build


def generated(fn: Callable[[Moment], Table]) -> Builder:
    """A builder from a table generator of :mod:`mikromon.emulator.generated`."""
    return lambda router, m: fn(m)


def empty(router: RouterView, m: Moment) -> Table:
    """A menu with no rows (nothing configured; a profile's ``empty_menus``)."""
    return FixedTable([])


def rows_of(table: Table) -> list[Row]:
    """Every row of ``table`` (new dicts)."""
    return [table.row(i) for i in range(len(table))]


def serial_number(seed: int) -> str:
    """The router's RouterBOARD serial number (``HE0123456789``), also the first
    label of its ``/ip/cloud`` ``dns-name``."""
    return f"HE{mix(seed, 0x5E) % 16**10:010X}"
