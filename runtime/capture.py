"""What a snapshot of a session holds, and how a session is rebuilt from it.

`Machine.snapshot()` and `Machine.restore()` are the API; this module is their
body. A snapshot is two layers of the snapshot format (`snapshot.py`):

- the **header**, plain data: the format, the document's name, the class,
  its compiled fingerprint, and the body as bytes, so that a snapshot of
  another version is recognised before any of its body is decoded;
- the **body**, the session's state as a dict of plain data, events and
  datamodel values, in terms of state ids rather than bit numbers, and with
  the datamodel's objects as dicts of their fields, so that a migration
  (`Machine.migrate`) can rewrite it.

The state: whether the session started and runs, its id, the configuration,
history, the states whose late `<datamodel>` was bound and those whose
invokes are still to start, `_event`, the internal and external queues,
`_ioprocessors`, donedata, the datamodel (every instance slot that the
generated class and its bases below `Machine` declare, less the transient ones
each class lists in `_transient_slots`), the delayed sends (`io.Delayed`:
send id, due wall time, delivery kind, payload), the invocations (each child
as a snapshot of its own, in bytes, with how its class was found), and what
subclasses add (`Machine._snapshot_extra`).

Nothing is dropped silently: a value that cannot be captured is a
`SnapshotError` naming the variable, queue or delayed send that holds it.
"""

from __future__ import annotations

import sys
import weakref
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Iterable
from contextvars import ContextVar
from types import CellType, CodeType, FunctionType
from typing import TYPE_CHECKING, Any, Final

from . import invoke, io
from .chart import bits
from .snapshot import (
    FORMAT,
    READABLE,
    LoadContext,
    RestoreError,
    SaveContext,
    SnapshotError,
    allow,
    dumps,
    dumps_plain,
    loads,
    register_reducer,
)

if TYPE_CHECKING:
    from .budget import Budget
    from .clock import Clock
    from .machine import Machine, Observer

__all__ = [
    "declared_slots",
    "loading_fingerprint",
    "restore",
    "snapshot",
    "state_slots",
]

_CORE_SLOTS: Final = "scxmlc.runtime.machine"


def _reduce_xml(element: ElementTree.Element, context: SaveContext) -> Any:
    """XML content in the datamodel (`<data>` or `<content>` of XML, an
    ElementTree element) is saved as its text; references to one element load
    as one element."""
    return (_xml_element, (ElementTree.tostring(element, encoding="unicode"),))


@allow
def _xml_element(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text)


register_reducer((ElementTree.Element,), _reduce_xml)


def _reduce_function(function: FunctionType, context: SaveContext) -> Any:
    """A function written inside a method of the document (a python-datamodel
    `lambda`, a `def` in a `<script>`): by the method, its code's name and
    which of the codes of that name it is, with its defaults and the values of
    the variables it closes over. Every other function goes by name (the
    allow-list, or the document's)."""
    qualname = function.__qualname__
    if "<locals>" not in qualname:
        return NotImplemented
    module = type(context.machine).__module__
    outer = _outer_function(function, module)
    codes = _codes_of(outer, qualname) if outer is not None else []
    index = next((i for i, c in enumerate(codes) if c is function.__code__), None)
    if outer is None or index is None:
        raise SnapshotError(
            f"cannot capture the function {qualname}: it is not the document's"
        )
    cells: list[tuple[Any, ...]] = []
    for cell in function.__closure__ or ():
        try:
            cells.append((cell.cell_contents,))
        except ValueError:  # a variable not bound yet
            cells.append(())
    arguments = (
        outer,
        qualname,
        index,
        tuple(cells),
        function.__defaults__,
        function.__kwdefaults__,
    )
    return (_nested_function, arguments)


def _outer_function(function: FunctionType, module: str) -> FunctionType | None:
    """The function of generated module `module` that `function` was written
    in (a method of a machine class)."""
    if function.__module__ != module:
        return None
    found: Any = sys.modules.get(module)
    for part in function.__qualname__.split(".<locals>.")[0].split("."):
        found = getattr(found, part, None)
    if type(found) is not FunctionType or found is function:
        return None
    return found


_CODES: Final[weakref.WeakKeyDictionary[FunctionType, dict[str, list[CodeType]]]] = (
    weakref.WeakKeyDictionary()
)


def _codes_of(outer: FunctionType, qualname: str) -> list[CodeType]:
    """The code objects named `qualname` nested in function `outer`, in the
    order they are written (cached per function: code objects compiled from
    the same text in two modules are equal, so they cannot be the key)."""
    known = _CODES.get(outer)
    if known is None:
        known = _CODES[outer] = {}
    found = known.get(qualname)
    if found is None:
        found = []
        pending = [outer.__code__]
        while pending:
            code = pending.pop(0)
            if code.co_qualname == qualname and code is not outer.__code__:
                found.append(code)
            pending.extend(c for c in code.co_consts if isinstance(c, CodeType))
        known[qualname] = found
    return found


@allow
def _nested_function(
    outer: Any,
    qualname: str,
    index: int,
    cells: tuple[tuple[Any, ...], ...],
    defaults: Any,
    kwdefaults: Any,
) -> FunctionType:
    """A function written inside `outer` (a function of the generated module):
    its code found there, with new cells holding the values saved."""
    module = sys.modules.get(getattr(outer, "__module__", ""))
    if type(outer) is not FunctionType or not hasattr(module, "SCXMLC_SOURCE"):
        raise SnapshotError("a snapshot's function must be the document's")
    codes = _codes_of(outer, qualname)
    code = codes[index] if 0 <= index < len(codes) else None
    if code is None or len(code.co_freevars) != len(cells):
        raise RestoreError(
            f"the document has no function {qualname} as the snapshot's: "
            "it was compiled from another version"
        )
    closure = tuple(CellType(*value) for value in cells)
    function = FunctionType(code, outer.__globals__, code.co_name, defaults, closure)
    function.__kwdefaults__ = kwdefaults
    return function


register_reducer((FunctionType,), _reduce_function)


def state_slots(cls: type) -> tuple[str, ...]:
    """The instance slots of `cls` that hold session state: those its classes
    below `Machine` declare, less what each lists in `_transient_slots`."""
    found = cls.__dict__.get("_state_slots")
    if found is not None:
        return found  # type: ignore[no-any-return]
    own = [
        klass
        for klass in reversed(cls.__mro__)
        if klass.__module__ != _CORE_SLOTS and klass is not object
    ]
    transient = {name for k in own for name in k.__dict__.get("_transient_slots", ())}
    result = tuple(name for name in _slot_names(own) if name not in transient)
    setattr(cls, "_state_slots", result)
    return result


def _slot_names(classes: Iterable[type]) -> list[str]:
    """The instance slots `classes` declare, each once, in their order,
    without `__weakref__`."""
    names: list[str] = []
    for klass in classes:
        for name in declared_slots(klass):
            if name != "__weakref__" and name not in names:
                names.append(name)
    return names


def declared_slots(klass: type) -> tuple[str, ...]:
    """The instance attributes class `klass` itself declares: its
    `__slots__`; for a class mypyc compiled (a native module's, which has no
    `__slots__`), the names of its `__mypyc_attrs__` that no base's has."""
    slots = klass.__dict__.get("__slots__")
    if slots is not None:
        return (slots,) if isinstance(slots, str) else tuple(slots)
    attributes = klass.__dict__.get("__mypyc_attrs__")
    if attributes is None:
        return ()
    inherited = {
        name
        for base in klass.__mro__[1:]
        for name in base.__dict__.get("__mypyc_attrs__", ())
    }
    return tuple(name for name in attributes if name not in inherited)


def _declares_slots(klass: type) -> bool:
    """Whether `klass` lists its instance attributes (`__slots__`, or a
    compiled class's `__mypyc_attrs__`): a datamodel object's class."""
    return "__slots__" in klass.__dict__ or "__mypyc_attrs__" in klass.__dict__


# -- taking a snapshot -------------------------------------------------------------


def snapshot(machine: Machine) -> bytes:
    """The session `machine` (and its children) as bytes."""
    if machine._started and machine._running and not machine._idle:
        raise SnapshotError(
            f"{machine._chart.name}: a session is captured between macrosteps, "
            "not while it processes an event"
        )
    cls = type(machine)
    state = _state(machine)
    context = SaveContext(machine)
    try:
        body = dumps(state, context)
    except SnapshotError as error:
        message = _culprit(machine, state, error) + _native_hint(cls, error)
        raise SnapshotError(message) from None
    header = {
        "format": FORMAT,
        "document": machine._chart.name,
        "class": cls.__qualname__,
        "fingerprint": cls._fingerprint,
        "body": body,
    }
    return dumps_plain(header)


def _state(machine: Machine) -> dict[str, Any]:
    chart = machine._chart
    ids = chart.ids
    cls = type(machine)
    variables: dict[str, Any] = {}
    objects: dict[str, tuple[str, dict[str, Any]]] = {}
    generated = _module(cls)
    module = generated.__name__ if generated is not None else cls.__module__
    for name in state_slots(cls):
        try:
            value = getattr(machine, name)
        except AttributeError:
            continue
        kind = type(value)
        if kind.__module__ == module and _declares_slots(kind):
            objects[name] = (kind.__qualname__, _fields(value))
        else:
            variables[name] = value
    history = machine._history or {}
    return {
        "sessionid": machine._sid,
        "invokeid": machine._invokeid,
        "started": machine._started,
        "running": machine._running,
        "root": bool(machine._config & 1),
        "configuration": [ids[i] for i in bits(machine._config & ~1)],
        "history": {ids[h]: [ids[i] for i in bits(v)] for h, v in history.items()},
        "bound": [ids[i] for i in bits(machine._data_done)],
        "to_invoke": [ids[i] for i in bits(machine._to_invoke)],
        "donedata": machine._donedata,
        "initial_data": None if machine._started else machine._initial_data,
        "event": getattr(machine, "_event", None),
        "internal": list(machine._internal or ()),
        "external": list(machine._external or ()),
        "ioprocessors": machine._io,
        "variables": variables,
        "objects": objects,
        "timers": io.pending(machine),
        "invocations": [
            _invocation(machine, i) for i in (machine._invocations or {}).values()
        ],
        "extra": machine._snapshot_extra(),
    }


def _fields(value: Any) -> dict[str, Any]:
    """The slots of datamodel object `value` that are set, by name."""
    cls = type(value)
    names = cls.__dict__.get("_field_slots")
    if names is None:
        names = tuple(_slot_names(cls.__mro__))
        setattr(cls, "_field_slots", names)
    return {name: getattr(value, name) for name in names if hasattr(value, name)}


def _invocation(machine: Machine, invocation: invoke.Invocation) -> dict[str, Any]:
    spec = invocation.spec
    invokes = machine._chart.states[spec.state].invokes
    index = next(i for i, s in enumerate(invokes) if s is spec)
    document = invocation.document
    if document is not None and document[0] not in ("src", "text"):
        raise SnapshotError(
            f"{machine._chart.name}: invoke {invocation.invokeid!r}: its document "
            "was given as a class at run time, which a restored session cannot find"
        )
    child = invocation.child
    try:
        nested = child.snapshot() if child is not None else invocation.saved
    except SnapshotError as error:
        raise SnapshotError(
            f"{machine._chart.name}: invoke {invocation.invokeid!r}: {error}"
        ) from None
    return {
        "invokeid": invocation.invokeid,
        "state": machine._chart.ids[spec.state],
        "index": index,
        "document": document,
        "data": invocation.data,
        "waiting": list(invocation.waiting),
        "child": nested,
    }


def _native_hint(cls: type, error: SnapshotError) -> str:
    """Why a value of the generated module of `cls` could not be captured,
    when that module is compiled natively: mypyc makes a function written
    inside another (a python-datamodel `lambda`, a `def` in a `<script>`) an
    object of a class of the module, with no code a snapshot can name."""
    generated = _module(cls)
    if "__mypyc_attrs__" not in cls.__dict__ or generated is None:
        return ""
    if f" {generated.__name__}." not in str(error):
        return ""
    return (
        " (the document is compiled natively, and a function it writes inside "
        "another, a lambda or a def of a <script>, is then no Python function "
        "a snapshot can name: load the document without native=True to "
        "capture it)"
    )


def _culprit(machine: Machine, state: dict[str, Any], error: SnapshotError) -> str:
    """Which part of `state` holds what could not be captured, and why."""
    name = machine._chart.name
    data_ids = machine._data_ids

    def fails(value: Any) -> bool:
        try:
            dumps(value, SaveContext(machine))
        except SnapshotError:
            return True
        return False

    def variable(key: str) -> str:
        return f"<data id={key!r}>" if key in data_ids else f"the variable {key!r}"

    places: list[tuple[str, Any]] = []
    for slot, (_, fields) in state["objects"].items():
        places.extend((variable(k), v) for k, v in fields.items())
    for slot, value in state["variables"].items():
        if isinstance(value, dict):
            places.extend((variable(str(k)), v) for k, v in value.items())
        places.append((f"the datamodel slot {slot!r}", value))
    if state["event"] is not None:
        places.append((f"_event {state['event'].name!r}", state["event"]))
    for queue in ("internal", "external"):
        places.extend(
            (f"the {queue} queue's event {event.name!r}", event)
            for event in state[queue]
        )
    places.extend(
        (f"the delayed send {delayed.sendid!r}", delayed) for delayed in state["timers"]
    )
    places.append(("_ioprocessors", state["ioprocessors"]))
    places.append(("the donedata", state["donedata"]))
    places.append(("the platform state", state["extra"]))
    for place, value in places:
        if fails(value):
            return f"{name}: cannot capture {place}: {error}"
    return f"{name}: {error}"


# -- restoring -----------------------------------------------------------------------


def restore(
    cls: type[Machine],
    data: bytes,
    clock: Clock | None,
    *,
    observer: Observer | None,
    budget: Budget | None,
    parent: Machine | None,
) -> Machine:
    """A new session of `cls` in the state `data` (from `snapshot`) holds."""
    module = _module(cls)
    header = loads(data, LoadContext(cls, None, clock))
    if not isinstance(header, dict) or header.get("format") not in READABLE:
        found = header.get("format") if isinstance(header, dict) else None
        formats = " and ".join(str(f) for f in READABLE)
        raise RestoreError(
            f"snapshot format {found!r}, but this runtime reads formats {formats}"
        )
    machine = cls(clock, observer=observer, parent=parent, budget=budget)
    context = LoadContext(cls, module, clock, machine=machine)
    fingerprint = header["fingerprint"]
    if fingerprint == cls._fingerprint:
        state = _load_body(header, context)
    else:
        try:
            state = _load_body(header, context)
        except SnapshotError as error:
            raise RestoreError(
                f"{cls._chart.name}: the snapshot is of document version "
                f"{fingerprint!r}, this is version {cls._fingerprint!r}, and its "
                f"state cannot be read here: {error}"
            ) from None
        state = cls.migrate(state, fingerprint)
    assert isinstance(state, dict)
    try:
        _apply(machine, state)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise RestoreError(
            f"{cls._chart.name}: the snapshot does not fit this document: {error!r}"
        ) from None
    return machine


_LOADING: Final[ContextVar[str | None]] = ContextVar("_LOADING", default=None)


def loading_fingerprint() -> str | None:
    """The document version (fingerprint) of the snapshot whose body is being
    loaded, for what loads a part of it; None outside a load."""
    return _LOADING.get()


def _load_body(header: dict[str, Any], context: LoadContext) -> Any:
    """The body of the snapshot whose `header` is given, loaded in `context`."""
    token = _LOADING.set(str(header["fingerprint"]))
    try:
        return loads(header["body"], context)
    finally:
        _LOADING.reset(token)


def _module(cls: type) -> Any:
    """The generated module of `cls` (of the class that holds its chart, for
    a class an application derived from a generated one)."""
    for klass in cls.__mro__:
        if "_chart" in klass.__dict__:
            return sys.modules.get(klass.__module__)
    return sys.modules.get(cls.__module__)


def _mask(machine: Machine, ids: list[str]) -> int:
    index = machine._chart.index
    mask = 0
    for state_id in ids:
        found = index.get(state_id)
        if found is None:
            raise RestoreError(
                f"{machine._chart.name}: the snapshot names state {state_id!r}, "
                "which this document does not have"
            )
        mask |= 1 << found
    return mask


def _apply(machine: Machine, state: dict[str, Any]) -> None:
    from .machine import SESSIONS

    machine._started = state["started"]
    machine._running = state["running"]
    machine._config = _mask(machine, state["configuration"]) | int(state["root"])
    history = state["history"]
    if history:
        machine._history = {
            _mask(machine, [h]).bit_length() - 1: _mask(machine, states)
            for h, states in history.items()
        }
    machine._data_done = _mask(machine, state["bound"])
    machine._to_invoke = _mask(machine, state["to_invoke"])
    machine._donedata = state["donedata"]
    machine._initial_data = state["initial_data"]
    machine._invokeid = state["invokeid"]
    if state["event"] is not None:
        machine._event = state["event"]
    if state["internal"]:
        machine._internal = deque(state["internal"])
    if state["external"]:
        machine._external = deque(state["external"])
    machine._io = state["ioprocessors"]
    module = _module(type(machine))
    for name, value in state["variables"].items():
        setattr(machine, name, value)
    for name, (qualname, fields) in state["objects"].items():
        kind: Any = module
        for part in qualname.split("."):
            kind = getattr(kind, part)
        obj = kind.__new__(kind)
        for field, value in fields.items():
            setattr(obj, field, value)
        setattr(machine, name, obj)
    sid = state["sessionid"]
    if sid is not None:
        machine._sid = sid
        if machine._running or not machine._started:
            SESSIONS[sid] = machine
    machine._restore_extra(state["extra"])
    for record in state["invocations"]:
        _restore_invocation(machine, record)
    if machine._running:
        io.reschedule(machine, state["timers"])
    machine._idle = machine._started and machine._running
    if machine._idle and (machine._internal or machine._external):
        machine._schedule_wake()


def _restore_invocation(machine: Machine, record: dict[str, Any]) -> None:
    chart = machine._chart
    state = chart.index[record["state"]]
    spec = chart.states[state].invokes[record["index"]]
    document = record["document"]
    invocation = invoke.Invocation(
        record["invokeid"], spec, None, document, record["data"]
    )
    invocation.waiting.extend(record["waiting"])
    invocations = machine._invocations
    if invocations is None:
        invocations = machine._invocations = {}
    data = record["child"]
    if data is None:  # it waited for its document: ask for it again
        try:
            invoke.resume_pending(machine, invocation)
        except Exception as error:  # noqa: BLE001 - as when it first failed
            invocations.pop(invocation.invokeid, None)
            machine._fail(error)
        return
    if document is None:
        _restore_child(machine, invocation, spec.child, data)
        return
    resolve = invoke.document_class(document)
    try:
        child_class = resolve()
    except invoke.DocumentPending as pending:  # compiling elsewhere: wait for it
        invocation.saved = data
        invocations[invocation.invokeid] = invocation
        pending.when_ready(
            lambda: invoke.when_compiled(
                machine,
                invocation,
                resolve,
                lambda cls: _restore_child(machine, invocation, cls, data),
            )
        )
        return
    except Exception as error:  # noqa: BLE001 - the document is gone or broken
        raise RestoreError(
            f"{chart.name}: invoke {invocation.invokeid!r}: the child's document "
            f"{document[1][:200]!r} cannot be found again: {error}"
        ) from None
    _restore_child(machine, invocation, child_class, data)


def _restore_child(
    machine: Machine, invocation: invoke.Invocation, cls: type[Machine], data: bytes
) -> None:
    """Restore the child of `invocation` from `data`; the events that waited
    for it go to its queue; one that had not started starts on the next turn."""
    child = cls.restore(
        data,
        machine.clock,
        observer=machine.observer,
        budget=machine.budget,
        parent=machine,
    )
    invocation.saved = None
    invoke.adopt(machine, invocation, child)
    if not child._started:
        invoke.start_restored_child(machine, child)
