"""The asynchronous request pattern of every ORS action element (EXTENSIONS.md §1.2).

An action returns at once with a fresh request id, which the document stores in
its `requestid` location. Later the backend completes the `Request`: `done()`
queues `<prefix>.<action>.done`, `fail()` queues `error.<prefix>.<action>`, both
with `requestid` in `_event.data`, on the session's external queue. A request is
completed once; completing it again is a backend bug and raises.

A request the session is still waiting for is listed in its session's
`requests` (`pending`) until it completes; a snapshot of the session keeps
each one as plain data (`handover.request_record`): its id, prefix and action, the
intermediate events it already delivered, and, for the actions another
platform may issue again, the service call that issued it (`call`, made by
`handover.call_record`). See `handover` for what a restored session's
platform does with them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..events import AttrDict

__all__ = ["EventSink", "Request", "RequestIds", "request_number"]


class EventSink(Protocol):
    """Where a request's events go: the external queue of the session that made it."""

    @property
    def sessionid(self) -> str: ...

    def deliver(self, name: str, data: dict[str, Any]) -> None:
        """Queue external event `name` with `data` (as `_event.data`)."""
        ...


class RequestIds:
    """Request ids unique within a platform: `<prefix>-<n>` (`queue-17`)."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 1

    def new(self, prefix: str) -> str:
        number, self._next = self._next, self._next + 1
        return f"{prefix}-{number}"

    def past(self, requestid: str) -> None:
        """Mint no id up to `requestid`'s number again: a restored session
        still waits for `requestid`, made by the platform it came from."""
        number = request_number(requestid)
        if number is not None:
            self._next = max(self._next, number + 1)


def request_number(requestid: str) -> int | None:
    """The `<n>` of a request id `<prefix>-<n>` (`queue-17`: 17); None for
    an id of another form, or a number too long to be one a platform minted."""
    number = requestid.rsplit("-", 1)[-1]
    return int(number) if number.isdigit() and len(number) < 16 else None


class Request:
    """One pending action: who asked, which action, and its id.

    `prefix` is the event prefix (`queue`, `interaction`, `voice`, `msgbased`,
    `chat`, `dialog`, `statistic`, `classification`, `session`, `elasticconnector`)
    and `action` the element's name, so events are `<prefix>.<action>.done` and
    `error.<prefix>.<action>`.
    """

    __slots__ = (
        "sink",
        "prefix",
        "action",
        "requestid",
        "completed",
        "notified",
        "call",
        "pending",
        "settled",
    )

    def __init__(
        self, sink: EventSink, prefix: str, action: str, requestid: str
    ) -> None:
        self.sink = sink
        self.prefix = prefix
        self.action = action
        self.requestid = requestid
        self.completed = False
        self.notified: list[str] = []
        """The suffixes of the intermediate events delivered so far: a request
        issued again does not deliver them twice."""
        self.call: dict[str, Any] | None = None
        """How to issue the request again on another platform (the backend's
        service and method, the arguments as issued, when: `handover.
        call_record`); None for the actions that are not."""
        self.pending: dict[str, Request] | None = None
        """The session's `requests`, which list this one until it completes."""
        self.settled: Callable[[Request], None] | None = None
        """Told when the request completes (its platform stops listing it)."""

    @property
    def done_event(self) -> str:
        return f"{self.prefix}.{self.action}.done"

    @property
    def error_event(self) -> str:
        return f"error.{self.prefix}.{self.action}"

    def notify(self, suffix: str, **data: Any) -> None:
        """An intermediate event, `<prefix>.<action>.<suffix>` (`queue.submit.requestid`),
        once per request: a request issued again does not repeat one."""
        if suffix in self.notified:
            return
        self.notified.append(suffix)
        self.sink.deliver(
            f"{self.prefix}.{self.action}.{suffix}",
            AttrDict(requestid=self.requestid, **data),
        )

    def done(self, **data: Any) -> None:
        """Complete successfully: `<prefix>.<action>.done` with `requestid` and `data`."""
        self._complete()
        self.sink.deliver(self.done_event, AttrDict(requestid=self.requestid, **data))

    def fail(self, error: str, description: str = "", **data: Any) -> None:
        """Complete with `error.<prefix>.<action>`: `requestid`, `error`, `description`."""
        self._complete()
        self.sink.deliver(
            self.error_event,
            AttrDict(
                requestid=self.requestid,
                error=error,
                description=description or error,
                **data,
            ),
        )

    def report(self, error: str, description: str, **data: Any) -> None:
        """An error event that does not complete the request (a
        `<queue:submit clearontimeout="false">` that timed out and still
        waits), once per request and error, as `notify` is."""
        key = f"error:{error}"
        if key in self.notified:
            return
        self.notified.append(key)
        self.sink.deliver(
            self.error_event,
            AttrDict(
                requestid=self.requestid, error=error, description=description, **data
            ),
        )

    def _complete(self) -> None:
        if self.completed:
            raise RuntimeError(f"request {self.requestid} completed twice")
        self.completed = True
        if self.pending is not None:
            self.pending.pop(self.requestid, None)
            self.pending = None
        if self.settled is not None:
            self.settled(self)
            self.settled = None

    def __repr__(self) -> str:
        state = "completed" if self.completed else "pending"
        return f"<Request {self.requestid} {self.prefix}.{self.action} {state}>"
