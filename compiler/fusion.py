"""Fusion: one generated method for each run of handlers a microstep can make.

A microstep runs the onexit handlers of the states it leaves, the transition's
content and the onentry handlers of the states it enters, each a method. When no
handler reads the configuration (no `In()`), the compiler can run them as one
method with each block inlined under its own `try`, which saves a call per block
on every event. This module finds those runs.

Input: the analysed chart and the handler method names of each state and
transition. Output: the distinct runs of two or more handlers that a single
transition can make from a configuration of non-parallel states, found with the
runtime's own planner (`planner.py`). Runs that depend on history, or that cross
parallel regions, are left to the runtime's general path.
"""

from __future__ import annotations

from .analysis import ChartAnalysis
from .planner import HandlerNames, build_planner, leaf_configurations

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
    planner = build_planner(chart, HandlerNames(onentry, onexit, content), late_binding)
    structure = planner.structure
    leaves = leaf_configurations(planner)
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
        for leaf, config in leaves:
            if len(runs) >= MAX_FUSED:
                return list(runs)
            if leaf == t.source or structure.is_descendant(leaf, t.source):
                consider(config, [t.index])
    return list(runs)
