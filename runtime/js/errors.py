"""`Error` and its kinds (`TypeError`, `RangeError`, ...) for compiled ECMAScript,
and what `catch (e)` binds.

An error object is a `JSObject` with a `message` of its own, inheriting `name`,
`message` ("") and `toString` ("TypeError: message") from its kind's prototype,
whose prototype is `Error.prototype`. `e instanceof Error` holds for every kind.

The runtime raises `JSError("TypeError: ...")` for the faults it finds; `catch`
binds an error object of that kind with that message, so `e.name` and
`e.message` read as in JavaScript. What a script throws (`JSThrow`) is bound
as it was thrown.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .values import JSError, JSObject, JSThrow, to_string, undefined
from .standard import OBJECT_PROTOTYPE, BuiltinFunction, methods
from .realm import Intrinsic

__all__ = ["ERROR_CONSTRUCTORS", "error_object", "thrown"]

KINDS: Final = (
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
)
"""The kinds of error besides `Error` itself."""


def _error_text(this: Any, *_: Any) -> str:
    """`Error.prototype.toString`: "name: message", or whichever is not empty."""
    from .access import get  # property access builds on the built-ins

    name, message = get(this, "name"), get(this, "message")
    name = "Error" if name is undefined else to_string(name)
    message = "" if message is undefined else to_string(message)
    if not name:
        return message
    return f"{name}: {message}" if message else name


def _this_any(this: Any, name: str) -> Any:
    return this


def _prototype(name: str, parent: Intrinsic) -> Intrinsic:
    own: dict[str, Any] = {"name": name, "message": ""}
    if name == "Error":
        own.update(methods({"toString": _error_text}, _this_any))
    return Intrinsic(f"{name}.prototype", own, parent, True)


ERROR_PROTOTYPE: Final = _prototype("Error", OBJECT_PROTOTYPE)
PROTOTYPES: Final[dict[str, Intrinsic]] = {
    "Error": ERROR_PROTOTYPE,
    **{kind: _prototype(kind, ERROR_PROTOTYPE) for kind in KINDS},
}


def error_object(kind: str, message: Any = undefined) -> JSObject:
    """A new error of `kind` ("TypeError", ...) with `message` (none if undefined)."""
    error = JSObject(proto=PROTOTYPES[kind])
    if message is not undefined:
        error["message"] = to_string(message)
    return error


def _constructor(kind: str) -> BuiltinFunction:
    def make(message: Any = undefined, *_: Any) -> JSObject:
        return error_object(kind, message)

    return BuiltinFunction(
        lambda this, *args: make(*args), kind, make, PROTOTYPES[kind]
    )


ERROR_CONSTRUCTORS: Final[dict[str, BuiltinFunction]] = {
    kind: _constructor(kind) for kind in PROTOTYPES
}
"""`Error`, `TypeError`, ...: called with or without `new`, a new error."""

_MESSAGE: Final = re.compile(r"(\w+Error): (.*)", re.DOTALL)


def thrown(error: BaseException) -> Any:
    """What `catch (e)` binds: the value a script threw, or an error object for
    a fault of the runtime (its kind from the message, "TypeError: ...") or of
    the platform (named after the Python exception)."""
    if isinstance(error, JSThrow):
        return error.value
    message = str(error)
    if isinstance(error, JSError):
        found = _MESSAGE.fullmatch(message)
        if found is not None and found.group(1) in PROTOTYPES:
            return error_object(found.group(1), found.group(2))
        return error_object("Error", message)
    made = error_object("Error", message)
    made["name"] = type(error).__name__
    return made
