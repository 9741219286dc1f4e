"""Target selection through the ready-agent index picks what a scan of every agent picks.

`Routing._choose` answers the default order (the agent longest ready) from
`ReadyAgents`; `Routing._choose_among` still builds every candidate from a scan
of the configuration and asks `_best`. Random contact centers, random agent
state changes over time (several at one instant, and ready times that differ by
less than the clock can tell apart) and random target lists must give the same
target and agent both ways.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scxmlc.runtime import VirtualClock
from scxmlc.runtime.ors.objects import Interaction
from scxmlc.runtime.ors.services import SubmitRequest, TargetSpec
from scxmlc.runtime.sim import ContactCenter, parse_scenario
from scxmlc.runtime.sim.routing import Waiting, _Choice
from scxmlc.runtime.sim.targets import parse_targets

GROUPS = ["Sales", "Support", "Billing"]
STATES = ["ready", "ready", "ready", "busy", "not_ready", "acw", "reserved"]
SPECS = [
    TargetSpec("agentgroup", "Sales"),
    TargetSpec("agentgroup", "Support"),
    TargetSpec("agentgroup", "Nobody"),
    TargetSpec("skill", "English>4"),
    TargetSpec("skill", "English>2 & Spanish"),
    TargetSpec("targetid", "?Billing:English>1@Stat.GA"),
    TargetSpec("targetid", "{StatAgentsAvailable>2}Sales@Stat.GA"),
    TargetSpec("agent", "agent3"),
    TargetSpec("place", "Place_agent4"),
    TargetSpec("dn", "8000"),
]


def _center(rng: random.Random) -> ContactCenter:
    agents = [
        {
            "id": f"agent{i}",
            "groups": rng.sample(GROUPS, rng.randint(0, 2)),
            "skills": {"English": rng.randint(0, 9), "Spanish": rng.randint(0, 1)},
            "state": rng.choice(STATES[:5]),
        }
        for i in range(rng.randint(0, 12))
    ]
    raw = {"agents": agents, "dns": [{"number": "8000", "type": "ACDQueue"}]}
    scenario = parse_scenario(raw, Path("ready.yaml"))
    return ContactCenter(scenario.config, VirtualClock())


def _picked(choice: _Choice | None) -> tuple[str, str | None] | None:
    if choice is None:
        return None
    return choice.target.text, None if choice.agent is None else choice.agent.id


@pytest.mark.parametrize("seed", range(40))
def test_the_index_picks_what_the_scan_picks(seed: int) -> None:
    rng = random.Random(seed)
    center = _center(rng)
    clock = center.clock
    assert isinstance(clock, VirtualClock)
    agents = list(center.config.agents.values())
    for step in range(60):
        if agents and rng.random() < 0.7:
            center.set_agent_state(rng.choice(agents), rng.choice(STATES))
        if rng.random() < 0.3:
            clock.advance(rng.choice([0.1, 0.2, 0.3, 1e-17, 5.0]))
        if step % 3 == 0:
            specs = tuple(rng.sample(SPECS, rng.randint(1, 3)))
            submit = SubmitRequest(Interaction(f"call-{step}"), targets=specs)
            targets = [t for spec in specs for t in parse_targets(spec)]
            waiting = Waiting(None, submit, None, targets, 0.0, 0, 0)  # type: ignore[arg-type]
            routing = center.routing
            fast = routing._choose(waiting)
            assert _picked(fast) == _picked(routing._choose_among(waiting))


def test_ready_times_the_clock_cannot_tell_apart_go_to_the_first_agent() -> None:
    raw = {
        "agents": [
            {"id": "first", "groups": ["Sales"], "state": "busy"},
            {"id": "second", "groups": ["Sales"], "state": "busy"},
        ]
    }
    config = parse_scenario(raw, Path("ready.yaml")).config
    clock = VirtualClock()
    center = ContactCenter(config, clock)
    clock.advance(0.1)
    center.set_agent_state(config.agents["second"], "ready")
    clock.advance(5.5e-17)  # the next float but three after 0.1
    center.set_agent_state(config.agents["first"], "ready")
    first, second = config.agents["first"].since, config.agents["second"].since
    assert first > second
    clock.advance(1e9)  # now - since: the same float for both agents
    now = clock.now()
    assert now - first == now - second
    submit = SubmitRequest(
        Interaction("call"), targets=(TargetSpec("agentgroup", "Sales"),)
    )
    targets = parse_targets(submit.targets[0])
    waiting = Waiting(None, submit, None, targets, 0.0, 0, 0)  # type: ignore[arg-type]
    assert _picked(center.routing._choose(waiting)) == ("Sales@.GA", "first")
    assert _picked(center.routing._choose_among(waiting)) == ("Sales@.GA", "first")
