"""Run-time faults of executable content and the events they become.

Any exception raised by generated code while it runs a block of executable content
ends that block and becomes an `error.execution` event on the internal queue (SCXML
5.10). Runtime services raise the subclasses below to choose another event name.
"""

from __future__ import annotations

__all__ = ["CommunicationError", "ExecutionError", "PlatformError", "ScxmlError"]


class ScxmlError(Exception):
    """Base of the errors that become SCXML error events; `event` is the event name.

    `sendid` is the id of the `<send>` that failed, copied into the error event.
    """

    event = "error.execution"

    def __init__(self, message: str = "", *, sendid: str | None = None) -> None:
        super().__init__(message)
        self.sendid = sendid


class ExecutionError(ScxmlError):
    """An illegal expression, location, value or target: `error.execution`."""

    event = "error.execution"


class CommunicationError(ScxmlError):
    """A message that could not be delivered: `error.communication`.

    It does not end the block that sent the message; the runtime queues the event.
    """

    event = "error.communication"


class PlatformError(ScxmlError):
    """A platform error with its own event name (`error.<prefix>.<action>` ...)."""

    def __init__(
        self, event: str, message: str = "", *, sendid: str | None = None
    ) -> None:
        super().__init__(message or event, sendid=sendid)
        self.event = event
