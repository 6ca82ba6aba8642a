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


def _is_int(text: str) -> bool:
    body = text[1:] if text[:1] == "-" else text
    return body.isascii() and body.isdigit()


def _compare(actual: str, wanted: str) -> int:
    a, w = _BOOLS.get(actual, actual), _BOOLS.get(wanted, wanted)
    if _is_int(a) and _is_int(w):
        ai, wi = int(a), int(w)
        return (ai > wi) - (ai < wi)
    return (a > w) - (a < w)


#: A compiled test of one row: ``(get, index) -> bool`` with ``get(index, name)``.
RowGet = Callable[[int, str], "str | None"]
Predicate = Callable[[RowGet, int], bool]


def _predicate(step: _Push) -> Predicate:
    name, raw = step.name, step.value
    if step.op == "has":
        return lambda get, i: get(i, name) is not None
    if step.op == "lacks":
        return lambda get, i: get(i, name) is None
    if step.op == "eq":
        wanted = _BOOLS.get(raw, raw)
        wanted_int = int(wanted) if _is_int(wanted) else None

        def equal(get: RowGet, i: int) -> bool:
            value = get(i, name)
            if value is None:
                return False
            if value == raw:
                return True
            value = _BOOLS.get(value, value)
            if value == wanted:
                return True
            return wanted_int is not None and _is_int(value) and int(value) == wanted_int

        return equal
    sign = -1 if step.op == "lt" else 1

    def ordered(get: RowGet, i: int) -> bool:
        value = get(i, name)
        return value is not None and _compare(value, raw) == sign

    return ordered


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


def compile_query(steps: Sequence[Step]) -> Predicate:
    """Compile steps into one row test ``(get, index) -> bool``.

    Queries made only of pushes (the usual case) are an AND of their tests and
    read only the properties they name.
    """
    if not steps:
        return lambda get, i: True
    compiled: list[Predicate | str] = [
        _predicate(s) if isinstance(s, _Push) else s.ops for s in steps]
    tests = [c for c in compiled if not isinstance(c, str)]
    if len(tests) == len(compiled):
        if len(tests) == 1:
            return tests[0]
        return lambda get, i: all(t(get, i) for t in tests)

    def machine(get: RowGet, i: int) -> bool:
        stack: list[bool] = []
        for item in compiled:
            if isinstance(item, str):
                _apply(stack, item)
            else:
                stack.append(item(get, i))
        return all(stack)

    return machine


def matches(steps: Sequence[Step], get: Getter) -> bool:
    """Evaluate compiled steps for one item; ``True`` when it is selected."""
    return compile_query(steps)(lambda _i, name: get(name), 0)
