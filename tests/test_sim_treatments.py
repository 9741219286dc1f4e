"""Treatments stop when their interaction is routed away or ends.

A dialog under way (`<dialog:playsound>`, ...) fails with
`error.dialog.<action>` (`error="interactionrouted"` or `"interactiondeleted"`)
and never completes; busy treatments (`<dialog:runtreatments>`, alone or in a
`<queue:submit>`) play no further treatment. Routed away: to an agent by
`<queue:submit>`, by `<ixn:redirect>` to an agent, a DN or a routing point
that has an application.
"""

from __future__ import annotations

import pytest

from scxmlc.runtime.sim import Simulation

from ors_harness import machine_class, simulate

PLAYING = """<scxml {ns} profile="ecmascript" initial="wait">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="wait">
    <transition event="interaction.added" cond="_event.data.focusdeviceid == '5000'"
                target="treat"/>
    <transition event="interaction.added" target="redirected"/>
  </state>
  <state id="redirected"/>
  <state id="treat">
    <onentry>
      <dialog:playsound type="'music'" resource="'music/hold'" duration="60"/>
      <dialog:runtreatments>
        <dialog:playsound type="'music'" resource="'busy/one'" duration="10"/>
        <dialog:playsound type="'music'" resource="'busy/two'" duration="10"/>
        <dialog:playsound type="'music'" resource="'busy/three'" duration="10"/>
      </dialog:runtreatments>
      <send event="'act'" delay="'15s'"/>
      ACT_NOW
    </onentry>
    <transition event="act">ACT_LATER</transition>
    <transition event="dialog.playsound.done error.dialog.playsound">
      <script>seen.push(_event.name + ' ' + (_event.data.error || 'ok'))</script>
    </transition>
  </state>
</scxml>"""

SUBMIT = """<queue:submit queue="'VQ'">
        <queue:targets><queue:target name="'Sales'" type="agentgroup"/></queue:targets>
      </queue:submit>"""

CENTER = """
dns:
  - {number: "5000", type: RoutingPoint}
  - {number: "6000", type: RoutingPoint}
  - {number: "7100", type: Extension}
agents: [{id: anna, dn: "7001", groups: [Sales], state: not_ready}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", talk: 100}}
"""


def _run(now: str = "", later: str = "", timeline: str = "") -> Simulation:
    text = PLAYING.replace("ACT_NOW", now).replace("ACT_LATER", later)
    return simulate(machine_class(text), CENTER + timeline)


def _seen(simulation: Simulation) -> list[tuple[float, str]]:
    """The playsound answers the first session took, with their times."""
    return [
        (entry.time, entry.text + " " + str(entry.data["data"].get("error", "ok")))
        for entry in simulation.trace.entries
        if entry.kind == "event"
        and entry.session == "S1"
        and entry.text in ("dialog.playsound.done", "error.dialog.playsound")
    ]


def _played(simulation: Simulation) -> list[tuple[float, str]]:
    """The busy treatments played on c1, with their start times."""
    return [
        (entry.time, entry.text.split()[3])
        for entry in simulation.trace.of_kind("treatment")
        if entry.text.startswith("c1 playsound") and "busy/" in entry.text
    ]


def _stops(simulation: Simulation) -> list[tuple[float, str]]:
    return [
        (entry.time, entry.text)
        for entry in simulation.trace.of_kind("treatment")
        if "treatments stopped" in entry.text
    ]


def test_untouched_treatments_play_to_their_end() -> None:
    simulation = _run()
    assert _seen(simulation) == [(60, "dialog.playsound.done ok")]
    assert [t for t, _ in _played(simulation)] == [0, 10, 20]


def test_routing_to_an_agent_stops_the_treatments() -> None:
    simulation = _run(now=SUBMIT, timeline="  - {at: 15, agent: anna, state: ready}\n")
    assert _seen(simulation) == [(15, "error.dialog.playsound interactionrouted")]
    assert [t for t, _ in _played(simulation)] == [0, 10]
    assert _stops(simulation) == [
        (15, "c1 treatments stopped: the interaction was routed to agent anna")
    ]
    (contact,) = simulation.summary()["interactions"]
    assert contact["routed_to"] == "anna"


@pytest.mark.parametrize(
    "to, where",
    [
        ("'anna@Stat_Server.A'", "agent anna"),
        ("'7100@SIP_Switch.DN'", "DN 7100"),
        ("'6000'", "DN 6000"),  # a routing point with an application
    ],
)
def test_a_redirect_stops_the_treatments(to: str, where: str) -> None:
    redirect = f'<ixn:redirect to="{to}"/>'
    timeline = "  - {at: 1, agent: anna, state: ready}\n"
    simulation = _run(later=redirect, timeline=timeline)
    assert _seen(simulation) == [(15, "error.dialog.playsound interactionrouted")]
    assert [t for t, _ in _played(simulation)] == [0, 10]
    assert _stops(simulation) == [
        (15, f"c1 treatments stopped: the interaction was routed to {where}")
    ]
    if to == "'6000'":  # the call went on to a session of its own there
        states = [s["states"] for s in simulation.summary()["sessions"]]
        assert states == [["treat"], ["redirected"]]


def test_the_end_of_the_interaction_stops_the_treatments() -> None:
    simulation = _run(timeline="  - {at: 15, hangup: c1}\n")
    assert _seen(simulation) == [(15, "error.dialog.playsound interactiondeleted")]
    assert [t for t, _ in _played(simulation)] == [0, 10]
