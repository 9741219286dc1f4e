"""Snapshots: session state as bytes, and back, without naming arbitrary code.

A snapshot is a pickle (protocol 5), so shared and cyclic references, queues
and the values of either datamodel keep their shape, at the speed of the C
pickler. Two things set it apart from a plain pickle:

- **Nothing is found by import.** Loading resolves a global (a class, a
  reconstructor function) only if it was allowed (`allow`), or if it lives in
  the generated module of the machine class being restored (the document is
  code its author wrote; `LoadContext.module`). A snapshot that names
  `os.system` is a `SnapshotError`, not a call. The document's classes and
  functions are named by their name in the document, not their module's, so
  a snapshot restores into a class compiled from another version.
- **What has no value is saved by reference.** Singletons (`undefined`),
  functions of generated code, host objects of the platform: a part of the
  runtime registers a *persistent* handler for their types
  (`register_persistent`): `save(obj, context)` gives a small picklable
  payload, `load(payload, context)` gives the object back in the restoring
  process; the snapshot holds `_reference(kind, payload)`, a name only a
  load resolves. Anything that is neither plain data, nor allowed, nor
  registered is refused when the snapshot is taken (`SnapshotError` naming
  its type), never silently dropped.

All of this happens in `reducer_override`, which pickle calls only for values
of types it does not write itself: plain data (str, int, float, bytes, list,
dict, tuple, set) costs no Python call, so a snapshot costs little more than
a plain pickle.

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
    "READABLE",
    "LoadContext",
    "RestoreError",
    "SaveContext",
    "SnapshotError",
    "allow",
    "dumps",
    "dumps_plain",
    "loads",
    "register_persistent",
    "register_reducer",
]

FORMAT: Final = 2
"""The version of the snapshot layout this runtime writes: 2 names what goes
by reference with a global (`_reference`) the loader resolves, where 1 used
pickle's persistent ids."""

READABLE: Final = (1, 2)
"""The versions of the snapshot layout this runtime reads."""

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
    session, the new session itself (`machine`, or `memo["machine"]`: created
    before the load, so that what referred to the saved session refers to
    it), and `memo` for the rest of the load."""

    machine_class: type
    module: ModuleType | None
    clock: Any = None
    memo: dict[str, Any] = field(default_factory=dict)
    machine: Any = None


@dataclass(frozen=True)
class _Persistent:
    kind: str
    save: Callable[[Any, SaveContext], Any]
    load: Callable[[Any, LoadContext], Any]


_ALLOWED: dict[tuple[str, str], Any] = {}
_BY_TYPE: dict[type, _Persistent] = {}
_BY_KIND: dict[str, _Persistent] = {}
_REDUCERS: dict[type, Callable[[Any, SaveContext], Any]] = {}

_SESSION: Final = "session"
"""The persistent kind of the session being saved: loaded as the new one."""
_DOCUMENT: Final = "document"
"""The persistent kind of a class or function of the document's generated
module, by its qualified name: loaded from the module of the class restored
into, whatever that module is called (another version of the document)."""


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
    it must not change once snapshots exist. Types pickle writes without
    asking (`_PLAIN`) cannot be registered."""
    for cls in types:
        if cls in _PLAIN:
            raise ValueError(f"{cls.__name__} values are saved as they are")
    if kind in _BY_KIND and _BY_KIND[kind].save is not save:
        raise ValueError(f"persistent kind {kind!r} is registered already")
    handler = _Persistent(kind, save, load)
    _BY_KIND[kind] = handler
    for cls in types:
        _BY_TYPE[cls] = handler


def register_reducer(
    types: tuple[type, ...], reduce: Callable[[Any, SaveContext], Any]
) -> None:
    """Save instances of exactly `types` by value, as `reduce(obj, context)`
    says: a tuple as `__reduce__` returns (whose callables must be allowed or
    the document's), None to refuse the object (the reducer raises
    `SnapshotError` itself to say why), or `NotImplemented` to leave it to
    the ordinary rules (a function named by the allow-list). Unlike a
    persistent handler's payload (plain data), what a reducer gives may hold
    any value a snapshot can, cycles through the object included; both keep
    identity (references to one object load as one object). For types whose
    own `__reduce__` cannot know the context (functions of generated code,
    closure cells)."""
    for cls in types:
        if cls in _REDUCERS and _REDUCERS[cls] is not reduce:
            raise ValueError(f"a reducer for {_name_of(cls)} is registered already")
        _REDUCERS[cls] = reduce


for _builtin in (collections.deque, complex, set, frozenset, bytearray, range, slice):
    allow(_builtin)


_PLAIN: Final = frozenset(
    {type(None), bool, int, float, complex, str, bytes, bytearray, tuple, list}
    | {dict, set, frozenset, range, slice}
)
"""Types pickle writes by value, with no global a load would resolve."""


@allow
def _reference(kind: str, payload: Any) -> Any:
    """Stands for what a snapshot saves by reference: the kind of its handler
    and its payload. A load resolves this name to its own loader
    (`_Unpickler.find_class`), which has the load's context; called
    otherwise it refuses."""
    raise SnapshotError(f"a reference of kind {kind!r} is resolved by a load")


_REFERENCE: Final = (_reference.__module__, _reference.__qualname__)


class _Pickler(pickle.Pickler):
    """Pickles with `reducer_override` alone, which pickle calls only for
    values of types it does not write itself (not for str, int, list, dict
    and the like), so plain data costs no Python call."""

    def __init__(self, file: io.BytesIO, context: SaveContext) -> None:
        super().__init__(file, protocol=PROTOCOL)
        self.context = context
        self.module = type(context.machine).__module__

    def reducer_override(self, obj: Any) -> Any:
        """What goes by reference first (registered types, the session, the
        document's classes and functions), as `_reference(kind, payload)`;
        then registered reducers; then refuse, while saving, what loading
        would refuse: a class or function that is neither allowed nor the
        document's, and instances of such classes."""
        cls = type(obj)
        handler = _BY_TYPE.get(cls)
        if handler is not None:
            return (_reference, (handler.kind, handler.save(obj, self.context)))
        if obj is self.context.machine:
            return (_reference, (_SESSION, None))
        if (cls is FunctionType or cls is type) and obj.__module__ == self.module:
            if self._may_name(obj):
                return (_reference, (_DOCUMENT, obj.__qualname__))
        reduce = _REDUCERS.get(cls)
        if reduce is not None:
            reduced = reduce(obj, self.context)
            if reduced is None:
                raise SnapshotError(f"cannot capture a value of type {_name_of(cls)}")
            if reduced is not NotImplemented:
                return reduced
        named = (
            obj if isinstance(obj, (type, FunctionType, BuiltinFunctionType)) else None
        )
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
        return _attribute(sys.modules.get(module), qualname) is obj


def _attribute(root: Any, qualname: str) -> Any:
    """What the dotted `qualname` names from `root` (None where a part is missing)."""
    for part in qualname.split("."):
        root = getattr(root, part, None)
    return root


def _name_of(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, context: LoadContext) -> None:
        super().__init__(file)
        self.context = context

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == _REFERENCE:
            return self._load_reference
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        generated = self.context.module
        if generated is not None and module == generated.__name__:
            value = _attribute(generated, name)
            if value is not None:
                return value
        raise SnapshotError(f"a snapshot may not name {module}.{name}")

    def _document_global(self, qualname: str) -> Any:
        generated = self.context.module
        value = _attribute(generated, qualname)
        if generated is None or not isinstance(value, (type, FunctionType)):
            raise RestoreError(
                f"the document has no {qualname}, which the snapshot names"
            )
        return value

    def _load_reference(self, kind: Any, payload: Any) -> Any:
        """What `_reference(kind, payload)` stands for, in this process."""
        if kind == _SESSION and payload is None:
            machine = self.context.machine or self.context.memo.get("machine")
            if machine is None:
                raise SnapshotError(
                    "the snapshot refers to its session: restore it into one"
                )
            return machine
        if kind == _DOCUMENT:
            return self._document_global(str(payload))
        handler = _BY_KIND.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise SnapshotError(f"unknown reference in snapshot: {(kind, payload)!r}")
        return handler.load(payload, self.context)

    def persistent_load(self, pid: Any) -> Any:
        """A reference as format 1 saved it (a persistent id)."""
        if type(pid) is not tuple or len(pid) != 2:
            raise SnapshotError(f"unknown reference in snapshot: {pid!r}")
        return self._load_reference(*pid)


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


def dumps_plain(obj: Any) -> bytes:
    """Plain data (`_PLAIN` types all the way down) as snapshot bytes, without
    the checks `dumps` makes on every value that is not: for what is plain by
    construction (a snapshot's header)."""
    return pickle.dumps(obj, protocol=PROTOCOL)


def loads(data: bytes, context: LoadContext) -> Any:
    """What `dumps` saved, in this process; `SnapshotError` for bytes that are
    not a snapshot or name what they may not."""
    try:
        return _Unpickler(io.BytesIO(data), context).load()
    except SnapshotError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise SnapshotError(f"not a snapshot: {error}") from None
