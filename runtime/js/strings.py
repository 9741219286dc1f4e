"""`String.prototype`'s and `Number.prototype`'s methods for compiled ECMAScript.

Each method is a Python function taking the string (or number) first, then the
JavaScript arguments, and ignoring arguments beyond its own. `STRING_METHODS` and
`NUMBER_METHODS` map the names to them; `js_builtins` makes the prototypes' shared
method objects from them. The methods that take a regular expression are in
`js_regexp`; number formatting is in `js_number`.

Strings are Python strings, sequences of code points: a character outside the
Basic Multilingual Plane counts as one, where JavaScript counts two UTF-16 units.
`localeCompare` and the `toLocale...` methods follow the en-US conventions of
current engines; asking for another locale is a RangeError that says so.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from typing import Any, Final

from .values import JSError, to_integer, to_number, to_string, undefined
from .number import exponential, fixed, locale_number, precision, radix_text
from .regexp import string_match, string_replace, string_search, string_split

__all__ = ["NUMBER_METHODS", "STRING_METHODS", "from_char_code", "check_locale"]


def check_locale(
    method: str, locales: Any = undefined, options: Any = undefined
) -> None:
    """Refuse what the `toLocale...` methods cannot honour: a locale other than
    en-US, or options."""
    if options is not undefined or locales not in (undefined, "en-US", "en"):
        raise JSError(
            f"RangeError: {method}: only the en-US format without options is "
            f"supported (got {to_string(locales)!r})"
        )


# -- strings ---------------------------------------------------------------------------


def _char_at(text: str, index: Any = 0, *_: Any) -> str:
    """`charAt(index)`: the character there, or ""."""
    position = to_integer(index)
    return text[position] if 0 <= position < len(text) else ""


def _char_code_at(text: str, index: Any = 0, *_: Any) -> int | float:
    """`charCodeAt(index)`: the character's code, or NaN."""
    position = to_integer(index)
    return ord(text[position]) if 0 <= position < len(text) else math.nan


def _index_of(text: str, search: Any = undefined, start: Any = 0, *_: Any) -> int:
    """`indexOf(search, position)`: the first index at or after `position`, or -1."""
    position = min(max(to_integer(start), 0), len(text))
    return text.find(to_string(search), position)


def _last_index_of(
    text: str, search: Any = undefined, start: Any = undefined, *_: Any
) -> int:
    """`lastIndexOf(search, position)`: the last index at or before `position`
    (the end when it is not a number), or -1."""
    needle = to_string(search)
    number = to_number(start)
    position = len(text) if math.isnan(number) else int(max(min(number, len(text)), 0))
    return text.rfind(needle, 0, position + len(needle))


def _slice(text: str, start: Any = 0, end: Any = undefined, *_: Any) -> str:
    """`slice(start, end)`: negative positions count from the end."""
    length = len(text)
    begin, stop = to_integer(start), to_integer(end, length)
    begin = max(length + begin, 0) if begin < 0 else min(begin, length)
    stop = max(length + stop, 0) if stop < 0 else min(stop, length)
    return text[begin:stop]


def _substring(text: str, start: Any = 0, end: Any = undefined, *_: Any) -> str:
    """`substring(start, end)`: positions clamped to the string, in either order."""
    length = len(text)
    begin = min(max(to_integer(start), 0), length)
    stop = min(max(to_integer(end, length), 0), length)
    return text[min(begin, stop) : max(begin, stop)]


def _substr(text: str, start: Any = 0, count: Any = undefined, *_: Any) -> str:
    """`substr(start, length)`: `length` characters from `start` (negative:
    from the end)."""
    length = len(text)
    begin = to_integer(start)
    begin = max(length + begin, 0) if begin < 0 else min(begin, length)
    size = min(max(to_integer(count, length), 0), length - begin)
    return text[begin : begin + size]


def _locale_key(text: str) -> tuple[str, str, str]:
    """A sort key like the root collation's: letters before accents before case,
    lower case first."""
    decomposed = unicodedata.normalize("NFD", text)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.casefold(), decomposed.casefold(), text.swapcase()


def _locale_compare(text: str, other: Any = undefined, *rest: Any) -> int:
    """`localeCompare(other)`: -1, 0 or 1 in en-US order (case and accents count
    only between otherwise equal strings, lower case first)."""
    check_locale("localeCompare", *rest[:2])
    mine, theirs = _locale_key(text), _locale_key(to_string(other))
    return (mine > theirs) - (mine < theirs)


def _case(convert: Callable[[str], str], method: str) -> Callable[..., str]:
    """A case conversion; the `toLocale...` ones take (and check) a locale."""

    def change(text: str, locales: Any = undefined, *_: Any) -> str:
        if method.startswith("toLocale"):
            check_locale(method, locales)
        return convert(text)

    return change


def from_char_code(*codes: Any) -> str:
    """`String.fromCharCode(...)`: the characters of UTF-16 codes; a surrogate
    pair makes one character."""
    units = [
        int(to_number(c)) % 65536 if math.isfinite(to_number(c)) else 0 for c in codes
    ]
    encoded = b"".join(unit.to_bytes(2, "little") for unit in units)
    return encoded.decode("utf-16-le", "surrogatepass")


STRING_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "charAt": _char_at,
    "charCodeAt": _char_code_at,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "slice": _slice,
    "substring": _substring,
    "substr": _substr,
    "toUpperCase": _case(str.upper, "toUpperCase"),
    "toLowerCase": _case(str.lower, "toLowerCase"),
    "toLocaleUpperCase": _case(str.upper, "toLocaleUpperCase"),
    "toLocaleLowerCase": _case(str.lower, "toLocaleLowerCase"),
    "trim": lambda s, *_: s.strip(),
    "split": string_split,
    "replace": string_replace,
    "match": string_match,
    "search": string_search,
    "concat": lambda s, *items: s + "".join(to_string(i) for i in items),
    "localeCompare": _locale_compare,
    "toString": lambda s, *_: s,
    "valueOf": lambda s, *_: s,
}
"""String.prototype's methods, the string first (`toSource` is added by js_builtins)."""


# -- numbers ---------------------------------------------------------------------------


def _digits(value: Any, method: str, low: int, default: int | None) -> int | None:
    """A digit count argument: `default` when undefined, a RangeError outside
    low..100."""
    if value is undefined:
        return default
    count = to_integer(value)
    if not low <= count <= 100:
        raise JSError(f"RangeError: {method}() argument must be between {low} and 100")
    return count


def _to_fixed(number: int | float, digits: Any = undefined, *_: Any) -> str:
    """`toFixed(digits)`: `digits` decimals, ties rounded up."""
    count = _digits(digits, "toFixed", 0, 0)
    assert count is not None
    return fixed(number, count)


def _to_precision(number: int | float, digits: Any = undefined, *_: Any) -> str:
    """`toPrecision(digits)`: `digits` significant digits (ToString without)."""
    count = _digits(digits, "toPrecision", 1, None)
    return to_string(number) if count is None else precision(number, count)


def _to_exponential(number: int | float, digits: Any = undefined, *_: Any) -> str:
    """`toExponential(digits)`: `d.ddde+n` with `digits` decimals (as many as
    it takes without)."""
    if not math.isfinite(number):
        return to_string(number)
    return exponential(number, _digits(digits, "toExponential", 0, None))


def _to_radix(number: int | float, radix: Any = undefined, *_: Any) -> str:
    """`toString(radix)`: in base 2 to 36 (10 without `radix`)."""
    base = 10 if radix is undefined else to_integer(radix)
    if not 2 <= base <= 36:
        raise JSError("RangeError: toString() radix must be between 2 and 36")
    return to_string(number) if base == 10 else radix_text(number, base)


def _to_locale(number: int | float, locales: Any = undefined, *rest: Any) -> str:
    """`toLocaleString()`: en-US grouping, at most three decimals."""
    check_locale("Number.prototype.toLocaleString", locales, *rest[:1])
    return locale_number(number)


NUMBER_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toFixed": _to_fixed,
    "toPrecision": _to_precision,
    "toExponential": _to_exponential,
    "toString": _to_radix,
    "toLocaleString": _to_locale,
    "valueOf": lambda n, *_: n,
}
"""Number.prototype's methods, the number first (`toSource` is added by js_builtins)."""
