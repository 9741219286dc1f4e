"""`<invoke>` of SCXML child sessions: start, finalize, autoforward, cancel.

Children are compiled classes: an inline `<content>` or a statically known `src` was
compiled into the parent's module; a `srcexpr` or a `<content expr>` holding a
document is resolved at run time through the document resolver that the host
installs (`scxmlc.load` installs one that compiles on demand).
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

from .chart import InvokeSpec, bits
from .errors import ExecutionError
from .events import Event

if TYPE_CHECKING:
    from .machine import Machine

__all__ = [
    "DocumentPending",
    "DocumentResolver",
    "Invocation",
    "document_class",
    "document_resolver",
    "register_document",
    "set_document_resolver",
]

SCXML_INVOKE_TYPES: Final = frozenset(
    {"http://www.w3.org/TR/scxml/", "http://www.w3.org/TR/scxml", "scxml"}
)


class DocumentResolver(Protocol):
    """Turns a document named or given at run time into a compiled class."""

    def load(self, uri: str, base: str) -> type[Machine]:
        """The class compiled from the document at `uri`, relative to `base`."""
        ...

    def compile_text(self, text: str, base: str) -> type[Machine]:
        """The class compiled from SCXML source `text`."""
        ...


class DocumentPending(Exception):
    """What a resolver raises for a document it is compiling elsewhere (in a
    worker thread): asked again after `when_ready`'s callback, it answers the
    class or why there is none. `<invoke>` and `<session:start>` wait for it:
    the child session starts once its document is compiled."""

    def when_ready(self, callback: Callable[[], object]) -> None:
        """Call `callback` on the caller's event loop once the document is
        compiled (or failed to)."""
        raise NotImplementedError


_documents: dict[str, type[Machine]] = {}
_resolver: DocumentResolver | None = None


def register_document(uri: str, cls: type[Machine]) -> None:
    """Make compiled `cls` the answer for invokes whose src resolves to `uri`."""
    _documents[uri] = cls


def set_document_resolver(resolver: DocumentResolver | None) -> None:
    """Install the resolver for documents that were not compiled ahead of time."""
    global _resolver
    _resolver = resolver


def document_resolver() -> DocumentResolver | None:
    """The resolver installed for documents not compiled ahead of time."""
    return _resolver


Document = tuple[str, str, str] | None
"""How the class of a child was found at run time, so that a restored parent
finds it again: `("src", uri, base)` for `<invoke src|srcexpr>`, `("text",
source, base)` for a document given by `<content expr>`; None for a child
compiled into the parent's module."""


class Invocation:
    """A running child session and the `<invoke>` that started it. While the
    child's document compiles elsewhere, `child` is None and the events sent
    to it wait in `waiting`."""

    __slots__ = ("invokeid", "spec", "child", "waiting", "document", "data", "saved")

    def __init__(
        self,
        invokeid: str,
        spec: InvokeSpec,
        child: Machine | None,
        document: Document = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.invokeid = invokeid
        self.spec = spec
        self.child = child
        self.waiting: list[Event] = []
        self.document = document
        """How the child's class was found at run time (None: compiled in)."""
        self.data = data
        """The values passed to the child, kept while it waits for its document."""
        self.saved: bytes | None = None
        """The snapshot of a restored child whose document is still compiling."""

    def deliver(self, event: Event) -> None:
        """Put `event` on the child's queue (kept until it exists)."""
        if self.child is None:
            self.waiting.append(event)
        else:
            self.child._deliver(event)


def start_invocations(machine: Machine) -> None:
    """Start the invokes of the states entered in this macrostep (entry order)."""
    states = machine._chart.states
    pending = machine._to_invoke
    machine._to_invoke = 0
    for state in bits(pending):
        if not machine._config >> state & 1:
            continue
        for spec in states[state].invokes:
            try:
                _start(machine, spec)
            except Exception as error:  # noqa: BLE001 - becomes error.execution
                machine._fail(error)


def _start(machine: Machine, spec: InvokeSpec) -> None:
    kind = spec.typeexpr(machine) if spec.typeexpr is not None else spec.type
    if kind is not None and str(kind) not in SCXML_INVOKE_TYPES:
        raise ExecutionError(f"unsupported invoke type {kind!r}")
    invokeid = spec.id
    if invokeid is None:
        invokeid = f"{machine._chart.ids[spec.state]}.{uuid.uuid4().hex[:12]}"
        if spec.idlocation is not None:
            spec.idlocation(machine, invokeid)
    data = spec.data(machine) if spec.data is not None else None
    resolve, document = _child_class(machine, spec)
    invocation = Invocation(invokeid, spec, None, document, data)
    _resolve_and_launch(machine, invocation, resolve)


def _resolve_and_launch(
    machine: Machine, invocation: Invocation, resolve: Callable[[], type[Machine]]
) -> None:
    """Launch the child of `invocation` now, or once its document is compiled."""
    invocations = machine._invocations
    if invocations is None:
        invocations = machine._invocations = {}
    try:
        cls = resolve()
    except DocumentPending as pending:  # compiling elsewhere: start it when done
        invocations[invocation.invokeid] = invocation
        pending.when_ready(
            lambda: when_compiled(
                machine,
                invocation,
                resolve,
                lambda cls: _launch(machine, invocation, cls),
            )
        )
        return
    _launch(machine, invocation, cls)


def _launch(machine: Machine, invocation: Invocation, cls: type[Machine]) -> None:
    """Create the child session of `invocation` (passing it `invocation.data`)
    and start it on the next turn."""
    child = cls(
        machine.clock,
        parent=machine,
        invokeid=invocation.invokeid,
        data=invocation.data,
        observer=machine.observer,
        budget=machine.budget,
    )
    invocation.data = None
    adopt(machine, invocation, child)
    machine.clock.call_later(0.0, lambda: _start_child(child))


def adopt(machine: Machine, invocation: Invocation, child: Machine) -> None:
    """`child` (created, or restored) is the session of `invocation`: the
    events that waited for it go to its queue."""
    invocation.child = child
    assert machine._invocations is not None
    machine._invocations[invocation.invokeid] = invocation
    for event in invocation.waiting:
        child._deliver(event)
    invocation.waiting.clear()


def when_compiled(
    machine: Machine,
    invocation: Invocation,
    resolve: Callable[[], type[Machine]],
    launch: Callable[[type[Machine]], None],
) -> None:
    """The document of a waiting `invocation` is compiled (or failed to): call
    `launch` with its class, unless the invoking state was left meanwhile; a
    failure is `error.execution` on `machine`."""
    invocations = machine._invocations
    if (
        machine.finished
        or not invocations
        or invocations.get(invocation.invokeid) is not invocation
    ):
        return  # cancelled while its document compiled
    try:
        cls = resolve()
    except DocumentPending as pending:  # changed again meanwhile
        pending.when_ready(lambda: when_compiled(machine, invocation, resolve, launch))
        return
    except Exception as error:  # noqa: BLE001 - becomes error.execution
        del invocations[invocation.invokeid]
        machine._fail(error)
        if machine._idle:
            machine._schedule_wake()
        return
    launch(cls)


def _start_child(child: Machine) -> None:
    if not child._started:  # not cancelled before it could start
        child.start()


def _child_class(
    machine: Machine, spec: InvokeSpec
) -> tuple[Callable[[], type[Machine]], Document]:
    """How to get the class of the child `spec` invokes, and how it was named:
    its expressions (`srcexpr`, `<content expr>`) are evaluated now, the
    document resolved when the first result is called (which may raise
    `DocumentPending`, and then be called again)."""
    if spec.child is not None:
        child: type[Machine] = spec.child
        return (lambda: child), None
    base = machine.document_path
    if spec.contentexpr is not None:
        content = spec.contentexpr(machine)
        if isinstance(content, type):
            return (lambda: content), ("class", content.__qualname__, base)
        if hasattr(content, "tag"):  # an XML element (`<assign>` of XML content)
            import xml.etree.ElementTree as ElementTree

            content = ElementTree.tostring(content, encoding="unicode")
        text = str(content)
        document = ("text", text, base)
        return document_class(document), document
    uri = spec.srcexpr(machine) if spec.srcexpr is not None else spec.src
    if uri is None:
        raise ExecutionError("invoke: no src, srcexpr or content")
    document = ("src", str(uri), base)
    return document_class(document), document


def document_class(document: tuple[str, str, str]) -> Callable[[], type[Machine]]:
    """What resolves the class of a child named by `document` (see `Document`):
    a registered document, or what the installed resolver compiles."""
    kind, what, base = document
    if kind == "src":
        return lambda: resolve_document(what, base)
    if kind == "text":
        return lambda: _resolver_for("<content expr>").compile_text(what, base)
    raise ExecutionError(
        f"invoke: a child document given as {kind} cannot be found again"
    )


def resume_pending(machine: Machine, invocation: Invocation) -> None:
    """Start again the child of a restored `invocation` that was waiting for
    its document when the snapshot was taken."""
    if invocation.document is not None:
        resolve = document_class(invocation.document)
    else:
        child: type[Machine] = invocation.spec.child
        resolve = lambda: child  # noqa: E731
    _resolve_and_launch(machine, invocation, resolve)


def start_restored_child(machine: Machine, child: Machine) -> None:
    """A restored child that had not started yet starts on the next turn."""
    machine.clock.call_later(0.0, lambda: _start_child(child))


def resolve_document(uri: str, base: str) -> type[Machine]:
    """The class of the document `uri` (relative to the document `base`): one
    registered ahead of time, else what the installed resolver compiles."""
    known = _documents.get(_normalise(uri, base))
    if known is not None:
        return known
    return _resolver_for(uri).load(uri, base)


def _normalise(uri: str, base: str) -> str:
    path = uri[len("file:") :] if uri.startswith("file:") else uri
    if not posixpath.isabs(path) and base:
        path = posixpath.join(posixpath.dirname(base), path)
    return posixpath.normpath(path)


def _resolver_for(what: str) -> DocumentResolver:
    if _resolver is None:
        raise ExecutionError(
            f"invoke {what}: document not compiled and no resolver installed"
        )
    return _resolver


def before_external_event(machine: Machine, event: Event) -> None:
    """Finalize (for events from a child) and autoforward, before selection."""
    invocations = machine._invocations
    if not invocations:
        return
    if event.invokeid is not None:
        source = invocations.get(event.invokeid)
        if source is not None and source.spec.finalize is not None:
            try:
                source.spec.finalize(machine)
            except Exception as error:  # noqa: BLE001
                machine._fail(error)
    for invocation in list(invocations.values()):
        if invocation.spec.autoforward:
            child = invocation.child
            if child is None or not child.finished:
                invocation.deliver(event.copy())


def cancel_state_invocations(machine: Machine, state: int) -> None:
    """Cancel the children started by the invokes of `state` (it is being exited)."""
    invocations = machine._invocations
    if not invocations:
        return
    for invocation in [i for i in invocations.values() if i.spec.state == state]:
        cancel_invocation(machine, invocation)


def cancel_invocation(machine: Machine, invocation: Invocation) -> None:
    """Stop one child session (events it already queued here are still processed)."""
    if machine._invocations is not None:
        machine._invocations.pop(invocation.invokeid, None)
    if invocation.child is not None:
        invocation.child.cancel()
