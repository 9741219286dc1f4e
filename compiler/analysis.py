"""Analysis phase: `ir.Document` -> `ChartAnalysis`, the resolved statechart.

Input: the IR of one document. Output: states numbered in document order (0 is the
`<scxml>` root, history pseudo-states included), transitions numbered in document
order with resolved targets, and, for each transition, what the runtime would
otherwise recompute on every event: its domain, and (when no history state is
involved) the states it enters and the compound states it enters by default. The
topology algorithms are the runtime's own (`scxmlc.runtime.chart.Structure`), so the
two cannot disagree.

Checked here: unique state ids and `<data>` ids (in every datamodel), known
targets (an unknown one at its word of the attribute, with the closest id),
legal `initial` targets (descendants of the state), legal history defaults, and
the structure of `<initial>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scxmlc.runtime.chart import (
    ATOMIC,
    COMPOUND,
    DEEP_HISTORY,
    FINAL,
    PARALLEL,
    ROOT,
    SHALLOW_HISTORY,
    Structure,
)

from . import ir
from .diagnostics import Diagnostics, Loc
from .suggestions import did_you_mean
from .walk import all_data

__all__ = ["ChartAnalysis", "StateNode", "TransitionNode", "analyze"]

_KINDS = {"parallel": PARALLEL, "final": FINAL}


@dataclass
class StateNode:
    """A state with its index in document order and resolved relations."""

    index: int
    id: str
    kind: int
    parent: int
    node: ir.State | None
    loc: Loc
    children: list[int] = field(default_factory=list)
    initial: int = -1
    transitions: list[int] = field(default_factory=list)

    @property
    def is_history(self) -> bool:
        return self.kind in (SHALLOW_HISTORY, DEEP_HISTORY)


@dataclass
class TransitionNode:
    """A transition with resolved targets and precomputed domain and entry set."""

    index: int
    source: int
    node: ir.Transition | None
    loc: Loc
    targets: tuple[int, ...]
    events: tuple[str, ...]
    internal: bool
    initial: bool
    domain: int = -1
    entry: int = -1
    default_entry: int = 0


@dataclass
class ChartAnalysis:
    """The resolved chart of one document, and those of the documents its
    `<invoke>`s hold (`child`)."""

    document: ir.Document
    states: list[StateNode]
    transitions: list[TransitionNode]
    structure: Structure
    children: dict[int, ChartAnalysis] = field(default_factory=dict)
    """By the `id` of each child document."""

    def child(self, document: ir.Document) -> ChartAnalysis:
        """The analysis of `document`, held by an `<invoke>` of this chart."""
        return self.children[id(document)]

    @property
    def name(self) -> str:
        return (
            self.document.name
            or self.document.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        )


def analyze(document: ir.Document, diagnostics: Diagnostics) -> ChartAnalysis:
    """Resolve `document` and the documents its `<invoke>`s hold; problems go
    to `diagnostics`."""
    chart = _Analyzer(document, diagnostics).run()
    for state in chart.states:
        for invoke in state.node.invokes if state.node is not None else ():
            if invoke.child is not None:
                chart.children[id(invoke.child)] = analyze(invoke.child, diagnostics)
    return chart


class _Analyzer:
    def __init__(self, document: ir.Document, diagnostics: Diagnostics) -> None:
        self.document = document
        self.diag = diagnostics
        self.states: list[StateNode] = [StateNode(0, "", ROOT, -1, None, document.loc)]
        self.transitions: list[TransitionNode] = []
        self.by_id: dict[str, int] = {}

    def run(self) -> ChartAnalysis:
        for child in self.document.children:
            self.number(child, 0)
        self.check_data_ids()
        self.resolve_transitions()
        structure = Structure(
            [s.kind for s in self.states],
            [s.parent for s in self.states],
            [
                self.transitions[s.initial].targets if s.initial >= 0 else ()
                for s in self.states
            ],
        )
        initials_legal = self.check_initials(structure)
        for t in self.transitions:
            t.domain = structure.transition_domain(t.source, t.targets, t.internal)
            if not initials_legal:  # entry sets would not be finite; reported
                t.entry = 0
            elif t.targets and not structure.history_dependent(t.targets):
                t.entry, t.default_entry, _ = structure.compute_entry(
                    [(t.source, t.targets, t.domain)], {}
                )
            elif not t.targets:
                t.entry = 0
        return ChartAnalysis(self.document, self.states, self.transitions, structure)

    # -- numbering ----------------------------------------------------------

    def number(self, node: ir.State, parent: int) -> None:
        index = len(self.states)
        if node.kind == "history":
            kind = DEEP_HISTORY if node.deep else SHALLOW_HISTORY
        elif node.kind == "state":
            real_children = [c for c in node.children if c.kind != "history"]
            kind = COMPOUND if real_children else ATOMIC
        else:
            kind = _KINDS[node.kind]
        state = StateNode(index, node.id, kind, parent, node, node.loc)
        self.states.append(state)
        self.states[parent].children.append(index)
        previous = self.by_id.get(node.id)
        if previous is not None:
            first = self.states[previous]
            self.diag.error(
                node.loc,
                f'<{node.kind} id="{node.id}">: duplicate state id (first defined at {first.loc})',
            )
        else:
            self.by_id[node.id] = index
        if kind == ATOMIC and node.initial:
            self.diag.error(
                node.initial_loc or node.loc,
                f"<state id=\"{node.id}\">: 'initial' on a state without child states",
            )
        if kind == ATOMIC and node.initial_transition is not None:
            self.diag.error(
                node.loc,
                f'<state id="{node.id}">: <initial> in a state without child states',
            )
        for child in node.children:
            self.number(child, index)

    def check_data_ids(self) -> None:
        """Each `<data id>` declared once in the document (an `xsd:ID`). A
        Composer fragment XIncluded under several `resolveid`s declares its
        `<data>` once per include: the same written element, one variable,
        not a duplicate."""
        first: dict[str, ir.Data] = {}
        for data in all_data(self.document):
            if not data.id:
                continue
            previous = first.setdefault(data.id, data)
            if previous is not data and not _same_element(previous.loc, data.loc):
                self.diag.error(
                    data.loc,
                    f'<data id="{data.id}">: duplicate data id (first declared '
                    f"at {previous.loc})",
                )

    # -- transitions --------------------------------------------------------

    def resolve_transitions(self) -> None:
        """Number transitions in document order, synthesising default initials."""
        self.add_initial(0, self.document.initial, self.document.initial_loc, None)
        for state in self.states[1:]:
            node = state.node
            assert node is not None
            if state.is_history:
                if node.initial_transition is not None:
                    state.initial = self.add(
                        state.index, node.initial_transition, initial=True
                    )
                continue
            if state.kind == COMPOUND:
                self.add_initial(
                    state.index, node.initial, node.initial_loc, node.initial_transition
                )
            for transition in node.transitions:
                state.transitions.append(
                    self.add(state.index, transition, initial=False)
                )

    def add_initial(
        self,
        state: int,
        ids: tuple[str, ...],
        loc: Loc | None,
        element: ir.Transition | None,
    ) -> None:
        node = self.states[state]
        if element is not None:
            node.initial = self.add(state, element, initial=True)
            return
        if ids:
            where = (
                "<scxml initial>" if state == 0 else f'<state id="{node.id}" initial>'
            )
            locs = self.document.sources.words(loc or node.loc, len(ids))
            targets = tuple(
                t
                for t in (self.target(i, at, where) for i, at in zip(ids, locs))
                if t >= 0
            )
        else:
            first = [c for c in node.children if not self.states[c].is_history]
            if not first:
                if state == 0:
                    self.diag.warning(
                        node.loc,
                        "<scxml>: the document has no states (it starts, enters "
                        "none and never ends)",
                    )
                return
            targets = (first[0],)
        node.initial = len(self.transitions)
        self.transitions.append(
            TransitionNode(
                node.initial, state, None, loc or node.loc, targets, (), True, True
            )
        )

    def add(self, source: int, transition: ir.Transition, *, initial: bool) -> int:
        locs = self.document.sources.words(
            transition.targets_loc or transition.loc, len(transition.targets)
        )
        targets = tuple(
            t
            for t in (
                self.target(i, at, "<transition target>")
                for i, at in zip(transition.targets, locs)
            )
            if t >= 0
        )
        index = len(self.transitions)
        self.transitions.append(
            TransitionNode(
                index,
                source,
                transition,
                transition.loc,
                targets,
                transition.events,
                transition.internal or initial,
                initial,
            )
        )
        return index

    def target(self, state_id: str, loc: Loc, where: str) -> int:
        index = self.by_id.get(state_id)
        if index is None:
            hint = did_you_mean(state_id, self.by_id)
            self.diag.error(loc, f"{where}: unknown state '{state_id}'{hint}")
            return -1
        return index

    # -- checks -------------------------------------------------------------

    def check_initials(self, structure: Structure) -> bool:
        """Report `initial` targets that are not descendants (children, for
        shallow history) of their state; whether all of them are legal."""
        legal_everywhere = True
        for state in self.states:
            if state.initial < 0:
                continue
            transition = self.transitions[state.initial]
            where = (
                "<scxml initial>"
                if state.index == 0
                else f'<state id="{state.id}"> initial'
            )
            for target in transition.targets:
                if state.is_history:
                    parent = state.parent
                    legal = (
                        structure.is_descendant(target, parent)
                        if state.kind == DEEP_HISTORY
                        else structure.parents[target] == parent
                    )
                    if not legal:
                        legal_everywhere = False
                        self.diag.error(
                            transition.loc,
                            f"<history id=\"{state.id}\">: default target '{self.states[target].id}' is not "
                            + (
                                "a descendant"
                                if state.kind == DEEP_HISTORY
                                else "a child"
                            )
                            + f" of '{self.states[parent].id}'",
                        )
                elif not structure.is_descendant(target, state.index):
                    legal_everywhere = False
                    self.diag.error(
                        transition.loc,
                        f"{where}: target '{self.states[target].id}' is not a descendant of "
                        + (
                            "the document root" if state.index == 0 else f"'{state.id}'"
                        ),
                    )
            if not state.is_history and len(transition.targets) > 1:
                self.check_parallel_targets(structure, state, transition)
        return self.check_history_cycles() and legal_everywhere

    def check_history_cycles(self) -> bool:
        """Report history states whose default transitions lead, through
        other history states only, back to themselves (entering one would never
        end); whether there are none."""
        acyclic = True
        for state in self.states:
            if not state.is_history or state.initial < 0:
                continue
            seen = {state.index}
            pending = list(self.transitions[state.initial].targets)
            while pending:
                target = self.states[pending.pop()]
                if target.index == state.index:
                    acyclic = False
                    self.diag.error(
                        self.transitions[state.initial].loc,
                        f'<history id="{state.id}">: its default transition leads '
                        "back to it through history states only",
                    )
                    break
                if (
                    target.is_history
                    and target.initial >= 0
                    and target.index not in seen
                ):
                    seen.add(target.index)
                    pending.extend(self.transitions[target.initial].targets)
        return acyclic

    def check_parallel_targets(
        self, structure: Structure, state: StateNode, transition: TransitionNode
    ) -> None:
        """Several initial targets must sit in different regions of a parallel state."""
        targets = transition.targets
        for i, a in enumerate(targets):
            for b in targets[i + 1 :]:
                if (
                    structure.is_descendant(a, b)
                    or structure.is_descendant(b, a)
                    or a == b
                ):
                    self.diag.error(
                        transition.loc,
                        f"initial of '{state.id or 'scxml'}': targets '{self.states[a].id}' and "
                        f"'{self.states[b].id}' cannot both be entered",
                    )
                    continue
                lcca = structure.find_lcca([a, b])
                if structure.kinds[lcca] != PARALLEL and not any(
                    structure.kinds[x] == PARALLEL
                    for x in structure.proper_ancestors(a, lcca)
                    if structure.is_descendant(b, x)
                ):
                    self.diag.error(
                        transition.loc,
                        f"initial of '{state.id or 'scxml'}': targets '{self.states[a].id}' and "
                        f"'{self.states[b].id}' are not in parallel regions",
                    )


def _same_element(first: Loc, second: Loc) -> bool:
    """Whether `first` and `second` are where one element was written, read
    through different XIncludes."""
    return (first.file, first.line, first.col) == (second.file, second.line, second.col)
