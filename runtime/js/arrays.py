"""`Array.prototype`'s methods for code compiled from ECMAScript.

Each method is a Python function taking the array first, then the JavaScript
arguments; every one accepts and ignores arguments beyond its own, as JavaScript
functions do. `ARRAY_METHODS` maps the names to them: `js_builtins` makes the
shared method objects of `Array.prototype` from it, and `js.call_method` calls
the functions directly while a session has changed no built-in.

Callbacks (`forEach`, `map`, `sort`, ...) may be compiled functions, built-in
ones or Python callables; they get (element, index, array) and the `thisArg`.
Arrays have no holes: an element never assigned is `undefined`, so a callback
sees it where JavaScript would skip a hole.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from typing import Any, Final

from .values import (
    is_callable,
    JSArray,
    JSError,
    array_text,
    invoke,
    strict_eq,
    to_integer,
    to_number,
    to_string,
    truthy,
    undefined,
)

__all__ = ["ARRAY_METHODS", "ABSENT"]

ABSENT: Final = object()
"""An argument that was not passed at all (unlike one passed as undefined)."""


def _callable(callback: Any, method: str) -> Any:
    """`callback` if it can be called, else the TypeError JavaScript raises."""
    if is_callable(callback):
        return callback
    raise JSError(
        f"TypeError: Array.prototype.{method}: {to_string(callback)} is not a function"
    )


def _relative(position: Any, length: int, default: int) -> int:
    """A start or end index as `slice` and `splice` read it: negative counts
    from the end; the result is clamped to 0..length."""
    index = to_integer(position, default)
    if index < 0:
        return max(length + index, 0)
    return min(index, length)


def _visits(
    array: list[Any], callback: Any, this: Any
) -> Iterator[tuple[int, Any, Any]]:
    """(index, element, callback result) for each element, as `forEach` and the
    others visit them: the length is read once; elements removed meanwhile are
    skipped."""
    for index in range(len(array)):
        if index < len(array):
            value = array[index]
            yield index, value, invoke(callback, this, value, index, array)


# -- reading ---------------------------------------------------------------------------


def _index_of(array: list[Any], item: Any = undefined, start: Any = 0, *_: Any) -> int:
    """`indexOf(item, fromIndex)`: the first index holding `item` (===), or -1."""
    for index in range(_relative(start, len(array), 0), len(array)):
        if strict_eq(array[index], item):
            return index
    return -1


def _last_index_of(
    array: list[Any], item: Any = undefined, start: Any = ABSENT, *_: Any
) -> int:
    """`lastIndexOf(item, fromIndex)`: the last index at or before `fromIndex`
    (negative: from the end) holding `item` (===), or -1."""
    length = len(array)
    index = length - 1 if start is ABSENT else to_integer(start)
    index = min(index, length - 1) if index >= 0 else length + index
    while index >= 0:
        if strict_eq(array[index], item):
            return index
        index -= 1
    return -1


def _slice(array: list[Any], start: Any = 0, end: Any = undefined, *_: Any) -> JSArray:
    """`slice(start, end)`: a new array of the elements from `start` to `end`."""
    length = len(array)
    return JSArray(array[_relative(start, length, 0) : _relative(end, length, length)])


def _concat(array: list[Any], *items: Any) -> JSArray:
    """`concat(...)`: a new array, with the elements of array arguments spread."""
    result = JSArray(array)
    for item in items:
        if isinstance(item, list):
            result.extend(item)
        else:
            result.append(item)
    return result


def _join(array: list[Any], separator: Any = undefined, *_: Any) -> str:
    """`join(separator)`: the elements as text (null and undefined as "")."""
    return array_text(array, "," if separator is undefined else to_string(separator))


def _to_locale_string(array: list[Any], *_: Any) -> str:
    """`toLocaleString()`: each element's `toLocaleString()`, joined by ","."""
    from .access import call_method  # the property functions build on this module

    texts = (
        "" if v is None or v is undefined else call_method(v, "toLocaleString", None)
        for v in array
    )
    return ",".join(to_string(text) for text in texts)


# -- changing ---------------------------------------------------------------------------


def _push(array: list[Any], *items: Any) -> int:
    """`push(...)`: appends; the new length."""
    array.extend(items)
    return len(array)


def _unshift(array: list[Any], *items: Any) -> int:
    """`unshift(...)`: inserts at the front; the new length."""
    array[0:0] = items
    return len(array)


def _splice(
    array: list[Any], start: Any = ABSENT, count: Any = ABSENT, *items: Any
) -> JSArray:
    """`splice(start, deleteCount, ...items)`: removes `deleteCount` elements
    from `start` (all to the end when it is not given, none without `start`)
    and inserts `items`; the removed elements."""
    length = len(array)
    begin = 0 if start is ABSENT else _relative(start, length, 0)
    if count is ABSENT:
        removing = 0 if start is ABSENT else length - begin
    else:
        removing = min(max(to_integer(count), 0), length - begin)
    removed = JSArray(array[begin : begin + removing])
    array[begin : begin + removing] = items
    return removed


def _reverse(array: list[Any], *_: Any) -> list[Any]:
    """`reverse()`: in place; the array."""
    array.reverse()
    return array


def _sort(array: list[Any], compare: Any = undefined, *_: Any) -> list[Any]:
    """`sort(compareFn)`: in place and stable; the array. Without `compareFn`
    elements compare as strings (by UTF-16 code units, as JavaScript's do);
    undefined elements go last and are never passed to `compareFn`."""
    defined = [v for v in array if v is not undefined]
    missing = len(array) - len(defined)
    if compare is undefined:
        defined.sort(key=_string_order)
    else:
        order = _comparison(_callable(compare, "sort"))
        defined.sort(key=functools.cmp_to_key(order))
    array[:] = defined + [undefined] * missing
    return array


def _string_order(value: Any) -> bytes:
    """The sort key of the default order: the string's UTF-16 code units."""
    return to_string(value).encode("utf-16-be", "surrogatepass")


def _comparison(compare: Any) -> Callable[[Any, Any], int]:
    """A Python comparison from a JavaScript `compareFn` (NaN counts as equal)."""

    def order(left: Any, right: Any) -> int:
        result = to_number(invoke(compare, undefined, left, right))
        if math.isnan(result) or result == 0:
            return 0
        return 1 if result > 0 else -1

    return order


# -- callbacks ---------------------------------------------------------------------------


def _for_each(
    array: list[Any], callback: Any = undefined, this: Any = undefined, *_: Any
) -> Any:
    """`forEach(callback, thisArg)`: calls `callback(element, index, array)`."""
    for _visit in _visits(array, _callable(callback, "forEach"), this):
        pass
    return undefined


def _map(
    array: list[Any], callback: Any = undefined, this: Any = undefined, *_: Any
) -> JSArray:
    """`map(callback, thisArg)`: a new array of the callback's results."""
    results = JSArray([undefined] * len(array))
    for index, _value, result in _visits(array, _callable(callback, "map"), this):
        results[index] = result
    return results


def _filter(
    array: list[Any], callback: Any = undefined, this: Any = undefined, *_: Any
) -> JSArray:
    """`filter(callback, thisArg)`: a new array of the elements it accepts."""
    kept = JSArray()
    for _index, value, result in _visits(array, _callable(callback, "filter"), this):
        if truthy(result):
            kept.append(value)
    return kept


def _some(
    array: list[Any], callback: Any = undefined, this: Any = undefined, *_: Any
) -> bool:
    """`some(callback, thisArg)`: whether it accepts an element (stops there)."""
    visits = _visits(array, _callable(callback, "some"), this)
    return any(truthy(result) for *_visit, result in visits)


def _every(
    array: list[Any], callback: Any = undefined, this: Any = undefined, *_: Any
) -> bool:
    """`every(callback, thisArg)`: whether it accepts every element."""
    visits = _visits(array, _callable(callback, "every"), this)
    return all(truthy(result) for *_visit, result in visits)


def _reduce(
    array: list[Any], callback: Any = undefined, initial: Any = ABSENT, *_: Any
) -> Any:
    """`reduce(callback, initialValue)`: folds from the left with
    `callback(accumulated, element, index, array)`."""
    return _fold(array, callback, initial, range(len(array)), "reduce")


def _reduce_right(
    array: list[Any], callback: Any = undefined, initial: Any = ABSENT, *_: Any
) -> Any:
    """`reduceRight(callback, initialValue)`: folds from the right."""
    return _fold(array, callback, initial, range(len(array) - 1, -1, -1), "reduceRight")


def _fold(
    array: list[Any], callback: Any, initial: Any, indexes: range, method: str
) -> Any:
    function = _callable(callback, method)
    order = iter(indexes)
    if initial is ABSENT:
        first = next(order, None)
        if first is None:
            raise JSError(
                f"TypeError: Array.prototype.{method} of an empty array "
                "with no initial value"
            )
        initial = array[first]
    accumulated = initial
    for index in order:
        if index < len(array):
            accumulated = invoke(
                function, undefined, accumulated, array[index], index, array
            )
    return accumulated


ARRAY_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "concat": _concat,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "join": _join,
    "slice": _slice,
    "splice": _splice,
    "push": _push,
    "pop": lambda a, *_: a.pop() if a else undefined,
    "shift": lambda a, *_: a.pop(0) if a else undefined,
    "unshift": _unshift,
    "reverse": _reverse,
    "sort": _sort,
    "forEach": _for_each,
    "map": _map,
    "filter": _filter,
    "some": _some,
    "every": _every,
    "reduce": _reduce,
    "reduceRight": _reduce_right,
    "toString": lambda a, *_: array_text(a),
    "toLocaleString": _to_locale_string,
}
"""Array.prototype's methods, the array first (`toSource` is added by js_builtins)."""
