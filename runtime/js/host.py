"""Host objects: what compiled ECMAScript sees of the platform's Python objects.

The platform hands scripts Python objects: `_event`, `_genesys` and its module
objects, interactions, enumerations, XML content. Scripts reach them only
through the runtime's property access (`js.get`, `js.call_method`, `in`,
`for`-`in`, `Object.keys`, `JSON.stringify`), which reads them **deny by
default**:

- A *host class* declares what JavaScript may read of its objects:
  `js_properties`, the names of its data properties (read with `getattr`),
  and `js_functions`, the names of its methods that scripts may call, both
  tuples of names. Nothing else of the object resolves: no other attribute, no
  undeclared method, no `__class__`, `__dict__` or other name starting with
  `_` (even a declared one). Such names read as what `Object.prototype` gives
  (undefined, or one of its methods). An object of a class that declares
  nothing shows no property at all.
- What a property holds, or a function returns, reaches the script through
  `to_js`: strings, numbers, booleans, JavaScript values and other host
  objects as they are; platform data (dicts, lists, tuples, sets) as a new
  JavaScript object or array, a copy, so a script changes its copy, never the
  platform's data, and JavaScript objects in it (attached data another
  session set) are copied as data too (`event_data`); dates as ISO text; None
  as undefined (SCXML's binding of unset event fields; null inside data);
  anything else as undefined.
  `_event.data` is copied once per event and kept with it, JavaScript objects
  included (`event_data`): sessions never share an object through events.
- A declared function reads as a function object (`HostFunction`);
  `call_method` calls it without making one.
- Host objects and the platform's mappings are read-only to scripts:
  assigning a property is a TypeError, deleting one gives false.
- XML content (`ElementTree` elements) has a small DOM of its own:
  `getElementsByTagName`, `getAttribute`, `tagName`, `nodeName`, `textContent`.

The declarations are looked up once per class and kept (`host_model`), so
reading a property of a host object costs a dict look-up and a set test.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ElementTree
from typing import Any, Final

from ..events import Event
from .values import (
    Accessor,
    enumerable,
    stored_value,
    JSArray,
    JSBuiltinObject,
    JSFunction,
    JSObject,
    property_key,
    to_string,
    undefined,
)
from .realm import Intrinsic

__all__ = [
    "HOSTS",
    "HostFunction",
    "HostModel",
    "call_host",
    "host_get",
    "host_has",
    "host_items",
    "host_keys",
    "host_model",
    "is_element",
    "to_js",
]


class HostModel:
    """What JavaScript sees of one host class: its data `properties` and
    `functions` (sets for look-ups) and `keys`, the data properties in
    declaration order (what `for`-`in` and `Object.keys` list)."""

    __slots__ = ("properties", "functions", "keys")

    def __init__(self, properties: tuple[str, ...], functions: tuple[str, ...]):
        self.keys = tuple(name for name in properties if _visible(name))
        self.properties = frozenset(self.keys)
        self.functions = frozenset(name for name in functions if _visible(name))


def _visible(name: Any) -> bool:
    """Whether a declared name may resolve: a string not starting with `_`."""
    return isinstance(name, str) and bool(name) and not name.startswith("_")


HOSTS: Final[dict[type, HostModel]] = {}
"""The models of the host classes met so far, by class (the fast path)."""

_CHECKED: Final[set[type]] = set()
"""Classes looked at that declare nothing."""


def host_model(kind: type) -> HostModel | None:
    """The model of class `kind`, or None when it declares nothing.

    A class declares its model with the class attributes `js_properties`
    and `js_functions` (tuples of names); a subclass inherits them.
    """
    model = HOSTS.get(kind)
    if model is not None or kind in _CHECKED:
        return model
    properties = getattr(kind, "js_properties", None)
    functions = getattr(kind, "js_functions", None)
    if not isinstance(properties, tuple) and not isinstance(functions, tuple):
        _CHECKED.add(kind)
        return None
    model = HOSTS[kind] = HostModel(
        properties if isinstance(properties, tuple) else (),
        functions if isinstance(functions, tuple) else (),
    )
    return model


# -- reading ---------------------------------------------------------------------------


def host_get(obj: Any, model: HostModel, name: str) -> Any:
    """Property `name` of host object `obj`: a declared data property's value
    (through `to_js`), a declared function, or `MISSING_HOST` for anything else."""
    if name in model.properties:
        if type(obj) is Event:
            return event_field(obj, name)
        value = getattr(obj, name)
        kind = type(value)
        if kind in _AS_IS or kind in HOSTS:  # the common cases, at once
            return value
        return undefined if value is None else to_js(value, None, True)
    if name in model.functions:
        return HostFunction(obj, name)
    return MISSING_HOST


MISSING_HOST: Final = object()
"""What `host_get` gives for a name the object does not declare."""


def event_field(event: Event, name: str) -> Any:
    """A field of `_event`: `data` converted once and kept with the event
    (so that `_event.data` is the same object all through the event's turn)."""
    if name != "data":
        value = getattr(event, name)
        return undefined if value is None else value
    data = event.data
    if data is None:
        return undefined
    converted = event._js_data
    if converted is None:
        converted = event._js_data = event_data(data)
    return converted


def host_has(obj: Any, model: HostModel, name: str) -> bool:
    """Whether `name` is a declared property or function of `obj`."""
    del obj
    return name in model.properties or name in model.functions


def host_keys(obj: Any) -> list[str]:
    """The data properties `for`-`in` and `Object.keys` list for a host object
    (none for any other Python object)."""
    model = host_model(type(obj))
    return list(model.keys) if model is not None else []


def host_items(obj: Any) -> list[tuple[str, Any]]:
    """The declared data properties of a host object that are set, with their
    values as scripts read them (what `JSON.stringify` and `uneval` write)."""
    model = host_model(type(obj))
    if model is None:
        return []
    items = ((name, host_get(obj, model, name)) for name in model.keys)
    return [(name, value) for name, value in items if value is not undefined]


# -- functions -------------------------------------------------------------------------


class HostFunction(JSFunction):
    """A declared method of a host object, read as a value
    (`var get = _genesys.session.getListItemValue`): called, it calls the
    method with the JavaScript arguments and gives its result through `to_js`."""

    __slots__ = ()

    def __init__(self, obj: Any, name: str) -> None:
        method = getattr(obj, name)
        self.impl = lambda this, *args: _result(method(*args))
        self.name = name
        self.prototype = None
        self.props = None


def call_host(obj: Any, name: str, args: tuple[Any, ...]) -> Any:
    """`obj.name(args)` for a declared function `name` of host object `obj`."""
    return _result(getattr(obj, name)(*args))


def _result(value: Any) -> Any:
    """A host function's result as scripts see it (None is undefined)."""
    return undefined if value is None else to_js(value, None, True)


# -- converting platform values ----------------------------------------------------------

_AS_IS: Final = frozenset({str, int, float, bool})
_JS_KINDS: Final = (JSObject, JSArray, JSFunction, JSBuiltinObject, Intrinsic)


def to_js(value: Any, copies: dict[int, Any] | None = None, clone: bool = False) -> Any:
    """`value`, from the platform, as a JavaScript value (see the module
    docstring): platform containers are copied, deeply (`copies` maps the ones
    copied so far, by id, so shared and cyclic data stay so). With `clone`,
    JavaScript objects and arrays are copied too (`event_data`)."""
    kind = type(value)
    if kind in _AS_IS or value is None or value is undefined:
        return value
    if kind is dict or kind is list:  # plain platform data
        return _container(value, {} if copies is None else copies, clone)
    if clone and isinstance(value, (JSObject, JSArray, JSFunction)):
        return _clone(value, {} if copies is None else copies)
    if isinstance(value, _JS_KINDS) or host_model(kind) is not None:
        return value
    if isinstance(value, (str, int, float)):  # a subclass: an enum member, ...
        return _primitive(value)
    if isinstance(value, dict) and hasattr(kind, "js_property"):
        return value  # a platform mapping of host objects (the interactions)
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return _container(value, {} if copies is None else copies, clone)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if is_element(value):
        return value
    return undefined


def _primitive(value: str | int | float) -> str | int | float:
    """A subclass of str, int or float as the plain value (bool stays bool)."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__index__(value)
    return float.__float__(value)


def _container(value: Any, copies: dict[int, Any], clone: bool) -> Any:
    """A copy of a platform dict (a `JSObject`) or list, tuple or set (a
    `JSArray`), its members converted."""
    made = copies.get(id(value))
    if made is not None:
        return made
    if isinstance(value, dict):
        if all(type(key) is str for key in value) and _flat(value.values()):
            return JSObject(value)  # the common case: one level of plain values
        made = copies[id(value)] = JSObject()
        for key, item in value.items():
            made[_key(key)] = to_js(item, copies, clone)
        return made
    made = copies[id(value)] = JSArray()
    made.extend(to_js(item, copies, clone) for item in value)
    return made


def _flat(items: Any) -> bool:
    """Whether all `items` are strings, numbers, booleans or null."""
    return all(type(item) in _AS_IS or item is None for item in items)


def event_data(data: Any) -> Any:
    """`_event.data` as the session taking the event reads it: a copy, also of
    the JavaScript objects another session (or this one) sent, so sessions
    share no object. The copy holds data only, as a structured clone does:
    own enumerable data properties and elements, no prototype, getters or
    functions (a function stays with the session that made it)."""
    return to_js(data, None, True)


def _clone(value: Any, copies: dict[int, Any]) -> Any:
    """The data of a JavaScript object or array (undefined for a function)."""
    if isinstance(value, JSFunction):
        return undefined
    made = copies.get(id(value))
    if made is not None:
        return made
    if isinstance(value, JSArray):
        made = copies[id(value)] = JSArray()
        made.extend(to_js(item, copies, True) for item in value)
        return made
    made = copies[id(value)] = JSObject()
    for key, stored in dict.items(value):
        if type(stored) is Accessor or not enumerable(stored):
            continue
        item = stored_value(stored, value)
        if not isinstance(item, JSFunction):  # left out, as JSON leaves it out
            made[key] = to_js(item, copies, True)
    return made


def _key(key: Any) -> str:
    """A platform dict's key as a property name."""
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, (int, float, bool)) or key is None:
        return property_key(key)
    return to_string(to_js(key))


# -- XML content ---------------------------------------------------------------------------


def is_element(value: Any) -> bool:
    """Whether `value` is XML content (an ElementTree element)."""
    return isinstance(value, ElementTree.Element)


def element_get(element: ElementTree.Element, name: str) -> Any:
    """A little DOM on an ElementTree element; undefined for other names."""
    if name == "getElementsByTagName":
        return JSFunction(
            lambda this, tag=undefined, *_: JSArray(
                e for e in element.iter(to_string(tag)) if e is not element
            ),
            name,
        )
    if name == "getAttribute":
        return JSFunction(
            lambda this, attribute=undefined, *_: element.get(to_string(attribute)),
            name,
        )
    if name in ("tagName", "nodeName"):
        return element.tag if isinstance(element.tag, str) else undefined
    if name == "textContent":
        return "".join(element.itertext())
    return undefined
