"""Fusion: one generated method for each run of handlers a microstep can make.

A microstep runs the onexit handlers of the states it leaves, the transition's
content and the onentry handlers of the states it enters, each a method. When no
handler reads the configuration (no `In()`), the compiler can run them as one
method with each block inlined under its own `try`, which saves a call per block
on every event. This module finds those runs.

Input: the analysed chart and the handler method names of each state and
transition. Output: the distinct runs of two or more handlers that a single
transition can make from a configuration of non-parallel states, found with the
runtime's own planner. Runs that depend on history, or that cross parallel
regions, are left to the runtime's general path.
"""

from __future__ import annotations

from scxmlc.runtime.chart import PARALLEL, Chart, InvokeSpec, StateSpec, TransitionSpec

from .analysis import ChartAnalysis

__all__ = ["MAX_FUSED", "handler_runs"]

MAX_FUSED = 64
"""Fused methods per machine at most (bounds the size of generated modules)."""


def handler_runs(
    chart: ChartAnalysis,
    onentry: dict[int, tuple[str, ...]],
    onexit: dict[int, tuple[str, ...]],
    content: dict[int, str],
    late_binding: bool,
) -> list[tuple[str, ...]]:
    """The distinct handler runs worth fusing, in the order they were found."""
    planner = _planner(chart, onentry, onexit, content, late_binding)
    structure = planner.structure
    leaves = [
        s.index
        for s in chart.states
        if s.index and structure.atomic_mask >> s.index & 1
    ]
    runs: dict[tuple[str, ...], None] = {}

    def consider(config: int, transitions: list[int]) -> None:
        plan = planner.plan(config, transitions, {})
        if plan.cacheable and plan.calls is not None and len(plan.calls) >= 2:
            runs.setdefault(tuple(str(h) for h in plan.calls), None)

    if chart.states[0].initial >= 0:  # a document without states has none
        consider(1, [chart.states[0].initial])
    for t in chart.transitions:
        if t.initial:
            continue
        for leaf in leaves:
            if len(runs) >= MAX_FUSED:
                return list(runs)
            if leaf != t.source and not structure.is_descendant(leaf, t.source):
                continue
            ancestors = list(structure.proper_ancestors(leaf))
            if any(structure.kinds[a] == PARALLEL for a in ancestors):
                continue
            config = 1 << leaf
            for ancestor in ancestors:
                config |= 1 << ancestor
            consider(config, [t.index])
    return list(runs)


def _planner(
    chart: ChartAnalysis,
    onentry: dict[int, tuple[str, ...]],
    onexit: dict[int, tuple[str, ...]],
    content: dict[int, str],
    late_binding: bool,
) -> Chart:
    """A runtime `Chart` whose handlers are method names: plans list names."""
    states = []
    for state in chart.states:
        node = state.node
        states.append(
            StateSpec(
                state.id,
                state.kind,
                state.parent,
                onentry=onentry.get(state.index, ()),  # type: ignore[arg-type]
                onexit=onexit.get(state.index, ()),  # type: ignore[arg-type]
                initial=state.initial,
                invokes=tuple(
                    InvokeSpec(state.index) for _ in (node.invokes if node else ())
                ),
                datamodel=(
                    (lambda machine: None) if node is not None and node.data else None
                ),
            )
        )
    transitions = [
        TransitionSpec(
            t.source,
            t.targets,
            t.events,
            content=content.get(t.index),  # type: ignore[arg-type]
            internal=t.internal,
            initial=t.initial,
            domain=t.domain,
            entry=t.entry,
            default_entry=t.default_entry,
        )
        for t in chart.transitions
    ]
    return Chart(
        chart.name,
        states,
        transitions,
        binding="late" if late_binding else "early",
        observes_configuration=False,
    )
