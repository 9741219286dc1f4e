"""JavaScript's `+` and relational operators, as generated code calls them
(`js.add(a, b)`, `js.lt(a, b)`): the common case first, two numbers or two
strings, and every other case handed to `values`, which implements the
specification's algorithm.

This module is small on purpose: the native build compiles it with the
runtime core (`scxmlc.runtime.native.CORE_MODULES`), so that a native
module's handlers call these functions directly, without a Python call, where
the rest of the JavaScript runtime stays interpreted.
"""

from __future__ import annotations

from typing import Any

from . import values

__all__ = ["add", "add_all", "ge", "gt", "le", "lt"]


def add(left: Any, right: Any) -> Any:
    """`+`: string concatenation if either side is a string, else addition.

    Two ints add exactly, unchecked: this is the hot path of every counter,
    and a sum past 2**53 needs operands that every other operation already
    keeps within it (`values.whole_number`); the rare sum beyond it rounds
    when it is next multiplied, subtracted, divided or printed."""
    kind = type(left)
    if kind is type(right):
        if kind is int or kind is float or kind is str:
            return left + right
    elif (kind is int or kind is float) and _is_number(right):
        return left + right
    return values.add(left, right)


def add_all(first: Any, *rest: Any) -> Any:
    """`a + b + c ...`, added from the left as JavaScript does."""
    for value in rest:
        first = add(first, value)
    return first


def lt(left: Any, right: Any) -> bool:
    """`<`."""
    if _is_number(left) and _is_number(right):
        result: bool = left < right
        return result
    return values.compare("<", left, right)


def le(left: Any, right: Any) -> bool:
    """`<=`."""
    if _is_number(left) and _is_number(right):
        result: bool = left <= right
        return result
    return values.compare("<=", left, right)


def gt(left: Any, right: Any) -> bool:
    """`>`."""
    if _is_number(left) and _is_number(right):
        result: bool = left > right
        return result
    return values.compare(">", left, right)


def ge(left: Any, right: Any) -> bool:
    """`>=`."""
    if _is_number(left) and _is_number(right):
        result: bool = left >= right
        return result
    return values.compare(">=", left, right)


def _is_number(value: Any) -> bool:
    """Whether `value` is a JavaScript number (an int or a float, not a bool)."""
    kind = type(value)
    return kind is int or kind is float
