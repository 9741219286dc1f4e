"""Composer's stock subroutines, written in Composer's style, run on the platform.

tests/cases/composer/src/subRoutines/ holds InteractionAccept, QueueQuery,
QueueCancel, ClearTargets and SuspendForEvent as Composer generates such
documents: `args_` in (a parameter), `<donedata>` out, `<send delay>` timers.
src-gen/StockSubroutines.scxml invokes each in turn for one call.
"""

from __future__ import annotations

from pathlib import Path

from scxmlc.compiler.loader import load

from ors_harness import simulate

PROJECT = Path(__file__).parent / "cases" / "composer"

ONE_CALL = """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales]}]
timeline: [{at: 0, call: {id: c1, to: "5000"}}]
"""


def test_stock_subroutines_answer_through_their_donedata() -> None:
    simulation = simulate(
        load(PROJECT / "src-gen" / "StockSubroutines.scxml"), ONE_CALL
    )
    main = next(s for s in simulation.platform.finished if s.label == "S1")
    assert main.machine.configuration == {"Exit"}
    assert dict(main.machine.dm["results"]) == {
        "accept": "success",
        "query": {"result": "success", "priority": 0, "position": 1, "waited": 0},
        "suspend": "event:gold",
        "cancel": "success",
        "clear": "0 cleared, 2 failed",  # the submit was cancelled already
    }
    started = [
        e.text for e in simulation.trace.of_kind("session") if "invoked" in e.text
    ]
    assert started == [
        "started InteractionAccept (invoked by S1)",
        "started QueueQuery (invoked by S1)",
        "started SuspendForEvent (invoked by S1)",
        "started QueueCancel (invoked by S1)",
        "started ClearTargets (invoked by S1)",
    ]
    assert [e.text for e in simulation.trace.of_kind("error")] == []
