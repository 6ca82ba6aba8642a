"""The pieces every command with arguments is made of (:mod:`mikromon.emulator.commands`
runs them): :class:`Command`, :class:`Run`, :class:`CommandError` and the trap texts
(their sources: the module docstring of :mod:`mikromon.emulator.commands`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from mikromon.emulator.controls import StateControls
from mikromon.emulator.data import capture
from mikromon.emulator.generated import Moment
from mikromon.emulator.interfaces import Port
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.tables import Row, Table


class Router(Protocol):
    """What commands read of an emulated router
    (:class:`~mikromon.emulator.router.Router`)."""

    profile: Profile
    seed: int
    ports: list[Port]
    controls: StateControls

    @property
    def menus(self) -> Mapping[str, object]:
        """Its menus by path."""
        ...

    def table(self, path: str, moment: Moment | None = None) -> Table:
        """Menu ``path``'s table now (or at ``moment``)."""
        ...

    def moment(self) -> Moment:
        """Snapshot of "now"."""
        ...

    def port_name(self, token: str) -> str:
        """An interface name or ``.id`` -> its name (``KeyError`` when unknown)."""
        ...

    def monitor_traffic(self, names: Sequence[str]) -> list[Row]:
        """``monitor-traffic`` rows of ``names``."""
        ...

    def ethernet_monitor(self, names: Sequence[str]) -> list[Row]:
        """``/interface/ethernet/monitor`` rows of ``names``."""
        ...

__all__ = ["NO_SUCH_ITEM", "UNKNOWN_PARAMETER", "Command", "CommandError", "Router", "Run",
           "ordered", "truthy"]

UNKNOWN_PARAMETER: Final = "unknown parameter"
NO_SUCH_ITEM: Final = "no such item"


class CommandError(Exception):
    """A command's arguments are wrong: answered with ``!trap`` (message, category)."""

    def __init__(self, message: str, category: int | None = 1) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass(frozen=True, slots=True)
class Run:
    """What a started command sends.

    Attributes:
        rows: round number (0, 1, ...) -> the rows of that round.
        rounds: rounds before ``!done``; ``None``: until ``/cancel``.
        interval: seconds between rounds.
    """

    rows: Callable[[int], list[Row]]
    rounds: int | None
    interval: float = 1.0


Starter = Callable[[Router, Mapping[str, str]], Run]


@dataclass(frozen=True, slots=True)
class Command:
    """One command with arguments.

    Attributes:
        path: the full command word (``/interface/ethernet/monitor``).
        arguments: every argument it takes (``.proplist`` is always allowed).
        required: arguments that must be given.
        start: checks the values and returns the :class:`Run`; raises
            :class:`CommandError`.
        present: whether a router with a profile has the command (its package).
    """

    path: str
    arguments: frozenset[str]
    required: tuple[str, ...]
    start: Starter
    present: Callable[[Profile], bool] = lambda profile: True


@functools.cache
def _key_orders(name: str) -> tuple[tuple[str, ...], ...]:
    rows = capture(name).rows
    union = tuple(dict.fromkeys(k for row in rows for k in row))
    return (*(tuple(row) for row in rows), union)


def ordered(name: str, row: Row) -> Row:
    """Return ``row`` in the key order of capture ``name`` (a file in
    ``emulator/data``): that of the file's first row holding all of its keys (a
    reply row, a timeout row...), else of all rows together; keys the file lacks
    are dropped."""
    orders = _key_orders(name)
    keys = next((k for k in orders if row.keys() <= set(k)), orders[-1])
    return {k: row[k] for k in keys if k in row}


def truthy(value: str) -> bool:
    """Flag arguments: empty (``=once=``), ``yes`` or ``true`` switch them on."""
    return value.lower() in ("", "yes", "true")


