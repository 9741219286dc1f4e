"""The `dialog:` attributes of real Composer output (COMPOSER.md §6).

- `<dialog:prompts type="ann">`: `type` is a literal, not an expression;
- `<dialog:playandcollect device=...>` and `<dialog:input clear=...
  start_timeout=... ignore_digits=...>` are declared (no warnings) and reach the
  backend; the simulator drops `ignore_digits` from the input and ends a
  collect without input after `start_timeout`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scxmlc.compiler import compile_text
from scxmlc.compiler.loader import load
from scxmlc.runtime.ors.services import DialogRequest
from scxmlc.runtime.sim import Simulation, parse_scenario

from ors_harness import NAMESPACES, machine_class

COLLECT = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/><data id="ThisDN" expr="'5000'"/></datamodel>
  <state id="s"><transition event="interaction.added" target="ask"/></state>
  <state id="ask">
    <onentry>
      <dialog:playandcollect device="ThisDN" language="'English (US)'">
        <dialog:prompts type="ann"><dialog:prompt intid="101"/></dialog:prompts>
        <dialog:input max_digits="4" total_timeout="20" start_timeout="3"
                      ignore_digits="'*'" clear="true"/>
      </dialog:playandcollect>
    </onentry>
    <transition event="dialog.playandcollect.done" target="ask">
      <script>seen.push(_event.data.digits)</script>
    </transition>
    <transition event="error.dialog.playandcollect" target="end">
      <script>seen.push(_event.data.error)</script>
    </transition>
  </state>
  <state id="end"/>
</scxml>"""

CALL = """
dns: [{number: "5000", type: RoutingPoint}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", digits: ["1*2*3", null]}}
"""


def test_composer_dialog_attributes_compile_without_warnings() -> None:
    compilation = compile_text(COLLECT.replace("{ns}", NAMESPACES), "dialog.scxml")
    assert compilation.warnings == []


def test_prompts_type_is_a_literal() -> None:
    # `ann` names no variable: read as an expression, the Python datamodel would
    # reject it
    text = """<scxml {ns} datamodel="python" initial="s">
  <state id="s">
    <transition event="interaction.added" target="t">
      <dialog:play><dialog:prompts type="ann"><dialog:prompt intid="101"/></dialog:prompts></dialog:play>
    </transition>
  </state>
  <state id="t"/>
</scxml>"""
    assert compile_text(text.replace("{ns}", NAMESPACES), "p.scxml").warnings == []
    _, (play,) = _run_recording(text)
    (prompts,) = play.children
    assert prompts.attributes == {"type": "ann"}


class _Recording:
    """The center's dialog service, recording the requests it is given."""

    def __init__(self, media: Any) -> None:
        self.media = media
        self.requests: list[DialogRequest] = []

    def run(self, request: Any, dialog: DialogRequest) -> None:
        self.requests.append(dialog)
        self.media.run(request, dialog)

    def stop(self, *args: Any) -> None:
        self.media.stop(*args)


def _run_recording(document: str) -> tuple[Simulation, list[DialogRequest]]:
    """Run `document` on CALL, the center's dialog service recording its requests."""
    scenario = parse_scenario(yaml.safe_load(CALL), Path("scenario.yaml"))
    simulation = Simulation(scenario, load, default_application=machine_class(document))
    recording = _Recording(simulation.center.media)
    simulation.center.dialog = recording  # type: ignore[assignment]
    simulation.run()
    return simulation, recording.requests


def test_attributes_reach_the_backend_and_shape_the_collect() -> None:
    simulation, requests = _run_recording(COLLECT)
    (session,) = simulation.platform.sessions.values()
    # '*' ignored; then no input, ended by start_timeout (3 s), not total_timeout
    assert list(session.machine.dm["seen"]) == ["123", "timeout"]
    first = requests[0]
    assert first.attributes == {"device": "5000", "language": "English (US)"}
    prompts, collect_input = first.children
    assert prompts.attributes == {"type": "ann"}
    assert collect_input.attributes == {
        "max_digits": 4,
        "total_timeout": 20,
        "start_timeout": 3,
        "ignore_digits": "*",
        "clear": True,
    }
    errors = [
        entry.time
        for entry in simulation.trace.entries
        if entry.kind == "event" and entry.text == "error.dialog.playandcollect"
    ]
    # first collect: prompt 2 s + 3 digits; second: prompt 2 s + start_timeout 3 s
    assert errors == [5 + 5]
