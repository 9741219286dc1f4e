"""The SCXML Event I/O Processor (SCXML Appendix C.1): what `<send>` does.

Targets: none (the session's own external queue), `#_internal`, `#_parent`,
`#_scxml_<sessionid>` and `#_<invokeid>`. Delays run on the session's clock and can
be cancelled by send id. Undeliverable messages become `error.communication`,
malformed requests `error.execution` (raised, so the sending block stops).
A `<send>` of the Basic HTTP type goes to `basichttp.send` (SCXML Appendix C.2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .errors import CommunicationError, ExecutionError
from .events import EXTERNAL, INTERNAL, Event
from .invoke import Invocation

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["SCXML_TYPE", "parse_delay", "schedule", "send", "undeliverable"]

SCXML_TYPE: Final = "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"
SCXML_TYPES: Final = frozenset({SCXML_TYPE, "scxml", "http://www.w3.org/TR/scxml/"})

_DELAY = re.compile(r"^\s*(\d*\.?\d+|\d+\.)\s*(ms|s|m|h|d)?\s*$")
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_delay(value: Any) -> float:
    """A CSS2 duration (`"500ms"`, `"1.5s"`, `".5s"`) or a number of seconds."""
    if isinstance(value, bool):
        raise ExecutionError(f"invalid delay {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    match = _DELAY.match(str(value))
    if match is None:
        raise ExecutionError(f"invalid delay {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def send(
    machine: Machine,
    name: str | None,
    *,
    target: str | None,
    type: str | None,
    delay: float | str | None,
    sendid: str | None,
    data: Any,
) -> str:
    """Dispatch one `<send>`; returns its send id (generated when not given)."""
    if type is not None and type not in SCXML_TYPES:
        from . import basichttp  # which imports this module

        if type in basichttp.BASICHTTP_TYPES:
            return basichttp.send(
                machine, name, target=target, delay=delay, sendid=sendid, data=data
            )
        raise ExecutionError(
            f"unsupported event processor type {type!r}", sendid=sendid
        )
    given = sendid
    sendid = sendid if sendid is not None else machine._new_sendid()
    if name is None:
        raise ExecutionError("send: no event name", sendid=given)
    seconds = parse_delay(delay) if delay is not None else 0.0
    if target is not None:
        target = str(target)
        if target == "_internal":  # ORS spelling of the internal queue
            target = "#_internal"
        elif type == "scxml" and not target.startswith("#"):  # ORS: a bare session id
            target = "#_scxml_" + target
        if target == "#_internal":
            machine._queue_internal(Event(name, data, INTERNAL, sendid=given))
            return sendid
        if not target.startswith("#_") or target in ("#_", "#_scxml_"):
            raise ExecutionError(f"invalid send target {target!r}", sendid=given)
    event = Event(
        str(name),
        data,
        EXTERNAL,
        sendid=given,
        origin="#_scxml_" + machine._sessionid,
        origintype=SCXML_TYPE,
    )
    if seconds > 0.0:
        schedule(machine, sendid, seconds, lambda: _dispatch(machine, target, event))
    else:
        _dispatch(machine, target, event)
    return sendid


def schedule(
    machine: Machine, sendid: str, seconds: float, deliver: Callable[[], None]
) -> None:
    """Have the session's clock call `deliver` in `seconds`, unless `<cancel>`led first.

    The timer is kept under `sendid` until it fires; it does not fire once the
    session has finished.
    """
    timers = machine._timers
    if timers is None:
        timers = machine._timers = {}
    timers[sendid] = machine.clock.call_later(
        seconds, lambda: _fire(machine, sendid, deliver)
    )


def _fire(machine: Machine, sendid: str, deliver: Callable[[], None]) -> None:
    if machine._timers is not None:
        machine._timers.pop(sendid, None)
    if machine.finished:
        return
    deliver()


def undeliverable(
    machine: Machine, error: CommunicationError, sendid: str | None
) -> None:
    """Queue `error.communication` for `error` on `machine`; wake it if it is idle."""
    machine._fail(error, sendid)
    if machine._idle:
        machine._schedule_wake()


def _dispatch(machine: Machine, target: str | None, event: Event) -> None:
    """Put `event` on the queue of the session `target` names. Another
    session's queue holds at most its budget's `queue` events: past that the
    event is `error.communication` for the sender (a session cannot fill
    another's memory)."""
    try:
        recipient = _resolve(machine, target)
        if recipient is not machine:
            _check_room(machine, recipient, target)
    except CommunicationError as error:
        undeliverable(machine, error, event.sendid)
        return
    if isinstance(recipient, Invocation):  # a child, maybe not created yet
        recipient.deliver(event)
        return
    if recipient is machine._parent and recipient is not None:
        event.invokeid = machine._invokeid
    recipient._deliver(event)


def _check_room(
    sender: Machine, recipient: Machine | Invocation, target: str | None
) -> None:
    """`CommunicationError` when the queue of `recipient` (another session,
    or a child of `sender` still waiting for its document) is full."""
    if isinstance(recipient, Invocation):
        child = recipient.child
        if child is None:
            waiting, limit = len(recipient.waiting), sender.budget.queue
        else:
            waiting, limit = len(child._external or ()), child.budget.queue
    else:
        waiting = len(recipient._external or ())
        limit = recipient.budget.queue
    if waiting >= limit:
        raise CommunicationError(
            f"{target}: the session's external queue already holds {waiting:,} events"
        )


def _resolve(machine: Machine, target: str | None) -> Machine | Invocation:
    from .machine import SESSIONS  # machine imports this module

    if target is None:
        return machine
    if target == "#_parent":
        if machine._parent is None:
            raise CommunicationError("#_parent: this session was not invoked")
        return machine._parent
    if target.startswith("#_scxml_"):
        session = SESSIONS.get(target[len("#_scxml_") :])
        if session is None:
            raise CommunicationError(f"{target}: no such session")
        return session
    invocations = machine._invocations or {}
    invocation = invocations.get(target[2:])
    if invocation is None:
        raise CommunicationError(f"{target}: no such invoked session")
    return invocation
