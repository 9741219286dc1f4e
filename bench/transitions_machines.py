"""The three charts written for the ``transitions`` library (0.9.x).

Chart A uses a flat ``Machine``; B and C use ``HierarchicalMachine`` (nested states
with ``initial`` children; C's regions are a ``parallel`` state). Each machine is its
own model, one ``Machine`` per instance (the library's default idiom).

Faithfulness notes:

* ``transitions`` does not run the initial state's ``on_enter`` callbacks when a machine
  is constructed, so every machine here starts in the library's ``initial`` placeholder
  state and is started by an explicit ``start`` transition into the chart's initial
  state, which enters the initial configuration and runs its entry actions (for chart B
  this is what makes ``entries`` 1 after start, as in SCXML).
* A transition's action can only run ``before`` the exits or ``after`` the entries, not
  between them as in SCXML. Chart B's only transition action (``count += 1`` on e1) is
  independent of the entry/exit counters, so the order is not observable; it is run
  ``after``.
* Events are sent with ``machine.trigger(name)``; a trigger is looked up from the
  active state outwards (so ``e3`` declared on s1 handles it from any state in s1), and
  candidate transitions are tried in the order they were added, so the guarded ``e3``
  comes before its fallback as in SCXML document order.
"""

from __future__ import annotations

from typing import Any

from transitions import Machine
from transitions.extensions import HierarchicalMachine

from bench.charts import spec

GUARD_N: int = spec.GUARD_N
START = "start"  # trigger that enters the initial configuration
_OPTIONS: dict[str, Any] = {"ignore_invalid_triggers": True, "auto_transitions": False}


class PingPongMachine(Machine):
    """Chart A: flat ping-pong."""

    def __init__(self) -> None:
        """Build the machine and start it."""
        super().__init__(
            states=["a", "b"],
            transitions=[
                ["ping", "a", "b"],
                ["pong", "b", "a"],
                [START, "initial", "a"],
            ],
            **_OPTIONS,
        )
        self.trigger(START)


def _counted(name: str, initial: str, children: list[Any]) -> dict[str, Any]:
    """A compound state of chart B whose onentry/onexit count entries/exits."""
    return {
        "name": name,
        "initial": initial,
        "children": children,
        "on_enter": "count_entry",
        "on_exit": "count_exit",
    }


_B_STATES: list[Any] = [
    {
        "name": "top",
        "initial": "s1",
        "children": [
            {
                "name": "s1",
                "initial": "s11",
                "children": [
                    _counted("s11", "s111", ["s111", "s112", "s113"]),
                    _counted("s12", "s121", ["s121", "s122"]),
                ],
            },
            {
                "name": "s2",
                "initial": "s21",
                "children": [
                    _counted("s21", "s211", ["s211", "s212"]),
                    _counted("s22", "s221", ["s221", "s222"]),
                ],
            },
            {
                "name": "s3",
                "initial": "s31",
                "children": [
                    {"name": "s31", "initial": "s311", "children": ["s311", "s312"]}
                ],
            },
        ],
    }
]

_B_TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": START, "source": "initial", "dest": "top"},
    {
        "trigger": "e1",
        "source": "top_s1_s11_s111",
        "dest": "top_s1_s11_s112",
        "after": "increment_count",
    },
    {"trigger": "e2", "source": "top_s1_s11_s112", "dest": "top_s1_s12_s121"},
    {
        "trigger": "e3",
        "source": "top_s1",
        "dest": "top_s2",
        "conditions": "count_below_n",
    },
    {"trigger": "e3", "source": "top_s1", "dest": "top_s3"},
    {"trigger": "e4", "source": "top_s2_s21_s211", "dest": "top_s2_s22_s222"},
    {"trigger": "e5", "source": "top_s2", "dest": "top_s1"},
    {"trigger": "e5", "source": "top_s3", "dest": "top_s1"},
]


class HierarchicalMachineB(HierarchicalMachine):
    """Chart B: nested states, a counter, a guard with fallback, entry/exit actions."""

    def __init__(self) -> None:
        """Create the datamodel, build the machine and start it (entries becomes 1)."""
        self.count: int = 0
        self.entries: int = 0
        self.exits: int = 0
        super().__init__(states=_B_STATES, transitions=_B_TRANSITIONS, **_OPTIONS)
        self.trigger(START)

    def increment_count(self) -> None:
        """Transition action of e1."""
        self.count += 1

    def count_below_n(self) -> bool:
        """Guard of the first e3 transition."""
        return self.count < GUARD_N

    def count_entry(self) -> None:
        """onentry of s11, s12, s21, s22."""
        self.entries += 1

    def count_exit(self) -> None:
        """onexit of s11, s12, s21, s22."""
        self.exits += 1


_REGIONS: tuple[tuple[str, str], ...] = (("r1", "a"), ("r2", "b"), ("r3", "c"))

_C_STATES: list[Any] = [
    {
        "name": "p",
        "parallel": [
            {
                "name": region,
                "initial": f"{p}1",
                "children": [f"{p}1", f"{p}2", f"{p}3"],
            }
            for region, p in _REGIONS
        ],
    }
]

_C_TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": START, "source": "initial", "dest": "p"}
] + [
    {
        "trigger": event,
        "source": f"p_{region}_{p}{i}",
        "dest": f"p_{region}_{p}{i % 3 + 1}",
    }
    for region, p in _REGIONS
    for i, event in ((1, "x"), (2, "y"), (3, "z"))
]


class ParallelMachineC(HierarchicalMachine):
    """Chart C: a parallel state of 3 regions x 3 states."""

    def __init__(self) -> None:
        """Build the machine and start it."""
        super().__init__(states=_C_STATES, transitions=_C_TRANSITIONS, **_OPTIONS)
        self.trigger(START)


MACHINE_CLASSES: dict[str, type[Machine]] = {
    "A": PingPongMachine,
    "B": HierarchicalMachineB,
    "C": ParallelMachineC,
}


def leaf_names(state: object, separator: str) -> frozenset[str]:
    """Atomic state names from a (Hierarchical)Machine ``state`` value.

    A hierarchical state is a path string ``top_s1_s11_s111``; a parallel configuration
    is a (possibly nested) list of such paths.
    """
    if isinstance(state, str):
        return frozenset((state.rsplit(separator, 1)[-1],))
    if isinstance(state, (list, tuple)):
        return frozenset().union(*(leaf_names(item, separator) for item in state))
    raise TypeError(f"unexpected state value {state!r}")
