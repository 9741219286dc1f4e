"""Snapshots of ECMAScript sessions: how JavaScript values are saved and loaded.

The session's snapshot (`runtime/capture.py`) saves the datamodel of an
ECMAScript document, `dm` (the `_data` object), `globals` (the script
globals) and `_realm` (what the session changed of the built-ins), with the
snapshot format of `runtime/snapshot.py`. This module tells the format how
to save every JavaScript value, registering its handlers when the package is
imported:

- **By value**, keeping shared references and cycles: objects (`JSObject`
  and the classes of objects with attributes, non-extensible, sealed or
  frozen), property descriptors (`Property`, `Accessor`), arrays (with their
  named properties; frozen ones), dates, regular expressions (source, flags,
  `lastIndex`), the realm. (XML content is the core's: `runtime/capture.py`.)
- **By reference**: `undefined` (and `absent`), the built-in objects
  (`Array.prototype`, `Math`) and built-in functions (`Math.max`,
  `Array.prototype.push`, `Object.defineProperty`), by their path from the
  global names; the session itself (`In` read as a value, the ORS built-ins
  `__Log`, ... read as values). The session's `Date` loads as the restored
  session's own, on its clock, with what scripts assigned to it.
- **Functions of the document** by the Python function they compiled to: a
  function written outside any other (a method of the machine class, bound
  to the session) by its name; one written inside another (a closure) by its
  code, found in the method it was written in, with its closure cells and
  the `catch` and `with` objects it kept, by value, so that functions sharing
  variables still share them after a restore. Their properties
  (`prototype`, what scripts assigned) are saved with them; so are the
  target, `this` and arguments of a bound function (`f.bind(...)`).

What has no faithful capture is refused with a `SnapshotError` naming it: a
function of a platform object read as a value
(`_genesys.session.getListItemValue`), the DOM functions of XML content,
another session's functions, platform objects themselves (`_genesys` and its
module objects). A function keeps the code of the document it was compiled
from: restored into a class compiled from another version of the document,
a closure whose code changed is a `RestoreError`.
"""

from __future__ import annotations

import hashlib
from collections import deque
import re
import sys
from pathlib import Path
from types import BuiltinMethodType, CellType, CodeType, FunctionType, MethodType
from typing import Any, Final

from ..capture import loading_fingerprint
from ..machine import Machine
from ..snapshot import (
    LoadContext,
    RestoreError,
    SaveContext,
    SnapshotError,
    allow,
    register_persistent,
    register_reducer,
)
from .date import HOST_DATE, DateConstructor, JSDate, date_constructor
from .host import HostFunction
from .realm import Intrinsic, Realm
from .regexp import JSRegExp
from .session import SESSION_FUNCTIONS, SessionBuiltin
from .standard import (
    GLOBALS,
    NULL_PROTOTYPE,
    BoundFunction,
    BuiltinFunction,
    SessionFunction,
)
from .values import (
    Accessor,
    AccessorObject,
    FrozenArray,
    FrozenObject,
    JSArray,
    JSFunction,
    JSObject,
    NonExtensibleObject,
    Property,
    PropertyArray,
    SealedObject,
    _Absent,
    _Undefined,
    absent,
    undefined,
)

__all__ = ["builtin_paths"]

for _kind in (
    JSObject,
    AccessorObject,
    NonExtensibleObject,
    SealedObject,
    FrozenObject,
    Accessor,
    Property,
    JSArray,
    PropertyArray,
    JSDate,
    Realm,
):
    allow(_kind)


# -- singletons ----------------------------------------------------------------------

register_persistent(
    "js.undefined", (_Undefined,), lambda value, context: None, lambda p, c: undefined
)
register_persistent(
    "js.absent", (_Absent,), lambda value, context: None, lambda p, c: absent
)


# -- built-in objects and functions, by their path -------------------------------------

_TABLES: list[tuple[dict[int, str], dict[str, Any]]] = []
"""Once made: the built-in objects and functions by id (their path), and by path."""


def _builtin_tables() -> tuple[dict[int, str], dict[str, Any]]:
    """Every built-in object and function by its path from the global names
    (`Math.max`, `Array.prototype.push`, `TypeError.prototype`), the first
    path met, global names in order, then own properties, then prototypes;
    made once, on the first snapshot."""
    if _TABLES:
        return _TABLES[0]
    paths: dict[int, str] = {}
    by_path: dict[str, Any] = {}
    queue: deque[tuple[str, Any]] = deque(GLOBALS.items())
    queue.append(("(null prototype)", NULL_PROTOTYPE))
    while queue:
        path, value = queue.popleft()
        if not isinstance(value, (Intrinsic, JSFunction)) or id(value) in paths:
            continue
        paths[id(value)] = path
        by_path[path] = value
        if isinstance(value, Intrinsic):
            queue.extend((f"{path}.{k}", v) for k, v in value.own.items())
            queue.append((f"{path}.(prototype)", value.parent))
        else:
            queue.extend((f"{path}.{k}", v) for k, v in (value.props or {}).items())
            queue.append((f"{path}.prototype", value.prototype))
    _TABLES.append((paths, by_path))
    return _TABLES[0]


def builtin_paths() -> dict[str, Any]:
    """The built-in objects and functions a snapshot names, by path."""
    return _builtin_tables()[1]


def _save_builtin(value: Any, context: SaveContext) -> Any:
    path = _builtin_tables()[0].get(id(value))
    if path is not None:
        return path
    date = _session_date(context.machine)
    if date is not None and isinstance(value, BuiltinFunction):
        for name, item in (date.props or {}).items():
            if item is value:
                return ("Date", name)
    raise SnapshotError(
        f"cannot capture the built-in {getattr(value, 'name', value)!r}: "
        "it is not one of the runtime's shared built-ins"
    )


def _load_builtin(payload: Any, context: LoadContext) -> Any:
    if isinstance(payload, tuple) and len(payload) == 2 and payload[0] == "Date":
        return _restored_date(context).props[payload[1]]  # type: ignore[index]
    found = builtin_paths().get(payload)
    if found is None:
        raise RestoreError(f"the snapshot names an unknown built-in {payload!r}")
    return found


register_persistent(
    "js.builtin",
    (Intrinsic, BuiltinFunction, SessionFunction),
    _save_builtin,
    _load_builtin,
)


def _session_date(machine: Any) -> DateConstructor | None:
    realm = getattr(machine, "_realm", None)
    return realm.date if isinstance(realm, Realm) else None


def _restored_date(context: LoadContext) -> DateConstructor:
    return _date_of(context.machine or context.memo.get("machine"))


def _reduce_date(value: DateConstructor, context: SaveContext) -> Any:
    """`Date`: the host's by reference; the session's as the restored
    session's own (on its clock), with what scripts assigned to it."""
    if value is HOST_DATE:
        return (_host_date, ())
    if value is _session_date(context.machine):
        return (_date_of, (context.machine,), (None, {"props": value.props}))
    raise SnapshotError("cannot capture the Date of another session")


def _check_session(machine: Any) -> None:
    if not isinstance(machine, Machine):
        raise SnapshotError("a snapshot's session must be a session")


@allow
def _host_date() -> DateConstructor:
    return HOST_DATE


@allow
def _date_of(machine: Any) -> DateConstructor:
    """The `Date` of the session being restored, made on its clock."""
    _check_session(machine)
    if not hasattr(machine, "_realm"):
        machine._realm = None
    return date_constructor(machine)


register_reducer((DateConstructor,), _reduce_date)


def _refuse_host_function(value: Any, context: SaveContext) -> Any:
    raise SnapshotError(
        f"cannot capture the function {value.name!r} of a platform object, read "
        "as a value: call it where it is needed instead of keeping it"
    )


register_persistent(
    "js.host_function", (HostFunction,), _refuse_host_function, lambda p, c: None
)


# -- functions of the document ------------------------------------------------------


def _function_state(function: JSFunction) -> tuple[None, dict[str, Any]]:
    return (None, {"prototype": function.prototype, "props": function.props})


def _function_name(function: JSFunction) -> str:
    return f"function {function.name or '(anonymous)'}"


def _reduce_function(function: JSFunction, context: SaveContext) -> Any:
    impl = function.impl
    state = _function_state(function)
    if type(impl) is MethodType:
        digest = _digest(impl.__func__.__code__)
        return (_method_function, (impl, function.name, digest), state)
    if type(impl) is BuiltinMethodType and isinstance(impl.__self__, Machine):
        if not _compiled_session_method(impl, context.machine):
            raise _foreign_method(impl.__self__, impl.__name__)
        code = _source_code(impl)
        checked = _digest(code) if code is not None else None
        return (_method_function, (impl, function.name, checked), state)
    if _compiled_closure(impl, context.machine):
        raise SnapshotError(
            f"cannot capture {_function_name(function)}: it was written inside "
            "another function of a document compiled natively (mypyc), and "
            "such a function has no code a snapshot can name; load the "
            "document without native=True to capture it"
        )
    if type(impl) is FunctionType:
        outer = _outer_function(impl, context.machine)
        if outer is not None:
            arguments = (
                outer,
                impl.__qualname__,
                tuple(zip(impl.__code__.co_freevars, impl.__closure__ or ())),
                impl.__defaults__,
                impl.__kwdefaults__,
                function.name,
                _digest(impl.__code__),
            )
            return (_nested_function, arguments, state)
    raise SnapshotError(
        f"cannot capture {_function_name(function)}: it is not a function of "
        "the document's scripts or a built-in"
    )


def _compiled_session_method(impl: Any, machine: Any) -> bool:
    """Whether `impl` is a method a function of the document's scripts
    compiled to, of `machine`'s class compiled natively (a bound built-in
    method: a native class's methods are no Python functions)."""
    return (
        type(impl) is BuiltinMethodType
        and getattr(impl, "__self__", None) is machine
        and impl.__name__.startswith("_js_")
        and impl == getattr(machine, impl.__name__, None)
    )


_SOURCE_CODES: Final[dict[tuple[str, str], CodeType | None]] = {}
"""The code of native modules' methods compiled again from their source, by
module name (the module's key: a changed document is another module) and
method qualname."""


def _source_code(method: Any) -> CodeType | None:
    """The code a native module's method (a bound built-in method) was
    compiled from, compiled again from the module's source file: the code a
    pure module of the same source runs, whose digest a snapshot keeps. None
    where the source file is not found (it lies beside the extension, for
    `scxmlc compile --native`; in the cache, for `scxmlc.load`)."""
    owner, name = method.__self__, method.__name__
    cls = next((k for k in type(owner).__mro__ if name in k.__dict__), None)
    module = sys.modules.get(cls.__module__) if cls is not None else None
    if cls is None or module is None:
        return None
    key = (module.__name__, f"{cls.__qualname__}.{name}")
    if key not in _SOURCE_CODES:
        _SOURCE_CODES[key] = _compile_method(module, cls, key[1])
    return _SOURCE_CODES[key]


def _compile_method(module: Any, cls: type, qualname: str) -> CodeType | None:
    """Method `qualname` of class `cls`, compiled from `module`'s source file:
    the file of the same name beside the extension, or the loader's (in the
    cache, which holds `native/<runtime>/modules/`); it must define the class
    with the class's fingerprint."""
    extension = Path(getattr(module, "__file__", None) or ".")
    stem = module.__name__.rpartition(".")[2]
    marker = f'_fingerprint = "{getattr(cls, "_fingerprint", "")}"'
    for folder in (extension.parent, *list(extension.parents)[3:4]):
        try:
            text = (folder / f"{stem}.py").read_text(encoding="utf-8")
        except (OSError, ValueError):
            continue
        if f"class {cls.__name__}(" not in text or marker not in text:
            continue
        try:
            code = compile(text, str(folder / f"{stem}.py"), "exec")
        except SyntaxError:
            return None
        found = [code]
        while found:
            current = found.pop()
            if current.co_qualname == qualname:
                return current
            found.extend(c for c in current.co_consts if isinstance(c, CodeType))
        return None
    return None


def _compiled_closure(impl: Any, machine: Any) -> bool:
    """Whether `impl` is a function written inside another in `machine`'s
    generated module compiled natively: mypyc makes it an object of a class
    of that module holding its variables in `__mypyc_env__`."""
    kind = type(impl)
    return kind.__module__ == type(machine).__module__ and hasattr(
        impl, "__mypyc_env__"
    )


def _outer_function(impl: FunctionType, machine: Any) -> FunctionType | None:
    """The function of the machine's module that `impl` was defined in (a
    method of a machine class), if `impl`'s code is found there."""
    module_name = type(machine).__module__
    if impl.__module__ != module_name:
        return None
    head = impl.__qualname__.split(".<locals>.")[0]
    found: Any = sys.modules.get(module_name)
    for part in head.split("."):
        found = getattr(found, part, None)
    if type(found) is not FunctionType or found is impl:
        return None
    if _code_of(found, impl.__qualname__) is not impl.__code__:
        return None
    return found


_CODES: Final[dict[tuple[int, str], tuple[CodeType, CodeType | None]]] = {}
"""Found codes by the id of the outer code (kept, to check it is that one):
equal code objects of two modules compiled from the same text are not the
same, and a function's code must be its own module's."""


def _code_of(outer: FunctionType, qualname: str) -> CodeType | None:
    """The code object named `qualname` nested in function `outer` (cached)."""
    outer_code = outer.__code__
    cached = _CODES.get((id(outer_code), qualname))
    if cached is not None and cached[0] is outer_code:
        return cached[1]
    found = None
    stack = [outer_code]
    while stack:
        code = stack.pop()
        if code.co_qualname == qualname and code is not outer_code:
            found = code
            break
        stack.extend(c for c in code.co_consts if isinstance(c, CodeType))
    _CODES[(id(outer_code), qualname)] = (outer_code, found)
    return found


_DIGESTS: Final[dict[CodeType, str]] = {}


def _digest(code: CodeType) -> str:
    """What a function's code does, apart from where it stands in the module:
    its instructions, names and constants, and those of its inner functions."""
    found = _DIGESTS.get(code)
    if found is None:
        digest = hashlib.sha256()
        stack = [code]
        while stack:
            current = stack.pop()
            digest.update(current.co_code)
            names = (current.co_names, current.co_varnames, current.co_freevars)
            digest.update(repr(names).encode())
            for constant in current.co_consts:
                if isinstance(constant, CodeType):
                    stack.append(constant)
                else:
                    digest.update(repr(constant).encode())
        found = _DIGESTS[code] = digest.hexdigest()[:16]
    return found


_ORDINAL: Final = re.compile(r"_js_anonymous(_\d+)?|.*_\d+")
"""Compiled names given by order: anonymous functions, and the later ones of
functions that share a name."""


def _check_version(
    code: CodeType | None, name: str, digest: Any, fingerprint: str | None = None
) -> None:
    """A function of the snapshot found in the restoring class by a name
    given by order must do what it did: after an edit of the document the
    same name may be another function. (One found by its own name may have
    changed: that is an edit of the function.)

    A method of a native module has no code of its own: `_source_code`
    compiles it again from the module's source. Where that file is missing
    (`code` None, or `digest` None in a snapshot taken there), the function
    counts as the snapshot's only when the snapshot is of the restoring
    class's document version (`fingerprint`, the restoring class's, equals
    `capture.loading_fingerprint()`), and is refused in a migration."""
    if not _ORDINAL.fullmatch(name):
        return
    if code is not None and digest is not None:
        if digest == _digest(code):
            return
    elif fingerprint is not None and fingerprint == loading_fingerprint():
        return
    raise RestoreError(
        f"the document's function {name} is not the one the snapshot holds: "
        "it was compiled from another version (name the function to keep "
        "it across versions)"
    )


@allow
def _method_function(impl: Any, name: str, digest: Any = None) -> JSFunction:
    """A function written outside any other: its method, bound to the session
    (a Python method, or the built-in method of a native module's class)."""
    owner = getattr(impl, "__self__", None)
    if not isinstance(owner, Machine):
        raise SnapshotError("a snapshot's function must be a method of its session")
    if type(impl) is MethodType:
        code: CodeType | None = impl.__func__.__code__
    elif type(impl) is BuiltinMethodType:
        code = _source_code(impl)
    else:
        raise SnapshotError("a snapshot's function must be a method of its session")
    _check_version(code, impl.__name__, digest, type(owner)._fingerprint)
    return JSFunction(impl, name)


@allow
def _nested_function(
    outer: Any,
    qualname: str,
    closure: tuple[tuple[str, Any], ...],
    defaults: Any,
    kwdefaults: Any,
    name: str,
    digest: Any = None,
) -> JSFunction:
    """A function written inside another: its code, found in `outer` (a
    function of the generated module), with `closure` (its variables' names
    and cells, which must be those the code closes over)."""
    module = sys.modules.get(getattr(outer, "__module__", ""))
    if type(outer) is not FunctionType or not hasattr(module, "SCXMLC_SOURCE"):
        raise SnapshotError("a snapshot's function must be the document's")
    code = _code_of(outer, qualname)
    if code is None or code.co_freevars != tuple(n for n, _ in closure):
        raise RestoreError(
            f"the document has no function {qualname} closing over the "
            "snapshot's variables: it was compiled from another version"
        )
    _check_version(code, code.co_name, digest)
    cells = tuple(cell for _, cell in closure)
    if any(type(cell) is not CellType for cell in cells):
        raise SnapshotError("a snapshot's closure must be cells")
    impl = FunctionType(code, outer.__globals__, code.co_name, defaults, cells)
    impl.__kwdefaults__ = kwdefaults
    return JSFunction(impl, name)


def _reduce_method(method: MethodType, context: SaveContext) -> Any:
    """A method of the session: `In` read as a value, or the method a
    function of the document's scripts compiled to."""
    owner, name = method.__self__, method.__name__
    if (
        owner is context.machine
        and _session_method_name(name)
        and getattr(type(owner), name, None) is method.__func__
    ):
        return (_session_method, (owner, name))
    raise _foreign_method(owner, name)


def _reduce_compiled_method(method: BuiltinMethodType, context: SaveContext) -> Any:
    """A method of a compiled class: the session's `In` read as a value where
    the runtime is compiled (`Machine.In` is then no Python function), or the
    method a function of the document's scripts compiled to in a native
    module; other built-ins (those not bound to a session) go by their name."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, Machine):
        return NotImplemented
    name = method.__name__
    if owner is context.machine and _session_method_name(name):
        if method == getattr(owner, name, None):
            return (_session_method, (owner, name))
    raise _foreign_method(owner, name)


def _foreign_method(owner: Any, name: str) -> SnapshotError:
    return SnapshotError(
        f"cannot capture the method {name!r} of {type(owner).__name__}: only "
        "the session's own functions and `In` are captured"
    )


def _session_method_name(name: str) -> bool:
    return name == "In" or name.startswith("_js_")


@allow
def _session_method(owner: Any, name: str) -> Any:
    _check_session(owner)
    if not _session_method_name(name):
        raise SnapshotError(f"a snapshot may not name the method {name!r}")
    return getattr(owner, name)


def _reduce_cell(cell: Any, context: SaveContext) -> Any:
    try:
        contents = cell.cell_contents
    except ValueError:  # a variable not bound yet
        return (_cell, ())
    return (_cell, (), (contents,), None, None, _fill_cell)


@allow
def _cell() -> Any:
    return CellType()


@allow
def _fill_cell(cell: Any, state: tuple[Any]) -> None:
    if type(cell) is not CellType:
        raise SnapshotError("a snapshot may fill only closure cells")
    cell.cell_contents = state[0]


def _reduce_bound(function: BoundFunction, context: SaveContext) -> Any:
    arguments = (function.target, function.bound_this, function.bound_args)
    return (_bound_function, arguments, _function_state(function))


@allow
def _bound_function(target: Any, this: Any, args: tuple[Any, ...]) -> BoundFunction:
    return BoundFunction(target, this, tuple(args))


def _reduce_session_builtin(function: SessionBuiltin, context: SaveContext) -> Any:
    if function.session is not context.machine:
        raise SnapshotError(
            f"cannot capture {function.name!r} of another session, read as a value"
        )
    return (
        _session_builtin,
        (function.session, function.name),
        _function_state(function),
    )


@allow
def _session_builtin(session: Any, name: str) -> SessionBuiltin:
    _check_session(session)
    if name not in SESSION_FUNCTIONS:
        raise SnapshotError(f"a snapshot names an unknown ORS built-in {name!r}")
    return SessionBuiltin(session, name)


register_reducer((JSFunction,), _reduce_function)
register_reducer((BoundFunction,), _reduce_bound)
register_reducer((SessionBuiltin,), _reduce_session_builtin)
register_reducer((MethodType,), _reduce_method)
register_reducer((BuiltinMethodType,), _reduce_compiled_method)
register_reducer((CellType,), _reduce_cell)


# -- values with state the format cannot read -----------------------------------------


def _reduce_frozen_array(array: FrozenArray, context: SaveContext) -> Any:
    state = (list(array), getattr(array, "props", {}))
    return (_frozen_array, (), state, None, None, _fill_frozen_array)


@allow
def _frozen_array() -> FrozenArray:
    return FrozenArray()


@allow
def _fill_frozen_array(array: Any, state: tuple[list[Any], dict[str, Any]]) -> None:
    if type(array) is not FrozenArray:
        raise SnapshotError("a snapshot may fill only frozen arrays")
    items, props = state
    list.extend(array, items)
    array.props = dict(props)


def _reduce_regexp(pattern: JSRegExp, context: SaveContext) -> Any:
    state = (None, {"last_index": pattern.last_index})
    return (_regexp, (pattern.source, pattern.flags), state)


@allow
def _regexp(source: str, flags: str) -> JSRegExp:
    return JSRegExp(str(source), str(flags))


register_reducer((FrozenArray,), _reduce_frozen_array)
register_reducer((JSRegExp,), _reduce_regexp)
