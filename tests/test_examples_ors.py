"""The ORS applications in examples/ run their scenarios to the documented outcome.

Each example has `<name>.scxml` and `<name>.yaml`; the scenario's comment says
what should happen, and the test pins it: who was routed where and after how
long, what was sent, how each session ended. (test_golden checks that every
example also compiles black-clean and passes `mypy --strict`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scxmlc.compiler.loader import load
from scxmlc.runtime.sim import Simulation, load_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name: str) -> Simulation:
    simulation = Simulation(load_scenario(EXAMPLES / f"{name}.yaml"), load)
    simulation.run()
    return simulation


def routes(simulation: Simulation) -> list[tuple[str, str | None, float | None]]:
    """(interaction, routed to, wait) for each interaction, in arrival order."""
    summary: dict[str, Any] = simulation.summary()
    return [(c["id"], c["routed_to"], c["wait"]) for c in summary["interactions"]]


def logs(simulation: Simulation, session: str) -> list[str]:
    return [e.text for e in simulation.trace.of_kind("log") if e.session == session]


def ended(simulation: Simulation) -> dict[str, list[str]]:
    """Every session's final states; all sessions must have ended."""
    summary = simulation.summary()
    assert all(s["ended"] is not None for s in summary["sessions"]), summary["sessions"]
    return {s["session"]: s["states"] for s in summary["sessions"]}


def test_agent_group_routing_overflows_to_the_default_destination() -> None:
    simulation = run("agent_group_routing")
    assert routes(simulation) == [
        ("call-1", "anna", 0.0),
        ("call-2", "bob", 3.0),
        ("call-3", "DN 8000", 30.0),
    ]
    assert logs(simulation, "S3") == [
        "call: from +15550103 to 5000",
        "no agent: timeout",
    ]
    assert ended(simulation) == {"S1": ["done"], "S2": ["done"], "S3": ["done"]}


def test_skill_routing_widens_the_skill_step_by_step() -> None:
    simulation = run("skill_routing")
    assert routes(simulation) == [
        ("call-1", "carla", 0.0),
        ("call-2", "diego", 28.0),
        ("call-3", "erin", 60.0),
    ]
    donedata = {s.label: s.machine.donedata for s in simulation.platform.finished}
    assert donedata["S3"] == {
        "agent": "erin",
        "steps": [
            "{StatAgentsAvailable>0}?:French>=7@Stat_Server.GA",
            "?:French>0@Stat_Server.GA",
            "Support@Stat_Server.GA",
        ],
    }
    assert len(donedata["S2"]["steps"]) == 2  # diego qualified at the second step


def test_business_hours_close_before_opening_and_on_holidays() -> None:
    simulation = run("business_hours")
    assert routes(simulation) == [
        ("early", None, None),
        ("open", "fanny", 0.0),
        ("xmas", None, None),
    ]
    assert logs(simulation, "S1") == ["hours: 2 07:58:00: after hours"]
    assert logs(simulation, "S2") == ["hours: 2 08:10:00: open"]
    assert logs(simulation, "S3") == ["hours: 5 09:58:00: holiday"]
    treatments = [e.text for e in simulation.trace.of_kind("treatment")]
    assert treatments == [
        "early playsound type=announcement resource=ann/closed duration=8 (8s)",
        "xmas playsound type=announcement resource=ann/holiday duration=8 (8s)",
    ]
    assert [c["outcome"] for c in simulation.summary()["interactions"]] == [
        "terminated",
        "completed",
        "terminated",
    ]


def test_ivr_routing_collects_the_choice_then_routes_by_it() -> None:
    simulation = run("ivr_routing")
    assert routes(simulation) == [
        ("call-1", "gina", 5.0),
        ("call-2", "hugo", 57.0),
        ("call-3", "ivan", 27.0),
    ]
    contacts = simulation.center.contacts
    assert contacts["call-1"].interaction.udata["MenuChoice"] == "1"
    assert contacts["call-2"].interaction.udata["MenuTries"] == 2
    assert contacts["call-3"].interaction.udata["MenuChoice"] == "0"
    held = [
        e.text
        for e in simulation.trace.of_kind("treatment")
        if e.text.startswith("call-2")
    ]
    assert held[-3:] == [
        "call-2 playsound type=music resource=music/hold duration=30 (30s)",
        "call-2 play  (2s)",
        "call-2 playsound type=music resource=music/hold duration=30 (30s)",
    ]


def test_email_autoresponse_acknowledges_by_category_and_routes() -> None:
    simulation = run("email_autoresponse")
    assert routes(simulation) == [
        ("mail-1", "julia", 0.0),
        ("mail-2", "kurt", 0.0),
        ("mail-3", "lena", 0.0),
    ]
    sent = [
        (m["parent"], m["to"], m["subject"], m["srid"], m["sent"])
        for m in simulation.center.outbox
    ]
    assert sent == [
        (
            "mail-1",
            ["pat@example.com"],
            "Your billing question",
            "SR_BILLING_ACK",
            True,
        ),
        ("mail-2", ["sam@example.org"], "Your return", "SR_RETURNS_ACK", True),
    ]
    categories = {
        g: c.interaction.udata.get("Category")
        for g, c in simulation.center.contacts.items()
        if g.startswith("mail-")
    }
    assert categories == {"mail-1": "Billing", "mail-2": "Returns", "mail-3": "General"}


def test_stat_routing_picks_the_shorter_wait_and_overflows() -> None:
    simulation = run("stat_routing")
    assert routes(simulation) == [
        ("call-1", "nora", 0.0),
        ("call-2", "sven", 0.0),
        ("call-3", "sara", 0.0),
        ("call-4", "sven", 280.0),
        ("call-5", "otto", 60.0),
    ]
    sites = {s.label: s.machine.donedata for s in simulation.platform.finished}
    assert [sites[f"S{i}"]["site"] for i in range(1, 6)] == [
        "North",
        "South",
        "South",
        "South",
        "Overflow",
    ]
    assert logs(simulation, "S5") == [
        'expected waits: {"North": 180.0, "South": 180.0}'
    ]


def test_consult_transfer_attaches_and_gives_back_the_parent() -> None:
    simulation = run("consult_transfer")
    assert routes(simulation) == [("call-1", "anna", 0.0), ("call-2", "bruno", 0.0)]
    events = [
        e.text
        for e in simulation.trace.of_kind("event")
        if e.session == "S1"
        and e.text.startswith("interaction.")
        and e.text != "interaction.udata.changed"
    ]
    assert events == [
        "interaction.added",
        "interaction.present",
        "interaction.deleted",  # resultof association: lent to S2
        "interaction.notcontrolled",
        "interaction.added",  # given back
        "interaction.present",
        "interaction.deleted",  # the call ended
    ]
    consult = simulation.center.contacts["call-2"].interaction
    assert (consult.udata["Account"], consult.udata["TransferFrom"]) == (
        "AC-call-1",
        "call-1",
    )
    (s1,) = [s for s in simulation.platform.finished if s.label == "S1"]
    assert s1.machine.dm["lent"] == 1
    assert ended(simulation) == {"S1": ["done"], "S2": ["done"]}


@pytest.mark.parametrize("name", ["skill_routing", "stat_routing"])
def test_python_datamodel_examples_type_check(name: str) -> None:
    from scxmlc.compiler import compile_path
    from scxmlc.compiler.typecheck import typecheck_module

    path = EXAMPLES / f"{name}.scxml"
    assert typecheck_module(compile_path(path).source, str(path)) == []
