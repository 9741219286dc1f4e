"""The ORS built-in functions of ECMAScript documents, bound to one session.

Genesys ORS gives every ECMAScript document a few global functions of its own,
which Composer's libraries call:

- `__Log(message, label, level)` writes a log line (the session's `<log>`);
- `__Raise(name, params)` raises an internal event whose data is `params`;
- `__GetDocumentURL()` is the URL of the running document;
- `__GetCurrentStates()` is an array of the active state ids, in document order.

A document that defines a function of the same name uses its own. Compiled
code reads one as `js.session_function(self, "__Log")`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .js import JSArray, JSFunction, is_object, to_string, undefined

__all__ = ["SESSION_FUNCTIONS", "session_function"]


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


SESSION_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "__Log": _log,
    "__Raise": _raise,
    "__GetDocumentURL": _document_url,
    "__GetCurrentStates": _current_states,
}
"""The ORS built-in functions: name -> implementation(session, this, *args)."""


def session_function(session: Any, name: str) -> JSFunction:
    """The ORS built-in function `name` as a function object bound to `session`."""
    implementation = SESSION_FUNCTIONS[name]

    def bound(this: Any, *args: Any) -> Any:
        return implementation(session, this, *args)

    return JSFunction(bound, name)
