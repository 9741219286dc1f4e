"""Snapshots of ORS sessions: a session restored onto its platform
(`Platform.restore_session`) owns its interactions again, and the requests it
made still reach it; restored after every macrostep, a session does what it
did without snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scxmlc.compiler.loader import load
from scxmlc.runtime import Event, Machine, Observer
from scxmlc.runtime.ors import Platform
from scxmlc.runtime.sim import Simulation, parse_scenario

from ors_harness import machine_class, texts
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
