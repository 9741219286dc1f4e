"""JavaScript values and operators for code compiled from the ECMAScript datamodel.

The compiler translates ECMAScript to Python at build time; what JavaScript means
by `+`, `==`, truthiness, property access and `typeof` lives here, as small
functions the generated code calls. Values: `undefined` (a singleton), `None` for
`null`, `bool`, numbers as `int` or `float` (printed the JavaScript way), `str`,
`JSObject` (a dict with a prototype), `JSArray` (a list), `JSFunction`. Python
objects the platform hands in (events, event data, `_ioprocessors`) are read as
objects: their attributes and keys are properties.

This module holds the values, conversions and operators. Property access, calls
and `new` are in `js_access`, the built-in objects in `js_builtins` and `js_date`,
and what a session changes of them in `js_realm`; their public names are
re-exported here, so generated code only ever names `js`.
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
    "Accessor",
    "AccessorObject",
    "JSArray",
    "JSError",
    "JSFunction",
    "JSObject",
    "Realm",
    "add",
    "call",
    "call_method",
    "construct",
    "date_constructor",
    "delete",
    "get",
    "has",
    "instanceof",
    "iterate_keys",
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


undefined: Final[_Undefined] = _Undefined()


class JSError(ExecutionError):
    """A JavaScript exception (`throw`, TypeError, ReferenceError): error.execution."""

    def __init__(self, value: Any) -> None:
        super().__init__(to_string(value) if not isinstance(value, str) else value)
        self.value = value


class JSObject(dict[str, Any]):
    """A JavaScript object: own properties in insertion order, and a prototype.

    `proto` is another `JSObject`, a built-in prototype (`js_realm.Intrinsic`), or
    None for `Object.prototype`, where every chain ends.
    """

    __slots__ = ("proto",)

    def __init__(self, *args: Any, proto: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proto = proto


class Accessor:
    """A property defined by `get x() {...}` / `set x(v) {...}`: either may be None."""

    __slots__ = ("getter", "setter")

    def __init__(self, getter: Any = None, setter: Any = None) -> None:
        self.getter = getter
        self.setter = setter

    def read(self, receiver: Any) -> Any:
        """The getter's result with `this` = `receiver` (undefined without one)."""
        if self.getter is None:
            return undefined
        return self.getter.impl(receiver)

    def write(self, receiver: Any, value: Any) -> Any:
        """Call the setter with `this` = `receiver` (ignored without one); `value`."""
        if self.setter is not None:
            self.setter.impl(receiver, value)
        return value


class AccessorObject(JSObject):
    """An object literal with getters or setters: some own values are `Accessor`s.

    A type of its own, so that plain `JSObject`s, whose values are never accessors,
    keep the fast path of `js.get` and `js.put`.
    """

    __slots__ = ()


class JSArray(list[Any]):
    """A JavaScript array."""

    __slots__ = ()


class JSFunction:
    """A JavaScript function: `impl(this, *args)`, with a `prototype` for `new`.

    `props` holds the properties a script gives the function (`f.cache = {}`), or
    None while it has none.
    """

    __slots__ = ("impl", "name", "prototype", "props")

    def __init__(self, impl: Callable[..., Any], name: str = "") -> None:
        self.impl = impl
        self.name = name
        self.prototype: Any = JSObject()
        self.props: dict[str, Any] | None = None

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


def not_defined(name: str) -> Any:
    """Reading a name bound nowhere (possible inside `with`): a ReferenceError."""
    raise JSError(f"ReferenceError: {name} is not defined")


def property_key(key: Any) -> str:
    """ToPropertyKey: the string a value names as a property (`1` names `"1"`)."""
    return key if type(key) is str else to_string(key)


def set_field(obj: Any, name: str, value: Any) -> Any:
    """A datamodel variable assignment as an expression: stores and yields `value`."""
    setattr(obj, name, value)
    return value


def thrown(error: BaseException) -> Any:
    """What `catch (e)` binds: the thrown value, or an error object for a fault."""
    if isinstance(error, JSError):
        return error.value
    return JSObject({"name": type(error).__name__, "message": str(error)})


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


# The rest of the runtime builds on the core above.
from .js_access import call as call  # noqa: E402
from .js_access import call_method as call_method  # noqa: E402
from .js_access import construct as construct  # noqa: E402
from .js_access import delete as delete  # noqa: E402
from .js_access import get as get  # noqa: E402
from .js_access import has as has  # noqa: E402
from .js_access import in_scope as in_scope  # noqa: E402
from .js_access import instanceof as instanceof  # noqa: E402
from .js_access import iterate_keys as iterate_keys  # noqa: E402
from .js_access import put as put  # noqa: E402
from .js_access import with_object as with_object  # noqa: E402
from .js_builtins import GLOBALS as GLOBALS  # noqa: E402
from .js_date import date_constructor as date_constructor  # noqa: E402
from .js_realm import Realm as Realm  # noqa: E402
