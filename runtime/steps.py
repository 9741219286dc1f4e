"""What a session did, step by step: the records an `Observer` receives.

A *microstep* takes one set of transitions (several in parallel regions):
it exits states, runs the transitions' content and enters states. A
*macrostep* is everything one external event (or the session's start, or
internal events waiting when a session wakes) sets off: the microsteps of that
event, of the eventless transitions and of the internal events it raised, until
the session is stable. Compare sismic's `MacroStep` and `MicroStep`.

`StepRecorder` builds these records for one session whose observer takes steps
(see `Observer.takes_steps` in runtime/machine.py); sessions whose observer
does not take steps never create one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .chart import Chart, Plan, bits, bits_descending
from .events import Event

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["MacroStep", "MicroStep", "StepRecorder", "TakenTransition"]


@dataclass(frozen=True, slots=True)
class TakenTransition:
    """A transition a microstep took.

    `index` is its position in document order (the compiled chart's
    `transitions`), `source` and `targets` state ids (`targets` empty for a
    targetless transition), `events` its event descriptors (empty:
    eventless; a `<state initial>`'s default transition also has none), `cond`
    its condition as written (None without one), `line` its line in the
    document.
    """

    index: int
    source: str
    targets: tuple[str, ...]
    events: tuple[str, ...]
    cond: str | None
    line: int


@dataclass(frozen=True, slots=True)
class MicroStep:
    """One microstep: `event` that enabled it (None for an eventless
    transition and for entering the initial configuration), the
    `transitions` taken, the states `exited` (in exit order) and `entered` (in
    entry order), and the `configuration` after it (active state ids in
    document order)."""

    event: Event | None
    transitions: tuple[TakenTransition, ...]
    exited: tuple[str, ...]
    entered: tuple[str, ...]
    configuration: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MacroStep:
    """One macrostep: the external `event` that started it (None for the
    session's start and for internal events processed on waking), when
    (`time`, the session's clock), its `steps` in order, and the
    `configuration` the session is stable in afterwards."""

    event: Event | None
    time: float
    steps: tuple[MicroStep, ...]
    configuration: tuple[str, ...]

    @property
    def transitions(self) -> tuple[TakenTransition, ...]:
        """The transitions of all its microsteps, in the order taken."""
        return tuple(t for step in self.steps for t in step.transitions)

    @property
    def exited(self) -> tuple[str, ...]:
        """The states its microsteps exited, in order (a state may repeat)."""
        return tuple(s for step in self.steps for s in step.exited)

    @property
    def entered(self) -> tuple[str, ...]:
        """The states its microsteps entered, in order (a state may repeat)."""
        return tuple(s for step in self.steps for s in step.entered)


def configuration_ids(chart: Chart, config: int) -> tuple[str, ...]:
    """The ids of the active states of `config`, document order, root excluded."""
    ids = chart.ids
    return tuple(ids[i] for i in bits(config & ~1))


def taken_transition(chart: Chart, index: int) -> TakenTransition:
    """The record of transition `index` of `chart`."""
    spec = chart.transitions[index]
    ids = chart.ids
    return TakenTransition(
        index,
        ids[spec.source],
        tuple(ids[t] for t in spec.targets),
        spec.events,
        spec.cond_text or None,
        spec.line,
    )


class StepRecorder:
    """Collects the microsteps of one session's current macrostep and hands
    each step to the session's observer as it completes."""

    __slots__ = ("event", "steps", "time")

    def __init__(self) -> None:
        self.event: Event | None = None
        self.steps: list[MicroStep] = []
        self.time = 0.0

    def begin(self, machine: Machine, event: Event | None) -> None:
        """A macrostep starts, for external `event` (None: start or wake)."""
        self.event = event
        self.steps = []
        self.time = machine.clock.now()

    def microstep(self, machine: Machine, plan: Plan, event: Event | None) -> None:
        """Run `plan` on `machine` (its general path: each handler sees its
        configuration) and report it as a microstep for `event`."""
        machine._microstep(plan)
        chart = machine._chart
        ids = chart.ids
        step = MicroStep(
            event,
            tuple(taken_transition(chart, t) for t in plan.transitions),
            tuple(ids[s] for s in bits_descending(plan.exited)),
            tuple(ids[s] for s in bits(plan.entered)),
            configuration_ids(chart, machine._config),
        )
        self.steps.append(step)
        observer = machine._observer
        if observer is not None:
            observer.on_microstep(machine, step)

    def end(self, machine: Machine) -> None:
        """The macrostep is over: report it."""
        step = MacroStep(
            self.event,
            self.time,
            tuple(self.steps),
            configuration_ids(machine._chart, machine._config),
        )
        self.event = None
        self.steps = []
        observer = machine._observer
        if observer is not None:
            observer.on_macrostep(machine, step)
