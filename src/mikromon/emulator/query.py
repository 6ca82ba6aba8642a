"""``print`` query words, evaluated the way the RouterOS API does.

Source: MikroTik API page, "Queries" (shared/ROUTEROS-API.md §6). A query is a stack
machine evaluated per item: the stack starts as an endless run of ``true``; each word
pushes one value or applies stack operations; the item matches when no ``false``
remains on the stack.

=================  ==================================================
word               effect
=================  ==================================================
``?name``          push: item has property ``name``
``?-name``         push: item lacks property ``name``
``?name=x``        push: property equals ``x`` (same as ``?=name=x``)
``?<name=x``       push: property less than ``x``
``?>name=x``       push: property greater than ``x``
``?#ops``          digits = index from the top (0 = top), pushed as a copy;
                   ``!`` negate top; ``&`` and; ``|`` or; ``.`` after an
                   index does nothing, otherwise pushes a copy of the top
=================  ==================================================

Comparisons are numeric when both sides are integers, else by text; ``yes``/``no``
match ``true``/``false`` (clients send either).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

#: Looks a property up for one item: name -> value, or ``None`` when absent.
Getter = Callable[[str], "str | None"]

_BOOLS: Final = {"yes": "true", "no": "false"}


class QueryError(ValueError):
    """A query word that cannot be parsed (RouterOS traps it as a bad argument)."""


@dataclass(frozen=True, slots=True)
class _Push:
    op: str  # "has", "lacks", "eq", "lt", "gt"
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class _Ops:
    ops: str


Step = _Push | _Ops


def parse(words: Sequence[str]) -> list[Step]:
    """Compile query words (each starting with ``?``) into steps.

    Raises:
        QueryError: an empty name or an unknown ``?#`` operation.
    """
    steps: list[Step] = []
    for word in words:
        body = word[1:]
        if body.startswith("#"):
            ops = body[1:]
            bad = {c for c in ops if not (c.isdigit() or c in "!&|.")}
            if bad:
                raise QueryError(f"unknown query operation {''.join(sorted(bad))!r} in {word!r}")
            steps.append(_Ops(ops))
            continue
        op = "eq"
        if body[:1] in ("<", ">", "="):
            op = {"<": "lt", ">": "gt", "=": "eq"}[body[0]]
            body = body[1:]
        elif body.startswith("-"):
            name = body[1:]
            if not name:
                raise QueryError(f"empty property name in {word!r}")
            steps.append(_Push("lacks", name, ""))
            continue
        name, sep, value = body.partition("=")
        if not name:
            raise QueryError(f"empty property name in {word!r}")
        if not sep:
            steps.append(_Push("has", name, ""))
        else:
            steps.append(_Push(op, name, value))
    return steps


def properties(steps: Sequence[Step]) -> set[str]:
    """Return the property names the steps read."""
    return {s.name for s in steps if isinstance(s, _Push)}


def _compare(actual: str, wanted: str) -> int:
    a, w = _BOOLS.get(actual, actual), _BOOLS.get(wanted, wanted)
    try:
        ai, wi = int(a), int(w)
    except ValueError:
        return (a > w) - (a < w)
    return (ai > wi) - (ai < wi)


def _push_value(step: _Push, get: Getter) -> bool:
    value = get(step.name)
    if step.op == "has":
        return value is not None
    if step.op == "lacks":
        return value is None
    if value is None:
        return False
    c = _compare(value, step.value)
    if step.op == "eq":
        return c == 0
    return c < 0 if step.op == "lt" else c > 0


def _at(stack: list[bool], index: int) -> bool:
    return stack[-1 - index] if index < len(stack) else True


def _pop(stack: list[bool]) -> bool:
    return stack.pop() if stack else True


def _apply(stack: list[bool], ops: str) -> None:
    i = 0
    prev_index = False
    while i < len(ops):
        c = ops[i]
        if c.isdigit():
            j = i
            while j < len(ops) and ops[j].isdigit():
                j += 1
            stack.append(_at(stack, int(ops[i:j])))
            i = j
            prev_index = True
            continue
        if c == "!":
            stack.append(not _pop(stack))
        elif c == "&":
            b, a = _pop(stack), _pop(stack)
            stack.append(a and b)
        elif c == "|":
            b, a = _pop(stack), _pop(stack)
            stack.append(a or b)
        elif c == "." and not prev_index:
            stack.append(_at(stack, 0))
        prev_index = False
        i += 1


def matches(steps: Sequence[Step], get: Getter) -> bool:
    """Evaluate compiled steps for one item; ``True`` when it is selected."""
    if not steps:
        return True
    stack: list[bool] = []
    for step in steps:
        if isinstance(step, _Push):
            stack.append(_push_value(step, get))
        else:
            _apply(stack, step.ops)
    return all(stack)
