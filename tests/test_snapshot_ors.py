"""Snapshots of ORS sessions: a session restored onto its platform
(`Platform.restore_session`) owns its interactions again, and the requests it
made still reach it; restored after every macrostep, a session does what it
did without snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from scxmlc.compiler.loader import load
from scxmlc.runtime import Event, Machine, Observer
from scxmlc.runtime.ors import Platform
from scxmlc.runtime.ors.objects import Interaction
from scxmlc.runtime.ors.platform import OrsSession
from scxmlc.runtime.sim import Simulation, parse_scenario
from scxmlc.runtime.sim.model import Contact

from ors_harness import events, machine_class, texts
from test_ors_platform import COUNTING, ONE_CALL, REQUESTS


class Reincarnating(Observer):
    """The platform's observer, which also replaces every session the platform
    hosts by a restored copy of its snapshot after each of its macrosteps."""

    def __init__(self, platform: Platform, inner: Observer) -> None:
        self.platform = platform
        self.inner = inner
        self.restores = 0

    def on_event(self, machine: Machine, event: Event) -> None:
        self.inner.on_event(machine, event)

    def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
        self.inner.on_log(machine, label, value)

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        self.inner.on_error(machine, event, error)

    def on_finished(self, machine: Machine) -> None:
        self.inner.on_finished(machine)

    def on_stable(self, machine: Machine) -> None:
        self.inner.on_stable(machine)
        session = self.platform.session_of(machine)
        if session is None or session.machine is not machine or machine.finished:
            return
        if machine._parent is not None:
            return
        data = machine.snapshot()
        machine.dispose()
        restored = self.platform.restore_session(type(machine), data)
        assert restored is session and session.machine is not machine
        self.restores += 1


def run(application: type[Machine], scenario: str, restore: bool) -> Simulation:
    raw: Any = yaml.safe_load(scenario)
    parsed = parse_scenario(raw, Path.cwd() / "scenario.yaml")
    simulation = Simulation(
        parsed, lambda path: load(path), default_application=application
    )
    if restore:
        platform = simulation.platform
        observer = Reincarnating(platform, platform._observer)
        platform._observer = observer  # type: ignore[assignment]
    simulation.run()
    if restore:
        assert observer.restores > 0
    return simulation


def test_a_request_made_before_the_snapshot_reaches_the_restored_session() -> None:
    application = machine_class(REQUESTS)
    plain = run(application, ONE_CALL, restore=False)
    restored = run(application, ONE_CALL, restore=True)
    (session,) = restored.platform.finished
    dm = session.machine.dm  # type: ignore[attr-defined]
    assert dm["rid"] == "queue-1"
    assert list(dm["seen"]) == ["requestid", "7001@SIP_Switch.DN", "anna"]
    assert texts(restored, "session", "interaction") == texts(
        plain, "session", "interaction"
    )


def test_a_restored_session_owns_its_interactions() -> None:
    restored = run(machine_class(COUNTING), ONE_CALL, restore=True)
    session = next(iter(restored.platform.sessions.values()), None)
    if session is None:
        (session,) = restored.platform.finished
    dm = session.machine.dm  # type: ignore[attr-defined]
    assert (dm["before"], dm["after"]) == (0, 1)
    assert (dm["byindex"], dm["byid"], dm["owner"]) == ("c1", "+15550100", True)
    assert session.machine.configuration == {"gone"}


def test_a_session_restored_after_its_platform_forgot_it_owns_its_interactions() -> (
    None
):
    raw: Any = yaml.safe_load(ONE_CALL)
    parsed = parse_scenario(raw, Path.cwd() / "scenario.yaml")
    simulation = Simulation(
        parsed, lambda path: load(path), default_application=machine_class(COUNTING)
    )
    platform = simulation.platform
    simulation.center.schedule(parsed.timeline)
    simulation.clock.run_until_idle(limit=50)  # before the hangup
    (session,) = platform.sessions.values()
    machine = session.machine
    assert machine.configuration == {"t"}
    data = machine.snapshot()
    machine.dispose()  # the platform restarts: it knows the session no more
    del platform.sessions[machine._sessionid]
    del platform.owners["c1"]
    restored = platform.restore_session(type(machine), data)
    assert restored is not session and restored.label == session.label
    assert list(restored.interactions.ids()) == ["c1"]
    assert platform.owners["c1"] is restored
    simulation.clock.run_until_idle(limit=200)  # the hangup
    assert restored.machine.configuration == {"gone"}


# -- a session restored on a platform that does not know it ---------------------------

MOVING = """<scxml {ns} profile="ecmascript" initial="call">
  <datamodel>
    <data id="rid" expr="''"/><data id="fid" expr="''"/><data id="agent" expr="''"/>
    <data id="fetched" expr="[]"/>
  </datamodel>
  <state id="call" initial="s">
  <state id="s">
    <transition event="interaction.added" target="q"/>
  </state>
  <state id="q">
    <onentry>
      <queue:submit requestid="rid" timeout="100">
        <queue:targets><queue:target name="'Sales'" type="agentgroup"/></queue:targets>
      </queue:submit>
      <session:fetch requestid="fid" srcexpr="'http://crm/customer'" method="'METHOD'"/>
    </onentry>
    <transition event="queue.submit.done" target="talking">
      <assign location="agent" expr="_event.data.resource.agent"/>
    </transition>
  </state>
  <state id="talking">
    <transition event="interaction.deleted" target="done"/>
  </state>
  <state id="done"/>
  <transition event="session.fetch.done">
    <script>fetched.push('done ' + _event.data.requestid)</script>
  </transition>
  <transition event="error.session.fetch">
    <script>fetched.push(_event.data.error + ' ' + _event.data.requestid)</script>
  </transition>
  </state>
</scxml>"""

EVERY_EVENT_ONCE = [
    "interaction.added",
    "interaction.present",
    "queue.submit.requestid",
    "queue.submit.done",
    "session.fetch.done",
    "interaction.deleted",
]


def call_to_sales(anna: str) -> str:
    """One call whose session submits it to Sales (anna, in state `anna`)
    and fetches the caller's record, answered 10 s later; 30 s of talk."""
    return f"""
dns: [{{number: "5000", type: RoutingPoint}}]
agents: [{{id: anna, dn: "7001", groups: [Sales], state: {anna}}}]
fetch: [{{prefix: "http://crm/", status: 200, body: {{segment: gold}}, delay: 10}}]
timeline:
  - {{at: 0, call: {{id: c1, to: "5000", ani: "+15550100", talk: 30}}}}
"""


def on_platform(scenario: str, application: type[Machine]) -> Simulation:
    """A platform and center configured by `scenario`, its timeline not played."""
    raw: Any = yaml.safe_load(scenario)
    parsed = parse_scenario(raw, Path.cwd() / "scenario.yaml")
    return Simulation(parsed, lambda path: load(path), default_application=application)


def took_call(application: type[Machine], anna: str, seconds: float) -> Simulation:
    """The platform the call arrives at, `seconds` after it did."""
    old = on_platform(call_to_sales(anna), application)
    old.center.schedule(old.scenario.timeline)
    old.clock.advance(seconds)
    return old


def moved(old: Simulation, anna: str) -> tuple[Simulation, OrsSession]:
    """The session of `old` snapshotted, `old` stopped, and the session
    restored on a new platform and center (anna in state `anna` there) at the
    same wall-clock time, as after a restart or an adoption."""
    (session,) = old.platform.sessions.values()
    machine = session.machine
    data = machine.snapshot()
    machine.dispose()
    new = on_platform(call_to_sales(anna), type(machine))
    new.clock.advance(old.clock.now())
    return new, new.platform.restore_session(type(machine), data)


def test_a_waiting_call_moves_with_its_submit_and_its_get_issued_again() -> None:
    application = machine_class(MOVING.replace("METHOD", "get"))
    old = took_call(application, "not_ready", 5)
    (session,) = old.platform.sessions.values()
    assert set(session.requests) == {"queue-1", "session-2"}
    extra = session.machine._snapshot_extra()  # type: ignore[attr-defined]
    assert json.loads(json.dumps(extra)) == extra  # plain data
    new, restored = moved(old, "ready")
    assert new.center.contacts["c1"].resource == "5000"
    assert new.platform.owners["c1"] is restored
    new.clock.run_until_idle(limit=100)
    dm = restored.machine.dm  # type: ignore[attr-defined]
    assert restored.machine.configuration == {"call", "done"}
    assert (dm["rid"], dm["agent"], list(dm["fetched"])) == (
        "queue-1",
        "anna",
        ["done session-2"],
    )
    assert events(old) + events(new) == EVERY_EVENT_ONCE
    contact = new.center.contacts["c1"]
    assert (contact.routed_to, contact.outcome) == ("anna", "completed")
    assert restored.requests == {} and new.platform.in_flight == {}
    assert new.platform.requestids.new("queue") == "queue-3"


def test_a_request_issued_again_moves_again_with_its_call() -> None:
    """Restored twice: the call a submit was issued again with is kept by
    the second snapshot as the first kept it, and issued once more."""
    application = machine_class(MOVING.replace("METHOD", "get"))
    old = took_call(application, "not_ready", 5)
    (first,) = old.platform.sessions.values()
    kept = first.machine._snapshot_extra()  # type: ignore[attr-defined]
    middle, moved_once = moved(old, "not_ready")
    again = moved_once.machine._snapshot_extra()  # type: ignore[attr-defined]
    assert json.loads(json.dumps(again)) == again  # plain data
    assert [r["call"] for r in again["requests"]] == [
        r["call"] for r in kept["requests"]
    ]
    new, restored = moved(middle, "ready")
    new.clock.run_until_idle(limit=100)
    assert restored.machine.configuration == {"call", "done"}
    assert new.center.contacts["c1"].routed_to == "anna"


def test_a_request_that_cannot_be_issued_again_fails_with_outcome_unknown() -> None:
    application = machine_class(MOVING.replace("METHOD", "post"))
    new, restored = moved(took_call(application, "not_ready", 5), "ready")
    new.clock.run_until_idle(limit=100)
    dm = restored.machine.dm  # type: ignore[attr-defined]
    assert list(dm["fetched"]) == ["outcome.unknown session-2"]
    (failed,) = [e for e in new.trace.entries if e.text == "error.session.fetch"]
    assert failed.data["data"]["description"] == (
        "the platform that served request session-2 stopped: "
        "whether it took effect is not known"
    )
    assert restored.machine.configuration == {"call", "done"}


def test_a_routed_call_moves_and_ends_when_its_talk_time_is_over() -> None:
    application = machine_class(MOVING.replace("METHOD", "get"))
    old = took_call(application, "ready", 12)
    assert old.center.contacts["c1"].routed_to == "anna"
    new, restored = moved(old, "ready")
    assert restored.machine.configuration == {"call", "talking"}
    new.clock.run_until_idle(limit=100)
    assert restored.machine.configuration == {"call", "done"}
    (deleted,) = [e for e in new.trace.entries if e.text == "interaction.deleted"]
    assert deleted.time == 30.0  # the rest of its 30 s of talk
    assert events(old) + events(new) == EVERY_EVENT_ONCE
    anna = new.center.config.agents["anna"]
    assert (anna.state, anna.handled) == ("ready", 0)  # the old center's anna talked


def test_a_request_whose_outcome_was_queued_is_not_issued_again() -> None:
    application = machine_class(MOVING.replace("METHOD", "get"))
    old = took_call(application, "not_ready", 5)
    anna = old.center.config.agents["anna"]
    old.center.set_agent_state(anna, "ready")
    old.center.routing.dispatch()  # served: queue.submit.done waits in the queue
    (session,) = old.platform.sessions.values()
    assert [e.name for e in session.machine._external] == ["queue.submit.done"]
    assert set(session.requests) == {"session-2"}
    new, restored = moved(old, "ready")
    assert new.center.routing.waiting == []
    new.clock.run_until_idle(limit=100)
    assert restored.machine.configuration == {"call", "done"}
    assert events(old) + events(new) == EVERY_EVENT_ONCE
    assert new.center.config.agents["anna"].handled == 0


CANCELLING = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="rid" expr="''"/></datamodel>
  <state id="s">
    <transition event="interaction.added" target="q"/>
  </state>
  <state id="q">
    <onentry>
      <queue:submit requestid="rid">
        <queue:targets><queue:target name="'Sales'" type="agentgroup"/></queue:targets>
      </queue:submit>
    </onentry>
    <transition event="give.up"><queue:cancel requestid="rid"/></transition>
    <transition event="queue.cancel.done" target="cancelled"/>
  </state>
  <state id="cancelled"/>
</scxml>"""


def test_a_request_id_names_a_request_of_the_session_that_gives_it() -> None:
    """A submit issued again keeps its id, which the new platform minted
    for a request of its own session too: cancelling by that id cancels the
    request of the session that cancels, not the other one."""
    application = machine_class(MOVING.replace("METHOD", "get"))
    old = took_call(application, "not_ready", 5)
    (session,) = old.platform.sessions.values()
    machine = session.machine
    data = machine.snapshot()
    machine.dispose()
    new = on_platform(call_to_sales("not_ready"), application)
    new.platform.provision("5001", machine_class(CANCELLING))
    new.center.arrive(Contact(Interaction("c2"), 0.0, "5001"))
    new.clock.advance(old.clock.now())
    (own,) = new.platform.sessions.values()
    assert own.machine.dm["rid"] == "queue-1"  # type: ignore[attr-defined]
    restored = new.platform.restore_session(type(machine), data)
    new.clock.advance(1)
    assert [w.request.requestid for w in new.center.routing.waiting] == [
        "queue-1",
        "queue-1",
    ]
    own.deliver("give.up", {})
    new.clock.advance(1)
    assert own.machine.configuration == {"cancelled"}
    (left,) = new.center.routing.waiting
    assert left.request.sink is restored
    assert new.platform.requestids.new("queue") == "queue-4"
    anna = new.center.config.agents["anna"]
    new.center.set_agent_state(anna, "ready")
    new.clock.run_until_idle(limit=100)
    assert restored.machine.configuration == {"call", "done"}
