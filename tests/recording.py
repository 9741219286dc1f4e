"""An observer that records what a session does, for assertions in tests."""

from __future__ import annotations

from typing import Any

from scxmlc.runtime import Event, Machine, Observer


class Recorder(Observer):
    """Events processed, `<log>`s as (label, value), errors as (event, message)."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.logs: list[tuple[str | None, Any]] = []
        self.errors: list[tuple[str, str]] = []

    def on_event(self, machine: Machine, event: Event) -> None:
        self.events.append(event.name)

    def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
        self.logs.append((label, value))

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        self.errors.append((event.name, str(error) if error is not None else ""))

    @property
    def values(self) -> list[Any]:
        """The logged values alone."""
        return [value for _, value in self.logs]
