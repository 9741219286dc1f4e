"""What a platform run did, in order: the trace that `scxmlc run` prints.

Entries come from the sessions (events taken, states after each step, logs,
errors, session start and end) and from the backend (arrivals, agent state
changes, routing decisions, treatments, hang-ups). `Trace` keeps them in memory
when asked to (the CLI and tests do; a load run does not) and passes each to the
listeners, so a long-running server can stream them instead.

`state` entries come from the sessions' macrosteps (`Observer.on_macrostep`,
runtime/steps.py): their text is the active atomic states, their data what
`step_data` makes of the step (the transitions taken, the states exited and
entered, the configuration) and, when `Trace.datamodels` is set, the session's
datamodel after the step (`datamodel_data`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .plain import plain

if TYPE_CHECKING:
    from ..machine import Machine
    from ..steps import MacroStep, MicroStep

__all__ = ["Trace", "TraceEntry", "datamodel_data", "microstep_data", "step_data"]


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

    __slots__ = ("entries", "keep", "datamodels", "_listeners", "_clock")

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        keep: bool = True,
        datamodels: bool = False,
    ) -> None:
        self.entries: list[TraceEntry] = []
        self.keep = keep
        self.datamodels = datamodels
        """Whether `state` entries carry the session's datamodel."""
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


def step_data(step: MacroStep) -> dict[str, Any]:
    """A macrostep as plain JSON data: `event` (its name, or None), `steps`
    (each as `microstep_data` makes it) and `configuration`."""
    return {
        "event": step.event.name if step.event is not None else None,
        "steps": [microstep_data(micro) for micro in step.steps],
        "configuration": list(step.configuration),
    }


def microstep_data(step: MicroStep) -> dict[str, Any]:
    """A microstep as plain JSON data: `step` (the name of its event, or
    None), `transitions` as `{index, source, targets, events, cond, line}` (the
    `<scxml>` root's source is ""), `exited`, `entered` and `configuration`."""
    return {
        "step": step.event.name if step.event is not None else None,
        "transitions": [
            {
                "index": t.index,
                "source": t.source,
                "targets": list(t.targets),
                "events": list(t.events),
                "cond": t.cond,
                "line": t.line,
            }
            for t in step.transitions
        ],
        "exited": list(step.exited),
        "entered": list(step.entered),
        "configuration": list(step.configuration),
    }


def datamodel_data(machine: Machine) -> dict[str, Any] | None:
    """The `<data>` variables of `machine` as plain JSON data (values that are
    not JSON become strings), or None when it has no datamodel to show."""
    dm = getattr(machine, "dm", None)
    if dm is None:
        return None
    names = sorted(machine._data_ids)
    if hasattr(dm, "get"):
        values = {name: dm.get(name) for name in names}
    else:
        values = {name: getattr(dm, name, None) for name in names}
    shown = plain(values)
    return shown if isinstance(shown, dict) else None
