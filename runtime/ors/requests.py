"""The asynchronous request pattern of every ORS action element (EXTENSIONS.md §1.2).

An action returns at once with a fresh request id, which the document stores in
its `requestid` location. Later the backend completes the `Request`: `done()`
queues `<prefix>.<action>.done`, `fail()` queues `error.<prefix>.<action>`, both
with `requestid` in `_event.data`, on the session's external queue. A request is
completed once; completing it again is a backend bug and raises.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

from ..events import AttrDict

__all__ = ["EventSink", "Request", "RequestIds"]


class EventSink(Protocol):
    """Where a request's events go: the external queue of the session that made it."""

    @property
    def sessionid(self) -> str: ...

    def deliver(self, name: str, data: dict[str, Any]) -> None:
        """Queue external event `name` with `data` (as `_event.data`)."""
        ...


class RequestIds:
    """Request ids unique within a platform: `<prefix>-<n>` (`queue-17`)."""

    __slots__ = ("_counter",)

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}"


class Request:
    """One pending action: who asked, which action, and its id.

    `prefix` is the event prefix (`queue`, `interaction`, `voice`, `msgbased`,
    `chat`, `dialog`, `statistic`, `classification`, `session`, `elasticconnector`)
    and `action` the element's name, so events are `<prefix>.<action>.done` and
    `error.<prefix>.<action>`.
    """

    __slots__ = ("sink", "prefix", "action", "requestid", "completed")

    def __init__(
        self, sink: EventSink, prefix: str, action: str, requestid: str
    ) -> None:
        self.sink = sink
        self.prefix = prefix
        self.action = action
        self.requestid = requestid
        self.completed = False

    @property
    def done_event(self) -> str:
        return f"{self.prefix}.{self.action}.done"

    @property
    def error_event(self) -> str:
        return f"error.{self.prefix}.{self.action}"

    def notify(self, suffix: str, **data: Any) -> None:
        """An intermediate event, `<prefix>.<action>.<suffix>` (`queue.submit.requestid`)."""
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

    def _complete(self) -> None:
        if self.completed:
            raise RuntimeError(f"request {self.requestid} completed twice")
        self.completed = True

    def __repr__(self) -> str:
        state = "completed" if self.completed else "pending"
        return f"<Request {self.requestid} {self.prefix}.{self.action} {state}>"
