"""The main document against the simulated contact center.

Runs scenarios/routed.yaml on a virtual clock (no network, no waiting): the
routing point starts src-gen/IPD_default_RoutingWorkflow.scxml for each call,
as ORS would. `pytest` runs it; `scxmlc run
src-gen/IPD_default_RoutingWorkflow.scxml --scenario scenarios/routed.yaml`
prints the same run as a trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import scxmlc
from scxmlc.runtime.sim import Simulation, load_scenario

PROJECT = Path(__file__).resolve().parent.parent


def simulate(scenario: str) -> Simulation:
    """Run scenarios/`scenario`.yaml to its end."""
    simulation = Simulation(
        load_scenario(PROJECT / "scenarios" / f"{scenario}.yaml"), scxmlc.load
    )
    simulation.run()
    return simulation


def test_a_ready_agent_takes_the_call_and_the_next_one_overflows() -> None:
    simulation = simulate("routed")
    summary: dict[str, Any] = simulation.summary()
    routes = [(c["id"], c["routed_to"], c["wait"]) for c in summary["interactions"]]
    assert routes == [("call-1", "anna", 0.0), ("call-2", "DN 8000", 30.0)]
    assert summary["errors"] == 0
    # each session leaves through the workflow's exit block
    assert [s["states"] for s in summary["sessions"]] == [
        ["_composer_global_exit"],
        ["_composer_global_exit"],
    ]
    logs = [entry.text for entry in simulation.trace.of_kind("log")]
    assert "Routed to 7001@SIP_Switch.DN" in logs
    assert "Overflow to 8000" in logs
