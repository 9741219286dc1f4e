"""Property access, calls and `new` for code compiled from ECMAScript.

`get`, `put`, `has`, `delete`, `iterate_keys` and `call_method` take the
`session` that runs the code: the generated machine, whose realm holds what the
session assigned to built-in objects (`js_realm`). A property is found as
JavaScript finds it: own properties first, then the prototype chain, where a
built-in prototype's own methods come after what the session assigned to that
prototype and before the prototypes further up (`Object.prototype`).

The common cases stay cheap: an own property of a plain object, an index of an
array or string, and a built-in method of a string or array while the session
has changed no built-in are each a few type tests and one look-up.

Python objects of the platform are read deny by default, as `host.py` says:
only the properties and functions their class declares resolve, platform data
comes in as JavaScript copies, and only function objects (and the SCXML `In`)
can be called. The platform's mappings and objects are read-only to scripts;
the one Python dict scripts write is the session's own `_data`.
"""

from __future__ import annotations

from typing import Any, Final

from .values import (
    DESCRIPTORS,
    Accessor,
    is_callable,
    Property,
    FrozenArray,
    JSArray,
    JSBuiltinObject,
    JSError,
    JSFunction,
    JSObject,
    PropertyArray,
    is_object,
    property_key,
    stored_value,
    to_integer,
    to_string,
    typeof,
    undefined,
)
from .standard import (
    ARRAY_METHODS,
    ARRAY_PROTOTYPE,
    BOOLEAN_PROTOTYPE,
    FUNCTION_PROTOTYPE,
    NUMBER_PROTOTYPE,
    OBJECT_PROTOTYPE,
    REGEXP_PROTOTYPE,
    STRING_METHODS,
    STRING_PROTOTYPE,
    BuiltinFunction,
    SessionFunction,
    own_keys,
)
from .date import DATE_PROTOTYPE, DateConstructor, JSDate, new_date
from .regexp import JSRegExp, regexp_property, set_last_index
from .host import (
    HOSTS,
    MISSING_HOST,
    HostModel,
    call_host,
    element_get,
    host_get,
    host_has,
    host_keys,
    host_model,
    is_element,
)
from .realm import (
    MISSING,
    Intrinsic,
    changed,
    extend,
    inherited,
    inherited_keys,
    inherits,
    retract,
)

__all__ = [
    "call",
    "call_method",
    "construct",
    "delete",
    "get",
    "has",
    "in_scope",
    "instanceof",
    "iterate_keys",
    "put",
    "to_primitive",
    "with_object",
]


# -- reading -----------------------------------------------------------------------


def get(obj: Any, key: Any, session: Any = None) -> Any:
    """`obj[key]` / `obj.key`; `session` is the machine running the code (or None)."""
    kind = type(obj)
    if kind is JSObject:
        if type(key) is str:
            value = obj.get(key, MISSING)
            if value is not MISSING:
                return value
            return _chain_get(obj, obj.proto, key, session)
        return object_get(obj, property_key(key), session)
    if kind is JSArray or kind is str:
        if type(key) is int and 0 <= key < len(obj):
            return obj[key]
        if key == "length":
            return len(obj)
        return _sequence_get(obj, key, session)
    return _get_other(obj, key, session)


def path(obj: Any, session: Any, *keys: Any) -> Any:
    """`obj.a.b[c]`: the property of each key in turn, as `get` reads it."""
    for key in keys:
        obj = get(obj, key, session)
    return obj


def object_get(obj: dict[str, Any], name: str, session: Any) -> Any:
    """Property `name` of an object: its own, its prototypes', then the built-ins'.

    A platform's dict (not a `JSObject`) answers with its own `in` and `[]`.
    """
    if not isinstance(obj, JSObject):
        return obj[name] if name in obj else inherited(OBJECT_PROTOTYPE, name, session)
    return _chain_get(obj, obj, name, session)


def _chain_get(receiver: JSObject, current: Any, name: str, session: Any) -> Any:
    """Property `name` of `receiver`, looked for from `current` along its chain:
    objects (a getter is called with `this` = `receiver`), then the built-ins."""
    while isinstance(current, JSObject):
        value = dict.get(current, name, MISSING)
        if value is not MISSING:
            return value.read(receiver) if type(value) in DESCRIPTORS else value
        current = current.proto
    proto = current if isinstance(current, Intrinsic) else OBJECT_PROTOTYPE
    return inherited(proto, name, session)


def _sequence_get(sequence: Any, key: Any, session: Any) -> Any:
    """An index, `length`, or an inherited property of an array or string."""
    index = _index(key)
    if index is not None:
        return sequence[index] if index < len(sequence) else undefined
    name = property_key(key)
    if name == "length":
        return len(sequence)
    if isinstance(sequence, PropertyArray):
        value = sequence.props.get(name, MISSING)
        if value is not MISSING:
            return stored_value(value, sequence)
    proto = STRING_PROTOTYPE if isinstance(sequence, str) else ARRAY_PROTOTYPE
    return inherited(proto, name, session)


def _get_other(obj: Any, key: Any, session: Any) -> Any:
    """`get` for everything but plain objects, arrays and strings."""
    model = HOSTS.get(type(obj))
    if model is not None:  # `_event`, `_genesys` and the rest of its model
        return _host_property(obj, model, property_key(key), session)
    if obj is None or obj is undefined:
        raise JSError(
            f"TypeError: cannot read property '{to_string(key)}' of {to_string(obj)}"
        )
    if isinstance(obj, dict):
        name = property_key(key)
        own = getattr(type(obj), "js_property", None)
        if own is not None:  # a platform mapping with properties of its own
            found = own(obj, name)
            if found is not NotImplemented:
                return found
        return object_get(obj, name, session)
    if isinstance(obj, (list, str)):
        return _sequence_get(obj, key, session)
    name = property_key(key)
    if isinstance(obj, JSFunction):
        return _function_get(obj, name, session)
    if isinstance(obj, Intrinsic):
        return inherited(obj, name, session)
    proto = _prototype_of(obj)
    if proto is not None:
        if isinstance(obj, JSRegExp):
            own = regexp_property(obj, name)
            if own is not undefined:
                return own
        return inherited(proto, name, session)
    return _platform_get(obj, name, session)


def _prototype_of(value: Any) -> Intrinsic | None:
    """The built-in prototype of a primitive, date or regular expression."""
    if isinstance(value, bool):
        return BOOLEAN_PROTOTYPE
    if isinstance(value, (int, float)):
        return NUMBER_PROTOTYPE
    if isinstance(value, JSDate):
        return DATE_PROTOTYPE
    if isinstance(value, JSRegExp):
        return REGEXP_PROTOTYPE
    return None


def _function_get(function: JSFunction, name: str, session: Any) -> Any:
    """A function's `prototype`, its own properties (for a built-in: what the
    session assigned, then its statics), `name`, then `Function.prototype`'s."""
    if name == "prototype":
        return function.prototype
    if isinstance(function, BuiltinFunction):
        assigned = changed(function, name, session)
        if assigned is not MISSING:
            return assigned
    props = function.props
    if props is not None and name in props:
        return stored_value(props[name], function)
    if name == "name":
        return function.name
    return inherited(FUNCTION_PROTOTYPE, name, session)


def _platform_get(obj: Any, name: str, session: Any) -> Any:
    """A Python object the platform handed in: what its class declares (the
    first object of a class met comes here, later ones take the fast path of
    `_get_other`), a DOM for XML content, and nothing else."""
    model = host_model(type(obj))
    if model is not None:
        return _host_property(obj, model, name, session)
    if is_element(obj):
        found = element_get(obj, name)
        if found is not undefined:
            return found
    return inherited(OBJECT_PROTOTYPE, name, session)


def _host_property(obj: Any, model: HostModel, name: str, session: Any) -> Any:
    """Property `name` of a host object: declared, else `Object.prototype`'s."""
    found = host_get(obj, model, name)
    if found is MISSING_HOST:
        return inherited(OBJECT_PROTOTYPE, name, session)
    return found


def _index(key: Any) -> int | None:
    """The array index `key` names, or None if it names no index."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int) and key >= 0:
        return key
    if isinstance(key, float) and key.is_integer() and key >= 0:
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


# -- tests and enumeration -----------------------------------------------------------


def has(obj: Any, key: Any, session: Any = None) -> bool:
    """`key in obj`: an own or inherited property."""
    name = property_key(key)
    if isinstance(obj, dict):
        current: Any = obj
        while isinstance(current, dict):
            if name in current:
                return True
            current = current.proto if isinstance(current, JSObject) else None
        proto = current if isinstance(current, Intrinsic) else OBJECT_PROTOTYPE
        return inherits(proto, name, session)
    if isinstance(obj, list):
        index = _index(name)
        if name == "length" or index is not None and index < len(obj):
            return True
        if isinstance(obj, PropertyArray) and name in obj.props:
            return True
        return inherits(ARRAY_PROTOTYPE, name, session)
    if obj is None or obj is undefined or isinstance(obj, (str, int, float)):
        raise JSError(
            f"TypeError: cannot use 'in' to search for '{name}' in {to_string(obj)}"
        )
    if isinstance(obj, JSFunction):
        return _function_get(obj, name, session) is not undefined
    if isinstance(obj, Intrinsic):
        return inherits(obj, name, session)
    base = _prototype_of(obj)
    if base is not None:
        return inherits(base, name, session)
    model = host_model(type(obj))
    if model is not None and host_has(obj, model, name):
        return True
    if is_element(obj) and element_get(obj, name) is not undefined:
        return True
    return inherits(OBJECT_PROTOTYPE, name, session)


def iterate_keys(obj: Any, session: Any = None) -> list[str]:
    """The keys `for (k in obj)` visits: own enumerable ones, then inherited ones
    (of user-made prototypes, and what the session assigned to built-in ones)."""
    if isinstance(obj, (list, str)):
        keys = own_keys(obj)
        proto: Any = ARRAY_PROTOTYPE if isinstance(obj, list) else STRING_PROTOTYPE
    elif isinstance(obj, dict):
        keys = own_keys(obj)
        current = obj.proto if isinstance(obj, JSObject) else None
        while isinstance(current, JSObject):
            keys.extend(own_keys(current))
            current = current.proto
        proto = current if isinstance(current, Intrinsic) else OBJECT_PROTOTYPE
    elif isinstance(obj, JSFunction):
        keys, proto = own_keys(obj), FUNCTION_PROTOTYPE
    elif isinstance(obj, Intrinsic):
        keys, proto = [], obj
    elif obj is None or obj is undefined or isinstance(obj, (bool, int, float)):
        return []
    else:  # a host object: its declared properties
        keys, proto = host_keys(obj), OBJECT_PROTOTYPE
    more = inherited_keys(proto, session)
    if more or len(keys) != len(set(keys)):
        return list(dict.fromkeys(keys + more))
    return keys


# -- writing -------------------------------------------------------------------------


def put(obj: Any, key: Any, value: Any, session: Any = None) -> Any:
    """`obj[key] = value`; returns `value`."""
    if type(obj) is JSObject and obj.proto is None:  # no setter can intercept
        obj[key if type(key) is str else property_key(key)] = value
        return value
    if type(obj) is JSArray and type(key) is int and 0 <= key < len(obj):
        obj[key] = value
        return value
    return _put_other(obj, key, value, session)


def _put_other(obj: Any, key: Any, value: Any, session: Any) -> Any:
    """`put` for everything but plain objects without a prototype."""
    if obj is None or obj is undefined:
        raise JSError(
            f"TypeError: cannot set property '{to_string(key)}' of {to_string(obj)}"
        )
    if isinstance(obj, JSObject):
        return _object_put(obj, property_key(key), value)
    if isinstance(obj, list):
        return _array_put(obj, key, value)
    if type(obj) is dict:  # the session's `_data`
        obj[property_key(key)] = value
        return value
    if isinstance(obj, dict):
        raise JSError(
            f"TypeError: cannot set property '{to_string(key)}' of a platform "
            "object (it is read-only)"
        )
    if isinstance(obj, JSFunction):
        return _function_put(obj, property_key(key), value, session)
    if isinstance(obj, Intrinsic):
        return extend(obj, property_key(key), value, session)
    if isinstance(obj, JSRegExp):
        return set_last_index(obj, property_key(key), value)
    raise JSError(
        f"TypeError: cannot set property '{to_string(key)}' of "
        f"{'a platform object' if typeof(obj) == 'object' else typeof(obj)}"
    )


def _object_put(obj: JSObject, name: str, value: Any) -> Any:
    """`obj[name] = value` honouring attributes: an own property's setter or
    read-only attribute, an inherited setter or read-only property, and a
    closed object (`preventExtensions`, `seal`, `freeze`), where what cannot be
    assigned is left as it was, as in non-strict JavaScript."""
    level: int = getattr(obj, "level", 0)
    stored = dict.get(obj, name, MISSING)
    if stored is not MISSING:
        if type(stored) in DESCRIPTORS:
            return stored.write(obj, value)
        if level < 3:
            dict.__setitem__(obj, name, value)
        return value
    interceptor = _interceptor(obj.proto, name)
    if interceptor is not None:
        return interceptor.write(obj, value)
    if level == 0:
        dict.__setitem__(obj, name, value)
    return value


_READ_ONLY: Final = Accessor()
"""Stands for an inherited read-only property: writing it does nothing."""


def _interceptor(current: Any, name: str) -> Accessor | Any | None:
    """What assigning an inherited property `name` goes through: the nearest
    property of that name along the chain from `current`, if it is an accessor
    or read-only (`_READ_ONLY`); None if the assignment makes an own property."""
    while isinstance(current, JSObject):
        if name in current:
            found = dict.__getitem__(current, name)
            if type(found) is Accessor:
                return found
            if type(found) is Property:
                return None if found.writable else _READ_ONLY
            return _READ_ONLY if getattr(current, "level", 0) >= 3 else None
        current = current.proto
    return None


def _array_put(array: list[Any], key: Any, value: Any) -> Any:
    """`array[key] = value`: an index (the array grows), `length` (it shrinks or
    grows), or another property (kept in `props`)."""
    if isinstance(array, FrozenArray):
        return value
    index = _index(key)
    if index is not None:
        while len(array) <= index:
            array.append(undefined)
        array[index] = value
        return value
    name = property_key(key)
    if name == "length":
        return _set_length(array, value)
    if not isinstance(array, JSArray):
        raise JSError(
            f"TypeError: cannot set property '{name}' of a platform list "
            "(only its elements can be assigned)"
        )
    if not isinstance(array, PropertyArray):
        array.__class__ = PropertyArray
        array.props = {}
    assert isinstance(array, PropertyArray)
    stored = array.props.get(name, MISSING)
    if type(stored) in DESCRIPTORS:
        return stored.write(array, value)
    array.props[name] = value
    return value


def _set_length(array: list[Any], value: Any) -> Any:
    """`array.length = n`: drop the elements from `n`, or add undefined ones."""
    length = to_integer(value)
    if length < 0 or length >= 2**32:
        raise JSError("RangeError: invalid array length")
    del array[length:]
    array.extend([undefined] * (length - len(array)))
    return value


def _function_put(function: JSFunction, name: str, value: Any, session: Any) -> Any:
    """A property of a function: for a built-in one, into the session's realm."""
    if isinstance(function, BuiltinFunction):
        if name != "prototype":  # a built-in's prototype cannot be replaced
            extend(function, name, value, session)
        return value
    if name == "prototype":
        if not isinstance(function, DateConstructor):
            function.prototype = value
        return value
    if function.props is None:
        function.props = {}
    stored = function.props.get(name, MISSING)
    if type(stored) in DESCRIPTORS:
        return stored.write(function, value)
    function.props[name] = value
    return value


def delete(obj: Any, key: Any, session: Any = None) -> bool:
    """`delete obj[key]`: removes an own property (built-in properties stay);
    false for one that is not configurable."""
    name = property_key(key)
    if isinstance(obj, JSObject) or type(obj) is dict:
        return _delete_own(obj, name, getattr(obj, "level", 0))
    if isinstance(obj, dict):
        return False  # a platform mapping: read-only
    if isinstance(obj, list):
        if isinstance(obj, FrozenArray):
            return False
        index = _index(key)
        if index is not None and index < len(obj):
            obj[index] = undefined
        elif isinstance(obj, PropertyArray):
            return _delete_own(obj.props, name, 0)
    elif isinstance(obj, (Intrinsic, BuiltinFunction)):
        return retract(obj, name, session)
    elif isinstance(obj, JSFunction) and obj.props is not None:
        return _delete_own(obj.props, name, 0)
    return True


def _delete_own(store: dict[str, Any], name: str, level: int) -> bool:
    """Remove `name` from an object's (or array's) own properties, unless it is
    not configurable or the object is sealed."""
    stored = dict.get(store, name, MISSING)
    if stored is MISSING:
        return True
    if level >= 2 or (type(stored) in DESCRIPTORS and not stored.configurable):
        return False
    dict.__delitem__(store, name)
    return True


# -- calls and construction ----------------------------------------------------------


def call(function: Any, this: Any, *args: Any) -> Any:
    """`f(args)` with `this` bound (undefined for a plain call)."""
    if isinstance(function, JSFunction):
        return function.impl(this, *args)
    if is_callable(function):
        return function(*args)
    raise JSError(f"TypeError: {to_string(function)} is not a function")


def call_method(obj: Any, key: Any, session: Any, *args: Any) -> Any:
    """`obj.key(args)`: the method called with `this` = `obj`.

    A string's or array's built-in method is called directly while the session
    has changed no built-in (one test), without making a function object. A
    `SessionFunction` (`Object.defineProperty`) is given the session.
    """
    kind = type(obj)
    if kind is JSObject:
        if type(key) is str:
            function = obj.get(key, MISSING)
            if function is MISSING:
                function = _chain_get(obj, obj.proto, key, session)
        else:
            function = object_get(obj, property_key(key), session)
    elif (kind is str or kind is JSArray) and type(key) is str:
        realm = session._realm if session is not None else None
        if realm is None or not realm.overlays:
            method = (STRING_METHODS if kind is str else ARRAY_METHODS).get(key)
            if method is not None:
                return method(obj, *args)
        function = get(obj, key, session)
    else:
        model = HOSTS.get(kind)
        if model is not None and type(key) is str and key in model.functions:
            return call_host(obj, key, args)  # `_genesys.ixn.setuData(...)`
        function = get(obj, key, session)
        if type(function) is SessionFunction:  # Object.defineProperty and the like
            return function.session_impl(obj, session, *args)
    if isinstance(function, JSFunction):
        return function.impl(obj, *args)
    if function is undefined:
        raise JSError(f"TypeError: {to_string(key)!r} is not a function (undefined)")
    return call(function, obj, *args)


def construct(function: Any, *args: Any) -> Any:
    """`new F(args)`."""
    if isinstance(function, BuiltinFunction):
        if function.new is None:
            raise JSError(f"TypeError: {function.name} is not a constructor")
        return function.new(*args)
    if isinstance(function, DateConstructor):
        return new_date(function.clock, *args)
    if not isinstance(function, JSFunction):
        raise JSError(f"TypeError: {to_string(function)} is not a constructor")
    proto = function.prototype
    if proto is OBJECT_PROTOTYPE or not isinstance(proto, (JSObject, Intrinsic)):
        proto = None
    instance = JSObject(proto=proto)
    result = function.impl(instance, *args)
    return result if isinstance(result, _OBJECTS) else instance


_OBJECTS: Final = (dict, list, JSFunction, JSBuiltinObject)
"""What a constructor may return instead of the object `new` made."""


def instanceof(value: Any, function: Any) -> bool:
    """`value instanceof function`: `function.prototype` is on `value`'s chain."""
    if not isinstance(function, JSFunction):
        raise JSError("TypeError: right-hand side of 'instanceof' is not callable")
    target = function.prototype
    current = value.proto if isinstance(value, JSObject) else None
    while isinstance(current, JSObject):
        if current is target:
            return True
        current = current.proto
    if not isinstance(target, Intrinsic):
        return False
    if isinstance(current, Intrinsic):
        base: Intrinsic | None = current
    elif isinstance(value, (dict, list, JSFunction, Intrinsic)):
        base = _base_prototype(value)
    else:
        base = _prototype_of(value)
        if base is None or isinstance(value, (bool, int, float)):
            return False
    return base is not None and any(p is target for p in base.chain())


def _base_prototype(value: Any) -> Intrinsic | None:
    """The built-in prototype an object, array, function or prototype inherits from."""
    if isinstance(value, list):
        return ARRAY_PROTOTYPE
    if isinstance(value, JSFunction):
        return FUNCTION_PROTOTYPE
    if isinstance(value, Intrinsic):
        return value.parent
    return OBJECT_PROTOTYPE


# -- conversion to primitives -------------------------------------------------------


def to_primitive(value: Any, hint: str = "default") -> Any:
    """ToPrimitive: an object's `valueOf()` or `toString()` result, whichever
    primitive comes first (`toString` first for `hint` "string", and for dates
    without a hint); found as any property is, so a script's own methods, on the
    object or its prototypes, are the ones called. Primitives are returned as
    they are; an object that gives no primitive is a TypeError."""
    if not is_object(value):
        return value
    if type(value) is JSObject and value.proto is None:
        if "valueOf" not in value and "toString" not in value:
            return "[object Object]"
    if hint == "string" or hint == "default" and isinstance(value, JSDate):
        names = ("toString", "valueOf")
    else:
        names = ("valueOf", "toString")
    for name in names:
        method = get(value, name)
        if isinstance(method, JSFunction):
            result = method.impl(value)
            if not is_object(result):
                return result
    raise JSError("TypeError: cannot convert object to primitive value")


# -- with ------------------------------------------------------------------------------


def with_object(value: Any) -> Any:
    """The object of `with (value)`: any value but null and undefined."""
    if value is None or value is undefined:
        raise JSError(f"TypeError: cannot use {to_string(value)} in 'with'")
    return value


def in_scope(obj: Any, key: Any, session: Any) -> bool:
    """Whether the object of a `with` binds `key`: `key in obj`, also for strings,
    numbers and booleans (whose properties are their prototype's)."""
    if isinstance(obj, (str, bool, int, float)):
        name = property_key(key)
        if isinstance(obj, str):
            index = _index(name)
            if name == "length" or index is not None and index < len(obj):
                return True
            return inherits(STRING_PROTOTYPE, name, session)
        return inherits(_prototype_of(obj), name, session)
    return has(obj, key, session)
