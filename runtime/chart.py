"""The tables a compiled module hands to the runtime, and the plans built from them.

Generated modules describe their chart with `StateSpec`, `TransitionSpec` and
`InvokeSpec` records (states in document order, index 0 being the `<scxml>` root) and
wrap them in a `Chart`. The compiler has already resolved targets, transition domains,
exit masks and, for transitions that reach no history state, the entry sets.

At run time a `Chart` answers one question per event: given the event name and the
current configuration (an int whose bit i is set when state i is active), what to do.
The answer is a `Plan` (the whole microstep, precomputed and memoised) or, when
conditions decide between transitions, a `Chains` record that the machine evaluates
before looking up the plan for the transitions that won. A generated module asks
first where it can: for the event names and configurations the compiler planned,
its own `_dispatch` method does the microstep (`dispatches=True`; see
`Machine._dispatch`), and the memo is the general path. The topology algorithms of
SCXML Appendix D (`find_lcca`, `transition_domain`, `compute_entry`) live in
`Structure`, which the compiler also uses to precompute what it can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "ATOMIC",
    "COMPOUND",
    "Chains",
    "Chart",
    "DEEP_HISTORY",
    "FINAL",
    "InvokeSpec",
    "PARALLEL",
    "Plan",
    "ROOT",
    "SHALLOW_HISTORY",
    "StateSpec",
    "Structure",
    "TransitionSpec",
    "bits",
]

ROOT: Final = 0
ATOMIC: Final = 1
COMPOUND: Final = 2
PARALLEL: Final = 3
FINAL: Final = 4
SHALLOW_HISTORY: Final = 5
DEEP_HISTORY: Final = 6

Handler = Callable[[Any], None]
"""A block of executable content: a function of the machine."""
Cond = Callable[[Any], bool]
Value = Callable[[Any], Any]

MEMO_LIMIT: Final = 4096
"""Configurations memoised per event before the memo starts over (bounds memory)."""


def bits(mask: int) -> Iterator[int]:
    """The indices of the set bits of `mask`, lowest first (document order)."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def bits_descending(mask: int) -> list[int]:
    """The indices of the set bits of `mask`, highest first (exit order)."""
    return sorted(bits(mask), reverse=True)


@dataclass(frozen=True, slots=True)
class InvokeSpec:
    """One `<invoke>`: how to start and talk to a child session.

    `child` is the compiled class of an inline or statically known child document;
    the `...expr` callables evaluate the dynamic forms; `data` builds the `<param>` and
    `namelist` values; `finalize` runs before events from the child are processed.
    """

    state: int
    id: str | None = None
    idlocation: Callable[[Any, str], None] | None = None
    type: str | None = None
    typeexpr: Value | None = None
    src: str | None = None
    srcexpr: Value | None = None
    child: Any = None
    contentexpr: Value | None = None
    data: Value | None = None
    autoforward: bool = False
    finalize: Handler | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class StateSpec:
    """One state (or the root, or a history pseudo-state) in document order.

    `initial` is the index of the transition taken on default entry (compound states
    and the root) or when no history is recorded (history states); -1 otherwise.
    `datamodel` initialises the state's `<datamodel>` on first entry (late binding).
    """

    id: str
    kind: int
    parent: int
    onentry: tuple[Handler, ...] = ()
    onexit: tuple[Handler, ...] = ()
    initial: int = -1
    donedata: Value | None = None
    invokes: tuple[InvokeSpec, ...] = ()
    datamodel: Handler | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """One transition in document order.

    `events` holds the descriptors with any trailing `.*` or `.` removed (`*` stays);
    empty means eventless. `domain` is the transition domain (-1: targetless) and
    `entry`/`default_entry` the states it enters and the compound states entered by
    default, or -1 when history decides the entry set at run time.
    """

    source: int
    targets: tuple[int, ...] = ()
    events: tuple[str, ...] = ()
    cond: Cond | None = None
    content: Handler | None = None
    internal: bool = False
    initial: bool = False
    domain: int = -1
    entry: int = -1
    default_entry: int = 0
    line: int = 0
    cond_text: str = ""
    """The `cond` attribute as written (for observers and traces)."""


class Structure:
    """The topology of a chart: parents, children, descendants, defaults.

    Built from the kinds and parents of the states in document order, the targets of
    the default transition of each state (`initial_targets`), and the targets of
    every transition. Pure: it knows nothing of executable content.
    """

    def __init__(
        self,
        kinds: Sequence[int],
        parents: Sequence[int],
        initial_targets: Sequence[tuple[int, ...]],
    ) -> None:
        count = len(kinds)
        self.kinds = tuple(kinds)
        self.parents = tuple(parents)
        self.initial_targets = tuple(initial_targets)
        children: list[list[int]] = [[] for _ in range(count)]
        for index, parent in enumerate(parents):
            if parent >= 0:
                children[parent].append(index)
        self.children = tuple(tuple(c) for c in children)
        self.descendants = [0] * count
        for index in reversed(range(count)):
            for child in children[index]:
                self.descendants[index] |= (1 << child) | self.descendants[child]
        self.children_mask = tuple(sum(1 << c for c in c_list) for c_list in children)
        self.atomic_mask = sum(
            1 << i for i, k in enumerate(kinds) if k in (ATOMIC, FINAL)
        )
        self.history_children = tuple(
            tuple(c for c in c_list if kinds[c] in (SHALLOW_HISTORY, DEEP_HISTORY))
            for c_list in children
        )

    def is_descendant(self, state: int, ancestor: int) -> bool:
        return bool(self.descendants[ancestor] >> state & 1)

    def proper_ancestors(self, state: int, stop: int = -1) -> Iterator[int]:
        """Ancestors of `state`, innermost first, up to (not including) `stop`."""
        parent = self.parents[state]
        while parent >= 0 and parent != stop:
            yield parent
            parent = self.parents[parent]

    def find_lcca(self, states: Sequence[int]) -> int:
        """The least compound (or root) ancestor properly containing all `states`."""
        head, tail = states[0], states[1:]
        for ancestor in self.proper_ancestors(head):
            if self.kinds[ancestor] in (COMPOUND, ROOT) and all(
                self.is_descendant(s, ancestor) for s in tail
            ):
                return ancestor
        return 0

    def transition_domain(
        self, source: int, targets: Sequence[int], internal: bool
    ) -> int:
        """The transition domain of SCXML Appendix D, or -1 for a targetless one."""
        if not targets:
            return -1
        if (
            internal
            and self.kinds[source] in (COMPOUND, ROOT)
            and all(self.is_descendant(t, source) for t in targets)
        ):
            return source
        return self.find_lcca([source, *targets])

    def history_dependent(self, targets: Sequence[int]) -> bool:
        """Whether entering `targets` may pass through a history state."""
        seen: set[int] = set()
        pending = list(targets)
        while pending:
            state = pending.pop()
            if state in seen:
                continue
            seen.add(state)
            kind = self.kinds[state]
            if kind in (SHALLOW_HISTORY, DEEP_HISTORY):
                return True
            if kind in (COMPOUND, ROOT):
                pending.extend(self.initial_targets[state])
            elif kind == PARALLEL:
                pending.extend(self.children[state])
        return False

    def compute_entry(
        self,
        transitions: Sequence[tuple[int, Sequence[int], int]],
        history: dict[int, int],
    ) -> tuple[int, int, dict[int, int]]:
        """computeEntrySet of Appendix D.

        `transitions` lists (source, targets, domain) per transition; `history` maps a
        history state to its recorded configuration mask. Returns the states to enter,
        the compound states entered by default, and, per parent state, the history
        state whose default transition content runs on entry (history not recorded).
        """
        entry = _EntryBuilder(self, history)
        for source, targets, domain in transitions:
            for target in targets:
                entry.add_descendants(target)
            for target in _effective_targets(self, targets, history):
                entry.add_ancestors(target, domain)
        return entry.states, entry.default_entry, entry.history_content


def _effective_targets(
    structure: Structure, targets: Sequence[int], history: dict[int, int]
) -> list[int]:
    """Targets with history states replaced by what they stand for."""
    result: list[int] = []
    for target in targets:
        if structure.kinds[target] in (SHALLOW_HISTORY, DEEP_HISTORY):
            recorded = history.get(target)
            if recorded is not None:
                result.extend(bits(recorded))
            else:
                result.extend(
                    _effective_targets(
                        structure, structure.initial_targets[target], history
                    )
                )
        else:
            result.append(target)
    return result


class _EntryBuilder:
    """addDescendantStatesToEnter / addAncestorStatesToEnter over bit masks."""

    def __init__(self, structure: Structure, history: dict[int, int]) -> None:
        self.structure = structure
        self.history = history
        self.states = 0
        self.default_entry = 0
        self.history_content: dict[int, int] = {}

    def add_descendants(self, state: int) -> None:
        s = self.structure
        kind = s.kinds[state]
        if kind in (SHALLOW_HISTORY, DEEP_HISTORY):
            parent = s.parents[state]
            recorded = self.history.get(state)
            if recorded is not None:
                targets = list(bits(recorded))
            else:
                self.history_content[parent] = state
                targets = list(s.initial_targets[state])
            for target in targets:
                self.add_descendants(target)
            for target in targets:
                self.add_ancestors(target, parent)
            return
        self.states |= 1 << state
        if kind in (COMPOUND, ROOT):
            self.default_entry |= 1 << state
            initial = s.initial_targets[state]
            for target in initial:
                self.add_descendants(target)
            for target in _effective_targets(s, initial, self.history):
                self.add_ancestors(target, state)
        elif kind == PARALLEL:
            for child in s.children[state]:
                if s.kinds[child] in (SHALLOW_HISTORY, DEEP_HISTORY):
                    continue
                if not self.states & ((1 << child) | s.descendants[child]):
                    self.add_descendants(child)

    def add_ancestors(self, state: int, ancestor: int) -> None:
        s = self.structure
        for anc in s.proper_ancestors(state, ancestor):
            self.states |= 1 << anc
            if s.kinds[anc] == PARALLEL:
                for child in s.children[anc]:
                    if s.kinds[child] in (SHALLOW_HISTORY, DEEP_HISTORY):
                        continue
                    if not self.states & ((1 << child) | s.descendants[child]):
                        self.add_descendants(child)


class Plan:
    """One microstep from one configuration, flattened into handler calls.

    `ops` lists, in the order SCXML runs them, (configuration the handler sees,
    handler): recording history, onexit handlers and invoke cancellation (exit
    order), transition content (document order), late datamodel binding, onentry
    handlers, `<initial>` and history default content and done events (entry
    order). The machine runs them and ends with `config_after`. `calls` holds just
    the handlers when no handler needs to see its configuration (no `In()`, no
    special step), so the machine can skip setting it before each. `settle` is set
    when the macrostep must look further than the internal queue (eventless
    transitions, a final state entered, invokes to start). `transitions` holds
    the indices of the transitions taken (after conflicts), for observers.
    """

    __slots__ = (
        "ops",
        "calls",
        "config_after",
        "exited",
        "entered",
        "settle",
        "cacheable",
        "transitions",
    )

    def __init__(
        self,
        ops: tuple[tuple[int, Handler], ...],
        calls: tuple[Handler, ...] | None,
        config_after: int,
        exited: int,
        entered: int,
        settle: bool,
        cacheable: bool,
        transitions: tuple[int, ...] = (),
    ) -> None:
        self.ops = ops
        self.calls = calls
        self.config_after = config_after
        self.exited = exited
        self.entered = entered
        self.settle = settle
        self.cacheable = cacheable
        self.transitions = transitions


class Chains:
    """Candidate transitions for one event in one configuration, conditions pending.

    `chains` has one tuple per active atomic state (document order) of
    (transition index, cond) pairs, in the order SCXML tries them; a chain stops at
    its first unconditional transition. `plans` memoises the plan per set of winners.
    """

    __slots__ = ("chains", "plans")

    def __init__(self, chains: tuple[tuple[tuple[int, Cond | None], ...], ...]) -> None:
        self.chains = chains
        self.plans: dict[int, Plan] = {}


NOTHING: Final = Chains(())
"""The selection of an event that no transition handles."""


class Chart:
    """The runtime tables of one compiled document, shared by all its sessions.

    `fused` maps a run of handlers to the generated function that runs them as
    one; `dispatches` says the machine class has its own `_dispatch`."""

    def __init__(
        self,
        name: str,
        states: Sequence[StateSpec],
        transitions: Sequence[TransitionSpec],
        *,
        source: str = "",
        binding: str = "early",
        uses_event: bool = True,
        observes_configuration: bool = True,
        fused: dict[tuple[Handler, ...], Handler] | None = None,
        dispatches: bool = False,
    ) -> None:
        self.name = name
        self.source = source
        self.states = tuple(states)
        self.transitions = tuple(transitions)
        self.late_binding = binding == "late"
        self.uses_event = uses_event
        self.observes_configuration = observes_configuration
        self.fused = fused or {}
        self.dispatches = dispatches
        self.ids = tuple(s.id for s in self.states)
        self.index = {s.id: i for i, s in enumerate(self.states) if i}
        self.structure = Structure(
            [s.kind for s in self.states],
            [s.parent for s in self.states],
            [
                self.transitions[s.initial].targets if s.initial >= 0 else ()
                for s in self.states
            ],
        )
        own: list[list[int]] = [[] for _ in self.states]
        for index, t in enumerate(self.transitions):
            if not t.initial:
                own[t.source].append(index)
        self.own_transitions = tuple(tuple(x) for x in own)
        self.has_eventless = any(
            not t.events and not t.initial for t in self.transitions
        )
        self.exit_masks = tuple(
            self.structure.descendants[t.domain] if t.domain >= 0 else 0
            for t in self.transitions
        )
        self.invoke_mask = sum(1 << i for i, s in enumerate(self.states) if s.invokes)
        self.final_children = tuple(
            sum(
                1 << c
                for c in self.structure.children[i]
                if self.states[c].kind == FINAL
            )
            for i in range(len(self.states))
        )
        self.memo: dict[str | None, dict[int, Plan | Chains]] = {}
        self._matching: dict[str, frozenset[int]] = {}
        self._initial_plan: Plan | None = None

    def initial_plan(self) -> Plan:
        """The microstep that enters the initial configuration from the root."""
        plan = self._initial_plan
        if plan is None:
            initial = self.states[0].initial  # -1: a document without states
            plan = self.plan(1, [initial] if initial >= 0 else [], {})
            if plan.cacheable:
                self._initial_plan = plan
        return plan

    # -- queries ------------------------------------------------------------

    def active_ids(self, config: int) -> frozenset[str]:
        """The ids of the active states of `config` (the root excluded)."""
        ids = self.ids
        return frozenset(ids[i] for i in bits(config & ~1))

    def active_atomic_ids(self, config: int) -> list[str]:
        """The ids of the active atomic and final states of `config`, document order."""
        states = self.states
        return [
            self.ids[i] for i in bits(config & ~1) if states[i].kind in (ATOMIC, FINAL)
        ]

    def in_final_state(self, state: int, config: int) -> bool:
        """isInFinalState of Appendix D for a compound or parallel `state`."""
        kind = self.states[state].kind
        if kind in (COMPOUND, ROOT):
            return bool(config & self.final_children[state])
        if kind == PARALLEL:
            return all(
                self.in_final_state(child, config)
                for child in self.structure.children[state]
                if self.states[child].kind not in (SHALLOW_HISTORY, DEEP_HISTORY)
            )
        return False

    # -- selection ----------------------------------------------------------

    def select(self, name: str | None, config: int) -> Plan | Chains:
        """What event `name` (None: eventless) does in `config`, memoised."""
        memo = self.memo.get(name)
        if memo is None:
            memo = self.memo[name] = {}
        elif len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo.get(config)
        if found is None:
            found = self._selection(name, config)
            memo[config] = found
        return found

    def matching(self, name: str | None) -> frozenset[int]:
        """The transitions whose descriptors match event `name` (None: the
        eventless ones), memoised."""
        if name is None:
            return frozenset(
                i
                for i, t in enumerate(self.transitions)
                if not t.events and not t.initial
            )
        found = self._matching.get(name)
        if found is None:
            found = frozenset(
                i
                for i, t in enumerate(self.transitions)
                if any(_descriptor_matches(d, name) for d in t.events)
            )
            self._matching[name] = found
        return found

    def _selection(self, name: str | None, config: int) -> Plan | Chains:
        matching = self.matching(name)
        if not matching:
            return NOTHING
        chains: list[tuple[tuple[int, Cond | None], ...]] = []
        for atomic in bits(config & self.structure.atomic_mask):
            chain: list[tuple[int, Cond | None]] = []
            for state in (atomic, *self.structure.proper_ancestors(atomic)):
                for t in self.own_transitions[state]:
                    if t in matching:
                        cond = self.transitions[t].cond
                        chain.append((t, cond))
                        if cond is None:
                            break
                else:
                    continue
                break
            if chain:
                chains.append(tuple(chain))
        if not chains:
            return NOTHING
        if all(chain[0][1] is None for chain in chains):
            winners = list(dict.fromkeys([chain[0][0] for chain in chains]))
            plan = self.plan(config, winners, {})
            if plan.cacheable:
                return plan
        return Chains(tuple(chains))

    # -- plans --------------------------------------------------------------

    def remove_conflicts(self, config: int, enabled: Sequence[int]) -> list[int]:
        """removeConflictingTransitions of Appendix D."""
        kept: list[int] = []
        for t1 in enabled:
            exit1 = config & self.exit_masks[t1]
            preempted = False
            removed: list[int] = []
            for t2 in kept:
                if exit1 & config & self.exit_masks[t2]:
                    if self.structure.is_descendant(
                        self.transitions[t1].source, self.transitions[t2].source
                    ):
                        removed.append(t2)
                    else:
                        preempted = True
                        break
            if not preempted:
                kept = [t for t in kept if t not in removed]
                kept.append(t1)
        return kept

    def plan(
        self, config: int, enabled: Sequence[int], history: dict[int, int]
    ) -> Plan:
        """The microstep taking the `enabled` transitions (document order) in `config`.

        History is recorded on exit before the entry set is computed, so a
        transition re-entering its own source through a history state sees the
        configuration it just left (as in Appendix D).
        """
        chosen = self.remove_conflicts(config, enabled)
        exited = 0
        for t in chosen:
            exited |= config & self.exit_masks[t]
        records = self._history_records(config, exited)
        if records:
            history = {**history, **dict(records)}
        entered, default_entry, history_content, cacheable = self._entry(
            chosen, history
        )
        return self._build_plan(
            config,
            chosen,
            exited,
            records,
            entered,
            default_entry,
            history_content,
            cacheable,
        )

    def _history_records(self, config: int, exited: int) -> tuple[tuple[int, int], ...]:
        """(history state, recorded mask) for the history children of exited states."""
        structure = self.structure
        records: list[tuple[int, int]] = []
        for state in bits_descending(exited):
            for h in structure.history_children[state]:
                if structure.kinds[h] == DEEP_HISTORY:
                    value = (
                        config & structure.descendants[state] & structure.atomic_mask
                    )
                else:
                    value = config & structure.children_mask[state]
                records.append((h, value))
        return tuple(records)

    def _entry(
        self, chosen: Sequence[int], history: dict[int, int]
    ) -> tuple[int, int, dict[int, int], bool]:
        transitions = [self.transitions[t] for t in chosen]
        if all(t.entry >= 0 for t in transitions):
            entered = default_entry = 0
            for t in transitions:
                entered |= t.entry
                default_entry |= t.default_entry
            return entered, default_entry, {}, True
        entered, default_entry, content = self.structure.compute_entry(
            [(t.source, t.targets, t.domain) for t in transitions if t.targets], history
        )
        return entered, default_entry, content, False

    def _build_plan(
        self,
        config: int,
        chosen: Sequence[int],
        exited: int,
        records: tuple[tuple[int, int], ...],
        entered: int,
        default_entry: int,
        history_content: dict[int, int],
        cacheable: bool,
    ) -> Plan:
        ops: list[tuple[int, Handler]] = []
        special = bool(records)
        if records:
            ops.append((config, _op_record_history(records)))
        current = config
        for state in bits_descending(exited):
            spec = self.states[state]
            for handler in spec.onexit:
                ops.append((current, handler))
            if spec.invokes:
                special = True
                ops.append((current, _op_cancel_invokes(state)))
            current &= ~(1 << state)
        if exited & self.invoke_mask:  # exited states may still wait to invoke
            special = True
            ops.append((current, _op_forget_invokes(exited)))
        for t in chosen:
            content = self.transitions[t].content
            if content is not None:
                ops.append((current, content))
        finals = False
        for state in bits(entered):
            current |= 1 << state
            spec = self.states[state]
            if self.late_binding and spec.datamodel is not None:
                special = True
                ops.append((current, _op_bind_late(state, spec.datamodel)))
            for handler in spec.onentry:
                ops.append((current, handler))
            if default_entry >> state & 1 and spec.initial >= 0:
                content = self.transitions[spec.initial].content
                if content is not None:
                    ops.append((current, content))
            history_state = history_content.get(state)
            if history_state is not None:
                content = self.transitions[self.states[history_state].initial].content
                if content is not None:
                    ops.append((current, content))
            if spec.kind == FINAL:
                finals = special = True
                ops.append((current, _op_entered_final(state)))
        invoking = entered & self.invoke_mask
        if invoking:
            special = True
            ops.append((current, _op_mark_invokes(invoking)))
        settle = (
            self.has_eventless or finals or bool((entered | exited) & self.invoke_mask)
        )
        calls = (
            None if special or self.observes_configuration else tuple(h for _, h in ops)
        )
        if calls is not None and len(calls) > 1 and calls in self.fused:
            calls = (self.fused[calls],)
        return Plan(
            tuple(ops),
            calls,
            current,
            exited,
            entered,
            settle,
            cacheable,
            tuple(chosen),
        )


def _op_record_history(records: tuple[tuple[int, int], ...]) -> Handler:
    return lambda machine: machine._record_history(records)


def _op_cancel_invokes(state: int) -> Handler:
    return lambda machine: machine._cancel_invokes(state)


def _op_forget_invokes(exited: int) -> Handler:
    return lambda machine: machine._forget_invokes(exited)


def _op_bind_late(state: int, datamodel: Handler) -> Handler:
    return lambda machine: machine._bind_late(state, datamodel)


def _op_entered_final(state: int) -> Handler:
    return lambda machine: machine._entered_final(state)


def _op_mark_invokes(states: int) -> Handler:
    return lambda machine: machine._mark_invokes(states)


def _descriptor_matches(descriptor: str, name: str) -> bool:
    """SCXML 3.12.1: `*`, or a token-wise prefix of the event name."""
    if descriptor == "*":
        return True
    return name == descriptor or name.startswith(descriptor + ".")
