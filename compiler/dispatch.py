"""Dispatch: the chart's own dispatch of external events, planned at build time.

On every external event the runtime looks the event and the configuration up
in its memo of plans, evaluates the conditions of the candidates, and runs the
winner's handlers through a tuple of functions. For the configurations the
compiler can name, it plans all of that once: the generated `_dispatch` method
compares the event's name and the configuration with constants and calls the
handlers by name (direct calls, once compiled with mypyc), the conditions in
document order, each under `try` as `Machine._resolve` evaluates them.

Input: the analysed chart, the names of its generated handlers and conditions,
its fused runs and the event names it accepts. Output: a `Dispatch` listing,
for each event name, the cases it handles: the configurations that behave
alike, and the candidate transitions with their microsteps. The configurations
are those reachable from the initial configuration by planned microsteps, and
those of a leaf with no parallel ancestor, a bounded number of them; at most
`MAX_COMPARES` for one name, and at most `MAX_NAMES` names, those planned in
the most configurations first (the order in which `_dispatch` compares them).

Only what the runtime's fast path would do is planned: a microstep whose plan
is cacheable (no history decides it) and a plain run of handlers (no invoke,
late-bound datamodel or final state), with at most one chain of candidates
(one active leaf selecting). Everything else (other names, other
configurations, a chart whose handlers read the configuration) is left to the
runtime's general path, which `_dispatch` tells by returning False before it
has evaluated anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from scxmlc.runtime.chart import Chart, Plan

from .analysis import ChartAnalysis
from .planner import HandlerNames, build_planner, leaf_configurations

__all__ = [
    "MAX_COMPARES",
    "MAX_CONFIGURATIONS",
    "MAX_NAMES",
    "Candidate",
    "Case",
    "Dispatch",
    "EventCases",
    "Step",
    "plan_dispatch",
]

MAX_CONFIGURATIONS = 256
"""Configurations a chart's dispatch looks at, at most."""
MAX_NAMES = 8
"""Event names a dispatch takes at most. It finds an event's name by
comparing it with each in turn, which pays only while the list is short (an
interpreted string compare costs about a tenth of the memo's look-ups, and a
name it does not take pays for every compare before the general path): the
names planned in the most configurations are kept, the others take the
general path."""
MAX_COMPARES = 16
"""Configurations one event name is planned for at most. The dispatch finds
a case by comparing the configuration with each in turn, which pays only
while the list is short (an interpreted compare costs about a tenth of the
memo's look-ups): the configurations found later take the general path."""


@dataclass(frozen=True)
class Step:
    """One microstep: the transitions taken, the handlers run in order (a
    fused run's function in place of the run), the states it may exit (the
    transitions' exit masks) and those it enters, and whether the macrostep
    goes on (eventless transitions may follow). The same step serves every
    configuration whose exited states run the same handlers: in a parallel
    state, whatever the other regions hold."""

    transitions: tuple[int, ...]
    calls: tuple[str, ...]
    fused: bool
    exits: int
    entered: int
    settle: bool

    def after(self, config: int) -> int:
        """The configuration after this step from `config` (Plan.config_after)."""
        return config & ~self.exits | self.entered


@dataclass(frozen=True)
class Candidate:
    """A transition to take if its condition (a function name; None: none)
    holds, tried in document order."""

    cond: str | None
    step: Step


@dataclass
class Case:
    """What an event does in `configs`: the first candidate whose condition
    holds is taken; if none holds, nothing happens."""

    configs: list[int]
    candidates: tuple[Candidate, ...]


Candidates = Callable[[str, int], tuple[Candidate, ...]]
"""The candidates of an event name in a configuration (`_candidates`, memoised)."""


@dataclass
class EventCases:
    """The cases of one event name, in the order the configurations were found."""

    name: str
    cases: list[Case]


@dataclass
class Dispatch:
    """The planned dispatch of one chart; `describe(config)` names the active
    leaves of a configuration for the generated comments."""

    events: list[EventCases]
    planner: Chart

    def describe(self, config: int) -> str:
        """The ids of the active atomic states of `config`, comma-separated."""
        return ", ".join(self.planner.active_atomic_ids(config))


def plan_dispatch(
    chart: ChartAnalysis,
    names: HandlerNames,
    fused: dict[tuple[str, ...], str],
    events: list[str],
    late_binding: bool,
) -> Dispatch | None:
    """The dispatch of `chart` for the event names `events`, or None when
    it would handle nothing. `fused` maps a run of handler names to the
    function that runs it. The chart's handlers must not read the
    configuration (`observes_configuration=False`)."""
    planner = build_planner(chart, names, late_binding)
    known: dict[tuple[str, int], tuple[Candidate, ...]] = {}

    def candidates(name: str, config: int) -> tuple[Candidate, ...]:
        found = known.get((name, config))
        if found is None:
            found = known[name, config] = _candidates(planner, name, config, fused)
        return found

    sources = _sources(planner, events)
    configs = _configurations(planner, sources, candidates)
    planned: list[EventCases] = []
    for name, states in sources.items():
        cases = _cases(name, states, configs, candidates)
        if cases:
            planned.append(EventCases(name, cases))
    planned.sort(key=lambda event: -sum(len(case.configs) for case in event.cases))
    del planned[MAX_NAMES:]
    return Dispatch(planned, planner) if planned else None


def _cases(
    name: str, states: int, configs: list[int], candidates: Candidates
) -> list[Case]:
    """The cases of event `name` in the first `MAX_COMPARES` of `configs` that
    take it: `states` are those with a transition for it (a mask)."""
    cases: dict[tuple[Candidate, ...], Case] = {}
    compares = MAX_COMPARES
    for config in configs:
        if not compares:
            break
        if not config & states:
            continue  # no active state has a transition for `name`
        found = candidates(name, config)
        if not found:
            continue
        compares -= 1
        case = cases.get(found)
        if case is not None:
            case.configs.append(config)
        else:
            cases[found] = Case([config], found)
    return list(cases.values())


def _sources(planner: Chart, events: list[str]) -> dict[str, int]:
    """For each event name a transition takes, the states (a mask) whose own
    transitions take it: a configuration none of which is active has nothing
    to plan for that name."""
    sources: dict[str, int] = {}
    for name in events:
        states = 0
        for index in planner.matching(name):
            states |= 1 << planner.transitions[index].source
        if states:
            sources[name] = states
    return sources


def _configurations(
    planner: Chart, sources: dict[str, int], candidates: Candidates
) -> list[int]:
    """The configurations to plan for, at most `MAX_CONFIGURATIONS`: those
    the planned microsteps reach from the initial configuration, breadth
    first (the likeliest first), then each other leaf's (no parallel
    ancestor), in document order."""
    found: dict[int, None] = {}
    initial = planner.initial_plan() if planner.states[0].initial >= 0 else None
    frontier: deque[int] = deque()
    if initial is not None and initial.cacheable:
        frontier.append(initial.config_after)
        found[initial.config_after] = None
    while frontier and len(found) < MAX_CONFIGURATIONS:
        config = frontier.popleft()
        for name, states in sources.items():
            if not config & states:
                continue
            for candidate in candidates(name, config):
                after = candidate.step.after(config)
                if after not in found:
                    found[after] = None
                    frontier.append(after)
    for _, config in leaf_configurations(planner):
        found.setdefault(config)
    return list(found)[:MAX_CONFIGURATIONS]


def _candidates(
    planner: Chart, name: str, config: int, fused: dict[tuple[str, ...], str]
) -> tuple[Candidate, ...]:
    """The candidates of event `name` in `config`, or () when the runtime's
    general path must decide (or nothing is selected)."""
    selection = planner.select(name, config)
    if isinstance(selection, Plan):
        step = _step(planner, config, selection, fused)
        return (Candidate(None, step),) if step is not None else ()
    chains = selection.chains
    if len(chains) != 1:
        return ()  # nothing selected, or several leaves select: the general path
    return _chain(planner, config, chains[0], fused)


def _chain(
    planner: Chart,
    config: int,
    chain: tuple[tuple[int, object], ...],
    fused: dict[tuple[str, ...], str],
) -> tuple[Candidate, ...]:
    """The candidates of one chain of (transition, condition name)."""
    candidates: list[Candidate] = []
    for transition, cond in chain:
        plan = planner.plan(config, [transition], {})
        step = _step(planner, config, plan, fused)
        if step is None:
            return ()
        candidates.append(Candidate(None if cond is None else str(cond), step))
    return tuple(candidates)


def _step(
    planner: Chart, config: int, plan: Plan, fused: dict[tuple[str, ...], str]
) -> Step | None:
    """The step of `plan` (taken in `config`), or None when it needs the
    general path (history, invokes, late binding, final states)."""
    if not plan.cacheable or plan.calls is None:
        return None
    calls = tuple(str(handler) for handler in plan.calls)
    run = fused.get(calls) if len(calls) > 1 else None
    exits = 0
    for transition in plan.transitions:
        exits |= planner.exit_masks[transition]
    step = Step(
        plan.transitions,
        (run,) if run is not None else calls,
        run is not None,
        exits,
        plan.entered,
        plan.settle,
    )
    assert step.after(config) == plan.config_after, "a plan the masks do not give"
    return step
