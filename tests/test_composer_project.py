"""The Composer-shaped project of tests/cases/composer/, run end to end.

One inbound call at a routing point runs the main IPD document, which includes
the Routing workflow by resolveid; the workflow looks the caller up in a CRM
web service (`<session:fetch>`, answered by the scenario), reads its routing
plan from a List object, targets an agent group with music while it waits, and
on a timeout runs the stock QueueQuery and QueueCancel subroutines (included as
fragments) before overflowing to a DN. Each scenario under scenarios/ says what
should happen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scxmlc.compiler.loader import load
from scxmlc.runtime.sim import Simulation, load_scenario, parse_scenario

PROJECT = Path(__file__).parent / "cases" / "composer"
SCENARIOS = PROJECT / "scenarios"


def simulate(scenario: str, change: Any = None) -> Simulation:
    """Run scenarios/`scenario`.yaml, after `change(raw)` if given."""
    path = SCENARIOS / f"{scenario}.yaml"
    if change is None:
        parsed = load_scenario(path)
    else:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(raw)
        parsed = parse_scenario(raw, path)
    simulation = Simulation(parsed, load)
    simulation.run()
    return simulation


def routes(simulation: Simulation) -> list[tuple[str, str | None, float | None]]:
    """(interaction, where it was routed, after how long), in arrival order."""
    summary: dict[str, Any] = simulation.summary()
    return [(c["id"], c["routed_to"], c["wait"]) for c in summary["interactions"]]


def lines(simulation: Simulation, kind: str, session: str | None = None) -> list[str]:
    return [
        e.text
        for e in simulation.trace.of_kind(kind)
        if session is None or e.session == session
    ]


def ended_in_global_exit(simulation: Simulation) -> bool:
    sessions = simulation.summary()["sessions"]
    return all(
        s["ended"] is not None and s["states"] == ["_composer_global_exit"]
        for s in sessions
    )


def test_a_gold_caller_is_routed_to_the_gold_group_and_the_music_stops() -> None:
    simulation = simulate("routed")
    assert routes(simulation) == [("call-1", "gina", 0.2)]
    assert ended_in_global_exit(simulation)
    logs = lines(simulation, "log", "S1")
    # the library's start-up code stringifies _data, with the system context
    # the script `var system` put in it (no cycle: var and <data> differ)
    initialization = next(t for t in logs if "IPD variables initialization" in t)
    assert '"context":{"SessionID":' in initialization
    assert '"ANI":"+15550101"' in initialization
    assert "Running Routing workflow." in logs
    assert (
        'Routing plan for gold: {"group":"Gold","overflow":"8001","timeout":30}' in logs
    )
    assert "Routed to 7001@SIP_Switch.DN" in logs
    assert lines(simulation, "treatment") == [
        "call-1 playsound type=music resource=music/in_queue duration=600 (600s)",
        "call-1 treatments stopped: the interaction was routed to agent gina",
    ]
    assert [
        e.text
        for e in simulation.trace.of_kind("state")
        if "RoutingWorkflow." in e.text
    ] == [
        "RoutingWorkflow.CustomerLookup, _composer_event_handler",
        "RoutingWorkflow.Target1, _composer_event_handler",
    ]
    assert simulation.summary()["errors"] == 0


def test_nobody_ready_overflows_through_the_stock_subroutines() -> None:
    simulation = simulate("overflow")
    assert routes(simulation) == [("call-1", "DN 8001", 30.0)]
    assert ended_in_global_exit(simulation)
    events = lines(simulation, "event", "S1")
    assert [e for e in events if "QueueQuery1" in e or "QueueCancel1" in e] == [
        "done.state.RoutingWorkflow.QueueQuery1._composer_entry",
        "done.state.RoutingWorkflow.QueueCancel1._composer_entry",
    ]
    logs = lines(simulation, "log", "S1")
    # the subroutines read their inputs from args_ (QueueCancel by eval of
    # App_Target1.requestid) and answer through their <donedata>
    requests = [t for t in logs if t.startswith(("Querying request", "Cancelling"))]
    assert len(requests) == 2 and requests[0].split()[-1] == requests[1].split()[-1]
    assert "Waited in queue at position 1" in logs
    assert "Overflow to 8001" in logs
    assert lines(simulation, "treatment")[-1] == (
        "call-1 treatments stopped: the interaction was routed to DN 8001"
    )
    assert simulation.summary()["errors"] == 0


def test_a_failed_web_service_routes_the_caller_as_standard() -> None:
    simulation = simulate("crm_down")
    assert routes(simulation) == [("call-1", "sam", 0.0), ("call-2", "sam", 0.0)]
    assert ended_in_global_exit(simulation)
    assert lines(simulation, "fetch")[0].startswith(
        "GET http://crm.example.com/api/customers -> 503"
    )
    logs = lines(simulation, "log", "S1")
    assert any(t.startswith("CRM lookup failed, routing as standard") for t in logs)


def test_an_unscripted_web_service_fails_at_once_without_the_network() -> None:
    """Web services are unreachable here: a fetch no rule answers fails at
    once with error.session.fetch, which the workflow handles."""

    def no_rules(raw: dict[str, Any]) -> None:
        del raw["fetch"]

    simulation = simulate("routed", no_rules)
    assert routes(simulation) == [("call-1", "sam", 0.0)]
    assert lines(simulation, "fetch") == [
        "GET http://crm.example.com/api/customers was not scripted in the scenario "
        "(no fetch rule matches it; a simulation never uses the network)"
    ]
    assert "error.session.fetch" in lines(simulation, "event", "S1")


def test_the_caller_hanging_up_ends_the_session_through_the_event_handler() -> None:
    """The event-handler leg turns interaction.deleted of the call into
    application.exit, which ends the application leg."""

    def hang_up_while_waiting(raw: dict[str, Any]) -> None:
        raw["timeline"].append({"at": 10, "hangup": "call-1"})

    simulation = simulate("overflow", hang_up_while_waiting)
    assert ended_in_global_exit(simulation)
    events = lines(simulation, "event", "S1")
    assert "interaction.deleted" in events and "application.exit" in events
    assert simulation.summary()["sessions"][0]["ended"] == 10.0


STOCK = f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript"
    xmlns:xi="http://www.w3.org/2001/XInclude" initial="Wait" name="StockSubroutines">
  <datamodel><data id="results" expr="({{}})"/></datamodel>
  <state id="Wait">
    <transition event="interaction.added" target="Accept1">
      <script>var system = {{InteractionID: _event.data.interactionid}};</script>
    </transition>
  </state>
  <state id="Accept1" initial="Accept1._composer_entry">
    <onentry><script>args_ = {{Resource: '7001', Timeout: 5}};</script></onentry>
    <xi:include href="{PROJECT}/src/subRoutines/InteractionAccept.scxml" parse="xml"
                resolveid="Accept1" xpointer="_composer_entry"/>
    <transition event="done.state.Accept1._composer_entry" target="Suspend1">
      <assign location="results.accept" expr="_event.data.result"/>
    </transition>
  </state>
  <state id="Suspend1" initial="Suspend1._composer_entry">
    <onentry>
      <script>args_ = {{EventName: 'customer.update', Timeout: 20}};</script>
      <send event="'customer.update'" delay="'3s'"><param name="tier" expr="'gold'"/></send>
    </onentry>
    <xi:include href="{PROJECT}/src/subRoutines/SuspendForEvent.scxml" parse="xml"
                resolveid="Suspend1" xpointer="_composer_entry"/>
    <transition event="done.state.Suspend1._composer_entry" target="Clear1">
      <assign location="results.suspend" expr="_event.data.result + ':' + _event.data.data.tier"/>
    </transition>
  </state>
  <state id="Clear1" initial="Clear1._composer_entry">
    <onentry><script>args_ = {{vQueue: 'VQ_Sales'}};</script></onentry>
    <xi:include href="{PROJECT}/src/subRoutines/ClearTargets.scxml" parse="xml"
                resolveid="Clear1" xpointer="_composer_entry"/>
    <transition event="done.state.Clear1._composer_entry" target="Done">
      <assign location="results.clear" expr="_event.data.vQueue"/>
    </transition>
  </state>
  <final id="Done"/>
</scxml>
"""


def test_the_other_stock_subroutines_run_as_included_fragments(tmp_path: Path) -> None:
    """InteractionAccept, SuspendForEvent and ClearTargets, included by resolveid
    one after another, read args_ and answer through their <donedata>; the
    final state ClearTargets.Complete keeps its dot under the prefix."""
    document = tmp_path / "StockSubroutines.scxml"
    document.write_text(STOCK, encoding="utf-8")
    scenario = tmp_path / "one_call.yaml"
    scenario.write_text(
        f"""applications: {{"5000": {document}}}
dns: [{{number: "5000", type: RoutingPoint}}]
agents: [{{id: anna, place: P7001, dn: "7001", groups: [Sales], state: ready}}]
timeline: [{{at: 0, call: {{id: c1, to: "5000"}}}}]
""",
        encoding="utf-8",
    )
    simulation = Simulation(load_scenario(scenario), load)
    simulation.run()
    session = simulation.platform.finished[0]
    assert session.machine.configuration == {"Done"}
    results = dict(session.machine.dm["results"])
    assert results == {
        "accept": "success",
        "suspend": "event:gold",
        "clear": "VQ_Sales",
    }
    states = " ".join(e.text for e in simulation.trace.of_kind("state"))
    assert "Clear1.ClearTargets" in states and "Suspend1.Suspend" in states
