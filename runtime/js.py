"""JavaScript values and operators for code compiled from the ECMAScript datamodel.

The compiler translates ECMAScript to Python at build time; what JavaScript means
by `+`, `==`, truthiness, property access and `typeof` lives here, as small
functions the generated code calls. Values: `undefined` (a singleton), `None` for
`null`, `bool`, numbers as `int` or `float` (printed the JavaScript way), `str`,
`JSObject` (a dict with a prototype), `JSArray` (a list), `JSFunction`. Python
objects the platform hands in (events, event data, `_ioprocessors`) are read as
objects: their attributes and keys are properties.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeAlias

from .errors import ExecutionError

__all__ = [
    "JSValue",
    "JSArray",
    "JSError",
    "JSFunction",
    "JSObject",
    "add",
    "call",
    "get",
    "loose_eq",
    "put",
    "strict_eq",
    "to_number",
    "to_string",
    "truthy",
    "typeof",
    "undefined",
]


JSValue: TypeAlias = Any
"""A JavaScript value: `undefined`, `None` (null), bool, int or float, str,
`JSObject`, `JSArray`, `JSFunction`, or a platform object. JavaScript is
dynamically typed, so for mypy this is `Any`; the alias says what the field holds."""


class _Undefined:
    """The type of `undefined`: falsy, printed as `undefined`, one instance."""

    __slots__ = ()
    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "undefined"


undefined: Final = _Undefined()


class JSError(ExecutionError):
    """A JavaScript exception (`throw`, TypeError, ReferenceError): error.execution."""

    def __init__(self, value: Any) -> None:
        super().__init__(to_string(value) if not isinstance(value, str) else value)
        self.value = value


class JSObject(dict[str, Any]):
    """A JavaScript object: own properties in insertion order, and a prototype."""

    __slots__ = ("proto",)

    def __init__(
        self, *args: Any, proto: JSObject | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.proto = proto

    def lookup(self, key: str) -> Any:
        obj: JSObject | None = self
        while obj is not None:
            if key in obj:
                return dict.__getitem__(obj, key)
            obj = obj.proto
        return undefined


class JSArray(list[Any]):
    """A JavaScript array."""

    __slots__ = ()


class JSFunction:
    """A JavaScript function: `impl(this, *args)`, with a `prototype` for `new`."""

    __slots__ = ("impl", "name", "prototype")

    def __init__(self, impl: Callable[..., Any], name: str = "") -> None:
        self.impl = impl
        self.name = name
        self.prototype = JSObject()

    def __call__(self, *args: Any) -> Any:
        return self.impl(undefined, *args)

    def __repr__(self) -> str:
        return f"function {self.name}() {{ [compiled] }}"


# -- conversions ---------------------------------------------------------------


def truthy(value: Any) -> bool:
    """ToBoolean."""
    if value is True or value is False:
        return value
    if value is undefined or value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, (bool, int, float, str)):
        return bool(value)
    return True


def to_number(value: Any) -> int | float:
    """ToNumber."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return 0
    if value is undefined:
        return math.nan
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        try:
            if text.lower().startswith(("0x", "-0x", "+0x")):
                return int(text, 16)
            number = float(text)
        except ValueError:
            return math.nan
        return (
            int(number)
            if number.is_integer() and "e" not in text.lower() and "." not in text
            else number
        )
    if isinstance(value, JSArray):
        return to_number(to_string(value))
    return math.nan


def to_string(value: Any) -> str:
    """ToString, with JavaScript's number formatting (`1`, not `1.0`)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is undefined:
        return "undefined"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join(
            "" if v is None or v is undefined else to_string(v) for v in value
        )
    if isinstance(value, JSFunction):
        return repr(value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _primitive(value: Any) -> Any:
    if isinstance(value, (list, dict, JSFunction)):
        return to_string(value)
    return value


# -- operators -------------------------------------------------------------------


def add(left: Any, right: Any) -> Any:
    """`+`: string concatenation if either side is a string, else addition."""
    kinds = (type(left), type(right))
    if kinds in _SAME_KIND_ADDITION:
        return left + right
    left, right = _primitive(left), _primitive(right)
    if isinstance(left, str) or isinstance(right, str):
        return to_string(left) + to_string(right)
    return to_number(left) + to_number(right)


_SAME_KIND_ADDITION: Final = frozenset(
    {(int, int), (float, float), (int, float), (float, int), (str, str)}
)
_NUMBERS: Final = frozenset({int, float})


def lt(left: Any, right: Any) -> bool:
    """`<`."""
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return bool(left < right)
    return compare("<", left, right)


def le(left: Any, right: Any) -> bool:
    """`<=`."""
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return bool(left <= right)
    return compare("<=", left, right)


def gt(left: Any, right: Any) -> bool:
    """`>`."""
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return bool(left > right)
    return compare(">", left, right)


def ge(left: Any, right: Any) -> bool:
    """`>=`."""
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        return bool(left >= right)
    return compare(">=", left, right)


def arithmetic(operator: str, left: Any, right: Any) -> int | float:
    """`-`, `*`, `/`, `%` and `**` on ToNumber of both sides."""
    a, b = to_number(left), to_number(right)
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "/":
        if b == 0:
            if a == 0 or (isinstance(a, float) and math.isnan(a)):
                return math.nan
            return math.copysign(math.inf, a) * (1 if str(b)[0] != "-" else -1)
        result = a / b
        return int(result) if result.is_integer() and abs(result) < 2**53 else result
    if operator == "%":
        if b == 0 or math.isinf(a):
            return math.nan
        result = math.fmod(a, b)
        return int(result) if result.is_integer() else result
    return a**b


def bitwise(operator: str, left: Any, right: Any) -> int:
    """The bitwise and shift operators on ToInt32."""
    a, b = _int32(to_number(left)), _int32(to_number(right))
    if operator == "|":
        return _int32(a | b)
    if operator == "&":
        return _int32(a & b)
    if operator == "^":
        return _int32(a ^ b)
    if operator == "<<":
        return _int32(a << (b & 31))
    if operator == ">>":
        return a >> (b & 31)
    return (a & 0xFFFFFFFF) >> (b & 31)


def _int32(number: int | float) -> int:
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return 0
    value = int(number) & 0xFFFFFFFF
    return value - 0x100000000 if value >= 0x80000000 else value


def compare(operator: str, left: Any, right: Any) -> bool:
    """`<`, `<=`, `>`, `>=`: string order for two strings, else numeric order."""
    left, right = _primitive(left), _primitive(right)
    if not (isinstance(left, str) and isinstance(right, str)):
        left, right = to_number(left), to_number(right)
        if math.isnan(left) or math.isnan(right):
            return False
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">":
        return bool(left > right)
    return bool(left >= right)


def strict_eq(left: Any, right: Any) -> bool:
    """`===`."""
    if type(left) is type(right) and type(left) in _SIMPLE:
        return bool(left == right)
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, (str, bool)) or left is None or left is undefined:
        return bool(left == right)
    return left is right


def loose_eq(left: Any, right: Any) -> bool:
    """`==`, with JavaScript's conversions."""
    if type(left) is type(right) and type(left) in _SIMPLE:
        return bool(left == right)
    if (left is None or left is undefined) and (right is None or right is undefined):
        return True
    if left is None or left is undefined or right is None or right is undefined:
        return False
    if _is_number(left) and _is_number(right) or type(left) is type(right):
        return strict_eq(left, right)
    if isinstance(left, bool):
        return loose_eq(int(left), right)
    if isinstance(right, bool):
        return loose_eq(left, int(right))
    if _is_number(left) and isinstance(right, str):
        return bool(left == to_number(right))
    if isinstance(left, str) and _is_number(right):
        return bool(to_number(left) == right)
    if isinstance(left, (list, dict)) and not isinstance(right, (list, dict)):
        return loose_eq(_primitive(left), right)
    if isinstance(right, (list, dict)) and not isinstance(left, (list, dict)):
        return loose_eq(left, _primitive(right))
    return left is right


_SIMPLE: Final = frozenset({int, str, bool})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def typeof(value: Any) -> str:
    """`typeof`."""
    if value is undefined:
        return "undefined"
    if value is None:
        return "object"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if (
        isinstance(value, JSFunction)
        or callable(value)
        and not isinstance(value, (dict, list, re.Pattern))
    ):
        return "function"
    return "object"


def negate(value: Any) -> int | float:
    return -to_number(value)


# -- properties ------------------------------------------------------------------


def get(obj: Any, key: Any) -> Any:
    """`obj[key]` / `obj.key`."""
    if obj is None or obj is undefined:
        raise JSError(
            f"TypeError: cannot read property '{to_string(key)}' of {to_string(obj)}"
        )
    if isinstance(obj, JSObject):
        found = obj.lookup(to_string(key))
        if found is undefined and to_string(key) in _builtins._OBJECT_METHODS:
            return _builtins._OBJECT_METHODS[to_string(key)](obj)
        return found
    if isinstance(obj, re.Pattern):
        return _builtins._regex_get(obj, to_string(key))
    if isinstance(obj, _builtins.JSDate):
        return obj.member(to_string(key))
    if isinstance(obj, list):
        return _array_get(obj, key)
    if isinstance(obj, str):
        return _string_get(obj, key)
    if isinstance(obj, dict):
        name = to_string(key)
        if name in obj:
            return obj[name]  # a None value is JSON null, not undefined
        method = _builtins._DICT_METHODS.get(name)
        return method(obj) if method else undefined
    if isinstance(obj, JSFunction):
        name = to_string(key)
        if name == "prototype":
            return obj.prototype
        if name in ("call", "apply"):
            return _function_method(obj, name)
        static = _builtins._STATICS.get((obj.name, name))
        if static is not None:
            return static
        if obj is _builtins._DATE_CONSTRUCTOR and name == "now":
            return obj.prototype["now"]
        return undefined
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return _builtins._number_member(obj, to_string(key))
    name = to_string(key)
    if hasattr(obj, "attrib") and hasattr(obj, "iter"):  # an XML element: a little DOM
        return _element_get(obj, name)
    if hasattr(obj, name) and not name.startswith("_"):
        return _from_python(getattr(obj, name))
    if name == "toSource":
        return JSFunction(lambda this: _builtins.uneval(obj), name)
    return undefined


def _element_get(element: Any, name: str) -> Any:
    if name == "getElementsByTagName":
        return JSFunction(
            lambda this, tag: JSArray(
                e for e in element.iter(to_string(tag)) if e is not element
            ),
            name,
        )
    if name == "getAttribute":
        return JSFunction(
            lambda this, attribute: element.get(to_string(attribute)), name
        )
    if name in ("tagName", "nodeName"):
        return element.tag
    if name == "textContent":
        return "".join(element.itertext())
    return undefined


def _from_python(value: Any) -> Any:
    """A platform object's attribute as JavaScript sees it: an unset (None) field
    of an event reads as undefined, as SCXML's ECMAScript binding requires."""
    return undefined if value is None else value


def has(obj: Any, key: Any) -> bool:
    """`key in obj`."""
    name = to_string(key)
    if isinstance(obj, JSObject):
        return obj.lookup(name) is not undefined or name in obj
    if isinstance(obj, list):
        return name == "length" or name.isdigit() and int(name) < len(obj)
    if isinstance(obj, dict):
        return name in obj
    if obj is None or obj is undefined or isinstance(obj, (str, int, float)):
        raise JSError(
            f"TypeError: cannot use 'in' to search for '{name}' in {to_string(obj)}"
        )
    return hasattr(obj, name)


def put(obj: Any, key: Any, value: Any) -> Any:
    """`obj[key] = value`; returns `value`."""
    if obj is None or obj is undefined:
        raise JSError(
            f"TypeError: cannot set property '{to_string(key)}' of {to_string(obj)}"
        )
    if isinstance(obj, list):
        index = _index(key)
        if index is None:
            if to_string(key) == "length":
                del obj[int(to_number(value)) :]
            return value
        while len(obj) <= index:
            obj.append(undefined)
        obj[index] = value
        return value
    if isinstance(obj, dict):
        obj[to_string(key)] = value
        return value
    if isinstance(obj, JSFunction) and to_string(key) == "prototype":
        obj.prototype = value
        return value
    raise JSError(f"TypeError: cannot set property '{to_string(key)}' of {typeof(obj)}")


def set_field(obj: Any, name: str, value: Any) -> Any:
    """A datamodel variable assignment as an expression: stores and yields `value`."""
    setattr(obj, name, value)
    return value


def thrown(error: BaseException) -> Any:
    """What `catch (e)` binds: the thrown value, or an error object for a fault."""
    if isinstance(error, JSError):
        return error.value
    return JSObject({"name": type(error).__name__, "message": str(error)})


def delete(obj: Any, key: Any) -> bool:
    if isinstance(obj, dict):
        obj.pop(to_string(key), None)
    elif isinstance(obj, list):
        index = _index(key)
        if index is not None and index < len(obj):
            obj[index] = undefined
    return True


def _index(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int) and key >= 0:
        return key
    if isinstance(key, float) and key.is_integer() and key >= 0:
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


def _array_get(array: list[Any], key: Any) -> Any:
    return _sequence_get(array, key, _builtins._ARRAY_METHODS)


def _string_get(text: str, key: Any) -> Any:
    return _sequence_get(text, key, _builtins._STRING_METHODS)


def _sequence_get(
    sequence: Any, key: Any, methods: dict[str, Callable[..., Any]]
) -> Any:
    """An index, `length` or a method (bound to `sequence`) of an array or string."""
    index = _index(key)
    if index is not None:
        return sequence[index] if index < len(sequence) else undefined
    name = to_string(key)
    if name == "length":
        return len(sequence)
    method = methods.get(name)
    if method is None:
        return undefined
    return JSFunction(lambda this, *args: method(sequence, *args), name)


def _function_method(function: JSFunction, name: str) -> JSFunction:
    if name == "call":
        return JSFunction(
            lambda this, self=undefined, *args: function.impl(self, *args), "call"
        )
    return JSFunction(
        lambda this, self=undefined, args=None: function.impl(self, *(args or [])),
        "apply",
    )


# -- calls and construction ----------------------------------------------------------


def call(function: Any, this: Any, *args: Any) -> Any:
    """`f(args)` with `this` bound (undefined for a plain call)."""
    if isinstance(function, JSFunction):
        return function.impl(this, *args)
    if callable(function):
        return function(*args)
    raise JSError(f"TypeError: {to_string(function)} is not a function")


def call_method(obj: Any, key: Any, *args: Any) -> Any:
    """`obj.key(args)`: the method called with `this` = `obj`."""
    return call(get(obj, key), obj, *args)


def construct(function: Any, *args: Any) -> Any:
    """`new F(args)`."""
    if function is _builtins._ARRAY_CONSTRUCTOR:
        return (
            JSArray(args)
            if len(args) != 1
            else JSArray([undefined] * int(to_number(args[0])))
        )
    if function is _builtins._OBJECT_CONSTRUCTOR:
        return JSObject()
    if function is _builtins._DATE_CONSTRUCTOR:
        return _builtins._date(JSObject(), *args)
    if isinstance(function, JSFunction) and function.name == "RegExp":
        return function.impl(undefined, *args)
    if not isinstance(function, JSFunction):
        raise JSError(f"TypeError: {to_string(function)} is not a constructor")
    proto = function.prototype if isinstance(function.prototype, JSObject) else None
    instance = JSObject(proto=proto)
    result = function.impl(instance, *args)
    return result if isinstance(result, (JSObject, JSArray, JSFunction)) else instance


def instanceof(value: Any, function: Any) -> bool:
    if function is _builtins._ARRAY_CONSTRUCTOR:
        return isinstance(value, list)
    if function is _builtins._OBJECT_CONSTRUCTOR:
        return isinstance(value, (dict, list, JSFunction))
    if not isinstance(function, JSFunction):
        raise JSError("TypeError: right-hand side of 'instanceof' is not callable")
    if not isinstance(value, JSObject):
        return False
    proto = value.proto
    while proto is not None:
        if proto is function.prototype:
            return True
        proto = proto.proto
    return False


def iterate_keys(obj: Any) -> Iterator[str]:
    """The keys `for (k in obj)` visits."""
    if isinstance(obj, list):
        return iter([str(i) for i in range(len(obj))])
    if isinstance(obj, dict):
        return iter(list(obj.keys()))
    if isinstance(obj, str):
        return iter([str(i) for i in range(len(obj))])
    return iter([])


_GLOBAL_PATTERNS: set[re.Pattern[str]] = set()
"""Compiled regular expressions that carry the `g` flag."""


def regex(pattern: str, flags: str) -> re.Pattern[str]:
    """A regular expression literal (`/pattern/flags`); `g` is remembered."""
    options = 0
    if "i" in flags:
        options |= re.IGNORECASE
    if "m" in flags:
        options |= re.MULTILINE
    try:
        compiled = re.compile(pattern, options)
    except re.error as error:
        raise JSError(
            f"SyntaxError: invalid regular expression /{pattern}/: {error}"
        ) from None
    if "g" in flags:
        _GLOBAL_PATTERNS.add(compiled)
    return compiled


def from_json_text(text: str) -> Any:
    """JSON text as JavaScript values (objects are `JSObject`, arrays `JSArray`)."""

    decoded = json.loads(text, object_hook=JSObject, parse_float=float, parse_int=int)
    return _arrays(decoded)


def _arrays(value: Any) -> Any:
    if isinstance(value, list):
        return JSArray(_arrays(v) for v in value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _arrays(item)
    return value


from . import js_builtins as _builtins  # noqa: E402 - the built-ins use the core above

GLOBALS: Final[dict[str, Any]] = _builtins.GLOBALS
"""The global built-ins compiled code may name."""
