"""The step hook: `Observer.on_microstep` and `Observer.on_macrostep`.

A document with nesting, a parallel state, an eventless transition, a raised
internal event and a condition; each test pins the exact steps it reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scxmlc
from scxmlc.runtime import (
    Event,
    MacroStep,
    Machine,
    MicroStep,
    Observer,
    VirtualClock,
)

DOCUMENT = """\
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="python"
       name="steps" initial="idle">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="idle">
    <transition event="go" target="busy"/>
  </state>
  <parallel id="busy">
    <state id="left" initial="l1">
      <state id="l1"><transition event="next" target="l2"/></state>
      <state id="l2"/>
    </state>
    <state id="right" initial="r1">
      <state id="r1">
        <transition event="next" target="r2"><raise event="bump"/></transition>
      </state>
      <state id="r2">
        <transition event="bump" cond="n == 0" target="r3">
          <assign location="n" expr="n + 1"/>
        </transition>
      </state>
      <state id="r3"><transition target="r4"/></state>
      <state id="r4"/>
    </state>
  </parallel>
</scxml>
"""


class Steps(Observer):
    def __init__(self) -> None:
        self.micro: list[MicroStep] = []
        self.macro: list[MacroStep] = []
        self.order: list[str] = []

    def on_event(self, machine: Machine, event: Event) -> None:
        self.order.append(f"event {event.name}")

    def on_microstep(self, machine: Machine, step: MicroStep) -> None:
        self.micro.append(step)
        assert tuple(machine.active_states()) == step.configuration
        self.order.append("micro")

    def on_macrostep(self, machine: Machine, step: MacroStep) -> None:
        self.macro.append(step)
        self.order.append("macro")

    def on_stable(self, machine: Machine) -> None:
        self.order.append("stable")


def compiled(tmp_path: Path) -> type[Machine]:
    path = tmp_path / "steps.scxml"
    path.write_text(DOCUMENT, encoding="utf-8")
    return scxmlc.load(path)


def test_start_is_one_macrostep_entering_the_initial_configuration(
    tmp_path: Path,
) -> None:
    steps = Steps()
    compiled(tmp_path)(VirtualClock(), observer=steps).start()
    [start] = steps.macro
    assert start.event is None
    [initial] = start.steps
    assert initial.event is None and initial.exited == ()
    assert initial.entered == ("idle",)
    assert [(t.source, t.targets, t.events) for t in initial.transitions] == [
        ("", ("idle",), ())
    ]
    assert start.configuration == ("idle",)
    assert steps.order == ["micro", "macro", "stable"]


def test_a_macrostep_holds_the_microsteps_of_its_internal_and_eventless_transitions(
    tmp_path: Path,
) -> None:
    steps = Steps()
    machine = compiled(tmp_path)(VirtualClock(), observer=steps)
    machine.start()
    machine.send("go")
    go = steps.macro[-1]
    assert go.event is not None and go.event.name == "go"
    assert [s.entered for s in go.steps] == [("busy", "left", "l1", "right", "r1")]
    assert go.exited == ("idle",)
    steps.macro.clear()
    steps.order.clear()
    machine.send("next")
    [step] = steps.macro
    assert [
        (
            None if s.event is None else s.event.name,
            [(t.source, t.targets) for t in s.transitions],
            s.exited,
            s.entered,
        )
        for s in step.steps
    ] == [
        ("next", [("l1", ("l2",)), ("r1", ("r2",))], ("r1", "l1"), ("l2", "r2")),
        ("bump", [("r2", ("r3",))], ("r2",), ("r3",)),
        (None, [("r3", ("r4",))], ("r3",), ("r4",)),
    ]
    assert step.configuration == ("busy", "left", "l2", "right", "r4")
    assert [t.line for t in step.transitions] == [9, 14, 17, 21]
    assert [t.cond for t in step.transitions] == [None, None, "n == 0", None]
    assert steps.order == ["event next", "micro", "event bump", "micro", "micro"] + [
        "macro",
        "stable",
    ]
    assert machine.dm.n == 1


def test_an_event_no_transition_takes_is_a_macrostep_without_microsteps(
    tmp_path: Path,
) -> None:
    steps = Steps()
    machine = compiled(tmp_path)(VirtualClock(), observer=steps)
    machine.start()
    machine.send("nothing", {"x": 1})
    last = steps.macro[-1]
    assert last.event is not None and last.event.name == "nothing"
    assert last.steps == () and last.configuration == ("idle",)


def test_an_observer_without_step_methods_takes_no_steps(tmp_path: Path) -> None:
    class Events(Observer):
        def on_event(self, machine: Machine, event: Event) -> None:
            names.append(event.name)

    names: list[str] = []
    assert not Events().takes_steps and Steps().takes_steps
    machine = compiled(tmp_path)(VirtualClock(), observer=Events())
    machine.start()
    machine.send("go")
    machine.send("next")
    assert names == ["go", "next", "bump"]
    assert machine._announce is True and machine._recorder is None  # no recorder


def test_an_observer_assigned_later_takes_the_steps_from_then_on(
    tmp_path: Path,
) -> None:
    machine = compiled(tmp_path)(VirtualClock())
    machine.start()
    machine.send("go")
    steps = Steps()
    machine.observer = steps
    machine.send("next")
    assert [m.event.name for m in steps.macro if m.event] == ["next"]
    assert len(steps.micro) == 3


def test_a_delayed_event_is_a_macrostep_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "timer.scxml"
    path.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="python" initial="a">'
        '<state id="a"><onentry><send event="tick" delay="5s"/></onentry>'
        '<transition event="tick" target="b"/></state><final id="b"/></scxml>',
        encoding="utf-8",
    )
    steps = Steps()
    clock = VirtualClock()
    machine = scxmlc.load(path)(clock, observer=steps)
    machine.start()
    clock.advance(5)
    tick = steps.macro[-1]
    assert tick.event is not None and tick.event.name == "tick"
    assert tick.time == 5.0
    assert tick.exited == ("a",) and tick.entered == ("b",)
    assert machine.finished


def test_the_w3c_suite_passes_with_every_step_recorded() -> None:
    """Recording steps takes the general path of every event: the cases that
    pass unobserved pass observed, and each macrostep ends where the session
    is."""
    from w3c import EXPECTED_FAILURES, SUITE, cases

    if not SUITE.is_dir():
        pytest.skip(f"W3C suite not found at {SUITE}")

    class Checking(Steps):
        def on_macrostep(self, machine: Machine, step: MacroStep) -> None:
            super().on_macrostep(machine, step)
            if machine._running:
                assert step.configuration == tuple(machine.active_states())

    failed = []
    checked = 0
    for case in [*cases("python"), *cases("ecmascript"), *cases("null")]:
        if case.http or case.name in EXPECTED_FAILURES[case.datamodel]:
            continue
        try:
            machine_class = scxmlc.load(case.path, default_datamodel=case.datamodel)
        except scxmlc.compiler.CompileError:
            continue  # a test that must be rejected
        clock = VirtualClock()
        steps = Checking()
        machine = machine_class(clock, observer=steps)
        machine.start()
        clock.run_until_idle(limit=300.0)
        checked += 1
        if not (machine.finished and "pass" in machine.configuration):
            failed.append(f"{case.id}: {sorted(machine.configuration)}")
        elif not steps.micro:
            failed.append(f"{case.id}: no microsteps reported")
    assert checked > 300
    assert failed == []


def test_a_restored_session_reports_its_steps_to_its_new_observer(
    tmp_path: Path,
) -> None:
    machine_class = compiled(tmp_path)
    machine = machine_class(VirtualClock(), observer=Steps())
    machine.start()
    machine.send("go")
    steps = Steps()
    restored = machine_class.restore(machine.snapshot(), VirtualClock(), observer=steps)
    restored.send("next")
    assert [m.configuration for m in steps.macro] == [
        ("busy", "left", "l2", "right", "r4")
    ]
    assert len(steps.micro) == 3
