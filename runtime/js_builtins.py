"""The JavaScript built-ins of `scxmlc.runtime.js`: methods, Math, JSON, Date, ...

What a compiled ECMAScript expression can call by name (`GLOBALS`) and the
methods of strings, arrays, objects, regular expressions, numbers and dates that
`js.get` hands out. Separate from the core only to keep each module readable.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Final

from .events import Event
from .js import (
    _GLOBAL_PATTERNS,
    JSArray,
    JSError,
    JSFunction,
    JSObject,
    _is_number,
    from_json_text,
    iterate_keys,
    regex,
    strict_eq,
    to_number,
    to_string,
    truthy,
    undefined,
)

# -- builtins ----------------------------------------------------------------------------


def _concat(array: list[Any], *items: Any) -> JSArray:
    result = JSArray(array)
    for item in items:
        if isinstance(item, list):
            result.extend(item)
        else:
            result.append(item)
    return result


def _index_of(sequence: Any, item: Any, start: Any = 0) -> int:
    if isinstance(sequence, str):
        return sequence.find(to_string(item), int(to_number(start)))
    for index in range(int(to_number(start)), len(sequence)):
        if strict_eq(sequence[index], item):
            return index
    return -1


def _slice(sequence: Any, start: Any = 0, end: Any = undefined) -> Any:
    length = len(sequence)
    begin = int(to_number(start))
    stop = length if end is undefined else int(to_number(end))
    begin = max(length + begin, 0) if begin < 0 else min(begin, length)
    stop = max(length + stop, 0) if stop < 0 else min(stop, length)
    part = sequence[begin:stop]
    return JSArray(part) if isinstance(sequence, list) else part


def _push(array: list[Any], *items: Any) -> int:
    array.extend(items)
    return len(array)


def _search(text: str, pattern: Any) -> int:
    regex = (
        pattern
        if isinstance(pattern, re.Pattern)
        else re.compile(re.escape(to_string(pattern)))
    )
    found = regex.search(text)
    return found.start() if found else -1


_ARRAY_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toSource": lambda a: uneval(a),
    "concat": _concat,
    "indexOf": _index_of,
    "join": lambda a, sep=",": to_string(sep).join(to_string(v) for v in a),
    "slice": _slice,
    "push": _push,
    "pop": lambda a: a.pop() if a else undefined,
    "shift": lambda a: a.pop(0) if a else undefined,
    "reverse": lambda a: (a.reverse(), a)[1],
    "toString": lambda a: to_string(a),
}
_STRING_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toSource": lambda s: uneval(s),
    "indexOf": _index_of,
    "slice": _slice,
    "substring": lambda s, a=0, b=undefined: s[
        int(to_number(a)) : None if b is undefined else int(to_number(b))
    ],
    "search": _search,
    "toUpperCase": lambda s: s.upper(),
    "toLowerCase": lambda s: s.lower(),
    "charAt": lambda s, i=0: (
        s[int(to_number(i))] if 0 <= int(to_number(i)) < len(s) else ""
    ),
    "split": lambda s, sep=undefined: JSArray(
        [s] if sep is undefined else s.split(to_string(sep))
    ),
    "trim": lambda s: s.strip(),
    "toString": lambda s: s,
    "replace": lambda s, pattern, replacement="undefined": _replace(
        s, pattern, replacement
    ),
    "match": lambda s, pattern: _match(s, pattern),
    "lastIndexOf": lambda s, item, start=undefined: s.rfind(to_string(item)),
    "charCodeAt": lambda s, i=0: (
        ord(s[int(to_number(i))]) if 0 <= int(to_number(i)) < len(s) else math.nan
    ),
    "concat": lambda s, *items: s + "".join(to_string(i) for i in items),
    "substr": lambda s, a=0, n=undefined: s[int(to_number(a)) :][
        : None if n is undefined else int(to_number(n))
    ],
    "localeCompare": lambda s, other: (s > to_string(other)) - (s < to_string(other)),
}
_DICT_METHODS: Final[dict[str, Callable[[dict[str, Any]], Any]]] = {
    "hasOwnProperty": lambda d: JSFunction(
        lambda this, key: to_string(key) in d, "hasOwnProperty"
    ),
    "toSource": lambda d: JSFunction(lambda this: uneval(d), "toSource"),
}
_OBJECT_METHODS: Final[dict[str, Callable[[dict[str, Any]], Any]]] = {
    "hasOwnProperty": _DICT_METHODS["hasOwnProperty"],
    "toSource": _DICT_METHODS["toSource"],
    "toString": lambda d: JSFunction(lambda this: "[object Object]", "toString"),
}


def _regex_get(pattern: re.Pattern[str], name: str) -> Any:
    if name == "test":
        return JSFunction(
            lambda this, text=undefined: pattern.search(to_string(text)) is not None,
            name,
        )
    if name == "exec":
        return JSFunction(
            lambda this, text=undefined: _match_array(pattern.search(to_string(text))),
            name,
        )
    if name == "source":
        return pattern.pattern
    return undefined


def _match_array(found: re.Match[str] | None) -> Any:
    if found is None:
        return None
    result = JSArray(
        undefined if g is None else g for g in (found.group(0), *found.groups())
    )
    return result


def _replace(text: str, pattern: Any, replacement: Any) -> str:
    def substitute(found: re.Match[str]) -> str:
        if isinstance(replacement, JSFunction):
            return to_string(
                replacement.impl(undefined, found.group(0), *found.groups())
            )
        return to_string(replacement).replace("$&", found.group(0))

    if isinstance(pattern, re.Pattern):
        count = (
            0
            if getattr(pattern, "_js_global", False) or pattern in _GLOBAL_PATTERNS
            else 1
        )
        return pattern.sub(substitute, text, count=count)
    return re.sub(re.escape(to_string(pattern)), substitute, text, count=1)


def _match(text: str, pattern: Any) -> Any:
    regex = (
        pattern if isinstance(pattern, re.Pattern) else re.compile(to_string(pattern))
    )
    if regex in _GLOBAL_PATTERNS:
        found = [m.group(0) for m in regex.finditer(text)]
        return JSArray(found) if found else None
    return _match_array(regex.search(text))


def _array_constructor(this: Any, *args: Any) -> JSArray:
    return JSArray(args)


def _object_constructor(this: Any, *args: Any) -> JSObject:
    return JSObject()


_ARRAY_CONSTRUCTOR: Final = JSFunction(_array_constructor, "Array")
_OBJECT_CONSTRUCTOR: Final = JSFunction(_object_constructor, "Object")
_STATICS: Final[dict[tuple[str, str], JSFunction]] = {
    ("Array", "isArray"): JSFunction(
        lambda this, value=undefined: isinstance(value, list), "isArray"
    ),
    ("Object", "keys"): JSFunction(
        lambda this, value=undefined: JSArray(iterate_keys(value)), "keys"
    ),
    ("String", "fromCharCode"): JSFunction(
        lambda this, *codes: "".join(chr(int(to_number(c))) for c in codes),
        "fromCharCode",
    ),
}


def _string(this: Any, value: Any = "") -> str:
    return to_string(value)


def _number_function(this: Any, value: Any = 0) -> int | float:
    return to_number(value)


def _boolean(this: Any, value: Any = False) -> bool:
    return truthy(value)


def uneval(value: Any) -> str:
    """SpiderMonkey's `uneval(x)` / `x.toSource()`: the value as source text."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(uneval(v) for v in value) + "]"
    if isinstance(value, JSFunction):
        return repr(value)
    if isinstance(value, dict):
        items = [f"{_property_name(k)}:{uneval(v)}" for k, v in value.items()]
        return "({" + ", ".join(items) + "})"
    if value is None or value is undefined or isinstance(value, (bool, int, float)):
        return to_string(value)
    if isinstance(value, Event):
        return uneval(value.fields())
    return json.dumps(str(value))


def _property_name(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_$][\w$]*", key) else json.dumps(key)


def _json_stringify(
    this: Any, value: Any = undefined, replacer: Any = None, indent: Any = None
) -> Any:
    if value is undefined or isinstance(value, JSFunction):
        return undefined
    spaces = int(to_number(indent)) if _is_number(indent) else None
    return json.dumps(
        _plain(value), indent=spaces, separators=(",", ":") if spaces is None else None
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {
            k: _plain(v)
            for k, v in value.items()
            if v is not undefined and not isinstance(v, JSFunction)
        }
    if isinstance(value, list):
        return [None if v is undefined else _plain(v) for v in value]
    if value is undefined:
        return None
    return value


def _json_parse(this: Any, text: Any = undefined) -> Any:
    try:
        return from_json_text(to_string(text))
    except ValueError as error:
        raise JSError(f"SyntaxError: JSON.parse: {error}") from None


def _math(name: str, function: Callable[..., Any]) -> JSFunction:
    def apply(this: Any, *args: Any) -> Any:
        try:
            result = function(*(to_number(a) for a in args))
        except (ValueError, OverflowError):
            return math.nan
        return (
            int(result)
            if isinstance(result, float) and result.is_integer() and abs(result) < 2**53
            else result
        )

    return JSFunction(apply, name)


def _round(x: float) -> float:
    return float(math.floor(x + 0.5))


MATH: Final = JSObject(
    {
        "PI": math.pi,
        "E": math.e,
        "abs": _math("abs", abs),
        "floor": _math("floor", math.floor),
        "ceil": _math("ceil", math.ceil),
        "round": _math("round", _round),
        "sqrt": _math("sqrt", math.sqrt),
        "pow": _math("pow", math.pow),
        "min": _math("min", lambda *a: min(a) if a else math.inf),
        "max": _math("max", lambda *a: max(a) if a else -math.inf),
        "random": JSFunction(lambda this: __import__("random").random(), "random"),
    }
)
JSON: Final = JSObject(
    {
        "stringify": JSFunction(_json_stringify, "stringify"),
        "parse": JSFunction(_json_parse, "parse"),
    }
)


def _eval(this: Any, code: Any = undefined) -> Any:
    """`eval`: JSON text (what Composer evaluates), optionally in parentheses.

    Evaluating arbitrary code would need a JavaScript interpreter at run time,
    which scxmlc does not embed: other code is an error.execution.
    """
    if not isinstance(code, str):
        return code
    text = code.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    try:
        return from_json_text(text)
    except ValueError:
        raise JSError("EvalError: eval is supported for JSON text only") from None


def _number_member(number: int | float, name: str) -> Any:
    if name == "toSource":
        return JSFunction(lambda this: uneval(number), name)
    if name == "toFixed":
        return JSFunction(
            lambda this, digits=0: f"{number:.{int(to_number(digits))}f}", name
        )
    if name == "toString":
        return JSFunction(
            lambda this, radix=10: _radix(number, int(to_number(radix))), name
        )
    return undefined


def _radix(number: int | float, radix: int) -> str:
    if radix == 10 or not float(number).is_integer():
        return to_string(number)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    value, out = abs(int(number)), ""
    while True:
        value, rest = divmod(value, radix)
        out = digits[rest] + out
        if not value:
            break
    return ("-" if number < 0 else "") + out


class JSDate:
    """A `Date`: milliseconds since the epoch, read in the host's local time."""

    __slots__ = ("time",)

    def __init__(self, time: float) -> None:
        self.time = time

    def _local(self) -> Any:
        import datetime

        return datetime.datetime.fromtimestamp(self.time / 1000.0)

    def member(self, name: str) -> Any:
        if math.isnan(self.time):
            invalid: Any = (
                "Invalid Date" if name in ("toString", "toISOString") else math.nan
            )
            return (
                JSFunction(lambda this: invalid, name)
                if name in _DATE_GETTERS
                else undefined
            )
        local = self._local()
        getters: dict[str, Callable[[], Any]] = {
            "getTime": lambda: _integral(self.time),
            "valueOf": lambda: _integral(self.time),
            "getFullYear": lambda: local.year,
            "getMonth": lambda: local.month - 1,
            "getDate": lambda: local.day,
            "getDay": lambda: (local.weekday() + 1) % 7,
            "getHours": lambda: local.hour,
            "getMinutes": lambda: local.minute,
            "getSeconds": lambda: local.second,
            "getMilliseconds": lambda: local.microsecond // 1000,
            "toISOString": lambda: _iso(self.time),
            "toString": lambda: local.strftime("%a %b %d %Y %H:%M:%S"),
        }
        getter = getters.get(name)
        if getter is None:
            return undefined
        return JSFunction(lambda this: getter(), name)

    def __repr__(self) -> str:
        return f"Date({_iso(self.time)})"


_DATE_GETTERS: Final = frozenset(
    {
        "getTime",
        "valueOf",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDay",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "toISOString",
        "toString",
    }
)


def _integral(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _iso(time: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(time / 1000.0, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now_ms() -> float:
    import time

    return float(int(time.time() * 1000))


def _date(this: Any, *args: Any) -> Any:
    import datetime

    if not isinstance(this, JSObject):  # called as a function: the current time as text
        return JSDate(_now_ms()).member("toString").impl(undefined)
    if not args:
        return JSDate(_now_ms())
    if len(args) == 1:
        value = args[0]
        if isinstance(value, str):
            try:
                parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return JSDate(math.nan)
            return JSDate(parsed.timestamp() * 1000.0)
        return JSDate(float(to_number(value)))
    parts = [int(to_number(a)) for a in args] + [0] * (7 - len(args))
    year, month, day = parts[0], parts[1] + 1, parts[2] or 1
    moment = datetime.datetime(year, 1, 1) + datetime.timedelta(
        days=day - 1,
        hours=parts[3],
        minutes=parts[4],
        seconds=parts[5],
        milliseconds=parts[6],
    )
    moment = moment.replace(month=month) if 1 <= month <= 12 else moment
    return JSDate(moment.timestamp() * 1000.0)


_DATE_CONSTRUCTOR: Final = JSFunction(_date, "Date")
_DATE_CONSTRUCTOR.prototype = JSObject(
    {"now": JSFunction(lambda this: _integral(_now_ms()), "now")}
)

GLOBALS: Final[dict[str, Any]] = {
    "Date": _DATE_CONSTRUCTOR,
    "eval": JSFunction(_eval, "eval"),
    "Math": MATH,
    "JSON": JSON,
    "uneval": JSFunction(lambda this, value=undefined: uneval(value), "uneval"),
    "isFinite": JSFunction(
        lambda this, v=undefined: math.isfinite(to_number(v)), "isFinite"
    ),
    "Array": _ARRAY_CONSTRUCTOR,
    "Object": _OBJECT_CONSTRUCTOR,
    "String": JSFunction(_string, "String"),
    "RegExp": JSFunction(
        lambda this, pattern="", flags="": regex(to_string(pattern), to_string(flags)),
        "RegExp",
    ),
    "Number": JSFunction(_number_function, "Number"),
    "Boolean": JSFunction(_boolean, "Boolean"),
    "NaN": math.nan,
    "Infinity": math.inf,
    "isNaN": JSFunction(lambda this, v=undefined: math.isnan(to_number(v)), "isNaN"),
    "parseInt": JSFunction(
        lambda this, v=undefined, base=10: _parse_int(v, base), "parseInt"
    ),
    "parseFloat": JSFunction(lambda this, v=undefined: _parse_float(v), "parseFloat"),
}
"""The global built-ins compiled code may name."""


def _parse_int(value: Any, base: Any) -> int | float:
    match = re.match(r"\s*([+-]?[0-9a-zA-Z]+)", to_string(value))
    if not match:
        return math.nan
    try:
        return int(match.group(1), int(to_number(base)) or 10)
    except ValueError:
        digits = re.match(r"[+-]?\d+", match.group(1))
        return int(digits.group(0)) if digits else math.nan


def _parse_float(value: Any) -> int | float:
    match = re.match(r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)", to_string(value))
    if not match:
        return math.nan
    number = float(match.group(1))
    return int(number) if number.is_integer() else number
