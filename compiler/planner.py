"""The runtime's planner at build time: a `Chart` whose handlers are names.

Fusion (`fusion.py`) and the chart's own dispatch (`dispatch.py`) ask what a
microstep does before any session runs. They ask the runtime's own `Chart`,
built from the analysed chart with the names of the generated functions in
place of the functions themselves, so that what the compiler plans and what the
runtime would plan cannot differ: a plan's `calls` then lists function names,
and a selection's conditions are the names of the condition functions.

Input: the analysed chart and the generated names of its handlers. Output: a
`scxmlc.runtime.chart.Chart` to plan with (never to run).
"""

from __future__ import annotations

from scxmlc.runtime.chart import (
    PARALLEL,
    Chart,
    InvokeSpec,
    StateSpec,
    TransitionSpec,
)

from .analysis import ChartAnalysis

__all__ = ["HandlerNames", "build_planner", "leaf_configurations"]


class HandlerNames:
    """The names of the generated handlers of one chart, by state or transition."""

    def __init__(
        self,
        onentry: dict[int, tuple[str, ...]],
        onexit: dict[int, tuple[str, ...]],
        content: dict[int, str],
        conds: dict[int, str] | None = None,
    ) -> None:
        self.onentry = onentry
        self.onexit = onexit
        self.content = content
        self.conds = conds or {}


def build_planner(
    chart: ChartAnalysis, names: HandlerNames, late_binding: bool
) -> Chart:
    """A runtime `Chart` for `chart` whose handlers and conditions are `names`.

    It plans as the generated chart does with `observes_configuration=False`
    (a caller that cannot assume that must not use its plans). The states'
    invokes and late-bound datamodels are stand-ins that only mark where a
    plan takes the runtime's general path."""
    states = []
    for state in chart.states:
        node = state.node
        states.append(
            StateSpec(
                state.id,
                state.kind,
                state.parent,
                onentry=names.onentry.get(state.index, ()),  # type: ignore[arg-type]
                onexit=names.onexit.get(state.index, ()),  # type: ignore[arg-type]
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
            cond=names.conds.get(t.index),  # type: ignore[arg-type]
            content=names.content.get(t.index),  # type: ignore[arg-type]
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


def leaf_configurations(planner: Chart) -> list[tuple[int, int]]:
    """(leaf, configuration) for each atomic or final state of `planner` with
    no parallel ancestor, in document order: the configuration is the only one
    in which that state is the active leaf (it and its ancestors, the root's
    bit included)."""
    structure = planner.structure
    found: list[tuple[int, int]] = []
    for leaf in range(1, len(structure.kinds)):
        if not structure.atomic_mask >> leaf & 1:
            continue
        ancestors = list(structure.proper_ancestors(leaf))
        if any(structure.kinds[a] == PARALLEL for a in ancestors):
            continue
        config = 1 << leaf
        for ancestor in ancestors:
            config |= 1 << ancestor
        found.append((leaf, config))
    return found
