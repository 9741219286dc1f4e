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

from .clock import wall_time as clock_wall_time
from .errors import CommunicationError, ExecutionError
from .events import EXTERNAL, INTERNAL, Event
from .invoke import Invocation
from .snapshot import RestoreError, allow

if TYPE_CHECKING:
    from .clock import Timer
    from .machine import Machine

__all__ = [
    "Delayed",
    "SCXML_TYPE",
    "parse_delay",
    "pending",
    "register_delivery",
    "reschedule",
    "schedule",
    "send",
    "take",
    "undeliverable",
    "wall_time",
]

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
        schedule(machine, sendid, seconds, SCXML_DELIVERY, (target, event))
    else:
        _dispatch(machine, target, event)
    return sendid


# -- delayed sends, as data ---------------------------------------------------------

SCXML_DELIVERY: Final = "scxml"
"""The delivery kind of delayed events of the SCXML Event I/O Processor."""

Delivery = Callable[["Machine", Any], None]
"""What delivers a delayed send when it falls due: `deliver(machine, payload)`."""

_DELIVERIES: dict[str, Delivery] = {}


def register_delivery(kind: str, deliver: Delivery) -> None:
    """Name how delayed sends of `kind` are delivered (an event I/O processor
    does this once, at import): a snapshot records the kind and the payload of
    each pending send, and a restored session finds the delivery by its kind."""
    _DELIVERIES[kind] = deliver


def wall_time(machine: Machine) -> float:
    """Seconds since 1970-01-01 UTC by the session's clock (the host's time
    for a clock without `wall_time()`)."""
    return clock_wall_time(machine.clock)


@allow
class Delayed:
    """A delayed send waiting for its time: its `sendid`, when it is `due`
    (wall-clock seconds since 1970-01-01 UTC, so that a session restored after
    a pause sends what fell due meanwhile at once), the `kind` of delivery
    (`register_delivery`) and its `payload` (for the SCXML processor, the
    target and the event). `timer` is the clock's callback (None once it
    fired or was cancelled); `cancel()` cancels it. `shadowed` is the send
    still pending under the same send id, sent before this one (a session's
    `_timers` holds the latest). A snapshot saves the first four
    (`__getstate__`)."""

    __slots__ = ("sendid", "due", "kind", "payload", "timer", "shadowed")

    def __init__(self, sendid: str, due: float, kind: str, payload: Any) -> None:
        self.sendid = sendid
        self.due = due
        self.kind = kind
        self.payload = payload
        self.timer: Timer | None = None
        self.shadowed: Delayed | None = None

    def cancel(self) -> None:
        """Cancel this send and those it shadows."""
        delayed: Delayed | None = self
        while delayed is not None:
            if delayed.timer is not None:
                delayed.timer.cancel()
                delayed.timer = None
            delayed = delayed.shadowed

    def __getstate__(self) -> tuple[str, float, str, Any]:
        return (self.sendid, self.due, self.kind, self.payload)

    def __setstate__(self, state: tuple[str, float, str, Any]) -> None:
        self.sendid, self.due, self.kind, self.payload = state
        self.timer = None
        self.shadowed = None

    def __repr__(self) -> str:
        return f"Delayed({self.sendid!r}, due={self.due!r}, kind={self.kind!r})"


def schedule(
    machine: Machine, sendid: str, seconds: float, kind: str, payload: Any
) -> None:
    """Have the session's clock deliver `payload` (by the delivery registered
    for `kind`) in `seconds`, unless `<cancel>`led first.

    The send is kept under `sendid` until it fires, as a `Delayed` record that
    snapshots save; it does not fire once the session has finished.
    """
    if kind not in _DELIVERIES:
        raise ValueError(f"no delivery registered for delayed sends of kind {kind!r}")
    _arm(machine, Delayed(sendid, wall_time(machine) + seconds, kind, payload), seconds)


def reschedule(machine: Machine, pending: list[Delayed]) -> None:
    """Put the delayed sends of a restored session back on its clock, each at
    its due time (at once if that has passed), in the order they were sent."""
    now = wall_time(machine)
    for delayed in pending:
        if delayed.kind == "basichttp":
            from . import basichttp  # noqa: F401 - which registers its delivery
        if delayed.kind not in _DELIVERIES:
            raise RestoreError(
                f"no delivery for the delayed send {delayed.sendid!r} of kind "
                f"{delayed.kind!r}"
            )
        _arm(machine, delayed, max(delayed.due - now, 0.0))


def pending(machine: Machine) -> list[Delayed]:
    """The delayed sends of `machine` that have not fired, in the order they
    were sent under each send id."""
    found: list[Delayed] = []
    for latest in (machine._timers or {}).values():
        chain: list[Delayed] = []
        delayed: Delayed | None = latest
        while delayed is not None:
            if delayed.timer is not None:
                chain.append(delayed)
            delayed = delayed.shadowed
        found.extend(reversed(chain))
    return found


def take(machine: Machine, sendid: str) -> Delayed | None:
    """Remove the latest delayed send under `sendid` that has not fired (what
    `<cancel>` cancels); one sent before it under that id stays pending."""
    timers = machine._timers
    latest = timers.pop(sendid, None) if timers else None
    if latest is None:
        return None
    earlier = _live(latest.shadowed)
    latest.shadowed = None
    if earlier is not None:
        assert timers is not None
        timers[sendid] = earlier
    return latest


def _live(delayed: Delayed | None) -> Delayed | None:
    """The first send of the chain from `delayed` that has not fired, the
    chain after it cut to those that have not fired either."""
    head = last = None
    while delayed is not None:
        if delayed.timer is not None:
            if last is None:
                head = delayed
            else:
                last.shadowed = delayed
            last = delayed
        delayed = delayed.shadowed
    if last is not None:
        last.shadowed = None
    return head


def _arm(machine: Machine, delayed: Delayed, seconds: float) -> None:
    timers = machine._timers
    if timers is None:
        timers = machine._timers = {}
    earlier = timers.get(delayed.sendid)
    if earlier is not None:
        delayed.shadowed = _live(earlier)
    timers[delayed.sendid] = delayed
    delayed.timer = machine.clock.call_later(seconds, lambda: _fire(machine, delayed))


def _fire(machine: Machine, delayed: Delayed) -> None:
    delayed.timer = None
    timers = machine._timers
    if timers is not None and timers.get(delayed.sendid) is delayed:
        earlier = _live(delayed.shadowed)
        delayed.shadowed = None
        if earlier is None:
            del timers[delayed.sendid]
        else:
            timers[delayed.sendid] = earlier
    if machine.finished:
        return
    _DELIVERIES[delayed.kind](machine, delayed.payload)


def _deliver_scxml(machine: Machine, payload: tuple[str | None, Event]) -> None:
    target, event = payload
    _dispatch(machine, target, event)


register_delivery(SCXML_DELIVERY, _deliver_scxml)


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
