"""The JavaScript built-ins of `scxmlc.runtime.js`: prototypes, constructors, Math, ...

Each built-in prototype is an `Intrinsic` whose methods are shared `JSFunction`s
taking `this`. The same methods are kept in plain tables (`STRING_METHODS`, ...)
of Python functions taking the value first, which `js.call_method` calls
directly while a session has changed no built-in. `GLOBALS` are the global
names compiled code may use. The tables are written in `js_arrays`,
`js_strings`, `js_regexp` and `js_objects`; JSON in `js_json`, errors in
`js_errors` and `Date` in `js_date`. Every built-in function ignores arguments
beyond its own, as JavaScript functions do.
"""

from __future__ import annotations

import inspect
import math
import random
import re
from collections.abc import Callable
from typing import Any, Final

from .values import (
    JSArray,
    JSError,
    JSFunction,
    JSObject,
    PropertyArray,
    _is_number,
    enumerable,
    is_callable,
    power,
    property_key,
    to_integer,
    to_number,
    to_string,
    truthy,
    undefined,
    whole_number,
)
from .arrays import ARRAY_METHODS
from .host import host_keys
from .json import json_eval, json_parse, json_stringify, own_items, uneval
from .realm import Intrinsic
from .regexp import REGEXP_METHODS, JSRegExp, new_regexp
from .strings import NUMBER_METHODS, STRING_METHODS, from_char_code
from .uri import URI_FUNCTIONS

__all__ = [
    "ARRAY_METHODS",
    "BoundFunction",
    "GLOBALS",
    "OBJECT_PROTOTYPE",
    "STRING_METHODS",
    "BuiltinFunction",
    "SessionFunction",
    "methods",
    "own_items",
    "own_keys",
    "uneval",
]


def lenient(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, or a wrapper of it that drops the arguments it has no
    parameter for (JavaScript ignores extra arguments; Python would raise)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return function
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return function
    count = sum(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters
    )

    def trimmed(*args: Any) -> Any:
        return function(*args[:count])

    return trimmed


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
        super().__init__(lenient(impl), name)
        self.new = None if new is None else lenient(new)
        self.prototype = prototype
        self.props = statics


class SessionFunction(BuiltinFunction):
    """A built-in function that changes what a session owns (`Object.defineProperty`
    on `Array.prototype`): `session_impl(this, session, *args)`. `js.call_method`
    passes the session; called any other way it gets None."""

    __slots__ = ("session_impl",)

    def __init__(self, impl: Callable[..., Any], name: str) -> None:
        super().__init__(lambda this, *args: impl(this, None, *args), name)
        self.session_impl = impl


Coerce = Callable[[Any, str], Any]
"""Checks and converts `this` for a built-in method: (this, method name) -> value."""


def methods(table: dict[str, Callable[..., Any]], coerce: Coerce) -> dict[str, Any]:
    """Shared method objects for a prototype: `this` is coerced, then passed first."""
    return {name: _method(name, function, coerce) for name, function in table.items()}


def _method(name: str, function: Callable[..., Any], coerce: Coerce) -> JSFunction:
    call = lenient(function)

    def method(this: Any, *args: Any) -> Any:
        return call(coerce(this, name), *args)

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
    if not is_callable(this):
        raise _this_error("Function", name, this)
    return this


def _this_regexp(this: Any, name: str) -> JSRegExp:
    if not isinstance(this, JSRegExp):
        raise _this_error("RegExp", name, this)
    return this


# -- objects, functions, booleans ---------------------------------------------------


def _has_own(value: Any, key: Any = undefined) -> bool:
    """`hasOwnProperty(key)`."""
    name = property_key(key)
    if isinstance(value, dict):
        return name in value
    if isinstance(value, (list, str)):
        if name == "length" or name.isdigit() and int(name) < len(value):
            return True
        return isinstance(value, PropertyArray) and name in value.props
    if isinstance(value, JSFunction):
        return name == "prototype" or value.props is not None and name in value.props
    if isinstance(value, Intrinsic):
        return name in value.own
    return name in host_keys(value)


def _is_enumerable(value: Any, key: Any = undefined) -> bool:
    """`propertyIsEnumerable(key)`: an own property that `for`-`in` visits."""
    name = property_key(key)
    if isinstance(value, dict):
        return name in value and enumerable(dict.__getitem__(value, name))
    if isinstance(value, PropertyArray) and name in value.props:
        return enumerable(value.props[name])
    if isinstance(value, (list, str)):
        return name.isdigit() and int(name) < len(value)
    return name in host_keys(value)


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
    "propertyIsEnumerable": _is_enumerable,
    "toString": _class_of,
    "toLocaleString": lambda o: to_string(o),
    "toSource": lambda o: uneval(o),
    "valueOf": lambda o: o,
    "isPrototypeOf": _is_prototype_of,
}


def _function_text(function: Any) -> str:
    """`f.toString()`: a function's text (a compiled one shows no source)."""
    if isinstance(function, JSFunction):
        return repr(function)
    return "function In() { [native code] }"


def _invoke(function: Any, this: Any, *args: Any) -> Any:
    if isinstance(function, JSFunction):
        return function.impl(this, *args)
    return function(*args)


class BoundFunction(JSFunction):
    """What `f.bind(this, ...)` gives: `target` called with `bound_this` and
    the `bound_args` before its own (kept, so that a snapshot can save them)."""

    __slots__ = ("target", "bound_this", "bound_args")

    def __init__(self, target: Any, this: Any, args: tuple[Any, ...]) -> None:
        super().__init__(
            lambda _, *more: _invoke(target, this, *args, *more),
            f"bound {getattr(target, 'name', '')}",
        )
        self.target = target
        self.bound_this = this
        self.bound_args = args


def _bind(function: Any, this: Any = undefined, *bound: Any) -> JSFunction:
    return BoundFunction(function, this, bound)


def _apply(function: Any, this: Any = undefined, args: Any = None) -> Any:
    """`f.apply(this, args)`: `args` an array (or null / undefined for none)."""
    if args is None or args is undefined:
        return _invoke(function, this)
    if not isinstance(args, list):
        raise JSError("TypeError: Function.prototype.apply: arguments must be an array")
    return _invoke(function, this, *args)


_FUNCTION_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "call": lambda f, this=undefined, *args: _invoke(f, this, *args),
    "apply": _apply,
    "bind": _bind,
    "toString": lambda f: _function_text(f),
    "toSource": lambda f: _function_text(f),
}
_BOOLEAN_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "toString": lambda b: to_string(b),
    "valueOf": lambda b: b,
    "toSource": lambda b: to_string(b),
}


def _with_source(table: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """A method table with SpiderMonkey's `toSource`."""
    return {**table, "toSource": lambda value, *_: uneval(value)}


OBJECT_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Object.prototype", methods(_OBJECT_METHODS, _this_object), None, True
)
FUNCTION_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Function.prototype",
    methods(_FUNCTION_METHODS, _this_function),
    OBJECT_PROTOTYPE,
    True,
)
ARRAY_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Array.prototype",
    methods(_with_source(ARRAY_METHODS), _this_array),
    OBJECT_PROTOTYPE,
    True,
)
STRING_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "String.prototype",
    methods(_with_source(STRING_METHODS), _this_string),
    OBJECT_PROTOTYPE,
)
NUMBER_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Number.prototype",
    methods(_with_source(NUMBER_METHODS), _this_number),
    OBJECT_PROTOTYPE,
)
BOOLEAN_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Boolean.prototype", methods(_BOOLEAN_METHODS, _this_boolean), OBJECT_PROTOTYPE
)
REGEXP_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "RegExp.prototype",
    methods(_with_source(REGEXP_METHODS), _this_regexp),
    OBJECT_PROTOTYPE,
    True,
)
NULL_PROTOTYPE: Final[Intrinsic] = Intrinsic("null prototype", {}, None)
"""The end of the chain of `Object.create(null)` objects: no inherited properties."""

ARRAY_METHODS["toSource"] = lambda a, *_: uneval(a)
STRING_METHODS["toSource"] = lambda s, *_: uneval(s)


# -- Math ------------------------------------------------------------------------------


def _math(name: str, function: Callable[..., Any]) -> JSFunction:
    def apply(this: Any, *args: Any) -> Any:
        numbers = [to_number(a) for a in args]
        if any(math.isnan(n) for n in numbers):
            return math.nan
        try:
            result = function(*numbers)
        except (ValueError, OverflowError, ZeroDivisionError, TypeError):
            return math.nan
        if type(result) is int:
            return whole_number(result)  # floor and ceil of a large double
        return (
            int(result)
            if isinstance(result, float) and result.is_integer() and abs(result) < 2**53
            else result
        )

    return BuiltinFunction(apply, name)


def _round(x: float) -> float:
    return float(math.floor(x + 0.5)) if math.isfinite(x) else x


def _whole(function: Callable[[float], Any]) -> Callable[..., Any]:
    """floor and ceil, which keep the infinities (Python's raise)."""
    return lambda x=math.nan, *_: function(x) if math.isfinite(x) else x


_MATH_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "abs": lambda x=math.nan, *_: abs(x),
    "floor": _whole(math.floor),
    "ceil": _whole(math.ceil),
    "round": lambda x=math.nan, *_: _round(x),
    "sqrt": lambda x=math.nan, *_: math.sqrt(x),
    "pow": lambda x=math.nan, y=math.nan, *_: power(x, y),
    "exp": lambda x=math.nan, *_: math.exp(x),
    "log": lambda x=math.nan, *_: (
        math.log(x) if x > 0 else -math.inf if x == 0 else math.nan
    ),
    "sin": lambda x=math.nan, *_: math.sin(x),
    "cos": lambda x=math.nan, *_: math.cos(x),
    "tan": lambda x=math.nan, *_: math.tan(x),
    "asin": lambda x=math.nan, *_: math.asin(x),
    "acos": lambda x=math.nan, *_: math.acos(x),
    "atan": lambda x=math.nan, *_: math.atan(x),
    "atan2": lambda y=math.nan, x=math.nan, *_: math.atan2(y, x),
    "min": lambda *a: min(a) if a else math.inf,
    "max": lambda *a: max(a) if a else -math.inf,
}
MATH: Final[Intrinsic] = Intrinsic(
    "Math",
    {
        "PI": math.pi,
        "E": math.e,
        "LN2": math.log(2),
        "LN10": math.log(10),
        "LOG2E": 1 / math.log(2),
        "LOG10E": 1 / math.log(10),
        "SQRT2": math.sqrt(2),
        "SQRT1_2": math.sqrt(0.5),
        **{name: _math(name, f) for name, f in _MATH_FUNCTIONS.items()},
        "random": BuiltinFunction(lambda this: random.random(), "random"),
    },
    OBJECT_PROTOTYPE,
)
JSON: Final[Intrinsic] = Intrinsic(
    "JSON",
    {
        "stringify": BuiltinFunction(
            lambda this, *args: json_stringify(*args), "stringify"
        ),
        "parse": BuiltinFunction(lambda this, *args: json_parse(*args), "parse"),
    },
    OBJECT_PROTOTYPE,
)


# -- constructors and global functions ----------------------------------------------


def own_keys(value: Any) -> list[str]:
    """`Object.keys`: the own enumerable properties."""
    if isinstance(value, dict):
        if isinstance(value, JSObject) and type(value) is not JSObject:
            return [k for k, v in dict.items(value) if enumerable(v)]
        return list(value)
    if isinstance(value, (list, str)):
        keys = [str(i) for i in range(len(value))]
        if isinstance(value, PropertyArray):
            keys += [k for k, v in value.props.items() if enumerable(v)]
        return keys
    if isinstance(value, JSFunction) and not isinstance(value, BuiltinFunction):
        return [k for k, v in (value.props or {}).items() if enumerable(v)]
    return host_keys(value)


def _new_array(*args: Any) -> JSArray:
    if len(args) == 1 and _is_number(args[0]):
        length = args[0]
        if (
            not (isinstance(length, int) or length.is_integer())
            or not 0 <= length < 2**32
        ):
            raise JSError("RangeError: invalid array length")
        return JSArray([undefined] * int(length))
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
    statics: dict[str, Any] | None = None,
) -> BuiltinFunction:
    functions = {
        k: f if not callable(f) else BuiltinFunction(f, k)
        for k, f in (statics or {}).items()
    }
    return BuiltinFunction(impl, name, new, prototype, functions or None)


ARRAY: Final[BuiltinFunction] = _constructor(
    "Array",
    lambda this, *args: _new_array(*args),
    _new_array,
    ARRAY_PROTOTYPE,
    {"isArray": lambda this, value=undefined: isinstance(value, list)},
)
STRING: Final[BuiltinFunction] = _constructor(
    "String",
    lambda this, *value: to_string(value[0]) if value else "",
    lambda *value: to_string(value[0]) if value else "",
    STRING_PROTOTYPE,
    {"fromCharCode": lambda this, *codes: from_char_code(*codes)},
)
NUMBER: Final[BuiltinFunction] = _constructor(
    "Number",
    lambda this, *value: to_number(value[0]) if value else 0,
    lambda *value: to_number(value[0]) if value else 0,
    NUMBER_PROTOTYPE,
    {
        "MAX_VALUE": 1.7976931348623157e308,
        "MIN_VALUE": 5e-324,
        "NaN": math.nan,
        "POSITIVE_INFINITY": math.inf,
        "NEGATIVE_INFINITY": -math.inf,
    },
)
BOOLEAN: Final[BuiltinFunction] = _constructor(
    "Boolean",
    lambda this, value=False: truthy(value),
    lambda value=False: truthy(value),
    BOOLEAN_PROTOTYPE,
)
REGEXP: Final[BuiltinFunction] = _constructor(
    "RegExp",
    lambda this, pattern=undefined, flags=undefined: (
        pattern
        if isinstance(pattern, JSRegExp) and flags is undefined
        else new_regexp(pattern, flags)
    ),
    new_regexp,
    REGEXP_PROTOTYPE,
)
FUNCTION: Final[BuiltinFunction] = _constructor(
    "Function",
    lambda this, *args: _no_function_constructor(),
    _no_function_constructor,
    FUNCTION_PROTOTYPE,
)


def _parse_int(value: Any, base: Any) -> int | float:
    text = to_string(value).strip()
    sign = -1 if text.startswith("-") else 1
    text = text[1:] if text[:1] in "+-" else text
    radix = to_integer(base)
    if radix in (0, 16) and text[:2].lower() == "0x":
        text, radix = text[2:], 16
    radix = radix or 10
    if not 2 <= radix <= 36:
        return math.nan
    digits = ""
    for char in text:
        if not char.isascii() or not char.isalnum() or int(char, 36) >= radix:
            break
        digits += char
    if not digits:
        return math.nan
    significant = digits.lstrip("0")
    if len(significant) > 1100:  # at least 2**1100: past every double
        return sign * math.inf
    return whole_number(sign * int(significant or "0", radix))


def _parse_float(value: Any) -> int | float:
    text = to_string(value).strip()
    if text.lstrip("+-").startswith("Infinity"):
        return -math.inf if text.startswith("-") else math.inf
    match = re.match(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text)
    if not match:
        return math.nan
    number = float(match.group(0))
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


from .date import HOST_DATE  # noqa: E402 - Date builds on the prototypes above
from .errors import ERROR_CONSTRUCTORS  # noqa: E402
from .objects import OBJECT_STATICS, SESSION_STATICS  # noqa: E402

OBJECT: Final[BuiltinFunction] = BuiltinFunction(
    lambda this, *args: _new_object(*args),
    "Object",
    _new_object,
    OBJECT_PROTOTYPE,
    {
        **{k: BuiltinFunction(f, k) for k, f in OBJECT_STATICS.items()},
        **{k: SessionFunction(f, k) for k, f in SESSION_STATICS.items()},
    },
)

GLOBALS: Final[dict[str, Any]] = {
    "Date": HOST_DATE,
    "eval": BuiltinFunction(lambda this, *args: json_eval(*args), "eval"),
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
        lambda this, v=undefined, base=undefined: _parse_int(v, base), "parseInt"
    ),
    "parseFloat": BuiltinFunction(
        lambda this, v=undefined: _parse_float(v), "parseFloat"
    ),
    **ERROR_CONSTRUCTORS,
    **{k: BuiltinFunction(f, k) for k, f in URI_FUNCTIONS.items()},
}
"""The global built-ins compiled code may name. `Date` here reads the host's
clock; compiled sessions use their own (`js.date_constructor`)."""
