"""The three charts written by hand as python-statemachine 3.x ``StateChart`` classes.

Each class mirrors its SCXML document state for state and transition for transition:
compound states are ``State.Compound`` classes, the region set of chart C is a
``State.Parallel``, transitions declared on an ancestor (``e3`` on s1, ``e5`` on s2 and
s3) are declared on that ancestor, and the guarded ``e3`` is declared before its
unguarded fallback (python-statemachine tries transitions in declaration order, like
SCXML document order). Instantiating a class starts it (enters the initial
configuration and runs its entry actions).
"""

from __future__ import annotations

from statemachine import State, StateChart

from bench.charts import spec

GUARD_N: int = spec.GUARD_N


class PingPongChart(StateChart):  # type: ignore[type-arg]
    """Chart A: flat ping-pong."""

    a = State(initial=True)
    b = State()

    ping = a.to(b)
    pong = b.to(a)


class HierarchicalChart(StateChart):  # type: ignore[type-arg]
    """Chart B: 20 states nested 3 deep, a counter, a guard with fallback, entry/exit actions."""

    # The chart has states that no transition targets (s113, s122, ...); so does the
    # SCXML document. python-statemachine's loader turns these checks off too.
    validate_disconnected_states = False
    validate_trap_states = False

    class top(State.Compound):
        class s1(State.Compound):
            class s11(State.Compound):
                s111 = State(initial=True)
                s112 = State()
                s113 = State()

                e1 = s111.to(s112, on="increment_count")

            class s12(State.Compound):
                s121 = State(initial=True)
                s122 = State()

            e2 = s11.s112.to(s12.s121)

        class s2(State.Compound):
            class s21(State.Compound):
                s211 = State(initial=True)
                s212 = State()

            class s22(State.Compound):
                s221 = State(initial=True)
                s222 = State()

            e4 = s21.s211.to(s22.s222)

        class s3(State.Compound):
            class s31(State.Compound):
                s311 = State(initial=True)
                s312 = State()

        # Document order: the guarded transition first, then the unguarded fallback.
        # (The library's type stub for ``Compound.to`` misses ``|``; it works at runtime.)
        e3 = s1.to(s2, cond="count_below_n") | s1.to(s3)  # type: ignore[operator]
        e5 = s2.to(s1) | s3.to(s1)  # type: ignore[operator]

    def __init__(self) -> None:
        """Create the datamodel, then start (enters s111 and runs s11's onentry)."""
        self.count: int = 0
        self.entries: int = 0
        self.exits: int = 0
        super().__init__()

    def increment_count(self) -> None:
        """Transition action of e1."""
        self.count += 1

    def count_below_n(self) -> bool:
        """Guard of the first e3 transition."""
        return self.count < GUARD_N

    def _entered(self) -> None:
        """onentry of s11, s12, s21, s22."""
        self.entries += 1

    def _exited(self) -> None:
        """onexit of s11, s12, s21, s22."""
        self.exits += 1

    on_enter_s11 = on_enter_s12 = on_enter_s21 = on_enter_s22 = _entered
    on_exit_s11 = on_exit_s12 = on_exit_s21 = on_exit_s22 = _exited


class ParallelChart(StateChart):  # type: ignore[type-arg]
    """Chart C: one parallel state, 3 regions x 3 states, every event handled in all regions."""

    class p(State.Parallel):
        class r1(State.Compound):
            a1 = State(initial=True)
            a2 = State()
            a3 = State()

            x = a1.to(a2)
            y = a2.to(a3)
            z = a3.to(a1)

        class r2(State.Compound):
            b1 = State(initial=True)
            b2 = State()
            b3 = State()

            x = b1.to(b2)
            y = b2.to(b3)
            z = b3.to(b1)

        class r3(State.Compound):
            c1 = State(initial=True)
            c2 = State()
            c3 = State()

            x = c1.to(c2)
            y = c2.to(c3)
            z = c3.to(c1)


CHART_CLASSES: dict[str, type[StateChart]] = {  # type: ignore[type-arg]
    "A": PingPongChart,
    "B": HierarchicalChart,
    "C": ParallelChart,
}
