"""Capture rows shipped with the emulator (package data in ``mikromon/emulator/data``).

Each ``<name>.json`` is a copy of a file in shared/routeros-captures (see its README):
``{"path", "routeros_version", "source", "notes", "rows": [...], "done"?: {...}}``.
A menu no public capture shows is written from MikroTik's manual in the same shape,
marked ``"reconstructed": true`` with the manual page in ``source``, and lives here only.
Rows are what real routers send as ``!re`` sentences, every value a string exactly as
on the wire. Files are read once per process and shared read-only by every router.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

Row = dict[str, str]


@dataclass(frozen=True, slots=True)
class Capture:
    """One capture file.

    Attributes:
        name: file name without ``.json`` (``interface.v7``).
        path: the API path (``/interface``), or a description for commands.
        rows: the ``!re`` rows, read-only (never mutate: they are shared).
        done: attributes of the final ``!done`` (``{"ret": "4187"}``), usually empty.
    """

    name: str
    path: str
    rows: tuple[MappingProxyType[str, str], ...]
    done: MappingProxyType[str, str]


@functools.cache
def capture(name: str) -> Capture:
    """Return the capture named ``name`` (``"system_resource.v7"``).

    Raises:
        FileNotFoundError: no such capture in the package data.
    """
    text = resources.files(__package__).joinpath("data", f"{name}.json").read_text("utf-8")
    raw = json.loads(text)
    rows = tuple(MappingProxyType({str(k): str(v) for k, v in r.items()}) for r in raw["rows"])
    done = MappingProxyType({str(k): str(v) for k, v in raw.get("done", {}).items()})
    return Capture(name=name, path=str(raw["path"]), rows=rows, done=done)


def capture_names() -> list[str]:
    """Return the names of every capture file shipped (sorted)."""
    folder = resources.files(__package__).joinpath("data")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


_ISO: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2})$")
#: Month abbreviations as RouterOS < 7.10 writes dates (lower case).
MONTHS: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                 "nov", "dec")


def legacy_date(value: str) -> str:
    """Render an ISO ``2024-10-08 11:14:27`` value as RouterOS < 7.10 does
    (``oct/08/2024 11:14:27``, lower-case month; ROUTEROS-API.md §7). Other values
    are returned unchanged."""
    m = _ISO.match(value)
    if not m:
        return value
    year, month, day, clock = m.groups()
    return f"{MONTHS[int(month) - 1]}/{day}/{year} {clock}"


def legacy_row(row: MappingProxyType[str, str] | dict[str, str]) -> Row:
    """Return a copy of ``row`` with every ISO date converted by :func:`legacy_date`."""
    return {k: legacy_date(v) for k, v in row.items()}
