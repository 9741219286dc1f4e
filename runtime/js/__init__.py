"""scxmlc.runtime.js: JavaScript semantics for code compiled from the ECMAScript
datamodel, the one name generated modules import (`js.get(obj, key, self)`).

The compiler translates ECMAScript to Python at build time; what JavaScript means
by `+`, `==`, truthiness, property access and `typeof` lives in this package, as
small functions the generated code calls:

- `values`: the values (`undefined`, `JSObject`, `JSArray`, `JSFunction`, ...),
  conversions and operators, and the document's global names (`free_name`,
  `shadowed`, ...);
- `access`: property access, calls, `new`, ToPrimitive;
- `standard`: the standard built-in objects and global functions (`GLOBALS`),
  assembled from `arrays`, `strings`, `objects`, `errors`, `regexp`, `date`
  (with `date_text`), `json`, `uri` and `number`;
- `realm`: what a session's scripts change of the built-ins;
- `session`: ORS's built-in functions and `eval`, bound to a session;
- `capture`: how snapshots save and load JavaScript values (registered on import).

The core of the runtime imports nothing of this package; only modules compiled
from ECMAScript documents do.
"""

from __future__ import annotations

from .values import (
    absent,
    Accessor,
    AccessorObject,
    arithmetic,
    bitwise,
    declare,
    free_name,
    free_type,
    from_json_text,
    FrozenArray,
    JSArray,
    JSBuiltinObject,
    JSError,
    JSFunction,
    JSObject,
    JSThrow,
    JSValue,
    loose_eq,
    negate,
    Property,
    PropertyArray,
    set_field,
    shadowed,
    store_item,
    store_shadowed,
    strict_eq,
    to_integer,
    to_number,
    to_string,
    truthy,
    typeof,
    undefined,
)
from .operators import add, add_all, ge, gt, le, lt
from .record import Record
from .access import call
from .access import call_method
from .access import construct
from .access import delete
from .access import get
from .access import has
from .access import in_scope
from .access import instanceof
from .access import iterate_keys
from .access import path
from .access import put
from .access import to_primitive
from .access import with_object
from .standard import GLOBALS
from .errors import thrown
from .date import date_constructor
from .realm import Realm
from .regexp import regex
from .session import session_function
from . import capture  # noqa: F401 - registers how snapshots save JavaScript values

__all__ = [
    "absent",
    "Accessor",
    "AccessorObject",
    "add",
    "add_all",
    "arithmetic",
    "bitwise",
    "call",
    "call_method",
    "construct",
    "date_constructor",
    "declare",
    "delete",
    "free_name",
    "free_type",
    "from_json_text",
    "FrozenArray",
    "ge",
    "get",
    "GLOBALS",
    "gt",
    "has",
    "in_scope",
    "instanceof",
    "iterate_keys",
    "JSArray",
    "JSBuiltinObject",
    "JSError",
    "JSFunction",
    "JSObject",
    "JSThrow",
    "JSValue",
    "le",
    "loose_eq",
    "lt",
    "negate",
    "Property",
    "PropertyArray",
    "path",
    "put",
    "Realm",
    "Record",
    "regex",
    "session_function",
    "set_field",
    "shadowed",
    "store_item",
    "store_shadowed",
    "strict_eq",
    "thrown",
    "to_integer",
    "to_number",
    "to_primitive",
    "to_string",
    "truthy",
    "typeof",
    "undefined",
    "with_object",
]
