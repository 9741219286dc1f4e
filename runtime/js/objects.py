"""`Object`'s functions for compiled ECMAScript: `keys`, `create`,
`getPrototypeOf`, `defineProperty`, `getOwnPropertyNames`, `freeze`, ...

Property attributes live in the object model as it is. A plain value is a
property that is writable, enumerable and configurable. `defineProperty` with
other attributes, or with a getter or setter, stores a `Property` or an
`Accessor` in its place: an object's class becomes `AccessorObject`, an array's
`PropertyArray`, and reads and writes honour the attributes (assigning a
read-only property does nothing, as in non-strict JavaScript). `preventExtensions`,
`seal` and `freeze` change an object's class to one that refuses new
properties, deletions and changes; `freeze` makes an array a `FrozenArray`.

What the model cannot hold is an error that says so: attributes of array
elements or `length`, a getter on a built-in object, sealing an array or
freezing a function or a built-in object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .values import (
    DESCRIPTORS,
    Accessor,
    AccessorObject,
    FrozenArray,
    FrozenObject,
    JSArray,
    JSBuiltinObject,
    JSError,
    JSFunction,
    JSObject,
    NonExtensibleObject,
    Property,
    PropertyArray,
    SealedObject,
    property_key,
    to_string,
    truthy,
    undefined,
)
from .standard import (
    ARRAY_PROTOTYPE,
    BOOLEAN_PROTOTYPE,
    FUNCTION_PROTOTYPE,
    NULL_PROTOTYPE,
    NUMBER_PROTOTYPE,
    OBJECT_PROTOTYPE,
    REGEXP_PROTOTYPE,
    STRING_PROTOTYPE,
    BuiltinFunction,
    own_keys,
)
from .date import DATE_PROTOTYPE, JSDate
from .realm import MISSING, Intrinsic, define, own_overlay
from .host import host_keys

__all__ = ["OBJECT_STATICS", "define_property", "level_of"]


def level_of(value: Any) -> int:
    """How closed an object is: 0 open, 1 not extensible, 2 sealed, 3 frozen."""
    if isinstance(value, FrozenArray):
        return 3
    return int(getattr(type(value), "level", 0))


def _store(value: Any, session: Any) -> dict[str, Any] | None:
    """Where the own properties of `value` are kept, for the attribute functions:
    an object itself, an array's or a function's `props` (made on demand), a
    built-in object's overlay in the session's realm; None for the rest."""
    if isinstance(value, JSObject):
        return value
    if isinstance(value, JSArray):
        if not isinstance(value, PropertyArray):
            value.__class__ = PropertyArray
            value.props = {}
        assert isinstance(value, PropertyArray)
        return value.props
    if isinstance(value, (Intrinsic, BuiltinFunction)):
        return own_overlay(value, session)
    if isinstance(value, JSFunction):
        if value.props is None:
            value.props = {}
        return value.props
    return None


def _attributes(stored: Any, level: int) -> dict[str, Any]:
    """The attributes of a stored property (a plain value's depend on `level`)."""
    if type(stored) is Accessor:
        return {
            "get": undefined if stored.getter is None else stored.getter,
            "set": undefined if stored.setter is None else stored.setter,
            "enumerable": stored.enumerable,
            "configurable": stored.configurable,
        }
    if type(stored) is Property:
        return {
            "value": stored.value,
            "writable": stored.writable,
            "enumerable": stored.enumerable,
            "configurable": stored.configurable,
        }
    return {
        "value": stored,
        "writable": level < 3,
        "enumerable": True,
        "configurable": level < 2,
    }


# -- defineProperty ------------------------------------------------------------------


def _descriptor(descriptor: Any) -> dict[str, Any]:
    """The fields of a property descriptor object, checked."""
    if not isinstance(descriptor, dict):
        raise JSError(
            "TypeError: Object.defineProperty: the property descriptor must be an object"
        )
    from .access import get  # property access builds on the built-ins

    fields = {k: get(descriptor, k) for k in _FIELDS if k in descriptor}
    for name in ("get", "set"):
        function = fields.get(name, undefined)
        if function is not undefined and not isinstance(function, JSFunction):
            raise JSError(
                f"TypeError: Object.defineProperty: the {name}ter must be a function"
            )
    if ("get" in fields or "set" in fields) and (
        "value" in fields or "writable" in fields
    ):
        raise JSError(
            "TypeError: Object.defineProperty: a descriptor cannot have both "
            "get/set and value/writable"
        )
    return fields


_FIELDS: Final = ("value", "writable", "enumerable", "configurable", "get", "set")


def _merged(current: dict[str, Any] | None, fields: dict[str, Any]) -> Any:
    """The stored property for `fields` over the `current` attributes (a new
    property's missing attributes are false); a plain value if all are true."""
    base = current or {}
    accessor = (
        "get" in fields
        or "set" in fields
        or (current is not None and "get" in current and "value" not in fields)
    )
    flag: Callable[[str], bool] = lambda k: truthy(fields.get(k, base.get(k, False)))
    if accessor:
        getter = fields.get("get", base.get("get", undefined))
        setter = fields.get("set", base.get("set", undefined))
        return Accessor(
            None if getter is undefined else getter,
            None if setter is undefined else setter,
            flag("enumerable"),
            flag("configurable"),
        )
    value = fields.get("value", base.get("value", undefined))
    writable, shown, configurable = (
        flag("writable"),
        flag("enumerable"),
        flag("configurable"),
    )
    if writable and shown and configurable:
        return value
    return Property(value, writable, shown, configurable)


def _allowed(current: dict[str, Any], fields: dict[str, Any]) -> bool:
    """Whether a non-configurable property may be redefined with `fields`: only
    to make a writable one read-only or change its value, or to the same."""
    if "configurable" in fields and truthy(fields["configurable"]):
        return False
    if "enumerable" in fields and truthy(fields["enumerable"]) != current["enumerable"]:
        return False
    if "get" in current:
        return all(
            fields.get(k, current[k]) is current[k] for k in ("get", "set")
        ) and ("value" not in fields and "writable" not in fields)
    if "get" in fields or "set" in fields:
        return False
    if current["writable"]:
        return True
    if "writable" in fields and truthy(fields["writable"]):
        return False
    return "value" not in fields or fields["value"] is current["value"]


def define_property(target: Any, key: Any, descriptor: Any, session: Any) -> Any:
    """`Object.defineProperty(target, key, descriptor)`: `target`."""
    name, fields = property_key(key), _descriptor(descriptor)
    if isinstance(target, JSArray):
        _array_checks(target, name, fields)
    if isinstance(target, (Intrinsic, BuiltinFunction)) and (
        "get" in fields or "set" in fields
    ):
        raise JSError(
            f"TypeError: Object.defineProperty: getters and setters on the built-in "
            f"{_shown(target)} are not supported"
        )
    if not isinstance(target, (JSObject, list, JSFunction, Intrinsic)):
        raise JSError(
            f"TypeError: Object.defineProperty called on {to_string(target)}, "
            "which is not an object scxmlc can give attributes"
        )
    level = level_of(target)
    existing = _own_stored(target, name, session)
    if existing is MISSING and level >= 1:
        raise JSError(
            f"TypeError: cannot define property {name}: object is not extensible"
        )
    current = None if existing is MISSING else _attributes(existing, level)
    if (
        current is not None
        and not current["configurable"]
        and not _allowed(current, fields)
    ):
        raise JSError(f"TypeError: cannot redefine property: {name}")
    stored = _merged(current, fields)
    if type(stored) in DESCRIPTORS and type(target) is JSObject:
        target.__class__ = AccessorObject
    if isinstance(target, (Intrinsic, BuiltinFunction)):
        define(target, name, stored, session)
    else:
        store = _store(target, session)
        assert store is not None
        dict.__setitem__(store, name, stored)
    return target


def _own_stored(target: Any, name: str, session: Any) -> Any:
    """The stored own property `name` of `target`, or MISSING; a built-in
    object's own methods read as writable, configurable and not enumerable.
    Nothing is made on the way (an array stays a plain `JSArray`)."""
    if isinstance(target, dict):
        return dict.get(target, name, MISSING)
    if isinstance(target, PropertyArray):
        return target.props.get(name, MISSING)
    if isinstance(target, (Intrinsic, BuiltinFunction)):
        found = own_overlay(target, session, False).get(name, MISSING)
        own = target.own if isinstance(target, Intrinsic) else target.props
        built_in: dict[str, Any] = own or {}
        if found is MISSING and name in built_in:
            return Property(built_in[name], True, False, True)
        return found
    if isinstance(target, JSFunction):
        return (target.props or {}).get(name, MISSING)
    return MISSING


def _array_checks(array: list[Any], name: str, fields: dict[str, Any]) -> None:
    """Arrays hold attributes for their named properties only."""
    if isinstance(array, FrozenArray):
        raise JSError(f"TypeError: cannot define property {name}: the array is frozen")
    if name == "length" or name.isdigit():
        raise JSError(
            f"TypeError: Object.defineProperty: attributes of an array's "
            f"{'length' if name == 'length' else 'elements'} are not supported "
            "(assign the element instead)"
        )


def _shown(value: Any) -> str:
    return str(getattr(value, "name", value))


def _define_properties(target: Any, properties: Any, session: Any) -> Any:
    """`Object.defineProperties(target, {name: descriptor, ...})`: `target`."""
    if not isinstance(properties, dict):
        raise JSError(
            "TypeError: Object.defineProperties: the properties must be an object"
        )
    from .access import get  # property access builds on the built-ins

    for name in own_keys(properties):
        define_property(target, name, get(properties, name), session)
    return target


def _descriptor_of(target: Any, key: Any, session: Any) -> Any:
    """`Object.getOwnPropertyDescriptor(target, key)`: its attributes, or undefined."""
    name = property_key(key)
    if isinstance(target, (list, str)):
        if name == "length":
            return JSObject(
                value=len(target),
                writable=isinstance(target, list) and level_of(target) < 3,
                enumerable=False,
                configurable=False,
            )
        if name.isdigit() and int(name) < len(target):
            level = 3 if isinstance(target, (str, FrozenArray)) else 0
            return JSObject(_attributes(target[int(name)], level))
    stored = MISSING if isinstance(target, str) else _own_stored(target, name, session)
    if stored is MISSING:
        return undefined
    return JSObject(_attributes(stored, level_of(target)))


# -- names and prototypes ---------------------------------------------------------------


def _own_names(target: Any, session: Any) -> list[str]:
    """`Object.getOwnPropertyNames`: every own property, enumerable or not."""
    if isinstance(target, (list, str)):
        names = [str(i) for i in range(len(target))] + ["length"]
        return names + list(getattr(target, "props", None) or ())
    if isinstance(target, dict):
        return list(target)
    if isinstance(target, JSFunction) and not isinstance(target, BuiltinFunction):
        return ["prototype", "name", *list(target.props or ())]
    if isinstance(target, (Intrinsic, BuiltinFunction)):
        built_in = target.own if isinstance(target, Intrinsic) else (target.props or {})
        return list(dict.fromkeys([*built_in, *own_overlay(target, session, False)]))
    return host_keys(target)


def get_prototype(value: Any) -> Any:
    """`Object.getPrototypeOf(value)`: the object it inherits from (null at the end)."""
    if isinstance(value, JSObject):
        proto = value.proto
        if proto is None:
            return OBJECT_PROTOTYPE
        return None if proto is NULL_PROTOTYPE else proto
    if isinstance(value, Intrinsic):
        return value.parent
    if value is None or value is undefined:
        raise JSError(f"TypeError: Object.getPrototypeOf called on {to_string(value)}")
    for kind, proto in _PROTOTYPES:
        if isinstance(value, kind):
            return proto
    return OBJECT_PROTOTYPE


_PROTOTYPES: Final = (
    (list, ARRAY_PROTOTYPE),
    (JSFunction, FUNCTION_PROTOTYPE),
    (str, STRING_PROTOTYPE),
    (bool, BOOLEAN_PROTOTYPE),
    ((int, float), NUMBER_PROTOTYPE),
    (JSDate, DATE_PROTOTYPE),
    (JSBuiltinObject, REGEXP_PROTOTYPE),
)


def _create(proto: Any = undefined, properties: Any = undefined, *_: Any) -> JSObject:
    """`Object.create(proto, properties)`: a new object inheriting from `proto`."""
    if proto is OBJECT_PROTOTYPE:
        made = JSObject()
    elif proto is None or isinstance(proto, (JSObject, Intrinsic)):
        made = JSObject(proto=proto if proto is not None else NULL_PROTOTYPE)
    else:
        raise JSError(
            "TypeError: Object.create: the prototype must be an object or null"
        )
    if properties is not undefined:
        _define_properties(made, properties, None)
    return made


# -- preventExtensions, seal, freeze -------------------------------------------------------

_CLOSED: Final = {1: NonExtensibleObject, 2: SealedObject, 3: FrozenObject}


def _close(value: Any, level: int, method: str) -> Any:
    """`Object.preventExtensions` (1), `seal` (2) and `freeze` (3): `value`."""
    if not isinstance(value, (dict, list, JSFunction, JSBuiltinObject, Intrinsic)):
        return value  # a primitive is as closed as it gets
    if isinstance(value, JSObject):
        if level_of(value) < level:
            for name in value:
                dict.__setitem__(
                    value, name, _closed(dict.__getitem__(value, name), level)
                )
            value.__class__ = _CLOSED[level]
        return value
    if isinstance(value, JSArray) and level == 3:
        store = _store(value, None)
        assert store is not None
        for name in store:
            store[name] = _closed(store[name], level)
        value.__class__ = FrozenArray
        return value
    raise JSError(
        f"TypeError: Object.{method} of {_kind(value)} is not supported "
        "(plain objects can be; arrays can be frozen)"
    )


def _closed(stored: Any, level: int) -> Any:
    """A stored property made non-configurable (and read-only when frozen)."""
    if type(stored) is Accessor:
        stored.configurable = False
    elif type(stored) is Property:
        stored.configurable = False
        stored.writable = stored.writable and level < 3
    return stored


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (Intrinsic, BuiltinFunction)):
        return f"the built-in {_shown(value)}"
    if isinstance(value, JSFunction):
        return "a function"
    return "a platform object"


def _is_closed(value: Any, level: int) -> bool:
    """`Object.isExtensible` (negated, level 1), `isSealed` (2), `isFrozen` (3)."""
    if not isinstance(value, (dict, list, JSFunction, JSBuiltinObject, Intrinsic)):
        return True
    current = level_of(value)
    if current >= level:
        return True
    if current == 0 or not isinstance(value, JSObject):
        return False
    attributes = [_attributes(dict.__getitem__(value, k), current) for k in value]
    if level == 2:
        return not any(a["configurable"] for a in attributes)
    return not any(a["configurable"] or a.get("writable") for a in attributes)


def _keys(value: Any = undefined, *_: Any) -> JSArray:
    """`Object.keys(value)`: the own enumerable property names."""
    return JSArray(own_keys(value))


OBJECT_STATICS: Final[dict[str, Callable[..., Any]]] = {
    "keys": lambda this, value=undefined, *_: _keys(value),
    "create": lambda this, *args: _create(*args),
    "getPrototypeOf": lambda this, value=undefined, *_: get_prototype(value),
    "preventExtensions": lambda this, v=undefined, *_: _close(
        v, 1, "preventExtensions"
    ),
    "seal": lambda this, v=undefined, *_: _close(v, 2, "seal"),
    "freeze": lambda this, v=undefined, *_: _close(v, 3, "freeze"),
    "isExtensible": lambda this, v=undefined, *_: not _is_closed(v, 1),
    "isSealed": lambda this, v=undefined, *_: _is_closed(v, 2),
    "isFrozen": lambda this, v=undefined, *_: _is_closed(v, 3),
}
"""`Object`'s functions that need no session, as (this, *args) implementations."""


def _define_one(this: Any, session: Any, target: Any = undefined, *args: Any) -> Any:
    key, descriptor = (*args, undefined, undefined)[:2]
    return define_property(target, key, descriptor, session)


def _define_many(this: Any, session: Any, target: Any = undefined, *args: Any) -> Any:
    return _define_properties(target, args[0] if args else undefined, session)


def _names(this: Any, session: Any, target: Any = undefined, *_: Any) -> JSArray:
    return JSArray(_own_names(target, session))


def _describe(this: Any, session: Any, target: Any = undefined, *args: Any) -> Any:
    return _descriptor_of(target, args[0] if args else undefined, session)


SESSION_STATICS: Final[dict[str, Callable[..., Any]]] = {
    "defineProperty": _define_one,
    "defineProperties": _define_many,
    "getOwnPropertyNames": _names,
    "getOwnPropertyDescriptor": _describe,
}
"""`Object`'s functions that may change a built-in object, which is the
session's: (this, session, *args) implementations (`SessionFunction`)."""
