"""JavaScript values and operators for code compiled from the ECMAScript datamodel.

The compiler translates ECMAScript to Python at build time; what JavaScript means
by `+`, `==`, truthiness, property access and `typeof` lives here, as small
functions the generated code calls. Values: `undefined` (a singleton), `None` for
`null`, `bool`, numbers as `int` or `float` (printed the JavaScript way), `str`,
`JSObject` (a dict with a prototype), `JSArray` (a list), `JSFunction`, and
the `JSBuiltinObject`s `Date` and `RegExp`. Python
objects the platform hands in (`_event`, `_genesys`, `_ioprocessors`) are read
as objects, deny by default: only what their class declares is a property
(`host.py`), and only function objects (and the SCXML `In`) can be called.

This module holds the values, conversions and operators; the package's
`__init__` is the facade generated code names as `js`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any, Final, NoReturn, TypeAlias

from ..errors import ExecutionError
from ..machine import Machine
from .number import number_text
from .record import Record


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
    """A JavaScript exception the runtime raises (TypeError, ReferenceError, ...):
    error.execution. `value` is its message, "TypeError: ..."; `catch (e)` binds
    an error object made from it (`js_errors.thrown`)."""

    def __init__(self, value: Any) -> None:
        super().__init__(to_string(value) if not isinstance(value, str) else value)
        self.value = value


class JSThrow(JSError):
    """What a script's `throw value` raises: `catch (e)` binds `value` itself."""


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
    """A property defined by `get x() {...}` / `set x(v) {...}` or
    `Object.defineProperty`: either function may be None."""

    __slots__ = ("getter", "setter", "enumerable", "configurable")

    def __init__(
        self,
        getter: Any = None,
        setter: Any = None,
        enumerable: bool = True,
        configurable: bool = True,
    ) -> None:
        self.getter = getter
        self.setter = setter
        self.enumerable = enumerable
        self.configurable = configurable

    def read(self, receiver: Any) -> Any:
        """The getter's result with `this` = `receiver` (undefined without one)."""
        if self.getter is None:
            return undefined
        return invoke(self.getter, receiver)

    def write(self, receiver: Any, value: Any) -> Any:
        """Call the setter with `this` = `receiver` (ignored without one); `value`."""
        if self.setter is not None:
            invoke(self.setter, receiver, value)
        return value


class Property:
    """A data property `Object.defineProperty` made with attributes: its value,
    and whether it is writable, enumerable and configurable."""

    __slots__ = ("value", "writable", "enumerable", "configurable")

    def __init__(
        self,
        value: Any = None,
        writable: bool = False,
        enumerable: bool = False,
        configurable: bool = False,
    ) -> None:
        self.value = undefined if value is None else value
        self.writable = writable
        self.enumerable = enumerable
        self.configurable = configurable

    def read(self, receiver: Any) -> Any:
        """The value (`receiver` is unused: data properties need no `this`)."""
        return self.value

    def write(self, receiver: Any, value: Any) -> Any:
        """Store `value` if writable; assigning a read-only property does nothing,
        as in non-strict JavaScript. Returns `value` either way."""
        if self.writable:
            self.value = value
        return value


DESCRIPTORS: Final = frozenset({Accessor, Property})
"""The types of stored values that stand for a property with attributes."""


def stored_value(stored: Any, receiver: Any) -> Any:
    """The value a stored property gives `receiver`: a getter's result, a
    `Property`'s value, or the plain value itself."""
    if type(stored) in DESCRIPTORS:
        return stored.read(receiver)
    return stored


def enumerable(stored: Any) -> bool:
    """Whether a stored property is enumerable (plain values always are)."""
    return type(stored) not in DESCRIPTORS or bool(stored.enumerable)


class AccessorObject(JSObject):
    """An object with getters, setters or `defineProperty` attributes: some own
    values are `Accessor`s or `Property`s.

    A type of its own, so that plain `JSObject`s, whose values are never
    descriptors, keep the fast path of `js.get` and `js.put`. An object becomes
    one (its class changes) when `Object.defineProperty` gives it attributes.
    """

    __slots__ = ()


class NonExtensibleObject(AccessorObject):
    """An object after `Object.preventExtensions`: assigning a new property does
    nothing (non-strict JavaScript), `defineProperty` of one is a TypeError."""

    __slots__ = ()
    level: int = 1
    """1: no new properties; 2 (sealed): none deleted either; 3 (frozen): and
    its data properties are read-only."""


class SealedObject(NonExtensibleObject):
    """An object after `Object.seal`: no properties added or deleted."""

    __slots__ = ()
    level = 2


class FrozenObject(SealedObject):
    """An object after `Object.freeze`: no properties added, deleted or changed
    (its setters still run)."""

    __slots__ = ()
    level = 3


class JSArray(list[Any]):
    """A JavaScript array: its elements. `props` is unset: an array a script
    gives other properties (`arr.name = 'x'`) becomes a `PropertyArray`."""

    __slots__ = ("props",)
    props: dict[str, Any]


class PropertyArray(JSArray):
    """An array with properties besides its elements, in `props` (name -> value,
    or a descriptor). Its class is changed to this from `JSArray` on the first
    such property, so plain arrays never pay for looking them up."""

    __slots__ = ()


def _frozen(*args: Any, **kwargs: Any) -> NoReturn:
    raise JSError("TypeError: cannot change a frozen array")


class FrozenArray(PropertyArray):
    """An array after `Object.freeze`: the methods that change it (`push`,
    `sort`, ...) raise TypeError, as JavaScript's do; assigning an element or
    `length` does nothing (non-strict JavaScript)."""

    __slots__ = ()
    append = extend = insert = pop = remove = reverse = sort = clear = _frozen
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _frozen


class JSBuiltinObject:
    """The base of the objects that are neither dicts nor lists: `Date`, `RegExp`."""

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


OBJECT_KINDS: Final = (dict, list, JSFunction, JSBuiltinObject)
"""The Python types of JavaScript objects (everything else is a primitive or a
platform value)."""


def invoke(function: Any, this: Any, *args: Any) -> Any:
    """Call `function` (a JSFunction, or the SCXML `In`, which gets no `this`)."""
    if isinstance(function, JSFunction):
        return function.impl(this, *args)
    if is_callable(function):
        return function(*args)
    raise JSError(f"TypeError: {to_string(function)} is not a function")


_STATE_TEST: Final = Machine.In


def is_callable(value: Any) -> bool:
    """Whether scripts may call `value`: a function object, or a session's SCXML
    `In` read as a value (`var f = In`). No other Python callable is.

    `In` is a bound method of the session whose class does not override it,
    a Python method or, where the runtime is compiled, a built-in one."""
    if isinstance(value, JSFunction):
        return True
    owner = getattr(value, "__self__", None)
    return (
        isinstance(owner, Machine)
        and type(owner).In is _STATE_TEST
        and value == owner.In
    )


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
    """ToNumber; an object converts through its `valueOf` or `toString`."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return 0
    if value is undefined:
        return math.nan
    if isinstance(value, str):
        return _string_number(value)
    if isinstance(value, OBJECT_KINDS):
        return to_number(to_primitive(value, "number"))
    return math.nan


_DECIMAL: Final = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_HEX: Final = re.compile(r"0[xX][0-9a-fA-F]+")


def _string_number(value: str) -> int | float:
    """StringToNumber: decimal or hexadecimal text between white space, else NaN;
    an integer without `.` or exponent stays an int."""
    text = value.strip()
    if not text:
        return 0
    if _HEX.fullmatch(text):
        return whole_number(int(text, 16))
    if not _DECIMAL.fullmatch(text):
        return math.nan
    number = float(text)
    if number.is_integer() and "e" not in text.lower() and "." not in text:
        return int(number) if abs(number) <= SAFE_INTEGER else number
    return number


def to_integer(value: Any, default: int = 0) -> int:
    """ToInteger for indexes and counts: NaN is 0 (undefined is `default`), the
    infinities are clamped to +-2**53."""
    if type(value) is int:
        return value
    if value is undefined:
        return default
    number = to_number(value)
    if isinstance(number, int):
        return number
    if math.isnan(number):
        return 0
    if math.isinf(number):
        return 2**53 if number > 0 else -(2**53)
    return int(number)


def to_string(value: Any) -> str:
    """ToString, with JavaScript's number formatting (`1`, not `1.0`); an object
    converts through its `toString` or `valueOf`, a script's own included."""
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
        if -SAFE_INTEGER <= value <= SAFE_INTEGER:
            return str(value)
        return number_text(float(whole_number(value)))  # as the double it reads as
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= SAFE_INTEGER:
            return str(int(value))
        if 1e-4 <= abs(value) < 1e16 and not value.is_integer():
            return repr(value)  # where Python's repr writes what JS does
        return number_text(value)
    if type(value) is JSArray:
        return array_text(value)
    if isinstance(value, OBJECT_KINDS):
        return to_string(to_primitive(value, "string"))
    if value is absent:
        return "undefined"
    return f"[object {getattr(type(value), 'js_class', 'Object')}]"  # a host object


_JOINING: Final[set[int]] = set()
"""The arrays being joined now: an array that contains itself joins as ""."""


def array_text(array: list[Any], separator: str = ",") -> str:
    """`Array.prototype.join`: the elements as strings, null and undefined as "";
    an array met again while its own elements convert (a cycle) joins as ""."""
    key = id(array)
    if key in _JOINING:
        return ""
    _JOINING.add(key)
    try:
        return separator.join(
            ["" if v is None or v is undefined else to_string(v) for v in array]
        )
    finally:
        _JOINING.discard(key)


def is_object(value: Any) -> bool:
    """Whether `value` is a JavaScript object (not a primitive or a platform value)."""
    return isinstance(value, OBJECT_KINDS)


# -- operators -------------------------------------------------------------------


def add(left: Any, right: Any) -> Any:
    """`+` on any two values: string concatenation if either side is a
    string, else addition (`operators.add` tries two numbers or two strings
    first, and comes here for the rest)."""
    if isinstance(left, OBJECT_KINDS):
        left = to_primitive(left)
    if isinstance(right, OBJECT_KINDS):
        right = to_primitive(right)
    if isinstance(left, str) or isinstance(right, str):
        return to_string(left) + to_string(right)
    return whole_number(to_number(left) + to_number(right))


SAFE_INTEGER: Final = 2**53
"""Every integer within +-2**53 is a double: the runtime keeps such JavaScript
numbers as ints, and every other number as a float."""


def whole_number(value: int | float) -> int | float:
    """The JavaScript number of a result: a float as it is, an int within
    +-2**53 as it is, a larger int the double nearest it (as JavaScript
    computes it, in doubles), an infinity past the doubles' range."""
    if isinstance(value, float) or -SAFE_INTEGER <= value <= SAFE_INTEGER:
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def power(base: int | float, exponent: int | float) -> int | float:
    """`**` and `Math.pow` on two numbers, in doubles as JavaScript computes
    them: never an exact big integer, whatever the operands (an int result
    within +-2**53 stays an int)."""
    if math.isnan(exponent):
        return math.nan
    if exponent == 0:
        return 1
    if math.isnan(base) or (abs(base) == 1 and math.isinf(exponent)):
        return math.nan
    odd = float(exponent).is_integer() and abs(exponent) < 2**64 and exponent % 2 == 1
    if base == 0 and exponent < 0:  # 1 / 0 ** -exponent
        negative = odd and math.copysign(1.0, base) < 0
        return -math.inf if negative else math.inf
    try:
        result = math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:  # a negative base to a power that is not whole
        return math.nan
    if result.is_integer() and abs(result) <= SAFE_INTEGER:
        return int(result)
    return result


def arithmetic(operator: str, left: Any, right: Any) -> int | float:
    """`-`, `*`, `/`, `%` and `**` on ToNumber of both sides."""
    a, b = to_number(left), to_number(right)
    if operator == "-":
        return whole_number(a - b)
    if operator == "*":
        return whole_number(a * b)
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
    return power(a, b)


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
    left, right = to_primitive(left, "number"), to_primitive(right, "number")
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
    if isinstance(left, OBJECT_KINDS) and not isinstance(right, OBJECT_KINDS):
        return loose_eq(to_primitive(left), right)
    if isinstance(right, OBJECT_KINDS) and not isinstance(left, OBJECT_KINDS):
        return loose_eq(left, to_primitive(right))
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
    if is_callable(value):
        return "function"
    return "object"


def negate(value: Any) -> int | float:
    return -to_number(value)


def not_defined(name: str) -> Any:
    """Reading a name bound nowhere: a ReferenceError."""
    raise JSError(f"ReferenceError: {name} is not defined")


# -- the document's global names ------------------------------------------------------
#
# A name a document's code reads, outside its functions' own variables, resolves
# as in ORS: to a script global (a top-level `var` or function of a `<script>`, or
# a name assigned without a declaration), else to a property of `_data`, the
# object of the `<data>` values, else to a built-in. The compiler knows which of
# these each name can be; these helpers settle what only the running session can.
# `_data` is a plain dict (the machine's `dm`), which the runtime takes for a
# JavaScript object like any platform dict: generated code reads a `<data>` id
# as an item (`self.dm["x"]`). Where no code of the document names `_data`,
# nothing can add to it or see it whole: `dm` is then a record of one slot per
# id (`self.dm.x`), faster to read and write, and holds no other name. Both
# answer `in`, `[name]` and `get`, which is all these helpers ask of `dm`.

Data: TypeAlias = "dict[str, Any] | Record"
"""The machine's `dm` in an ECMAScript document: the `_data` dict, or its record."""


class _Absent:
    """The type of `absent`: one instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "absent"


absent: Final = _Absent()
"""What a script global holds before a `<script>` declaring it has run, when a
`<data>` of the same name is read until then (ORS's `var system` beside
`<data id="system">`)."""


def shadowed(value: Any, data: Data, name: str) -> Any:
    """A name that is both a script global (holding `value`) and a `<data>` id:
    the global once a script has declared it, the `<data>` value before."""
    return data[name] if value is absent else value


def store_shadowed(
    variables: Any, field: str, data: Data, name: str, value: Any
) -> Any:
    """Assign a name that is both a script global (`variables.field`) and a
    `<data>` id (`data[name]`): the global once declared, else the `<data>`
    value; yields `value`."""
    if getattr(variables, field) is absent:
        data[name] = value
    else:
        setattr(variables, field, value)
    return value


def declare(variables: Any, field: str) -> None:
    """`var x` of a script, where `x` is also a `<data>` id: from now on `x`
    names the global (undefined until assigned)."""
    if getattr(variables, field) is absent:
        setattr(variables, field, undefined)


def free_name(session: Any, name: str) -> Any:
    """A name the document declares nowhere, read when the code runs: a property
    scripts gave `_data` since, else a ReferenceError (always, where `_data`
    is a record: nothing adds to one)."""
    data = session.dm
    if name in data:
        return data[name]
    return not_defined(name)


def free_type(session: Any, name: str) -> Any:
    """`typeof name` of a name declared nowhere: like `free_name`, but a name
    bound nowhere reads as undefined."""
    return session.dm.get(name, undefined)


def store_item(obj: dict[str, Any], key: str, value: Any) -> Any:
    """`obj[key] = value` as an expression: stores and yields `value`."""
    obj[key] = value
    return value


def property_key(key: Any) -> str:
    """ToPropertyKey: the string a value names as a property (`1` names `"1"`)."""
    return key if type(key) is str else to_string(key)


def set_field(obj: Any, name: str, value: Any) -> Any:
    """A datamodel variable assignment as an expression: stores and yields `value`."""
    setattr(obj, name, value)
    return value


def from_json_text(text: str) -> Any:
    """JSON text as JavaScript values (objects are `JSObject`, arrays `JSArray`)."""

    decoded = json.loads(
        text, object_hook=JSObject, parse_float=float, parse_int=_json_integer
    )
    return _arrays(decoded)


def _json_integer(text: str) -> int | float:
    """A JSON integer as a JavaScript number: an int within +-2**53, else the
    double nearest it (what `JSON.parse` reads)."""
    if len(text) <= 15:  # under 10**15, within 2**53
        return int(text)
    number = float(text)
    return int(number) if abs(number) <= SAFE_INTEGER else number


def _arrays(value: Any) -> Any:
    if isinstance(value, list):
        return JSArray(_arrays(v) for v in value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _arrays(item)
    return value


# ToPrimitive calls a script's own methods, found as property access finds them.
from .access import to_primitive  # noqa: E402
