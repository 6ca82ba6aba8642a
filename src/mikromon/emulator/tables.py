"""Tables a ``print`` walks: fixed rows, or rows generated on demand from templates.

A generated table never stores its rows: row ``i`` is a shared template row plus a
small dict of per-row overrides computed from ``i``. Filtering reads only the
properties a query names, so ``count-only`` or a query over 100,000 routes stays in
the tens of milliseconds and 1,000 routers cost no memory for their big tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

import mikromon.emulator.query as q

Row = dict[str, str]
#: Per-row overrides: a value replaces the template's, ``None`` removes the key.
Overrides = Mapping[str, "str | None"]


class Table(Protocol):
    """Rows of one menu, addressed by position ``0 .. len - 1``."""

    def __len__(self) -> int:
        """Number of rows now."""
        ...

    def get(self, index: int, key: str) -> str | None:
        """Return one property of row ``index`` or ``None`` when the row lacks it."""
        ...

    def row(self, index: int) -> Row:
        """Return row ``index`` (a new dict; key order as the console prints)."""
        ...


class FixedTable:
    """Rows held in a list (capture rows, small computed tables)."""

    def __init__(self, rows: Sequence[Mapping[str, str]]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, index: int, key: str) -> str | None:
        return self._rows[index].get(key)

    def row(self, index: int) -> Row:
        return dict(self._rows[index])


class GeneratedTable:
    """Rows built on demand: ``template(i)`` plus ``overrides(i)``.

    Args:
        length: row count now (tables are built per request, so it may churn).
        template: returns row ``i``'s shared template row (never mutated).
        overrides: returns row ``i``'s own values; keys mapped to ``None`` are removed.
        head: rows served verbatim before the generated ones (row ``i < len(head)``).
        fields: optional per-property generators used by :meth:`get` (queries), so a
            query computes only the properties it names. When given they must cover
            every key ``overrides`` sets: other keys are read from the template.
    """

    def __init__(
        self,
        length: int,
        template: Callable[[int], Mapping[str, str]],
        overrides: Callable[[int], Overrides],
        head: Sequence[Mapping[str, str]] = (),
        fields: Mapping[str, Callable[[int], str | None]] | None = None,
    ) -> None:
        self._length = length
        self._fields = fields or {}
        self._template = template
        self._overrides = overrides
        self._head = head
        self._cache_index = -1
        self._cache: Overrides = {}

    def __len__(self) -> int:
        return self._length

    def _own(self, index: int) -> Overrides:
        if index != self._cache_index:
            self._cache = self._overrides(index)
            self._cache_index = index
        return self._cache

    def get(self, index: int, key: str) -> str | None:
        if index < len(self._head):
            return self._head[index].get(key)
        if self._fields:
            field = self._fields.get(key)
            return field(index) if field is not None else self._template(index).get(key)
        own = self._own(index)
        if key in own:
            return own[key]
        return self._template(index).get(key)

    def row(self, index: int) -> Row:
        if index < len(self._head):
            return dict(self._head[index])
        own = self._own(index)
        out: Row = {}
        for key, value in self._template(index).items():
            new = own.get(key, value)
            if new is not None:
                out[key] = new
        for key, added in own.items():
            if added is not None and key not in out:
                out[key] = added
        return out


class ConcatTable:
    """The rows of ``first`` then those of ``second`` (``/interface``: the dynamic
    interfaces after the router's own)."""

    def __init__(self, first: Table, second: Table) -> None:
        self._first, self._second = first, second
        self._split = len(first)

    def __len__(self) -> int:
        return self._split + len(self._second)

    def get(self, index: int, key: str) -> str | None:
        if index < self._split:
            return self._first.get(index, key)
        return self._second.get(index - self._split, key)

    def row(self, index: int) -> Row:
        if index < self._split:
            return self._first.row(index)
        return self._second.row(index - self._split)


class OverriddenTable:
    """A table with some values replaced by text set from a test
    (:meth:`mikromon.emulator.router.Router.set_value`).

    Args:
        inner: the table as the menu built it.
        overrides: ``(row, field, text)``: row position or ``None`` for every row;
            ``text`` ``None`` removes the field.
    """

    def __init__(self, inner: Table, overrides: Sequence[tuple[int | None, str, str | None]]
                 ) -> None:
        self._inner = inner
        self._overrides = tuple(overrides)

    def __len__(self) -> int:
        return len(self._inner)

    def _own(self, index: int) -> dict[str, str | None]:
        return {field: text for row, field, text in self._overrides
                if row is None or row == index}

    def get(self, index: int, key: str) -> str | None:
        own = self._own(index)
        return own[key] if key in own else self._inner.get(index, key)

    def row(self, index: int) -> Row:
        out = self._inner.row(index)
        for key, text in self._own(index).items():
            if text is None:
                out.pop(key, None)
            else:
                out[key] = text
        return out


def cycle(templates: Sequence[Mapping[str, str]]) -> Callable[[int], Mapping[str, str]]:
    """Return a template chooser that cycles through ``templates`` by row position."""
    count = len(templates)
    return lambda index: templates[index % count]


def matching(table: Table, steps: Sequence[q.Step]) -> Iterator[int]:
    """Yield the positions of rows that the query selects."""
    if not steps:
        yield from range(len(table))
        return
    test, get = q.compile_query(steps), table.get
    for i in range(len(table)):
        if test(get, i):
            yield i

