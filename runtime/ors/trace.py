"""What a platform run did, in order: the trace that `scxmlc run` prints.

Entries come from the sessions (events taken, states after each step, logs,
errors, session start and end) and from the backend (arrivals, agent state
changes, routing decisions, treatments, hang-ups). `Trace` keeps them in memory
when asked to (the CLI and tests do; a load run does not) and passes each to the
listeners, so a long-running server can stream them instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Trace", "TraceEntry"]


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One thing that happened at `time` (seconds on the platform's clock).

    `kind` is one of `arrival`, `agent`, `session`, `event`, `state`, `log`,
    `error`, `route`, `treatment`, `interaction`, `message`, `statistic`,
    `scenario`; `session` the short label of the session involved (`S1`), if any.
    """

    time: float
    kind: str
    text: str
    session: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"time": round(self.time, 3), "kind": self.kind}
        if self.session is not None:
            record["session"] = self.session
        record["text"] = self.text
        if self.data:
            record["data"] = self.data
        return record


class Trace:
    """An append-only record of a run, with listeners."""

    __slots__ = ("entries", "keep", "_listeners", "_clock")

    def __init__(self, clock: Callable[[], float], *, keep: bool = True) -> None:
        self.entries: list[TraceEntry] = []
        self.keep = keep
        self._listeners: list[Callable[[TraceEntry], None]] = []
        self._clock = clock

    @property
    def active(self) -> bool:
        """Whether anyone reads the trace (entries are not built otherwise)."""
        return self.keep or bool(self._listeners)

    def listen(self, listener: Callable[[TraceEntry], None]) -> None:
        self._listeners.append(listener)

    def add(
        self, kind: str, text: str, session: str | None = None, **data: Any
    ) -> None:
        if not self.active:
            return
        entry = TraceEntry(self._clock(), kind, text, session, data)
        if self.keep:
            self.entries.append(entry)
        for listener in self._listeners:
            listener(entry)

    def of_kind(self, *kinds: str) -> list[TraceEntry]:
        return [e for e in self.entries if e.kind in kinds]
