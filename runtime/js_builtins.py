"""The JavaScript built-ins of `scxmlc.runtime.js`: prototypes, constructors, Math, ...

Each built-in prototype is an `Intrinsic` whose methods are shared `JSFunction`s
taking `this`. The same methods are kept in plain tables (`STRING_METHODS`, ...)
of Python functions taking the value first, which `js.call_method` calls
directly while a session has changed no built-in. `GLOBALS` are the global
names compiled code may use; `Date` is in `js_date`.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable
from typing import Any, Final

from .events import Event
from .js import (
    _GLOBAL_PATTERNS,
    AccessorObject,
    JSArray,
    JSError,
    JSFunction,
    JSObject,
    _is_number,
    from_json_text,
    property_key,
    regex,
    strict_eq,
    to_number,
    to_string,
    truthy,
    undefined,
)
from .js_realm import Intrinsic

__all__ = [
    "ARRAY_METHODS",
    "GLOBALS",
    "OBJECT_PROTOTYPE",
    "STRING_METHODS",
    "BuiltinFunction",
    "methods",
    "own_keys",
    "uneval",
]


class BuiltinFunction(JSFunction):
    """A built-in function every session shares (`String`, `Math.max`, ...).

    `new` is what `new F(...)` gives (None: not a constructor). Properties a
    script assigns to it go to the session's realm, not to the shared object.
    """

    __slots__ = ("new",)

    def __init__(
        self,
        impl: Callable[..., Any],
        name: str,
        new: Callable[..., Any] | None = None,
        prototype: Any = None,
        statics: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(impl, name)
        self.new = new
        self.prototype = prototype
        self.props = statics


Coerce = Callable[[Any, str], Any]
"""Checks and converts `this` for a built-in method: (this, method name) -> value."""


def methods(table: dict[str, Callable[..., Any]], coerce: Coerce) -> dict[str, Any]:
    """Shared method objects for a prototype: `this` is coerced, then passed first."""
    return {name: _method(name, function, coerce) for name, function in table.items()}


def _method(name: str, function: Callable[..., Any], coerce: Coerce) -> JSFunction:
    def method(this: Any, *args: Any) -> Any:
        return function(coerce(this, name), *args)

    return BuiltinFunction(method, name)


def _this_error(kind: str, name: str, this: Any) -> JSError:
    return JSError(
        f"TypeError: {kind}.prototype.{name} called on {to_string(this)}, "
        f"which is not a{'n' if kind[0] in 'AO' else ''} {kind.lower()}"
    )


def _this_object(this: Any, name: str) -> Any:
    if this is None or this is undefined:
        raise _this_error("Object", name, this)
    return this


def _this_string(this: Any, name: str) -> str:
    if this is None or this is undefined:
        raise _this_error("String", name, this)
    return to_string(this)


def _this_array(this: Any, name: str) -> list[Any]:
    if not isinstance(this, list):
        raise _this_error("Array", name, this)
    return this


def _this_number(this: Any, name: str) -> int | float:
    if not _is_number(this):
        raise _this_error("Number", name, this)
    number: int | float = this
    return number


def _this_boolean(this: Any, name: str) -> bool:
    if not isinstance(this, bool):
        raise _this_error("Boolean", name, this)
    return this


def _this_function(this: Any, name: str) -> Any:
    if not isinstance(this, JSFunction) and not callable(this):
        raise _this_error("Function", name, this)
    return this


def _this_regexp(this: Any, name: str) -> re.Pattern[str]:
    if not isinstance(this, re.Pattern):
        raise _this_error("RegExp", name, this)
    return this


# -- arrays and strings ------------------------------------------------------------


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
    compiled = (
        pattern
        if isinstance(pattern, re.Pattern)
        else re.compile(re.escape(to_string(pattern)))
    )
    found = compiled.search(text)
    return found.start() if found else -1


def _char_at(text: str, index: Any = 0) -> str:
    position = int(to_number(index))
    return text[position] if 0 <= position < len(text) else ""


def _char_code_at(text: str, index: Any = 0) -> int | float:
    position = int(to_number(index))
    return ord(text[position]) if 0 <= position < len(text) else math.nan


def _substring(text: str, start: Any = 0, end: Any = undefined) -> str:
    stop = None if end is undefined else int(to_number(end))
    return text[int(to_number(start)) : stop]


def _substr(text: str, start: Any = 0, count: Any = undefined) -> str:
    rest = text[int(to_number(start)) :]
    return rest if count is undefined else rest[: int(to_number(count))]


def _split(text: str, separator: Any = undefined) -> JSArray:
    if separator is undefined:
        return JSArray([text])
    return JSArray(text.split(to_string(separator)))


ARRAY_METHODS: Final[dict[str, Callable[..., Any]]] = {
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
"""Array.prototype's methods, value first."""
STRING_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toSource": lambda s: uneval(s),
    "indexOf": _index_of,
    "slice": _slice,
    "substring": _substring,
    "search": _search,
    "toUpperCase": lambda s: s.upper(),
    "toLowerCase": lambda s: s.lower(),
    "charAt": _char_at,
    "split": _split,
    "trim": lambda s: s.strip(),
    "toString": lambda s: s,
    "valueOf": lambda s: s,
    "replace": lambda s, pattern, replacement="undefined": _replace(
        s, pattern, replacement
    ),
    "match": lambda s, pattern: _match(s, pattern),
    "lastIndexOf": lambda s, item, start=undefined: s.rfind(to_string(item)),
    "charCodeAt": _char_code_at,
    "concat": lambda s, *items: s + "".join(to_string(i) for i in items),
    "substr": _substr,
    "localeCompare": lambda s, other: (s > to_string(other)) - (s < to_string(other)),
}
"""String.prototype's methods, value first."""


# -- regular expressions -------------------------------------------------------------


def _match_array(found: re.Match[str] | None) -> Any:
    if found is None:
        return None
    return JSArray(
        undefined if g is None else g for g in (found.group(0), *found.groups())
    )


def _replace(text: str, pattern: Any, replacement: Any) -> str:
    def substitute(found: re.Match[str]) -> str:
        if isinstance(replacement, JSFunction):
            return to_string(
                replacement.impl(undefined, found.group(0), *found.groups())
            )
        return to_string(replacement).replace("$&", found.group(0))

    if isinstance(pattern, re.Pattern):
        count = 0 if pattern in _GLOBAL_PATTERNS else 1
        return pattern.sub(substitute, text, count=count)
    return re.sub(re.escape(to_string(pattern)), substitute, text, count=1)


def _match(text: str, pattern: Any) -> Any:
    compiled = (
        pattern if isinstance(pattern, re.Pattern) else re.compile(to_string(pattern))
    )
    if compiled in _GLOBAL_PATTERNS:
        found = [m.group(0) for m in compiled.finditer(text)]
        return JSArray(found) if found else None
    return _match_array(compiled.search(text))


def regexp_property(pattern: re.Pattern[str], name: str) -> Any:
    """The own properties of a regular expression (`source`, `global`, ...)."""
    if name == "source":
        return pattern.pattern
    if name == "global":
        return pattern in _GLOBAL_PATTERNS
    if name == "ignoreCase":
        return bool(pattern.flags & re.IGNORECASE)
    if name == "multiline":
        return bool(pattern.flags & re.MULTILINE)
    return undefined


_REGEXP_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "test": lambda p, text=undefined: p.search(to_string(text)) is not None,
    "exec": lambda p, text=undefined: _match_array(p.search(to_string(text))),
    "toString": lambda p: f"/{p.pattern}/",
}


# -- numbers, booleans, objects, functions -----------------------------------------


def _radix(number: int | float, radix: Any = 10) -> str:
    base = int(to_number(radix))
    if base == 10 or not float(number).is_integer():
        return to_string(number)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    value, out = abs(int(number)), ""
    while True:
        value, rest = divmod(value, base)
        out = digits[rest] + out
        if not value:
            break
    return ("-" if number < 0 else "") + out


NUMBER_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toSource": lambda n: uneval(n),
    "toFixed": lambda n, digits=0: f"{n:.{int(to_number(digits))}f}",
    "toString": _radix,
    "valueOf": lambda n: n,
}
"""Number.prototype's methods, value first."""
_BOOLEAN_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toString": lambda b: to_string(b),
    "valueOf": lambda b: b,
    "toSource": lambda b: to_string(b),
}


def _has_own(value: Any, key: Any = undefined) -> bool:
    name = property_key(key)
    if isinstance(value, dict):
        return name in value
    if isinstance(value, (list, str)):
        return name == "length" or name.isdigit() and int(name) < len(value)
    if isinstance(value, JSFunction):
        return name == "prototype" or value.props is not None and name in value.props
    if isinstance(value, Intrinsic):
        return name in value.own
    return False


def _class_of(value: Any) -> str:
    """`Object.prototype.toString`: `[object Array]` and the like (type tests use it)."""
    if value is None:
        return "[object Null]"
    if value is undefined:
        return "[object Undefined]"
    kinds = (
        (bool, "Boolean"),
        (str, "String"),
        (int, "Number"),
        (float, "Number"),
        (list, "Array"),
        (JSFunction, "Function"),
        (re.Pattern, "RegExp"),
    )
    for kind, name in kinds:
        if isinstance(value, kind):
            return f"[object {name}]"
    return f"[object {getattr(type(value), 'js_class', 'Object')}]"


def _is_prototype_of(proto: Any, value: Any = undefined) -> bool:
    current = value.proto if isinstance(value, JSObject) else None
    while isinstance(current, JSObject):
        if current is proto:
            return True
        current = current.proto
    return False


_OBJECT_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "hasOwnProperty": _has_own,
    "toString": _class_of,
    "toLocaleString": lambda o: to_string(o),
    "toSource": lambda o: uneval(o),
    "valueOf": lambda o: o,
    "isPrototypeOf": _is_prototype_of,
}


def _invoke(function: Any, this: Any, *args: Any) -> Any:
    if isinstance(function, JSFunction):
        return function.impl(this, *args)
    return function(*args)


def _bind(function: Any, this: Any = undefined, *bound: Any) -> JSFunction:
    name = getattr(function, "name", "")
    return JSFunction(
        lambda _, *args: _invoke(function, this, *bound, *args), f"bound {name}"
    )


_FUNCTION_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "call": lambda f, this=undefined, *args: _invoke(f, this, *args),
    "apply": lambda f, this=undefined, args=None: _invoke(f, this, *(args or [])),
    "bind": _bind,
    "toString": lambda f: repr(f),
    "toSource": lambda f: repr(f),
}

OBJECT_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Object.prototype", methods(_OBJECT_METHODS, _this_object), None
)
FUNCTION_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Function.prototype",
    methods(_FUNCTION_METHODS, _this_function),
    OBJECT_PROTOTYPE,
)
ARRAY_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Array.prototype", methods(ARRAY_METHODS, _this_array), OBJECT_PROTOTYPE
)
STRING_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "String.prototype", methods(STRING_METHODS, _this_string), OBJECT_PROTOTYPE
)
NUMBER_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Number.prototype", methods(NUMBER_METHODS, _this_number), OBJECT_PROTOTYPE
)
BOOLEAN_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Boolean.prototype", methods(_BOOLEAN_METHODS, _this_boolean), OBJECT_PROTOTYPE
)
REGEXP_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "RegExp.prototype", methods(_REGEXP_METHODS, _this_regexp), OBJECT_PROTOTYPE
)


# -- source text and JSON ------------------------------------------------------------


def own_items(value: dict[str, Any]) -> list[tuple[str, Any]]:
    """The own properties of an object as (key, value), getters called."""
    if isinstance(value, AccessorObject):
        return [(k, _read_own(value, k)) for k in value]
    return list(value.items())


def _read_own(obj: AccessorObject, key: str) -> Any:
    value = dict.__getitem__(obj, key)
    read = getattr(value, "read", None)
    return read(obj) if read is not None else value


def uneval(value: Any) -> str:
    """SpiderMonkey's `uneval(x)` / `x.toSource()`: the value as source text."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(uneval(v) for v in value) + "]"
    if isinstance(value, JSFunction):
        return repr(value)
    if isinstance(value, dict):
        items = [f"{_property_name(k)}:{uneval(v)}" for k, v in own_items(value)]
        return "({" + ", ".join(items) + "})"
    if value is None or value is undefined or isinstance(value, (bool, int, float)):
        return to_string(value)
    if isinstance(value, Event):
        return uneval(value.fields())
    if isinstance(value, Intrinsic):
        return "({})"
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
            for k, v in own_items(value)
            if v is not undefined and not isinstance(v, JSFunction)
        }
    if isinstance(value, list):
        return [None if v is undefined else _plain(v) for v in value]
    if value is undefined:
        return None
    if isinstance(value, Intrinsic):
        return {}
    to_json = getattr(type(value), "js_json", None)
    return to_json(value) if to_json is not None else value


def _json_parse(this: Any, text: Any = undefined) -> Any:
    try:
        return from_json_text(to_string(text))
    except ValueError as error:
        raise JSError(f"SyntaxError: JSON.parse: {error}") from None


def _eval(this: Any, code: Any = undefined) -> Any:
    """`eval`: JSON text (what Composer evaluates), optionally in parentheses.

    Evaluating other code would need a JavaScript parser and interpreter at run
    time, which the runtime does not have: it is an error.execution that says so.
    """
    if not isinstance(code, str):
        return code
    text = code.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    try:
        return from_json_text(text)
    except ValueError:
        shown = code if len(code) <= 40 else code[:37] + "..."
        raise JSError(
            "EvalError: eval evaluates only JSON text, optionally in parentheses "
            f"(such as eval('(' + json + ')')), and returns other values unchanged; "
            f"{shown!r} is not JSON"
        ) from None


# -- Math ------------------------------------------------------------------------------


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

    return BuiltinFunction(apply, name)


def _round(x: float) -> float:
    return float(math.floor(x + 0.5))


MATH: Final[Intrinsic] = Intrinsic(
    "Math",
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
        "random": BuiltinFunction(lambda this: random.random(), "random"),
    },
    OBJECT_PROTOTYPE,
)
JSON: Final[Intrinsic] = Intrinsic(
    "JSON",
    {
        "stringify": BuiltinFunction(_json_stringify, "stringify"),
        "parse": BuiltinFunction(_json_parse, "parse"),
    },
    OBJECT_PROTOTYPE,
)


# -- constructors and global functions ----------------------------------------------


def own_keys(value: Any) -> list[str]:
    """`Object.keys`: the own enumerable properties."""
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, str)):
        return [str(i) for i in range(len(value))]
    if isinstance(value, JSFunction) and not isinstance(value, BuiltinFunction):
        return list(value.props or ())
    return []


def _create(this: Any, proto: Any = undefined, *rest: Any) -> JSObject:
    """`Object.create(proto)`: an empty object inheriting from `proto`."""
    if proto is OBJECT_PROTOTYPE:
        return JSObject()
    if proto is None or isinstance(proto, (JSObject, Intrinsic)):
        return JSObject(proto=proto if proto is not None else _NULL_PROTOTYPE)
    raise JSError("TypeError: Object.create: the prototype must be an object or null")


_NULL_PROTOTYPE: Final[Intrinsic] = Intrinsic("null prototype", {}, None)
"""The end of the chain of `Object.create(null)` objects: no inherited properties."""


def _new_array(*args: Any) -> JSArray:
    if len(args) == 1 and _is_number(args[0]):
        return JSArray([undefined] * int(to_number(args[0])))
    return JSArray(args)


def _new_object(value: Any = undefined, *rest: Any) -> Any:
    if isinstance(value, (dict, list, JSFunction)):
        return value
    return JSObject()


def _no_function_constructor(*args: Any) -> Any:
    raise JSError(
        "EvalError: the Function constructor compiles code at run time, "
        "which scxmlc does not support"
    )


def _constructor(
    name: str,
    impl: Callable[..., Any],
    new: Callable[..., Any] | None,
    prototype: Intrinsic,
    statics: dict[str, Callable[..., Any]] | None = None,
) -> BuiltinFunction:
    functions = {k: BuiltinFunction(f, k) for k, f in (statics or {}).items()}
    return BuiltinFunction(impl, name, new, prototype, functions or None)


ARRAY: Final[BuiltinFunction] = _constructor(
    "Array",
    lambda this, *args: _new_array(*args),
    _new_array,
    ARRAY_PROTOTYPE,
    {"isArray": lambda this, value=undefined: isinstance(value, list)},
)
OBJECT: Final[BuiltinFunction] = _constructor(
    "Object",
    lambda this, *args: _new_object(*args),
    _new_object,
    OBJECT_PROTOTYPE,
    {
        "keys": lambda this, value=undefined: JSArray(own_keys(value)),
        "create": _create,
    },
)
STRING: Final[BuiltinFunction] = _constructor(
    "String",
    lambda this, value="": to_string(value),
    lambda value="": to_string(value),
    STRING_PROTOTYPE,
    {
        "fromCharCode": lambda this, *codes: "".join(
            chr(int(to_number(c))) for c in codes
        )
    },
)
NUMBER: Final[BuiltinFunction] = _constructor(
    "Number",
    lambda this, value=0: to_number(value),
    lambda value=0: to_number(value),
    NUMBER_PROTOTYPE,
)
BOOLEAN: Final[BuiltinFunction] = _constructor(
    "Boolean",
    lambda this, value=False: truthy(value),
    lambda value=False: truthy(value),
    BOOLEAN_PROTOTYPE,
)
REGEXP: Final[BuiltinFunction] = _constructor(
    "RegExp",
    lambda this, pattern="", flags="": regex(to_string(pattern), to_string(flags)),
    lambda pattern="", flags="": regex(to_string(pattern), to_string(flags)),
    REGEXP_PROTOTYPE,
)
FUNCTION: Final[BuiltinFunction] = _constructor(
    "Function",
    lambda this, *args: _no_function_constructor(),
    _no_function_constructor,
    FUNCTION_PROTOTYPE,
)


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


from .js_date import HOST_DATE  # noqa: E402 - Date builds on the prototypes above

GLOBALS: Final[dict[str, Any]] = {
    "Date": HOST_DATE,
    "eval": BuiltinFunction(_eval, "eval"),
    "Math": MATH,
    "JSON": JSON,
    "uneval": BuiltinFunction(lambda this, value=undefined: uneval(value), "uneval"),
    "isFinite": BuiltinFunction(
        lambda this, v=undefined: math.isfinite(to_number(v)), "isFinite"
    ),
    "Array": ARRAY,
    "Object": OBJECT,
    "String": STRING,
    "RegExp": REGEXP,
    "Number": NUMBER,
    "Boolean": BOOLEAN,
    "Function": FUNCTION,
    "NaN": math.nan,
    "Infinity": math.inf,
    "isNaN": BuiltinFunction(
        lambda this, v=undefined: math.isnan(to_number(v)), "isNaN"
    ),
    "parseInt": BuiltinFunction(
        lambda this, v=undefined, base=10: _parse_int(v, base), "parseInt"
    ),
    "parseFloat": BuiltinFunction(
        lambda this, v=undefined: _parse_float(v), "parseFloat"
    ),
}
"""The global built-ins compiled code may name. `Date` here reads the host's
clock; compiled sessions use their own (`js.date_constructor`)."""
