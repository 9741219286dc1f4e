"""Snapshots: session state as bytes, and back, without naming arbitrary code.

A snapshot is a pickle (protocol 5), so shared and cyclic references, queues
and the values of either datamodel keep their shape, at the speed of the C
pickler. Two things set it apart from a plain pickle:

- **Nothing is found by import.** Loading resolves a global (a class, a
  reconstructor function) only if it was allowed (`allow`), or if it lives in
  the generated module of the machine class being restored (the document is
  code its author wrote; `LoadContext.module`). A snapshot that names
  `os.system` is a `SnapshotError`, not a call.
- **What has no value is saved by reference.** Singletons (`undefined`),
  functions of generated code, host objects of the platform: a part of the
  runtime registers a *persistent* handler for their types
  (`register_persistent`): `save(obj, context)` gives a small picklable
  payload, `load(payload, context)` gives the object back in the restoring
  process. Anything that is neither plain data, nor allowed, nor registered
  is refused when the snapshot is taken (`SnapshotError` naming its type),
  never silently dropped.

`dumps(obj, context)` and `loads(data, context)` are what the machine's
`snapshot()` and `restore()` use; the contexts carry what handlers need (the
machine being saved; the class and clock being restored into).
"""

from __future__ import annotations

import collections
import io
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any, Final, TypeVar

__all__ = [
    "FORMAT",
    "LoadContext",
    "RestoreError",
    "SaveContext",
    "SnapshotError",
    "allow",
    "dumps",
    "loads",
    "register_persistent",
]

FORMAT: Final = 1
"""The version of the snapshot layout this runtime writes and reads."""

PROTOCOL: Final = 5

T = TypeVar("T")


class SnapshotError(Exception):
    """What cannot be captured, or a snapshot that may not be loaded; the
    message says what and, where it can, where."""


class RestoreError(SnapshotError):
    """A snapshot that does not fit what it is restored into (another
    document version, another format)."""


@dataclass
class SaveContext:
    """What persistent handlers may consult while a snapshot is taken:
    the machine being saved (the root session), and anything a handler keeps
    for the rest of the dump (`memo`)."""

    machine: Any
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadContext:
    """What persistent handlers may consult while a snapshot is loaded: the
    machine class restored into, its generated module, the clock of the new
    session, and `memo` for the rest of the load."""

    machine_class: type
    module: ModuleType | None
    clock: Any = None
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Persistent:
    kind: str
    save: Callable[[Any, SaveContext], Any]
    load: Callable[[Any, LoadContext], Any]


_ALLOWED: dict[tuple[str, str], Any] = {}
_BY_TYPE: dict[type, _Persistent] = {}
_BY_KIND: dict[str, _Persistent] = {}


def allow(obj: T) -> T:
    """Let snapshots name `obj` (a class or function of the runtime) as a
    global; usable as a decorator. Returns `obj`."""
    _ALLOWED[(obj.__module__, obj.__qualname__)] = obj  # type: ignore[attr-defined]
    return obj


def register_persistent(
    kind: str,
    types: tuple[type, ...],
    save: Callable[[Any, SaveContext], Any],
    load: Callable[[Any, LoadContext], Any],
) -> None:
    """Save instances of exactly `types` by reference: `save(obj, context)`
    returns a picklable payload (plain data), `load(payload, context)` the
    object in the restoring process. `kind` names the handler in snapshots;
    it must not change once snapshots exist."""
    if kind in _BY_KIND and _BY_KIND[kind].save is not save:
        raise ValueError(f"persistent kind {kind!r} is registered already")
    handler = _Persistent(kind, save, load)
    _BY_KIND[kind] = handler
    for cls in types:
        _BY_TYPE[cls] = handler


for _builtin in (collections.deque, complex, set, frozenset, bytearray, range, slice):
    allow(_builtin)


_PLAIN: Final = frozenset(
    {type(None), bool, int, float, complex, str, bytes, bytearray, tuple, list}
    | {dict, set, frozenset, range, slice}
)
"""Types pickle writes by value, with no global a load would resolve."""


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, context: SaveContext) -> None:
        super().__init__(file, protocol=PROTOCOL)
        self.context = context
        self.module = type(context.machine).__module__

    def persistent_id(self, obj: Any) -> Any:
        handler = _BY_TYPE.get(type(obj))
        if handler is None:
            return None
        return (handler.kind, handler.save(obj, self.context))

    def reducer_override(self, obj: Any) -> Any:
        """Refuse, while saving, what loading would refuse: a class or
        function that is neither allowed nor the document's, and instances
        of such classes."""
        named = (
            obj if isinstance(obj, (type, FunctionType, BuiltinFunctionType)) else None
        )
        cls = type(obj)
        if named is None and cls not in _PLAIN and not self._may_name(cls):
            raise SnapshotError(f"cannot capture a value of type {_name_of(cls)}")
        if named is not None and not self._may_name(named):
            raise SnapshotError(f"cannot capture {_name_of(named)}")
        return NotImplemented

    def _may_name(self, obj: Any) -> bool:
        """Whether a load may find `obj` (a class or function) by its name:
        allowed, or reachable by that name in the document's module."""
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if (module, qualname) in _ALLOWED:
            return True
        if module != self.module or not isinstance(qualname, str):
            return False
        found: Any = sys.modules.get(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
        return found is obj


def _name_of(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, context: LoadContext) -> None:
        super().__init__(file)
        self.context = context

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        generated = self.context.module
        if generated is not None and module == generated.__name__:
            value: Any = generated
            for part in name.split("."):
                value = getattr(value, part, None)
            if value is not None:
                return value
        raise SnapshotError(f"a snapshot may not name {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        try:
            kind, payload = pid
            handler = _BY_KIND[kind]
        except (TypeError, ValueError, KeyError):
            raise SnapshotError(f"unknown reference in snapshot: {pid!r}") from None
        return handler.load(payload, self.context)


def dumps(obj: Any, context: SaveContext) -> bytes:
    """`obj` as snapshot bytes; `SnapshotError` for a part that cannot be
    captured (naming its type)."""
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, context).dump(obj)
    except SnapshotError:
        raise
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise SnapshotError(f"cannot capture the session: {error}") from None
    return buffer.getvalue()


def loads(data: bytes, context: LoadContext) -> Any:
    """What `dumps` saved, in this process; `SnapshotError` for bytes that are
    not a snapshot or name what they may not."""
    try:
        return _Unpickler(io.BytesIO(data), context).load()
    except SnapshotError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise SnapshotError(f"not a snapshot: {error}") from None
