"""Percentage routing: `<queue:target weight>` with `ordertype="'percentage'"`.

Each interaction goes to one of the targets that have a ready agent, drawn at
random in proportion to the weights, from the center's generator seeded by the
scenario's `seed`: over many interactions the shares follow the weights, and a
run is repeatable.
"""

from __future__ import annotations

from collections import Counter

import pytest

from scxmlc.compiler import compile_text
from scxmlc.runtime import Machine
from scxmlc.runtime.sim import Simulation

from ors_harness import NAMESPACES, machine_class, simulate

WEIGHTED = """<scxml {ns} profile="ecmascript" initial="wait">
  <datamodel><data id="weights" expr="{sales: 50, support: '30'}"/></datamodel>
  <state id="wait"><transition event="interaction.added" target="queued"/></state>
  <state id="queued">
    <onentry>
      <queue:submit queue="'VQ'" ordertype="'percentage'">
        <queue:targets type="agentgroup">
          <queue:target name="'Sales'" weight="weights.sales"/>
          <queue:target name="'Support'" weight="weights.support"/>
          <queue:target name="'Billing'" weight="20"/>
          <queue:target name="'Nobody'" weight="0"/>
        </queue:targets>
      </queue:submit>
    </onentry>
    <transition event="queue.submit.done" target="routed"/>
    <transition event="error.queue.submit" target="failed"/>
  </state>
  <state id="routed"/>
  <state id="failed"/>
</scxml>"""

GROUPS = {"Sales": ["s1", "s2"], "Support": ["u1", "u2"], "Billing": ["b1", "b2"]}
GROUPS["Nobody"] = ["n1", "n2"]


def _scenario(calls: int, seed: int | None) -> str:
    agents = "".join(
        f'\n  - {{id: {agent}, dn: "7{index}{n}", groups: [{group}], state: ready}}'
        for index, (group, members) in enumerate(GROUPS.items())
        for n, agent in enumerate(members)
    )
    timeline = "".join(
        f'\n  - {{at: {i * 10}, call: {{id: c{i}, to: "5000", talk: 1}}}}'
        for i in range(calls)
    )
    return (
        ('dns: [{number: "5000", type: RoutingPoint}]\n')
        + (f"seed: {seed}\n" if seed is not None else "")
        + "agents:"
        + agents
        + "\ntimeline:"
        + timeline
        + "\n"
    )


def _groups_routed(simulation: Simulation) -> list[str]:
    group_of = {a: g for g, members in GROUPS.items() for a in members}
    return [group_of[c["routed_to"]] for c in simulation.summary()["interactions"]]


@pytest.fixture(scope="module")
def application() -> type[Machine]:
    return machine_class(WEIGHTED)


def test_shares_follow_the_weights(application: type[Machine]) -> None:
    calls = 1000
    routed = _groups_routed(simulate(application, _scenario(calls, seed=11)))
    assert len(routed) == calls
    shares = Counter(routed)
    # weights 50:30:20:0; with 1000 draws one standard deviation is at most
    # 1.6 points, so 5 points is over three of them
    assert abs(shares["Sales"] / calls - 0.5) < 0.05
    assert abs(shares["Support"] / calls - 0.3) < 0.05
    assert abs(shares["Billing"] / calls - 0.2) < 0.05
    assert shares["Nobody"] == 0


def test_a_run_is_repeatable_under_its_seed(application: type[Machine]) -> None:
    first = _groups_routed(simulate(application, _scenario(60, seed=3)))
    again = _groups_routed(simulate(application, _scenario(60, seed=3)))
    other = _groups_routed(simulate(application, _scenario(60, seed=4)))
    default = _groups_routed(simulate(application, _scenario(60, seed=None)))
    assert first == again
    assert first != other
    assert default == _groups_routed(simulate(application, _scenario(60, seed=0)))


def test_only_targets_with_a_ready_agent_are_drawn() -> None:
    scenario = _scenario(40, seed=5).replace(
        "groups: [Sales], state: ready", "groups: [Sales], state: logged_out"
    )
    shares = Counter(_groups_routed(simulate(machine_class(WEIGHTED), scenario)))
    assert set(shares) == {"Support", "Billing"}


def test_a_weight_in_the_target_text_wins_over_the_attribute() -> None:
    text = WEIGHTED.replace("name=\"'Sales'\"", "name=\"'[0]Sales@.GA'\"")
    assert text != WEIGHTED
    shares = Counter(_groups_routed(simulate(machine_class(text), _scenario(40, 2))))
    assert shares["Sales"] == 0 and shares["Support"] > 0


@pytest.mark.parametrize("weight", ["-1", "'heavy'"])
def test_a_weight_that_is_not_a_number_from_zero_up_fails_the_submit(
    weight: str,
) -> None:
    text = WEIGHTED.replace('weight="20"', f'weight="{weight}"')
    simulation = simulate(machine_class(text), _scenario(1, seed=0))
    (contact,) = simulation.summary()["interactions"]
    assert contact["routed_to"] is None
    errors = [
        e.data
        for e in simulation.trace.entries
        if e.kind == "event" and e.text == "error.queue.submit"
    ]
    assert errors and errors[0]["data"]["error"] == "invalidparameter"


def test_the_weight_attribute_is_declared() -> None:
    compilation = compile_text(WEIGHTED.replace("{ns}", NAMESPACES), "w.scxml")
    assert compilation.warnings == []
