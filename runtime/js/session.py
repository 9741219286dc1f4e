"""The ORS built-in functions of ECMAScript documents, bound to one session.

Genesys ORS gives every ECMAScript document a few global functions of its own,
which Composer's libraries call:

- `__Log(message, label, level)` writes a log line (the session's `<log>`);
- `__Raise(name, params)` raises an internal event whose data is `params`;
- `__GetDocumentURL()` is the URL of the running document;
- `__GetCurrentStates()` is an array of the active state ids, in document order.

`eval` is bound to the session too: besides JSON text it evaluates a name and
its properties (`eval('App_' + block + '.requestid')`, as Composer's
subroutines do), looked up as the document's code would look it up, in the
session's script globals, then `_data`, then the built-ins. Other code is an
EvalError: the runtime has no JavaScript interpreter, and a document's text
never becomes code it did not ask for.

A document that defines a function of the same name uses its own. Compiled
code reads one as `js.session_function(self, "__Log")`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from keyword import iskeyword
from typing import Any, Final

from .values import (
    JSArray,
    JSFunction,
    JSObject,
    absent,
    is_object,
    not_defined,
    to_string,
    undefined,
)
from .access import get
from .record import Record
from .standard import GLOBALS
from .json import json_eval

__all__ = ["SESSION_FUNCTIONS", "SessionBuiltin", "global_field", "session_function"]

_NAME: Final = r"[A-Za-z_$][\w$]*"
_PATH: Final = re.compile(
    rf"^\s*(?P<name>{_NAME})(?P<rest>(?:\s*\.\s*{_NAME}|\s*\[\s*(?:\d+|'[^'\\]*'|\"[^\"\\]*\")\s*\])*)\s*;?\s*$"
)
_STEP: Final = re.compile(
    rf"\.\s*(?P<name>{_NAME})|\[\s*(?:(?P<index>\d+)|'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\")\s*\]"
)


def global_field(name: str) -> str:
    """The Python field of script global `name` on a machine's `globals`
    object; no two names share one.

    A Python name that Python reads as written is kept. A keyword (`pass`)
    cannot follow a dot, a leading `__` would be mangled inside the machine
    class (Composer's `__Log`): those, and names that already start with
    `_js`, get the prefix `_js`. A name Python does not allow (`$`) or reads
    as another (`ﬁx` is `fix`, `𝔘` is `U`, by NFKC) is spelled out after
    `_jsx_`: ASCII letters and digits as they are, `_` as `__`, any other
    character as its code point in hex between underscores (`$a`: `_jsx__24_a`).
    """
    if name.isidentifier() and unicodedata.normalize("NFKC", name) == name:
        if name.startswith(("__", "_js")) or iskeyword(name):
            return "_js" + name
        return name
    return "_jsx_" + "".join(_spelled(character) for character in name)


def _spelled(character: str) -> str:
    """One character of a name `global_field` spells out."""
    if character.isascii() and character.isalnum():
        return character
    return "__" if character == "_" else f"_{ord(character):x}_"


def global_name(session: Any, name: str) -> Any:
    """What `name` reads in `session`'s global scope: a script global, else a
    `<data>` value, else a built-in; a ReferenceError if none has it."""
    variables = getattr(session, "globals", None)
    value = getattr(variables, global_field(name), absent) if variables else absent
    if value is not absent:
        return value
    data = getattr(session, "dm", None)
    if isinstance(data, (dict, Record)) and name in data:  # `_data`, or its record
        return data[name]
    if name in GLOBALS:
        return GLOBALS[name]
    return not_defined(name)


def _log(
    session: Any,
    this: Any,
    message: Any = undefined,
    label: Any = undefined,
    level: Any = undefined,
    *_: Any,
) -> Any:
    """`__Log(message, label, level)`: a log line labelled `label` (and `level`)."""
    del this
    parts = [
        to_string(p) for p in (label, level) if p is not undefined and p is not None
    ]
    session._log(" ".join(parts) or None, to_string(message))
    return undefined


def _raise(
    session: Any, this: Any, name: Any = undefined, params: Any = undefined, *_: Any
) -> Any:
    """`__Raise(name, params)`: an internal event named `name`, data `params`."""
    del this
    session._raise(to_string(name), params if is_object(params) else None)
    return undefined


def _document_url(session: Any, this: Any, *_: Any) -> Any:
    """`__GetDocumentURL()`: where the running document was loaded from."""
    del this
    return session.document_url


def _current_states(session: Any, this: Any, *_: Any) -> Any:
    """`__GetCurrentStates()`: the active state ids, in document order."""
    del this
    return JSArray(session.active_states())


def _eval(session: Any, this: Any, code: Any = undefined, *_: Any) -> Any:
    """`eval(code)`: JSON text, or a name and its properties (see the module
    docstring); a value that is not a string is returned as it is."""
    del this
    if not isinstance(code, str):
        return code
    path = _PATH.match(code)
    if path is None or path.group("name") in ("true", "false", "null"):
        return json_eval(code)
    value = global_name(session, path.group("name"))
    for step in _STEP.finditer(path.group("rest")):
        key: Any = next(v for v in step.groupdict().values() if v is not None)
        value = get(value, int(key) if step.group("index") else key, session)
    return value


SESSION_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "__Log": _log,
    "__Raise": _raise,
    "__GetDocumentURL": _document_url,
    "__GetCurrentStates": _current_states,
    "eval": _eval,
}
"""The ORS built-in functions: name -> implementation(session, this, *args)."""


class SessionBuiltin(JSFunction):
    """An ORS built-in function (`__Log`, `eval`, ...) read as a value: bound to
    `session`, which it keeps (so that a snapshot can name it)."""

    __slots__ = ("session",)

    def __init__(self, session: Any, name: str) -> None:
        implementation = SESSION_FUNCTIONS[name]

        def bound(this: Any, *args: Any) -> Any:
            return implementation(session, this, *args)

        self.impl = bound
        self.name = name
        self.prototype = JSObject()
        self.props = None
        self.session = session


def session_function(session: Any, name: str) -> JSFunction:
    """The ORS built-in function `name` as a function object bound to `session`."""
    return SessionBuiltin(session, name)
